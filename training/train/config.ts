/** Training configuration: a JSON file under training/configs/ (network + recipe). */
import { readFileSync } from 'node:fs';
import { parseNetConfig, type NetConfig } from '../../src/model/config';
import { nearest } from '../cli/args';

export interface DistillConfig {
  /** Checkpoint (file or run dir) of the full-precision teacher (same architecture, binary: false). */
  teacher: string;
  /** Eq. 5 (docs/method.md): L = λ·L1(SR,HR) + β·L1(SR, SR_T) + γ·Σ_i KL(softmax G_S^i || softmax G_T^i). */
  lambda: number;
  beta: number;
  gamma: number;
  /**
   * What runs the frozen teacher's forward: 'ort' onnxruntime-node (native kernels, one thread per
   * worker), 'tfjs' the trainer's own wasm forward, 'auto' ORT where its native binding loads.
   */
  teacherEngine: 'auto' | 'ort' | 'tfjs';
}

export const TEACHER_ENGINES = ['auto', 'ort', 'tfjs'] as const;

export interface TrainConfig {
  net: NetConfig;
  /** LR patch side; the HR patch is patch·scale. */
  patch: number;
  batch: number;
  steps: number;
  lr: number;
  /** Learning-rate multiplier for latent binary weights (docs/training.md, latent binary weights). */
  lrBinaryScale: number;
  /** Clip latent binary weights to [-clip, clip] after each update (0 = off). */
  latentClip: number;
  beta1: number;
  beta2: number;
  schedule: 'cosine' | 'step';
  /** Step schedule: multiply by `gamma` every `every` steps. */
  stepEvery: number;
  stepGamma: number;
  warmupSteps: number;
  /** The schedule (warmup, cosine/step) starts here: > 0 is a warm restart of a resumed run. */
  scheduleStart: number;
  valEvery: number;
  ckptEvery: number;
  logEvery: number;
  seed: number;
  distill?: DistillConfig;
  /**
   * The pixel loss to the HR target: 'l1' (the paper's), or 'l2' (mean squared error, the loss
   * PSNR measures; for a short final fine-tune of an L1-trained net).
   */
  loss: 'l1' | 'l2';
  /** Fault injection for tests: poison these steps' batches with NaN. */
  injectNanAtSteps?: number[];
}

export const DEFAULT_TRAIN: Omit<TrainConfig, 'net'> = {
  patch: 24,
  batch: 16,
  steps: 20000,
  lr: 2e-4,
  lrBinaryScale: 1,
  latentClip: 0,
  beta1: 0.9,
  beta2: 0.999,
  schedule: 'cosine',
  stepEvery: 10000,
  stepGamma: 0.5,
  warmupSteps: 0,
  scheduleStart: 0,
  valEvery: 500,
  ckptEvery: 500,
  logEvery: 20,
  seed: 1,
  loss: 'l1',
};

// ---- strict validation: every field known, typed and in range, at every nesting level ----

/** A field rule: returns what the value must be when it is wrong, else undefined. */
type Rule = (v: unknown) => string | undefined;
type Schema = Record<string, Rule>;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const intRule = (min: number, what: string): Rule => (v) => (isInt(v) && v >= min ? undefined : what);
const posInt = intRule(1, 'a positive integer');
const nonNegInt = intRule(0, 'a non-negative integer');
const numRule = (ok: (n: number) => boolean, what: string): Rule => (v) => (isNum(v) && ok(v) ? undefined : what);
const enumRule = (allowed: readonly unknown[]): Rule => (v) =>
  allowed.includes(v) ? undefined : `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
const bool: Rule = (v) => (typeof v === 'boolean' ? undefined : 'true or false');
const string: Rule = (v) => (typeof v === 'string' && v !== '' ? undefined : 'a non-empty string');
const object = (schema: Schema): Rule => (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : `an object with fields ${Object.keys(schema).join(', ')}`);

/** The network's fields (src/model/config.ts); parseNetConfig adds the cross-field checks. */
const NET_SCHEMA: Record<keyof NetConfig, Rule> = {
  name: string,
  scale: enumRule([2, 3, 4]),
  variant: enumRule(['lr', 'vdsr']),
  channels: (v) => (isInt(v) && v >= 4 && v % 4 === 0 ? undefined : 'a positive multiple of 4'),
  blocks: posInt,
  block: enumRule(['basic', 'mrb']),
  binary: bool,
  activation: enumRule(['prelu', 'rprelu', 'relu']),
  batchNorm: bool,
  btm: bool,
  anchor: bool,
  estimatorAct: enumRule(['ste', 'approxsign', 'sharp']),
  estimatorWeight: enumRule(['ste', 'approxsign', 'sharp']),
  tailInitGain: numRule((n) => n > 0, 'a positive number'),
};

const DISTILL_SCHEMA: Record<keyof DistillConfig, Rule> = {
  teacher: string,
  lambda: numRule((n) => n >= 0, 'a non-negative number'),
  beta: numRule((n) => n >= 0, 'a non-negative number'),
  gamma: numRule((n) => n >= 0, 'a non-negative number'),
  teacherEngine: enumRule(TEACHER_ENGINES),
};

/** The recipe's fields; SCHEDULES lists what learningRate implements. */
export const SCHEDULES = ['cosine', 'step'] as const;
const RECIPE_SCHEMA: Record<keyof Omit<TrainConfig, 'net'>, Rule> = {
  patch: posInt,
  batch: posInt,
  steps: posInt,
  lr: numRule((n) => n > 0, 'a positive number'),
  lrBinaryScale: numRule((n) => n >= 0, 'a non-negative number'),
  latentClip: numRule((n) => n >= 0, 'a non-negative number (0 = off)'),
  beta1: numRule((n) => n >= 0 && n < 1, 'a number in [0, 1)'),
  beta2: numRule((n) => n >= 0 && n < 1, 'a number in [0, 1)'),
  schedule: enumRule(SCHEDULES),
  stepEvery: posInt,
  stepGamma: numRule((n) => n > 0 && n <= 1, 'a number in (0, 1]'),
  warmupSteps: nonNegInt,
  scheduleStart: nonNegInt,
  valEvery: posInt,
  ckptEvery: posInt,
  logEvery: posInt,
  seed: (v) => (isInt(v) ? undefined : 'an integer'),
  distill: object(DISTILL_SCHEMA),
  loss: enumRule(['l1', 'l2']),
  injectNanAtSteps: (v) => (Array.isArray(v) && v.every((x) => isInt(x) && x >= 0) ? undefined : 'an array of non-negative integers'),
};
const NESTED: Record<string, Schema> = { net: NET_SCHEMA, distill: DISTILL_SCHEMA };

/**
 * Checks the fields present in `o` against `schema` (recursing into nested objects); `where`
 * names the source in messages ('config', '--override'). Missing fields take defaults later.
 */
function checkFields(o: Record<string, unknown>, schema: Schema, where: string, prefix = ''): void {
  for (const [k, v] of Object.entries(o)) {
    const rule = Object.hasOwn(schema, k) ? schema[k] : undefined;
    if (!rule) {
      const hint = nearest(k, Object.keys(schema));
      throw new Error(`unknown field '${prefix}${k}' in ${where}${hint ? `; did you mean '${prefix}${hint}'?` : ` (known: ${Object.keys(schema).join(', ')})`}`);
    }
    const want = rule(v);
    if (want) throw new Error(`invalid ${where}: '${prefix}${k}' must be ${want} (got ${JSON.stringify(v)})`);
    if (prefix === '' && Object.hasOwn(NESTED, k)) checkFields(v as Record<string, unknown>, NESTED[k], where, `${k}.`);
  }
}

const TRAIN_SCHEMA: Record<keyof TrainConfig, Rule> = { net: object(NET_SCHEMA), ...RECIPE_SCHEMA };

export function parseTrainConfig(raw: unknown, where = 'config'): TrainConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: training config must be a JSON object`);
  checkFields(raw as Record<string, unknown>, TRAIN_SCHEMA, where);
  const r = raw as Partial<TrainConfig> & { net?: unknown };
  const c: TrainConfig = { ...DEFAULT_TRAIN, ...r, net: parseNetConfig(r.net ?? {}) };
  if (c.distill) {
    const d: Partial<DistillConfig> = c.distill;
    if (typeof d.teacher !== 'string') throw new Error(`invalid ${where}: 'distill.teacher' must be a checkpoint path`);
    c.distill = { teacher: d.teacher, lambda: d.lambda ?? 0.4, beta: d.beta ?? 0.6, gamma: d.gamma ?? 0.005, teacherEngine: d.teacherEngine ?? 'auto' };
  }
  return c;
}

export function readTrainConfig(path: string): TrainConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read config ${path}: ${(e as Error).message}`);
  }
  try {
    return parseTrainConfig(raw);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Learning rate at `step` (0-based). */
export function learningRate(c: TrainConfig, step: number): number {
  // A warm restart (SGDR) runs the whole schedule again from `scheduleStart` to `steps`.
  const t = Math.max(0, step - c.scheduleStart);
  const span = Math.max(1, c.steps - c.scheduleStart);
  const warm = c.warmupSteps > 0 ? Math.min(1, (t + 1) / c.warmupSteps) : 1;
  if (c.schedule === 'step') return c.lr * warm * Math.pow(c.stepGamma, Math.floor(t / c.stepEvery));
  return c.lr * warm * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, span)) / span));
}

/** A --override value: a JSON object of recipe fields (not `net`), checked like a config's. */
export function parseOverride(json: string): Partial<Omit<TrainConfig, 'net'>> {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch (e) {
    throw new Error(`--override is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('--override must be a JSON object');
  if ('net' in o) throw new Error('--override cannot change the network (net); use another --config');
  for (const k of Object.keys(o)) {
    if (Object.hasOwn(RECIPE_SCHEMA, k)) continue;
    const hint = nearest(k, Object.keys(RECIPE_SCHEMA));
    throw new Error(`--override: unknown training field "${k}"${hint ? `; did you mean "${hint}"?` : ''}`);
  }
  checkFields(o as Record<string, unknown>, RECIPE_SCHEMA, '--override');
  return o as Partial<Omit<TrainConfig, 'net'>>;
}
