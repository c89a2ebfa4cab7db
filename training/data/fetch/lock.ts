import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from './errors.js';

export const LOCK_NAME = 'bitsr-data.lock.json';

/**
 * `<dest>/bitsr-data.lock.json`: the SHA-256 of every archive fetched (pins archives with
 * no published checksum, so a later fetch that differs is an error) and which parts of
 * each set were unpacked and verified (the completion marker: a part absent here is
 * redone even if its folder exists).
 */
export interface LockFile {
  version: 1;
  archives: Record<string, { sha256: string; size: number; url: string; fetchedAt: string }>;
  sets: Record<string, { dir: string; parts: string[]; completedAt: string }>;
}

export async function readLock(dest: string): Promise<LockFile> {
  const file = join(dest, LOCK_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { version: 1, archives: {}, sets: {} };
  }
  try {
    const lock = JSON.parse(text) as LockFile;
    if (lock.version !== 1 || typeof lock.archives !== 'object' || typeof lock.sets !== 'object') throw new Error('unknown layout');
    return lock;
  } catch (err) {
    throw new DataError(`cannot parse ${file} (${(err as Error).message}); fix or delete it`);
  }
}

/** Write-then-rename so an interrupted write never leaves a truncated lock file. */
export async function writeLock(dest: string, lock: LockFile): Promise<void> {
  const file = join(dest, LOCK_NAME);
  await writeFile(`${file}.tmp`, `${JSON.stringify(lock, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
