/**
 * Checkpoints: one JSON file holding everything needed to resume exactly or to export:
 * network + training config, data statistics, weights, optimizer state, step and RNG state.
 * Float arrays are base64 little-endian float32. Written atomically (temp file + rename), and
 * never with non-finite weights.
 */
import { existsSync, readFileSync, renameSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseNetConfig, type NetConfig } from '../../src/model/config';

export interface DataStats {
  /** Per-channel mean and std of the training LR images, RGB in [0,1]. */
  mean: [number, number, number];
  std: [number, number, number];
}

export interface Checkpoint {
  version: 1;
  net: NetConfig;
  /** The full training config the run used (opaque here; see training/train/config.ts). */
  train: Record<string, unknown>;
  stats: DataStats;
  step: number;
  params: Record<string, Float32Array>;
  /** Optimizer state arrays by name (e.g. Adam m/v per param), and scalars. */
  optimizer: { arrays: Record<string, Float32Array>; scalars: Record<string, number> };
  rng: number[];
  /** Free-form provenance: data dirs, validation history, CPU seconds, commit. */
  info: Record<string, unknown>;
}

const f32ToB64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function b64ToF32(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}
const mapObj = <A, B>(o: Record<string, A>, f: (a: A) => B): Record<string, B> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

export function assertFinite(ck: Pick<Checkpoint, 'params'>): void {
  for (const [name, a] of Object.entries(ck.params)) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new Error(`refusing to write checkpoint: parameter ${name} is not finite`);
  }
}

export function saveCheckpoint(path: string, ck: Checkpoint): void {
  assertFinite(ck);
  mkdirSync(dirname(path), { recursive: true });
  const json = JSON.stringify({
    ...ck,
    params: mapObj(ck.params, f32ToB64),
    optimizer: { arrays: mapObj(ck.optimizer.arrays, f32ToB64), scalars: ck.optimizer.scalars },
  });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, json);
  renameSync(tmp, path);
}

/** Accepts a checkpoint file or a run directory (reads <dir>/checkpoint.json). */
export function resolveCheckpointPath(p: string): string {
  if (!existsSync(p)) throw new Error(`checkpoint not found: ${p}`);
  return statSync(p).isDirectory() ? join(p, 'checkpoint.json') : p;
}

export function loadCheckpoint(p: string): Checkpoint {
  const path = resolveCheckpointPath(p);
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`corrupt checkpoint ${path}: ${(e as Error).message}`);
  }
  if (raw?.version !== 1 || typeof raw.params !== 'object') throw new Error(`not a bitsr checkpoint: ${path}`);
  return {
    ...raw,
    net: parseNetConfig(raw.net),
    params: mapObj(raw.params as Record<string, string>, b64ToF32),
    optimizer: { arrays: mapObj((raw.optimizer?.arrays ?? {}) as Record<string, string>, b64ToF32), scalars: raw.optimizer?.scalars ?? {} },
  };
}
