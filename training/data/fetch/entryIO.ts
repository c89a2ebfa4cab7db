import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataError } from './errors.js';

/** Maps an archive member name to an output path, or undefined to skip it. */
export type EntryTarget = (name: string) => string | undefined;

export function corrupt(file: string, why: string): DataError {
  return new DataError(`corrupted archive ${basename(file)}: ${why}`);
}

/**
 * Streams bytes [start, start+size) of `file` to `out`, through optional transforms, so
 * multi-GB archives never sit in memory.
 */
export async function copyRange(file: string, start: number, size: number, out: string, ...through: Transform[]): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  const src = size > 0 ? createReadStream(file, { start, end: start + size - 1 }) : Readable.from([]);
  await pipeline([src, ...through, createWriteStream(out)]);
}
