/** Training configuration: a JSON file under training/configs/ (network + recipe). */
import { readFileSync } from 'node:fs';
import { parseNetConfig, type NetConfig } from '../../src/model/config';

export interface DistillConfig {
  /** Checkpoint (file or run dir) of the full-precision teacher (same architecture, binary: false). */
  teacher: string;
  /** PAPER.md Eq. 5: L = λ·L1(SR,HR) + β·L1(SR, SR_T) + γ·Σ_i KL(softmax G_S^i || softmax G_T^i). */
  lambda: number;
  beta: number;
  gamma: number;
}

export interface TrainConfig {
  net: NetConfig;
  /** LR patch side; the HR patch is patch·scale. */
  patch: number;
  batch: number;
  steps: number;
  lr: number;
  /** Learning-rate multiplier for latent binary weights (CALIBRATION.md lesson 4). */
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
};

export function parseTrainConfig(raw: unknown): TrainConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('training config must be a JSON object');
  const r = raw as Partial<TrainConfig> & { net?: unknown };
  const c: TrainConfig = { ...DEFAULT_TRAIN, ...r, net: parseNetConfig(r.net ?? {}) };
  const pos = (k: keyof TrainConfig) => {
    const v = c[k];
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`invalid training config: ${String(k)} must be > 0`);
  };
  (['patch', 'batch', 'steps', 'lr', 'valEvery', 'ckptEvery', 'logEvery'] as const).forEach(pos);
  if (c.distill) {
    const d: Partial<DistillConfig> = c.distill;
    if (typeof d.teacher !== 'string') throw new Error('invalid training config: distill.teacher must be a checkpoint path');
    c.distill = { teacher: d.teacher, lambda: d.lambda ?? 0.4, beta: d.beta ?? 0.6, gamma: d.gamma ?? 0.005 };
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
  return parseTrainConfig(raw);
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

/** A --override value: a JSON object of recipe fields (not `net`). */
export function parseOverride(json: string): Partial<Omit<TrainConfig, 'net'>> {
  let o: unknown;
  try {
    o = JSON.parse(json);
  } catch (e) {
    throw new Error(`--override is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('--override must be a JSON object');
  if ('net' in o) throw new Error('--override cannot change the network (net); use another --config');
  const known = new Set(Object.keys(DEFAULT_TRAIN).concat(['distill', 'injectNanAtSteps']));
  for (const k of Object.keys(o)) if (!known.has(k)) throw new Error(`--override: unknown training field "${k}"`);
  return o as Partial<Omit<TrainConfig, 'net'>>;
}
