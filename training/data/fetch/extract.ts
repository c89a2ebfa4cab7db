import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { explain } from './errors.js';
import { corrupt, type EntryTarget } from './entryIO.js';
import { extractTar } from './tar.js';
import { extractZip } from './zip.js';

/** Picks the reader by content (not name, since mirrors rename files); returns files written. */
export async function extractArchive(file: string, target: EntryTarget): Promise<number> {
  const fh = await open(file, 'r');
  const head = Buffer.alloc(512);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, 512, 0));
  } finally {
    await fh.close();
  }
  try {
    if (n >= 4 && head.readUInt32LE(0) === 0x04034b50) return await extractZip(file, target);
    if (n >= 4 && head.readUInt32LE(0) === 0x06054b50) return 0; // empty zip
    if (n === 512 && head.toString('latin1', 257, 262) === 'ustar') return await extractTar(file, target);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) throw corrupt(file, 'gzip-compressed; expected a plain tar or zip');
    throw corrupt(file, 'neither a zip nor a ustar tar file');
  } catch (err) {
    throw explain(err, `files unpacked from ${basename(file)}`);
  }
}

/**
 * Members under `from` go below `outDir`, keeping their relative path. A member that
 * climbs out (`..`, absolute) makes the archive untrusted: refuse it rather than skip.
 */
export function underPrefix(archive: string, from: string, outDir: string): EntryTarget {
  return (raw) => {
    const name = raw.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
    if (!name.startsWith(from)) return undefined;
    const rest = name.slice(from.length);
    if (rest === '' || rest.endsWith('/')) return undefined;
    const segs = rest.split('/');
    if (segs.some((s) => s === '' || s === '.' || s === '..')) throw corrupt(archive, `unsafe member path ${raw}`);
    return join(outDir, ...segs);
  };
}
