/**
 * NetGraph + trained parameters -> a self-contained, standard ONNX model (opset 18, no custom
 * ops) that the app runs with onnxruntime-web (wasm or the native WebGPU EP).
 *
 * - Input `lr` float32 NCHW [1,3,H,W] in [0,1], dynamic H/W; output `sr` [1,3,sH,sW] clipped to [0,1].
 * - Binary conv weights are stored as uint8 bit-packed initializers (OIHW order, MSB first, as
 *   core/bitpack) plus a float alpha per output channel. A subgraph of standard ops over those
 *   initializers unpacks them to ±1; it depends on initializers only, so ORT's
 *   ConstantFolding evaluates it once at session creation and only the Conv runs per inference
 *   (docs/browser.md; asserted by tests/integration/export.test.ts).
 * - Binarization is Where(x >= 0, 1, -1), never Sign: Sign would give sign(0) = 0 and falls back
 *   to the CPU on the WebGPU EPs.
 *
 * Opset 18 is the first with BitwiseAnd; every other op here resolves to the same kernel
 * versions as in opset 17, which the WebGPU EP implements.
 */
import { packBits } from '../core/bitpack';
import { BICUBIC_PAD, bicubicKernel } from './bicubicKernel';
import { paperOps, paramCount, receptiveRadius, type NetGraph, type Op } from './graph';
import type { ModelMetadata, ProvenanceMetadata } from './metadata';
import { DataType, encodeModel, floatTensor, int64Tensor, uint8Tensor, type Attr, type NodeProto, type TensorProto } from './onnxProto';

export const OPSET = 18;
const IR_VERSION = 8; // the IR version that goes with opset 18 (ONNX 1.13)

export interface ExportStats {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** LR size the paper-style OPs are reported for (metadata `ops`, --info). */
export const OPS_LR_SIZE = { width: 320, height: 180 } as const;

/** Binary conv weight HWIO [kh,kw,cin,cout] -> packed sign bits in OIHW order + alpha[cout] = mean|W|. */
export function packBinaryWeight(w: Float32Array, kh: number, kw: number, cin: number, cout: number): { bits: Uint8Array; alpha: Float32Array; count: number } {
  const n = kh * kw * cin * cout;
  if (w.length !== n) throw new Error(`binary weight has ${w.length} values, expected ${n}`);
  const oihw = new Float32Array(n);
  const alpha = new Float64Array(cout);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) {
          const v = w[((y * kw + x) * cin + i) * cout + o];
          oihw[((o * cin + i) * kh + y) * kw + x] = v;
          alpha[o] += Math.abs(v);
        }
  for (let o = 0; o < cout; o++) alpha[o] /= kh * kw * cin;
  return { bits: packBits(oihw), alpha: Float32Array.from(alpha), count: n };
}

/** Full-precision conv weight HWIO -> OIHW. */
function hwioToOihw(w: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = w[((y * kw + x) * cin + i) * cout + o];
  return out;
}

/** Accumulates nodes and initializers; shared constants are created once. */
class Builder {
  nodes: NodeProto[] = [];
  inits: TensorProto[] = [];
  private consts = new Map<string, string>();
  private n = 0;
  constructor(private params: Record<string, Float32Array>) {}

  node(opType: string, inputs: string[], attrs: Attr[] = [], out?: string): string {
    const o = out ?? `_t${this.n++}`;
    this.nodes.push({ opType, inputs, outputs: [o], attrs });
    return o;
  }
  init(t: TensorProto): string {
    this.inits.push(t);
    return t.name;
  }
  /** A shared constant, keyed by its content. */
  constant(key: string, make: (name: string) => TensorProto): string {
    let name = this.consts.get(key);
    if (!name) {
      name = `const.${key}`;
      this.init(make(name));
      this.consts.set(key, name);
    }
    return name;
  }
  f(v: number): string {
    return this.constant(`f${v}`, (n) => floatTensor(n, [], [v]));
  }
  i64(v: number[]): string {
    return this.constant(`i64_${v.join('_')}`, (n) => int64Tensor(n, [v.length], v));
  }
  param(name: string, expected: number): Float32Array {
    const p = this.params[name];
    if (!p) throw new Error(`parameter ${name} missing from the checkpoint`);
    if (p.length !== expected) throw new Error(`parameter ${name} has ${p.length} values, expected ${expected}`);
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) throw new Error(`parameter ${name} is not finite`);
    return p;
  }
  /** Per-channel parameter [c] as an initializer of shape [c,1,1] (broadcasts over NCHW). */
  chan(name: string, c: number): string {
    return this.init(floatTensor(name, [c, 1, 1], this.param(name, c)));
  }
}

/**
 * Unpack subgraph: uint8 bits [ceil(n/8)] -> float ±1 [O,I,H,W]. Its inputs are initializers
 * only, so ORT's ConstantFolding turns it into one float initializer at session creation.
 */
function unpackedSigns(b: Builder, name: string, bits: Uint8Array, o: Extract<Op, { op: 'conv' }>): string {
  const count = o.kh * o.kw * o.cin * o.cout;
  // Stored as [nb, 1] so BitShift by [8] shifts broadcasts to [nb, 8] (MSB first) with no Unsqueeze.
  const packed = b.init(uint8Tensor(`${name}.bits`, [bits.length, 1], bits));
  const shifts = b.constant('shifts', (n) => uint8Tensor(n, [8], Uint8Array.from([7, 6, 5, 4, 3, 2, 1, 0])));
  const one8 = b.constant('u8_1', (n) => uint8Tensor(n, [], Uint8Array.of(1)));
  const bit = b.node('BitwiseAnd', [b.node('BitShift', [packed, shifts], [{ name: 'direction', s: 'RIGHT' }]), one8]);
  const pm = b.node('Where', [b.node('Cast', [bit], [{ name: 'to', i: DataType.BOOL }]), b.f(1), b.f(-1)]); // [nb, 8] of ±1
  const shape = b.i64([o.cout, o.cin, o.kh, o.kw]);
  if (count % 8 === 0) return b.node('Reshape', [pm, shape]);
  const flat = b.node('Slice', [b.node('Reshape', [pm, b.i64([-1])]), b.i64([0]), b.i64([count])]); // drop the pad bits
  return b.node('Reshape', [flat, shape]);
}

/** MATLAB bicubic x s: symmetric pad 2 (mirrored Slices + Concat), depthwise 5x5 conv to s² phases, DepthToSpace CRD. */
function bicubic(b: Builder, x: string, s: number): string {
  if (BICUBIC_PAD !== 2) throw new Error('bicubic export assumes a pad of 2');
  // ONNX Pad has no symmetric mode: concat [x1, x0, x, x(n-1), x(n-2)] from one-row Slices.
  // Positive steps only: onnxruntime-web 1.30's WebGPU EP ignores `starts` for a negative step
  // (it returned rows n-1, n-2 for starts=1, step=-1), while wasm/CPU were right.
  const END = 2 ** 31 - 1; // "to the end", int32-safe
  for (const axis of [2, 3]) {
    const ax = b.i64([axis]);
    const row = (start: number, end: number) => b.node('Slice', [x, b.i64([start]), b.i64([end]), ax]);
    x = b.node('Concat', [row(1, 2), row(0, 1), x, row(-1, END), row(-2, -1)], [{ name: 'axis', i: axis }]);
  }
  const k = bicubicKernel(s); // [5,5,1,s*s]
  const p = s * s;
  const w = new Float32Array(3 * p * 25);
  for (let c = 0; c < 3; c++) for (let q = 0; q < p; q++) for (let t = 0; t < 25; t++) w[(c * p + q) * 25 + t] = k[t * p + q];
  const kern = b.constant(`bicubic_x${s}`, (n) => floatTensor(n, [3 * p, 1, 5, 5], w));
  const phases = b.node('Conv', [x, kern], [
    { name: 'group', i: 3 },
    { name: 'kernel_shape', ints: [5, 5] },
  ]);
  return b.node('DepthToSpace', [phases], [
    { name: 'blocksize', i: s },
    { name: 'mode', s: 'CRD' },
  ]);
}

/** Variants of the exported graph for other callers than the app (the trainer's teacher). */
export interface ExportOptions {
  /** Input and every output in NHWC with a dynamic batch N (the trainer's layout), not NCHW [1,3,H,W]. */
  nhwc?: boolean;
  /** Graph values to output too, in this order, as tap0, tap1, ... (g.output is the SR before its clip). */
  taps?: string[];
}

export function exportOnnx(g: NetGraph, params: Record<string, Float32Array>, stats: ExportStats, extraMetadata: ProvenanceMetadata & Record<string, string> = {}, opts: ExportOptions = {}): Uint8Array {
  const cfg = g.config;
  if (cfg.batchNorm || g.ops.some((o) => o.op === 'batchnorm')) {
    throw new Error('cannot export a network with batchNorm: BN is the ablation-only baseline (BTM replaces it)');
  }
  if (stats.mean.length !== 3 || stats.std.length !== 3) throw new Error('data stats must have 3 means and 3 stds');
  const b = new Builder(params);
  const mean = b.init(floatTensor('data.mean', [1, 3, 1, 1], Array.from(stats.mean)));
  const std = b.init(floatTensor('data.std', [1, 3, 1, 1], Array.from(stats.std)));
  const v = new Map<string, string>(); // NetGraph value -> ONNX value
  v.set(g.input, opts.nhwc ? b.node('Transpose', ['lr'], [{ name: 'perm', ints: [0, 3, 1, 2] }]) : 'lr');
  const get = (name: string) => {
    const r = v.get(name);
    if (!r) throw new Error(`graph value ${name} used before it is defined`);
    return r;
  };

  for (const o of g.ops) {
    let out: string;
    switch (o.op) {
      case 'normalize':
        out = b.node('Div', [b.node('Sub', [get(o.in), mean]), std]);
        break;
      case 'center':
        out = b.node('Sub', [get(o.in), mean]);
        break;
      case 'addmean':
        out = b.node('Add', [get(o.in), mean]);
        break;
      case 'bicubic':
        out = bicubic(b, get(o.in), o.scale);
        break;
      case 'conv': {
        const w = b.param(o.w, o.kh * o.kw * o.cin * o.cout);
        const ph = (o.dil * (o.kh - 1)) / 2;
        const pw = (o.dil * (o.kw - 1)) / 2;
        const conv = (inputs: string[]) =>
          b.node('Conv', inputs, [
            { name: 'kernel_shape', ints: [o.kh, o.kw] },
            { name: 'dilations', ints: [o.dil, o.dil] },
            { name: 'pads', ints: [ph, pw, ph, pw] },
          ]);
        if (o.binary) {
          // Conv with ±1 weights, then × alpha. Its inputs are ±1 (or 0 padding), so the conv sums
          // integers, exactly, in any order; an exact 0 stays 0 and binarizes to +1 as in training.
          // (sign(W)·alpha weights would leave rounding residues of either sign at such ties.)
          // alpha goes first: ORT's ConvMulFusion only folds Mul(conv, const), which would bring
          // the rounding residues back.
          const { bits, alpha } = packBinaryWeight(w, o.kh, o.kw, o.cin, o.cout);
          const scale = b.init(floatTensor(`${o.w}.alpha`, [1, o.cout, 1, 1], alpha));
          out = b.node('Mul', [scale, conv([get(o.in), unpackedSigns(b, o.w, bits, o)])]);
        } else {
          const inputs = [get(o.in), b.init(floatTensor(o.w, [o.cout, o.cin, o.kh, o.kw], hwioToOihw(w, o.kh, o.kw, o.cin, o.cout)))];
          if (o.b) inputs.push(b.init(floatTensor(o.b, [o.cout], b.param(o.b, o.cout))));
          out = conv(inputs);
        }
        break;
      }
      case 'binact':
        out = b.node('Where', [b.node('GreaterOrEqual', [get(o.in), b.f(0)]), b.f(1), b.f(-1)]);
        break;
      case 'prelu':
        out = b.node('PRelu', [get(o.in), b.chan(o.slope, g.params.find((p) => p.name === o.slope)!.shape[0])]);
        break;
      case 'rprelu': {
        const c = g.params.find((p) => p.name === o.slope)!.shape[0];
        const shifted = b.node('Sub', [get(o.in), b.chan(o.theta, c)]);
        out = b.node('Add', [b.node('PRelu', [shifted, b.chan(o.slope, c)]), b.chan(o.delta, c)]);
        break;
      }
      case 'relu':
        out = b.node('Relu', [get(o.in)]);
        break;
      case 'concat':
        out = b.node('Concat', o.ins.map(get), [{ name: 'axis', i: 1 }]);
        break;
      case 'add':
        out = b.node('Add', o.ins.map(get));
        break;
      case 'pixelshuffle':
        out = b.node('DepthToSpace', [get(o.in)], [
          { name: 'blocksize', i: o.scale },
          { name: 'mode', s: 'CRD' },
        ]);
        break;
      case 'batchnorm':
        throw new Error('unreachable');
    }
    v.set(o.out, out);
  }
  // Each output's last node: NCHW -> NHWC where asked.
  const emit = (value: string, name: string) => (opts.nhwc ? b.node('Transpose', [value], [{ name: 'perm', ints: [0, 2, 3, 1] }], name) : b.node('Identity', [value], [], name));
  if (opts.nhwc) emit(b.node('Clip', [get(g.output), b.f(0), b.f(1)]), 'sr');
  else b.node('Clip', [get(g.output), b.f(0), b.f(1)], [], 'sr');
  const taps = (opts.taps ?? []).map((t, i) => emit(get(t), `tap${i}`));

  const s = cfg.scale;
  const own: ModelMetadata = {
    scale: String(s),
    config: JSON.stringify(cfg),
    mean: JSON.stringify(Array.from(stats.mean)),
    std: JSON.stringify(Array.from(stats.std)),
    params: String(paramCount(g)),
    ops: String(Math.round(paperOps(g, OPS_LR_SIZE.height, OPS_LR_SIZE.width))),
    receptiveRadius: String(receptiveRadius(g)),
  };
  const metadata = { ...own, ...extraMetadata };
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImports: [{ domain: '', version: OPSET }],
    producerName: 'bitsr',
    producerVersion: '0.1.0',
    graph: {
      name: cfg.name,
      nodes: b.nodes,
      initializers: b.inits,
      inputs: [{ name: 'lr', elemType: DataType.FLOAT, shape: opts.nhwc ? ['N', 'H', 'W', 3] : [1, 3, 'H', 'W'] }],
      outputs: [
        { name: 'sr', elemType: DataType.FLOAT, shape: opts.nhwc ? ['N', `${s}*H`, `${s}*W`, 3] : [1, 3, `${s}*H`, `${s}*W`] },
        // Taps are 4-D, of sizes of their own (LR or HR, C or 3 channels).
        ...taps.map((name) => ({ name, elemType: DataType.FLOAT, shape: opts.nhwc ? ['N', `${name}_h`, `${name}_w`, `${name}_c`] : [1, `${name}_c`, `${name}_h`, `${name}_w`] })),
      ],
    },
    metadata,
  });
}
