/**
 * Checkpoints: everything needed to resume exactly or to export: network + training config, data
 * statistics, weights, optimizer state, step and RNG state. Never written with non-finite weights.
 *
 * On disk (version 2) a checkpoint is two files in one directory:
 * - `<name>.json`, a small header: the fields above except the arrays, plus `data`
 *   ({file, bytes, sha256}) and tables of the arrays, `params` and `optimizer.arrays`, each entry
 *   {name, shape, offset} (offset in bytes into the data file);
 * - the data file, raw little-endian float32 (parameters, then optimizer arrays), named by its
 *   content: `tensors-<first 16 hex digits of its sha256>.f32`.
 * Because the data file's name is its content, a best.json saved at the same step as
 * checkpoint.json (same weights and moments) names the same file: one copy per run, without a
 * special case. After each save, `tensors-*.f32` files that no `*.json` header in the directory
 * names are removed.
 * Writes are atomic: the data file goes to a temp file and is renamed into place first, the header
 * last (a kill in between leaves the old header naming the old, still present data file). Temp files
 * are `<file>.tmp-<pid>` (removeStaleTmpFiles).
 * Version 1 files (arrays inline as base64, one JSON file) are still read, so old runs resume;
 * training/cli/convertCheckpoints.ts rewrites them as version 2.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { parseNetConfig, type NetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';

export interface DataStats {
  /** Per-channel mean and std of the training LR images, RGB in [0,1]. */
  mean: [number, number, number];
  std: [number, number, number];
}

export interface Checkpoint {
  /** The in-memory form (always 1, whatever the file's format version). */
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

export function assertFinite(ck: Pick<Checkpoint, 'params'>): void {
  for (const [name, a] of Object.entries(ck.params)) {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) throw new Error(`refusing to write checkpoint: parameter ${name} is not finite`);
  }
}

/** Temp files of the atomic writes: `<target>.tmp-<pid>`; a kill between write and rename leaves one behind. */
const tmpPath = (path: string) => `${path}.tmp-${process.pid}`;
const TMP_RE = /^.+\.(json|f32)\.tmp-\d+$/;
const DATA_RE = /^tensors-[0-9a-f]{16}\.f32$/;

/** Removes stale temp files of interrupted checkpoint writes from a run dir (only files matching the writer's pattern); returns their names. */
export function removeStaleTmpFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const stale = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && TMP_RE.test(e.name)).map((e) => e.name);
  for (const f of stale) rmSync(join(dir, f), { force: true });
  return stale;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tmpPath(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('checkpoint .f32 files are little-endian float32; this host is big-endian');
}

interface TableEntry {
  name: string;
  shape: number[];
  offset: number;
}

export function saveCheckpoint(path: string, ck: Checkpoint): void {
  assertFinite(ck);
  assertLittleEndian();
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // Shapes from the network where it knows the name (optimizer arrays take their parameter's), else flat.
  let shapes = new Map<string, number[]>();
  try {
    shapes = new Map(buildGraph(ck.net).params.map((q) => [q.name, q.shape]));
  } catch {
    // a network this code cannot build: flat shapes
  }
  const shapeOf = (param: string, a: Float32Array) => {
    const sh = shapes.get(param);
    return sh && sh.reduce((x, y) => x * y, 1) === a.length ? sh : [a.length];
  };
  const arrays: Array<[string, Float32Array]> = [...Object.entries(ck.params), ...Object.entries(ck.optimizer.arrays)];
  const bytes = arrays.reduce((n, [, a]) => n + a.byteLength, 0);
  const buf = new Uint8Array(bytes);
  let offset = 0;
  const table = (o: Record<string, Float32Array>, param: (k: string) => string): TableEntry[] =>
    Object.entries(o).map(([name, a]) => {
      buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
      const e = { name, shape: shapeOf(param(name), a), offset };
      offset += a.byteLength;
      return e;
    });
  const params = table(ck.params, (k) => k);
  const optArrays = table(ck.optimizer.arrays, (k) => k.slice(2));
  const sha256 = createHash('sha256').update(buf).digest('hex');
  const file = `tensors-${sha256.slice(0, 16)}.f32`;
  writeAtomic(join(dir, file), buf);
  const header = {
    ...ck,
    version: 2,
    data: { file, bytes, sha256 },
    params,
    optimizer: { scalars: ck.optimizer.scalars, arrays: optArrays },
  };
  writeAtomic(path, JSON.stringify(header));
  removeUnreferencedData(dir);
}

/** Removes `tensors-*.f32` files of `dir` that no version-2 header (`*.json`) in it names. */
function removeUnreferencedData(dir: string): void {
  const names = readdirSync(dir);
  const data = names.filter((f) => DATA_RE.test(f));
  if (!data.length) return;
  const used = new Set<string>();
  for (const f of names.filter((n) => n.endsWith('.json'))) {
    try {
      const raw = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      if (raw?.version === 2 && typeof raw.data?.file === 'string') used.add(raw.data.file);
    } catch {
      // not a checkpoint header
    }
  }
  for (const f of data) if (!used.has(f)) rmSync(join(dir, f), { force: true });
}

/** Accepts a checkpoint file or a run directory (reads <dir>/checkpoint.json). */
export function resolveCheckpointPath(p: string): string {
  if (!existsSync(p)) throw new Error(`checkpoint not found: ${p}`);
  return statSync(p).isDirectory() ? join(p, 'checkpoint.json') : p;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNums = (v: unknown, n?: number) => Array.isArray(v) && (n === undefined || v.length === n) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Every read error names the file, and the parameter or field at fault. Reads format versions 1 and 2. */
export function loadCheckpoint(p: string): Checkpoint {
  const path = resolveCheckpointPath(p);
  if (!existsSync(path)) throw new Error(`checkpoint not found: ${path}`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untrusted JSON; every field is checked below
  let raw: any;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`corrupt checkpoint ${path}: ${(e as Error).message}`);
  }
  const v2 = raw?.version === 2;
  if ((raw?.version !== 1 && !v2) || (v2 ? !Array.isArray(raw.params) : !isObj(raw.params))) throw new Error(`not a bitsr checkpoint: ${path}`);
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
  if (!isObj(opt) || (opt.arrays !== undefined && !(v2 ? Array.isArray(opt.arrays) : isObj(opt.arrays)))) throw bad(`field 'optimizer' is damaged`);
  // Sizes from the network, so a truncated array is caught here and named (not deep in the trainer or export).
  const size = new Map(buildGraph(net).params.map((q) => [q.name, q.shape.reduce((a, b) => a * b, 1)]));
  let params: Record<string, Float32Array>;
  let arrays: Record<string, Float32Array>;
  if (v2) {
    ({ params, arrays } = readData(path, raw, size));
  } else {
    params = Object.fromEntries(Object.entries(raw.params).map(([k, v]) => [k, b64ToF32(v, `parameter '${k}'`, path, size.get(k))]));
    // Optimizer arrays are named '<m|v>.<param>', each the size of its parameter.
    arrays = Object.fromEntries(Object.entries((opt.arrays ?? {}) as Record<string, unknown>).map(([k, v]) => [k, b64ToF32(v, `optimizer array '${k}'`, path, size.get(k.slice(2)))]));
  }
  const { data: _data, ...rest } = raw;
  return { ...rest, version: 1, net, params, optimizer: { arrays, scalars: isObj(opt.scalars) ? (opt.scalars as Record<string, number>) : {} } };
}

/** The arrays of a version-2 checkpoint from its data file, checked against the header's tables, the network and the checksum. */
function readData(path: string, raw: { data?: unknown; params: unknown[]; optimizer?: { arrays?: unknown[] } }, size: Map<string, number>): { params: Record<string, Float32Array>; arrays: Record<string, Float32Array> } {
  assertLittleEndian();
  const bad = (m: string) => new Error(`${path}: ${m}`);
  const d = raw.data;
  if (!isObj(d) || typeof d.file !== 'string' || !DATA_RE.test(d.file) || !Number.isInteger(d.bytes) || typeof d.sha256 !== 'string') {
    throw bad(`field 'data' is damaged: expected {file: 'tensors-<hash>.f32', bytes, sha256}`);
  }
  const file = join(dirname(path), d.file);
  if (!existsSync(file)) throw bad(`data file ${file} not found (it must stay beside ${basename(path)})`);
  const buf = readFileSync(file);
  const read = (entries: unknown[], kind: string, param: (k: string) => string): Record<string, Float32Array> => {
    const out: Record<string, Float32Array> = {};
    for (const e of entries) {
      const what = `${kind} '${isObj(e) ? e.name : undefined}'`;
      if (!isObj(e) || typeof e.name !== 'string' || !isNums(e.shape) || !Number.isInteger(e.offset) || (e.offset as number) < 0 || (e.shape as number[]).some((n) => !Number.isInteger(n) || n < 0)) {
        throw bad(`table entry ${what} is damaged: expected {name, shape, offset}`);
      }
      const n = (e.shape as number[]).reduce((a, b) => a * b, 1);
      const expected = size.get(param(e.name));
      if (expected !== undefined && n !== expected) throw bad(`${what} is damaged: expected ${expected} float32 values, the table says ${n}`);
      const start = e.offset as number;
      if (start + n * 4 > buf.byteLength) {
        throw new Error(`${file}: ${what} is damaged: expected ${n} float32 values at byte ${start}, but the file has only ${buf.byteLength} bytes (truncated?)`);
      }
      const a = new Float32Array(n);
      new Uint8Array(a.buffer).set(buf.subarray(start, start + n * 4));
      out[e.name] = a;
    }
    return out;
  };
  const params = read(raw.params, 'parameter', (k) => k);
  // Optimizer arrays are named '<m|v>.<param>', each the size of its parameter.
  const arrays = read(raw.optimizer?.arrays ?? [], 'optimizer array', (k) => k.slice(2));
  if (buf.byteLength !== d.bytes) throw new Error(`${file}: expected ${d.bytes} bytes, got ${buf.byteLength}`);
  if (createHash('sha256').update(buf).digest('hex') !== d.sha256) throw new Error(`${file}: content does not match the checksum in ${path} (damaged)`);
  return { params, arrays };
}
