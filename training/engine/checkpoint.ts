/**
 * Checkpoints: one JSON file holding everything needed to resume exactly or to export:
 * network + training config, data statistics, weights, optimizer state, step and RNG state.
 * Float arrays are base64 little-endian float32. Written atomically (temp file + rename), and
 * never with non-finite weights.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseNetConfig, type NetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';

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
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes one array; `expected` (float32 count) comes from the network when the name is known. */
function b64ToF32(s: unknown, what: string, file: string, expected?: number): Float32Array {
  const damaged = (m: string) => new Error(`${file}: ${what} is damaged: ${m}`);
  if (typeof s !== 'string') throw damaged(`expected a base64 string, got ${s === null ? 'null' : typeof s}`);
  // Buffer.from skips bad characters silently, so check the alphabet and padding first.
  if (s.length % 4 !== 0 || !B64.test(s)) throw damaged(`not valid base64 (${s.length} characters)`);
  const b = Buffer.from(s, 'base64');
  const want = expected === undefined ? '' : `expected ${expected} float32 values, `;
  if (b.byteLength % 4 !== 0 || (expected !== undefined && b.byteLength !== expected * 4)) throw damaged(`${want || 'expected whole float32 values, '}got ${b.byteLength} bytes`);
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

/** Temp files of the atomic write: `<target>.tmp-<pid>`; a kill between write and rename leaves one behind. */
const tmpPath = (path: string) => `${path}.tmp-${process.pid}`;
const TMP_RE = /^.+\.json\.tmp-\d+$/;

/** Removes stale temp files of interrupted checkpoint writes from a run dir (only files matching the writer's pattern); returns their names. */
export function removeStaleTmpFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && TMP_RE.test(e.name)).map((e) => e.name);
  for (const f of stale) rmSync(join(dir, f), { force: true });
  return stale;
}

export function saveCheckpoint(path: string, ck: Checkpoint): void {
  assertFinite(ck);
  mkdirSync(dirname(path), { recursive: true });
  const json = JSON.stringify({
    ...ck,
    params: mapObj(ck.params, f32ToB64),
    optimizer: { arrays: mapObj(ck.optimizer.arrays, f32ToB64), scalars: ck.optimizer.scalars },
  });
  const tmp = tmpPath(path);
  writeFileSync(tmp, json);
  renameSync(tmp, path);
}

/** Accepts a checkpoint file or a run directory (reads <dir>/checkpoint.json). */
export function resolveCheckpointPath(p: string): string {
  if (!existsSync(p)) throw new Error(`checkpoint not found: ${p}`);
  return statSync(p).isDirectory() ? join(p, 'checkpoint.json') : p;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNums = (v: unknown, n?: number) => Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Every read error names the file, and the parameter or field at fault. */
export function loadCheckpoint(p: string): Checkpoint {
  const path = resolveCheckpointPath(p);
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`corrupt checkpoint ${path}: ${(e as Error).message}`);
  }
  if (raw?.version !== 1 || !isObj(raw.params)) throw new Error(`not a bitsr checkpoint: ${path}`);
  const bad = (m: string) => new Error(`${path}: ${m}`);
  let net: NetConfig;
  try {
    net = parseNetConfig(raw.net);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (!Number.isInteger(raw.step) || raw.step < 0) throw bad(`field 'step' is damaged: expected a non-negative integer, got ${JSON.stringify(raw.step)}`);
  if (!isObj(raw.stats) || !isNums(raw.stats.mean, 3) || !isNums(raw.stats.std, 3)) throw bad(`field 'stats' is damaged: expected {mean, std} of 3 numbers each`);
  if (!isNums(raw.rng) || raw.rng.length === 0) throw bad(`field 'rng' is damaged: expected an array of numbers`);
  const opt = raw.optimizer ?? {};
  if (!isObj(opt) || (opt.arrays !== undefined && !isObj(opt.arrays))) throw bad(`field 'optimizer' is damaged`);
  // Sizes from the network, so a truncated array is caught here and named (not deep in the trainer or export).
  const size = new Map(buildGraph(net).params.map((q) => [q.name, q.shape.reduce((a, b) => a * b, 1)]));
  const params = Object.fromEntries(Object.entries(raw.params).map(([k, v]) => [k, b64ToF32(v, `parameter '${k}'`, path, size.get(k))]));
  // Optimizer arrays are named '<m|v>.<param>', each the size of its parameter.
  const arrays = Object.fromEntries(Object.entries((opt.arrays ?? {}) as Record<string, unknown>).map(([k, v]) => [k, b64ToF32(v, `optimizer array '${k}'`, path, size.get(k.slice(2)))]));
  return { ...raw, net, params, optimizer: { arrays, scalars: isObj(opt.scalars) ? (opt.scalars as Record<string, number>) : {} } };
}
