/** Runs a NetGraph (src/model/graph.ts) in tfjs, NHWC. The same op list the ONNX exporter reads. */
import type { RgbImage } from '../../src/core/image';
import { createImage } from '../../src/core/image';
import { bicubicKernel, BICUBIC_PAD } from '../../src/model/bicubicKernel';
import type { Init, NetGraph, Op, ParamSpec } from '../../src/model/graph';
import type { DataStats } from './checkpoint';
import { binarize, binaryBlock, binaryBlockApplies, binaryConv2d, conv2d, pixelShuffle, prelu } from './layers';
import { mrbBlock, mrbBlockApplies, type MrbAct, type MrbParams } from './mrbBlock';
import { MRB_BRANCHES } from './kernels/mrbBlock';
import { tf } from './tf';

export { initTf } from './tf';

type T4 = tf.Tensor4D;
export type Params = Record<string, tf.Tensor>;

/** Seeded uniform RNG (mulberry32), state = one uint32. */
export function mulberry32(state: { s: number }): () => number {
  return () => {
    state.s = (state.s + 0x6d2b79f5) >>> 0;
    let t = state.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function initArray(p: ParamSpec, rnd: () => number): Float32Array {
  const n = p.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const init: Init = p.init;
  if (init.kind === 'const') return out.fill(init.value);
  const [kh, kw, cin, cout] = p.shape;
  const rf = kh * kw;
  const limit = init.kind === 'xavier' ? init.gain * Math.sqrt(6 / (rf * cin + rf * cout)) : 1 / Math.sqrt(rf * cin);
  for (let i = 0; i < n; i++) out[i] = (2 * rnd() - 1) * limit;
  return out;
}

/** Fresh weights for a graph (Xavier-uniform for convs under BTM), reproducible from `seed`. */
export function initParams(graph: NetGraph, seed: number): Record<string, Float32Array> {
  const rnd = mulberry32({ s: seed >>> 0 });
  return Object.fromEntries(graph.params.map((p) => [p.name, initArray(p, rnd)]));
}

export function toTensors(graph: NetGraph, arrays: Record<string, Float32Array>): Params {
  const out: Params = {};
  for (const p of graph.params) {
    const a = arrays[p.name];
    if (!a) throw new Error(`missing parameter ${p.name}`);
    out[p.name] = tf.tensor(a, p.shape);
  }
  return out;
}

/** BatchNorm's ε (PyTorch's default). */
const BN_EPS = 1e-5;

/** How often each graph value is read (kept values count as read). */
function useCounts(graph: NetGraph, keep: string[]): Map<string, number> {
  const n = new Map<string, number>();
  const use = (k: string) => n.set(k, (n.get(k) ?? 0) + 1);
  for (const o of graph.ops) {
    if ('ins' in o) o.ins.forEach(use);
    else if ('in' in o) use(o.in);
  }
  keep.forEach(use);
  n.set(graph.output, (n.get(graph.output) ?? 0) + 1);
  return n;
}

/**
 * The basic binary block binact → binary 3×3 conv → prelu → add(skip) starting at op i, whose
 * intermediate values nothing else reads: it can run as one fused op (layers.binaryBlock).
 */
function basicBlockAt(graph: NetGraph, i: number, uses: Map<string, number>): { in: string; w: string; slope: string; out: string } | undefined {
  const [s, c, a, r] = graph.ops.slice(i, i + 4);
  if (s?.op !== 'binact' || c?.op !== 'conv' || a?.op !== 'prelu' || r?.op !== 'add') return undefined;
  if (!c.binary || c.in !== s.out || c.b || c.kh !== 3 || c.kw !== 3 || c.dil !== 1 || a.in !== c.out) return undefined;
  if (r.ins.length !== 2 || r.ins[0] !== s.in || r.ins[1] !== a.out) return undefined;
  if ([s.out, c.out, a.out].some((k) => uses.get(k) !== 1)) return undefined;
  return { in: s.in, w: c.w, slope: a.slope, out: r.out };
}

/**
 * The MRB binact → four binary branch convs → concat → act → binact → binary 3×3 conv → act → add(skip)
 * starting at op i (graph.ts's order; act both PReLU or both RPReLU), whose intermediate values nothing
 * else reads: it can run as one fused op (mrbBlock.ts). Its parameter names, or undefined.
 */
function mrbBlockAt(graph: NetGraph, i: number, uses: Map<string, number>): { in: string; branches: string[]; conv: string; actM: Act; actC: Act; out: string } | undefined {
  const ops = graph.ops.slice(i, i + 11);
  const [s, b0, b1, b2, b3, cat, am, s2, c, ac, r] = ops;
  if (ops.length < 11 || s.op !== 'binact' || cat.op !== 'concat' || s2.op !== 'binact' || c.op !== 'conv' || r.op !== 'add') return undefined;
  const branches = [b0, b1, b2, b3];
  const branchOk = branches.every((b, k) => b.op === 'conv' && b.binary && !b.b && b.in === s.out && [b.kh, b.kw, b.dil].join() === MRB_BRANCHES[k].join() && b.cout * 4 === b.cin);
  if (!branchOk || cat.ins.join() !== branches.map((b) => b.out).join()) return undefined;
  const actM = actOf(am, cat.out);
  const actC = actOf(ac, c.out);
  if (!actM || !actC || am.op !== ac.op || s2.in !== am.out || c.in !== s2.out) return undefined;
  if (!c.binary || c.b || c.kh !== 3 || c.kw !== 3 || c.dil !== 1 || r.ins.length !== 2 || r.ins[0] !== s.in || r.ins[1] !== ac.out) return undefined;
  if (uses.get(s.out) !== 4 || [...branches, cat, am, s2, c, ac].some((o) => uses.get(o.out) !== 1)) return undefined;
  return { in: s.in, branches: branches.map((b) => (b as Extract<Op, { op: 'conv' }>).w), conv: c.w, actM, actC, out: r.out };
}

type Act = { slope: string; theta?: string; delta?: string };
/** A PReLU or RPReLU op reading `input`: its parameter names. */
function actOf(o: Op, input: string): Act | undefined {
  if (o.op === 'prelu' && o.in === input) return { slope: o.slope };
  if (o.op === 'rprelu' && o.in === input) return { slope: o.slope, theta: o.theta, delta: o.delta };
  return undefined;
}

/** How many blocks ran fused since the process started (tests check which path ran). */
export const fusedBlockRuns = { basic: 0, mrb: 0 };

export interface ForwardOptions {
  /** Also return these intermediate values (e.g. graph.stages for distillation). */
  keep?: string[];
  /**
   * LR-space networks: return the output before its depth-to-space, [N, H, W, 3·s²] in DepthToSpace
   * 'CRD' order (the anchor and the mean likewise), for a loss against spaceToDepth(target). The L1
   * loss is the same sum in another order, and training skips two full-size shuffles per step.
   */
  depthOutput?: boolean;
  /** false: run every block op by op (the reference the fused blocks are tested against). Default true. */
  fuse?: boolean;
  /**
   * Training: BatchNorm normalises by the batch's statistics and writes them here, by the name of
   * the running statistic they update (the batch mean, and the unbiased batch variance). Without
   * it, BatchNorm normalises by its running statistics, as at evaluation.
   */
  batchStats?: Record<string, Float32Array>;
}

const bicubicFilters = new Map<number, tf.Tensor4D>();
function bicubicUp(x: T4, s: number, depthLayout = false): T4 {
  let k = bicubicFilters.get(s);
  if (!k) {
    const one = bicubicKernel(s); // [5,5,1,s*s]
    const full = new Float32Array(25 * 3 * s * s);
    for (let t = 0; t < 25; t++) for (let c = 0; c < 3; c++) full.set(one.subarray(t * s * s, (t + 1) * s * s), (t * 3 + c) * s * s);
    k = tf.keep(tf.tensor4d(full, [5, 5, 3, s * s]));
    bicubicFilters.set(s, k);
  }
  const p = BICUBIC_PAD;
  // Symmetric padding = MATLAB's mirrored edge taps.
  const xp = tf.mirrorPad(x, [[0, 0], [p, p], [p, p], [0, 0]], 'symmetric');
  const d = tf.depthwiseConv2d(xp, k, 1, 'valid');
  return depthLayout ? d : pixelShuffle(d, s);
}

/**
 * Forward pass. `x` is NHWC RGB in [0,1]. Returns the unclamped output (clamping is the
 * exporter's/app's job; training needs the gradient through it).
 */
export function forward(graph: NetGraph, params: Params, stats: DataStats, x: T4, opts: ForwardOptions = {}): { out: T4; kept: Record<string, T4>; depthScale: number } {
  const cfg = graph.config;
  const mean = tf.tensor4d(stats.mean, [1, 1, 1, 3]);
  // depthOutput: the ops after the tail's pixel shuffle work on its input layout (CRD: channel c·s²+k).
  const depth = opts.depthOutput === true && cfg.variant === 'lr' ? cfg.scale : 1;
  const depthMean = depth > 1 ? tf.tensor4d(stats.mean.flatMap((m) => new Array<number>(depth * depth).fill(m)), [1, 1, 1, 3 * depth * depth]) : mean;
  const std = tf.tensor4d(stats.std, [1, 1, 1, 3]);
  const v = new Map<string, T4>([[graph.input, x]]);
  const get = (k: string): T4 => {
    const t = v.get(k);
    if (!t) throw new Error(`graph value ${k} used before it is computed`);
    return t;
  };
  const P = (k: string) => params[k];
  const vec = (k: string) => tf.reshape(P(k), [1, 1, 1, -1]);
  const binaryValues = new Set(graph.ops.filter((o) => o.op === 'binact').map((o) => o.out));
  const uses = useCounts(graph, opts.keep ?? []);
  const fuse = opts.fuse !== false;
  const act = (a: Act): MrbAct => (a.theta && a.delta ? { slope: P(a.slope), theta: P(a.theta), delta: P(a.delta) } : { slope: P(a.slope) });
  for (let i = 0; i < graph.ops.length; i++) {
    const o = graph.ops[i];
    const block = fuse ? basicBlockAt(graph, i, uses) : undefined;
    if (block && binaryBlockApplies(get(block.in).shape, P(block.w).shape)) {
      v.set(block.out, binaryBlock(get(block.in), P(block.w) as T4, P(block.slope), cfg.estimatorAct, cfg.estimatorWeight));
      fusedBlockRuns.basic++;
      i += 3;
      continue;
    }
    const mrb = fuse ? mrbBlockAt(graph, i, uses) : undefined;
    const mrbParams: MrbParams | undefined = mrb && { branches: mrb.branches.map((k) => P(k) as T4), conv: P(mrb.conv) as T4, actM: act(mrb.actM), actC: act(mrb.actC) };
    if (mrb && mrbParams && mrbBlockApplies(get(mrb.in).shape, mrbParams)) {
      v.set(mrb.out, mrbBlock(get(mrb.in), mrbParams, cfg.estimatorAct, cfg.estimatorWeight));
      fusedBlockRuns.mrb++;
      i += 10;
      continue;
    }
    let y: T4;
    switch (o.op) {
      case 'normalize':
        y = tf.div(tf.sub(get(o.in), mean), std);
        break;
      case 'center':
        y = tf.sub(get(o.in), mean);
        break;
      case 'addmean':
        y = tf.add(get(o.in), depth > 1 ? depthMean : mean);
        break;
      case 'bicubic':
        // In an LR-space network the bicubic op is the output anchor.
        y = bicubicUp(get(o.in), o.scale, depth > 1);
        break;
      case 'conv': {
        if (o.binary) y = binaryConv2d(get(o.in), P(o.w) as tf.Tensor4D, o.dil, cfg.estimatorWeight, binaryValues.has(o.in));
        else y = conv2d(get(o.in), P(o.w) as tf.Tensor4D, o.dil, o.in !== 'xn');
        if (o.b) y = tf.add(y, P(o.b));
        break;
      }
      case 'binact':
        y = binarize(get(o.in), cfg.estimatorAct) as T4;
        break;
      case 'prelu':
        y = prelu(get(o.in), vec(o.slope)) as T4;
        break;
      case 'rprelu': {
        const t = tf.sub(get(o.in), vec(o.theta));
        y = tf.add(prelu(t, vec(o.slope)), vec(o.delta)) as T4;
        break;
      }
      case 'relu':
        y = tf.relu(get(o.in));
        break;
      case 'batchnorm': {
        // Ablation only, as BatchNorm is used in practice: batch statistics in training, the running
        // ones (gathered by the trainer from the batch statistics) at evaluation.
        const xin = get(o.in);
        let m: tf.Tensor;
        let variance: tf.Tensor;
        if (opts.batchStats) {
          ({ mean: m, variance } = tf.moments(xin, [0, 1, 2], true));
          const n = xin.shape[0] * xin.shape[1] * xin.shape[2];
          opts.batchStats[o.mean] = m.dataSync() as Float32Array;
          opts.batchStats[o.variance] = (variance.dataSync() as Float32Array).map((v) => (v * n) / Math.max(1, n - 1));
        } else {
          m = vec(o.mean);
          variance = vec(o.variance);
        }
        y = tf.add(tf.mul(tf.div(tf.sub(xin, m), tf.sqrt(tf.add(variance, BN_EPS))), vec(o.gamma)), vec(o.beta));
        break;
      }
      case 'concat':
        y = tf.concat(o.ins.map(get), 3);
        break;
      case 'add':
        y = o.ins.map(get).reduce((a, b) => tf.add(a, b) as T4);
        break;
      case 'pixelshuffle':
        y = depth > 1 ? get(o.in) : pixelShuffle(get(o.in), o.scale);
        break;
    }
    v.set(o.out, y);
  }
  const kept: Record<string, T4> = {};
  for (const k of opts.keep ?? []) kept[k] = get(k);
  return { out: get(graph.output), kept, depthScale: depth };
}

export function imageToTensor(img: RgbImage): T4 {
  const { width: w, height: h, data } = img;
  const n = w * h;
  const nhwc = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    nhwc[3 * i] = data[i];
    nhwc[3 * i + 1] = data[n + i];
    nhwc[3 * i + 2] = data[2 * n + i];
  }
  return tf.tensor4d(nhwc, [1, h, w, 3]);
}

export function tensorToImage(t: T4): RgbImage {
  const [, h, w] = t.shape;
  const src = t.dataSync() as Float32Array;
  const img = createImage(w, h);
  const n = w * h;
  for (let i = 0; i < n; i++) {
    img.data[i] = src[3 * i];
    img.data[n + i] = src[3 * i + 1];
    img.data[2 * n + i] = src[3 * i + 2];
  }
  return img;
}

/** Convenience for evaluation and parity tests: one image through the network (unclamped). */
export function runNetwork(graph: NetGraph, arrays: Record<string, Float32Array>, stats: DataStats, img: RgbImage): RgbImage {
  let out: RgbImage | undefined;
  tf.tidy(() => {
    const params = toTensors(graph, arrays);
    out = tensorToImage(forward(graph, params, stats, imageToTensor(img)).out);
  });
  return img.grayscale ? { ...out!, grayscale: true } : out!;
}
