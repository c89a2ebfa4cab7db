/**
 * The network as a flat list of ops over named values, built from a NetConfig. The training
 * engine (tfjs), the ONNX exporter and the app's model info all interpret this one list, so
 * the trained, exported and displayed networks cannot drift apart.
 *
 * Layout conventions: weights are stored as the training side uses them, conv kernels as
 * HWIO [kh, kw, cin, cout]; per-channel vectors as [c]. Values flow as NHWC in tfjs, NCHW in ONNX.
 */
import type { NetConfig } from './config';

export type Init =
  | { kind: 'xavier'; gain: number } // Xavier/Glorot uniform, times gain
  | { kind: 'torch' } // U(±1/sqrt(fan_in)): PyTorch's default, for the no-BTM ablation
  | { kind: 'const'; value: number };

/** Parameter groups get separate optimizer settings (docs/training.md, latent binary weights). */
/** 'stat': not trained by the optimizer (BatchNorm's running statistics, set from batch statistics). */
export type ParamGroup = 'binary' | 'fp' | 'act' | 'stat';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  group: ParamGroup;
}

export type Op =
  | { op: 'normalize'; in: string; out: string } // (x - mean) / std
  | { op: 'center'; in: string; out: string } // x - mean
  | { op: 'bicubic'; in: string; out: string; scale: number } // MATLAB bicubic upscaling (fixed weights)
  | { op: 'conv'; in: string; out: string; w: string; b?: string; kh: number; kw: number; dil: number; cin: number; cout: number; binary: boolean }
  | { op: 'binact'; in: string; out: string }
  | { op: 'prelu'; in: string; out: string; slope: string }
  | { op: 'rprelu'; in: string; out: string; theta: string; delta: string; slope: string }
  | { op: 'relu'; in: string; out: string }
  /** Ablation only. Training normalises by the batch's statistics; evaluation by `mean`/`variance` (running). */
  | { op: 'batchnorm'; in: string; out: string; gamma: string; beta: string; mean: string; variance: string }
  | { op: 'concat'; ins: string[]; out: string }
  | { op: 'add'; ins: string[]; out: string }
  | { op: 'pixelshuffle'; in: string; out: string; scale: number } // CRD order: channel c*s*s + i*s + j
  | { op: 'addmean'; in: string; out: string };

export interface NetGraph {
  config: NetConfig;
  params: ParamSpec[];
  ops: Op[];
  input: string;
  output: string;
  /** Values at the end of each of the 4 stages (multi-stage distillation, Eq. 5; docs/method.md). */
  stages: string[];
}

export function buildGraph(cfg: NetConfig): NetGraph {
  const params: ParamSpec[] = [];
  const ops: Op[] = [];
  const C = cfg.channels;
  const binInit: Init = cfg.btm ? { kind: 'xavier', gain: 1 } : { kind: 'torch' };
  const fpInit: Init = cfg.btm ? { kind: 'xavier', gain: 1 } : { kind: 'torch' };

  const conv = (name: string, input: string, cin: number, cout: number, kh: number, kw: number, dil: number, binary: boolean, init: Init, bias: boolean): string => {
    const w = `${name}.w`;
    params.push({ name: w, shape: [kh, kw, cin, cout], init, group: binary ? 'binary' : 'fp' });
    let b: string | undefined;
    if (bias) {
      b = `${name}.b`;
      params.push({ name: b, shape: [cout], init: { kind: 'const', value: 0 }, group: 'fp' });
    }
    ops.push({ op: 'conv', in: input, out: name, w, ...(b ? { b } : {}), kh, kw, dil, cin, cout, binary });
    return name;
  };
  /** Activation after a (binary) conv, with the optional ablation BN before it. */
  const act = (name: string, input: string, ch: number): string => {
    let x = input;
    if (cfg.batchNorm) {
      params.push({ name: `${name}.bn.gamma`, shape: [ch], init: { kind: 'const', value: 1 }, group: 'act' });
      params.push({ name: `${name}.bn.beta`, shape: [ch], init: { kind: 'const', value: 0 }, group: 'act' });
      params.push({ name: `${name}.bn.mean`, shape: [ch], init: { kind: 'const', value: 0 }, group: 'stat' });
      params.push({ name: `${name}.bn.var`, shape: [ch], init: { kind: 'const', value: 1 }, group: 'stat' });
      ops.push({ op: 'batchnorm', in: x, out: `${name}.bn`, gamma: `${name}.bn.gamma`, beta: `${name}.bn.beta`, mean: `${name}.bn.mean`, variance: `${name}.bn.var` });
      x = `${name}.bn`;
    }
    const out = `${name}.act`;
    if (cfg.activation === 'relu') ops.push({ op: 'relu', in: x, out });
    else {
      params.push({ name: `${name}.slope`, shape: [ch], init: { kind: 'const', value: 0.25 }, group: 'act' });
      if (cfg.activation === 'prelu') ops.push({ op: 'prelu', in: x, out, slope: `${name}.slope` });
      else {
        params.push({ name: `${name}.theta`, shape: [ch], init: { kind: 'const', value: 0 }, group: 'act' });
        params.push({ name: `${name}.delta`, shape: [ch], init: { kind: 'const', value: 0 }, group: 'act' });
        ops.push({ op: 'rprelu', in: x, out, theta: `${name}.theta`, delta: `${name}.delta`, slope: `${name}.slope` });
      }
    }
    return out;
  };
  const binact = (name: string, input: string): string => {
    if (!cfg.binary) return input; // full-precision twin: the conv sees real activations
    ops.push({ op: 'binact', in: input, out: name });
    return name;
  };

  // 1. Data init: normalize with the training set's mean/std (BTM; docs/method.md).
  let x = 'lr';
  if (cfg.variant === 'vdsr') {
    ops.push({ op: 'bicubic', in: 'lr', out: 'lr_up', scale: cfg.scale });
    x = 'lr_up';
  }
  ops.push({ op: 'normalize', in: x, out: 'xn' });
  // 2. Full-precision head.
  const head = conv('head', 'xn', 3, C, 3, 3, 1, false, fpInit, true);
  // 3. Binary trunk.
  let h = head;
  const stages: string[] = [];
  const stageEvery = cfg.blocks / 4;
  for (let i = 0; i < cfg.blocks; i++) {
    const p = `b${i}`;
    let y: string;
    if (cfg.block === 'basic') {
      y = act(`${p}.c`, conv(`${p}.c`, binact(`${p}.sign`, h), C, C, 3, 3, 1, cfg.binary, binInit, false), C);
    } else {
      const s = binact(`${p}.sign`, h);
      const q = C / 4;
      const branches = [
        conv(`${p}.r1x5d1`, s, C, q, 1, 5, 1, cfg.binary, binInit, false),
        conv(`${p}.r1x5d2`, s, C, q, 1, 5, 2, cfg.binary, binInit, false),
        conv(`${p}.r5x1d1`, s, C, q, 5, 1, 1, cfg.binary, binInit, false),
        conv(`${p}.r5x1d2`, s, C, q, 5, 1, 2, cfg.binary, binInit, false),
      ];
      ops.push({ op: 'concat', ins: branches, out: `${p}.cat` });
      const m = act(`${p}.m`, `${p}.cat`, C);
      y = act(`${p}.c`, conv(`${p}.c`, binact(`${p}.sign2`, m), C, C, 3, 3, 1, cfg.binary, binInit, false), C);
    }
    ops.push({ op: 'add', ins: [h, y], out: `${p}.out` });
    h = `${p}.out`;
    // Stage boundaries for distillation: after blocks ceil(k*N/4), k = 1..4.
    if (stages.length < 4 && i + 1 >= Math.round((stages.length + 1) * stageEvery)) stages.push(h);
  }
  while (stages.length < 4) stages.push(h);
  ops.push({ op: 'add', ins: [h, head], out: 'trunk' }); // global skip
  // 4. Full-precision tail (small init: docs/training.md, tail initialisation).
  const tailInit: Init = cfg.btm ? { kind: 'xavier', gain: cfg.tailInitGain } : { kind: 'torch' };
  let out: string;
  if (cfg.variant === 'lr') {
    const s = cfg.scale;
    conv('tail', 'trunk', C, 3 * s * s, 3, 3, 1, false, tailInit, true);
    ops.push({ op: 'pixelshuffle', in: 'tail', out: 'up', scale: s });
    out = 'up';
    if (cfg.anchor) {
      ops.push({ op: 'center', in: 'lr', out: 'lr_c' });
      ops.push({ op: 'bicubic', in: 'lr_c', out: 'anchor', scale: s });
      ops.push({ op: 'add', ins: ['up', 'anchor'], out: 'up_a' });
      out = 'up_a';
    }
  } else {
    conv('tail', 'trunk', C, 3, 3, 3, 1, false, tailInit, true);
    // VDSR's global residual: the (centred) bicubic input.
    ops.push({ op: 'center', in: 'lr_up', out: 'lr_up_c' });
    ops.push({ op: 'add', ins: ['tail', 'lr_up_c'], out: 'res' });
    out = 'res';
  }
  // 5. Add the mean back (docs/method.md: "normalize -> binary trunk -> add mean").
  ops.push({ op: 'addmean', in: out, out: 'sr' });
  return { config: cfg, params, ops, input: 'lr', output: 'sr', stages };
}

export function paramCount(g: NetGraph): number {
  return g.params.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}

/** Multiply-accumulates of one forward pass on an h×w LR input, split binary vs full-precision. */
export function forwardMacs(g: NetGraph, h: number, w: number): { binary: number; fp: number } {
  const s = g.config.scale;
  const [H, W] = g.config.variant === 'vdsr' ? [h * s, w * s] : [h, w];
  let binary = 0;
  let fp = 0;
  for (const o of g.ops) {
    if (o.op !== 'conv') continue;
    const macs = H * W * o.kh * o.kw * o.cin * o.cout;
    if (o.binary) binary += macs;
    else fp += macs;
  }
  return { binary, fp };
}

/** OPs as in the paper: FLOPs + BOPs/64 (a MAC counted as one op, the SR-literature convention). */
export function paperOps(g: NetGraph, h: number, w: number): number {
  const m = forwardMacs(g, h, w);
  return m.fp + m.binary / 64;
}

/** Receptive-field radius in LR pixels: the tiling overlap that makes tiled output exact. */
export function receptiveRadius(g: NetGraph): number {
  let r = 0;
  for (const o of g.ops) if (o.op === 'conv') r += Math.max(((o.kh - 1) / 2) * o.dil, ((o.kw - 1) / 2) * o.dil);
  // MRB branches run in parallel: only the widest (dilated 5-tap, radius 4) counts, not all four.
  if (g.config.block === 'mrb') r -= g.config.blocks * (2 + 2 + 4);
  const bicubic = g.ops.some((o) => o.op === 'bicubic') ? 2 : 0;
  return g.config.variant === 'vdsr' ? Math.ceil(r / g.config.scale) + bicubic : Math.max(r, bicubic);
}
