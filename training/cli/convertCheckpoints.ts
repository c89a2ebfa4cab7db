/**
 * Rewrites old single-file checkpoints (version 1, arrays as base64 in the JSON) in the current
 * format (a JSON header plus a raw float32 file beside it; training/engine/checkpoint.ts), in place.
 * Each array is read back and compared bit for bit before the next file is converted.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../engine/checkpoint';
import { isMain } from './args';

const USAGE = `usage: npx tsx training/cli/convertCheckpoints.ts <run dir|checkpoint.json>...
  Converts every version-1 checkpoint (*.json) given, or in each run dir given, to the header + .f32
  format in place. Files already converted are left as they are.`;

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Converts one file if it is a version-1 checkpoint; returns whether it did. */
export function convertCheckpoint(path: string): boolean {
  let version: unknown;
  try {
    version = JSON.parse(readFileSync(path, 'utf8'))?.version;
  } catch {
    return false; // not JSON: not a checkpoint
  }
  if (version !== 1) return false;
  const ck = loadCheckpoint(path);
  saveCheckpoint(path, ck);
  const back = loadCheckpoint(path);
  for (const [what, a, b] of [['parameter', ck.params, back.params], ['optimizer array', ck.optimizer.arrays, back.optimizer.arrays]] as const) {
    for (const k of Object.keys(a)) if (!b[k] || !sameBits(a[k], b[k])) throw new Error(`${path}: ${what} '${k}' did not read back exactly after conversion`);
  }
  return true;
}

function main(paths: string[]): void {
  if (!paths.length || paths.includes('--help') || paths.includes('-h')) {
    console.log(USAGE);
    return;
  }
  for (const p of paths) {
    const files = statSync(p).isDirectory() ? readdirSync(p).filter((f) => f.endsWith('.json')).sort().map((f) => join(p, f)) : [p];
    for (const f of files) console.log(`${convertCheckpoint(f) ? 'converted' : 'skipped (not a version-1 checkpoint)'}: ${f}`);
  }
}

if (isMain(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
