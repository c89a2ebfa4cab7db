import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { DataError } from './errors.js';

/**
 * Content check for unpacked images: the expected PNG count, and (for archives without a
 * published checksum) that every PNG decodes, which catches truncation and bit rot that
 * a size or count check would miss.
 */
export async function verifyImages(dir: string, expected: number, decode: boolean, label: string): Promise<void> {
  const pngs = (await readdir(dir, { withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.png'))
    .map((d) => d.name)
    .sort();
  if (pngs.length !== expected) throw new DataError(`${label}: found ${pngs.length} PNG images, expected ${expected}`);
  if (!decode) return;
  for (const name of pngs) {
    try {
      PNG.sync.read(await readFile(join(dir, name)));
    } catch (err) {
      throw new DataError(`${label}: ${name} is not a valid PNG (${(err as Error).message})`);
    }
  }
}
