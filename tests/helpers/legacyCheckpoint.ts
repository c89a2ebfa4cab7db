/** Writes a checkpoint in the old single-file format (version 1: arrays inline as base64), as runs before the .f32 format did. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Checkpoint } from '../../training/engine/checkpoint';

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const mapObj = (o: Record<string, Float32Array>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, b64(v)]));

export function saveLegacyCheckpoint(path: string, ck: Checkpoint): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify({ ...ck, version: 1, params: mapObj(ck.params), optimizer: { arrays: mapObj(ck.optimizer.arrays), scalars: ck.optimizer.scalars } }));
}
