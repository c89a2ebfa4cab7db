/**
 * bitsr's tfjs kernels for the training hot path (used by layers.ts):
 * - elementwise: sign, the estimator gradients, the PReLU backward. tfjs-wasm runs every
 *   elementwise op as its own pass (measured here on 8×24×24×32: ~0.1 ms per pass, ~0.4 ms per
 *   per-channel Sum; a PReLU backward from tfjs ops takes nine). Each is one pass: WebAssembly SIMD
 *   (WAT in wat/, assembled by simdKernels.ts) on the wasm heap where the shape allows, else a JS
 *   body, which is also the cpu backend's implementation (the reference tests run there);
 * - the binary conv's small weight ops (α, flipped dX kernel, latent-weight gradient) and copies
 *   (zero padding, depth-to-space both ways): SIMD or JS on wasm, JS on cpu;
 * - wasm SIMD only, behind `...Applies` checks (layers.ts falls back to tfjs ops elsewhere): conv
 *   forward/dX and dW; the XNOR binary conv and the fused basic block's forward; the block's
 *   backward and the binary conv's weight gradient by sign-pattern tables; the conv backward for
 *   an output gradient of ±c (the tail under the L1 loss);
 * - Identity on wasm shares the tensor's data instead of copying it.
 */
import type { Estimator } from '../../src/model/config';
import { simdKernels, type SimdKernels } from './simdKernels';
import { tf } from './tf';

type Info = tf.TensorInfo;
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): Float32Array;
  dataIdMap: { get(id: unknown): { memoryOffset: number } };
  wasm: { _malloc(bytes: number): number; _free(ptr: number): void; asm: { memory: WebAssembly.Memory } };
}
interface CpuBackend {
  data: { get(id: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): Info;
}
type Body = (ins: Float32Array[], outs: Float32Array[], attrs: Record<string, unknown>) => void;
/** Runs the SIMD version on heap byte offsets; returns false where it does not apply (shape). */
type Simd = (k: SimdKernels, ptr: number[], ins: Info[], attrs: Record<string, unknown>) => boolean;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `body` on Float32Array views of the inputs and freshly allocated outputs, on either backend. */
function execute(backendName: string, backend: unknown, ins: Info[], outShapes: number[][], attrs: Record<string, unknown>, body: Body, simd?: Simd): Info[] {
  for (const t of ins) if (t.dtype !== 'float32') throw new Error(`bitsr kernel: expected float32, got ${t.dtype}`);
  if (backendName === 'wasm') {
    const b = backend as WasmBackend;
    // Allocate first: an allocation may grow the heap and detach earlier views.
    const outs = outShapes.map((s) => b.makeOutput(s, 'float32'));
    const k = simdKernels();
    if (k && simd?.(k, [...ins, ...outs].map((t) => b.dataIdMap.get(t.dataId).memoryOffset), ins, attrs)) return outs;
    body(ins.map((t) => b.typedArrayFromHeap(t)), outs.map((t) => b.typedArrayFromHeap(t)), attrs);
    return outs;
  }
  const b = backend as CpuBackend;
  const outArrays = outShapes.map((s) => new Float32Array(size(s)));
  body(ins.map((t) => b.data.get(t.dataId).values as Float32Array), outArrays, attrs);
  return outArrays.map((a, i) => b.makeTensorInfo(outShapes[i], 'float32', a));
}

function register(name: string, inputNames: string[], outShapes: (ins: Info[], attrs: Record<string, unknown>) => number[][], body: Body, simd?: Simd): void {
  for (const backendName of ['wasm', 'cpu']) {
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const ins = inputNames.map((n) => inputs[n] as Info);
        const a = (attrs ?? {}) as Record<string, unknown>;
        const outs = execute(backendName, backend, ins, outShapes(ins, a), a, body, simd);
        return outs.length === 1 ? outs[0] : outs;
      },
    });
  }
}

/** A wasm-only kernel: `fn` gets the backend, the SIMD kernels and a tensor -> heap offset function. */
function registerWasm(name: string, fn: (b: WasmBackend, k: SimdKernels, inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>, ptr: (t: Info) => number) => Info | Info[]): void {
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackend;
      const k = simdKernels();
      if (!k) throw new Error(`${name}: bitsr SIMD kernels not initialised (initTf('wasm') does it)`);
      return fn(b, k, inputs, (attrs ?? {}) as Record<string, unknown>, (t) => b.dataIdMap.get(t.dataId).memoryOffset);
    },
  });
}

const SIGN = 'BitsrSign';
const SIGN_GRAD = 'BitsrSignGrad';
const PRELU_GRAD = 'BitsrPreluGrad';
const FLIP = 'BitsrFlipKernel';

// sign with sign(0) = sign(-0) = +1; NaN stays NaN (the trainer's NaN guard must see it).
register(SIGN, ['x'], (i) => [i[0].shape], ([x], [y]) => {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v >= 0 ? 1 : v < 0 ? -1 : NaN;
  }
}, (k, [x, y], [xi]) => {
  const n = size(xi.shape);
  if (n % 4) return false;
  k.sign(x, y, n);
  return true;
});

const EST_CODE: Record<Estimator, number> = { ste: 0, approxsign: 1, sharp: 2 };
/** d sign/dx at |x| = ax for an EST_CODE estimator (NaN stays NaN). */
function estimatorDerivative(ax: number, est: number): number {
  if (est === 0) return ax < 1 ? 1 : ax >= 1 ? 0 : NaN;
  return est === 1 ? Math.max(0, 2 - 2 * ax) : Math.max(0, 4 - 8 * ax);
}
// dx = dy · d sign/dx as estimated: STE-clip 1{|x|<1}; ApproxSign 2−2|x|; sharp 4−8|x| (clipped at 0).
register(SIGN_GRAD, ['dy', 'x'], (i) => [i[1].shape], ([dy, x], [dx], attrs) => {
  const est = attrs.est as number;
  for (let i = 0; i < x.length; i++) dx[i] = dy[i] * estimatorDerivative(Math.abs(x[i]), est);
}, (k, [dy, x, dx], [, xi], attrs) => {
  const n = size(xi.shape);
  if (n % 4) return false;
  k.signGrad(dy, x, dx, n, attrs.est as number);
  return true;
});

// PReLU backward with per-channel slope a (channels last): dx = dy·(x > 0 ? 1 : a), da = Σ dy·min(x, 0).
register(PRELU_GRAD, ['dy', 'x', 'a'], (i) => [i[1].shape, [size(i[2].shape)]], ([dy, x, a], [dx, da]) => {
  const C = a.length;
  const acc = new Float64Array(C);
  for (let i = 0; i < x.length; i += C) {
    for (let c = 0; c < C; c++) {
      const v = x[i + c];
      const g = dy[i + c];
      if (v > 0) dx[i + c] = g;
      else {
        dx[i + c] = g * a[c];
        acc[c] += g * v;
      }
    }
  }
  for (let c = 0; c < C; c++) da[c] = acc[c];
}, (k, [dy, x, a, dx, da], [, xi, ai]) => {
  const C = size(ai.shape);
  if (C % 4 || xi.shape[xi.shape.length - 1] !== C) return false;
  k.preluGrad(dy, x, a, dx, da, size(xi.shape), C);
  return true;
});

/**
 * out[i, j, o, c] = w[kh-1-i, kw-1-j, c, o] · s[o] (binary: sign(w)·s[o], sign(0) = +1): an HWIO
 * kernel -> the dX kernel's layout.
 */
function flipInto(w: Float32Array, out: Float32Array, [kh, kw, ci, co]: number[], s: ArrayLike<number>, binary: boolean): void {
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
    const src = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
    const dst = (i * kw + j) * co * ci;
    for (let c = 0; c < ci; c++) {
      const from = src + c * co;
      if (binary) for (let o = 0; o < co; o++) out[dst + o * ci + c] = w[from + o] >= 0 ? s[o] : -s[o];
      else for (let o = 0; o < co; o++) out[dst + o * ci + c] = w[from + o] * s[o];
    }
  }
}

// HWIO kernel -> spatially flipped, in/out swapped, optionally scaled per output channel of the
// original kernel: out[i, j, o, c] = w[kh-1-i, kw-1-j, c, o] · s[o]. The dX kernel of a conv.
register(FLIP, ['w', 's'], (i) => {
  const [kh, kw, ci, co] = i[0].shape;
  return [[kh, kw, co, ci]];
}, ([w, s], [out], attrs) => {
  flipInto(w, out, attrs.shape as number[], s, false);
});

const XNOR = 'BitsrXnorConv';
const BLOCK = 'BitsrBinaryBlock';

/**
 * The XNOR conv of ±1 input x into `out`; with `block`, also out2 = res + prelu(out, slope) (a basic
 * block's output).
 */
function xnorInto(b: WasmBackend, k: SimdKernels, ptr: (t: Info) => number, x: Info, w: Info, alpha: Info, dil: number, out: Info, block?: { res: Info; slope: Info; out2: Info }): void {
  const [N, H, W, cin] = x.shape;
  const [kh, kw, , cout] = w.shape;
  const words = cin / 32;
  const aBytes = N * H * W * words * 4;
  const wBytes = kh * kw * words * cout * 4;
  const scratch = b.wasm._malloc(aBytes + wBytes + cout * 4 + 16);
  try {
    const a = scratch;
    const wb = scratch + aBytes;
    const acc = wb + wBytes;
    if (k.packSigns(ptr(x), a, N * H * W * words)) {
      // NaN in, NaN out (the NaN guard must see it)
      b.typedArrayFromHeap(out).fill(NaN);
      if (block) b.typedArrayFromHeap(block.out2).fill(NaN);
      return;
    }
    // sign(W) bits, [kh, kw, words, cout]: bit c of word q = input channel 32q + c is negative.
    k.weightBits(ptr(w), wb, kh * kw, cin, cout);
    // Cout a multiple of 32: accumulators in registers (wat/xnor.ts xnorConv32).
    (cout % 32 ? k.xnorConv : k.xnorConv32)(a, wb, ptr(alpha), ptr(out), acc, N, H, W, words, cout, kh, kw, dil, block ? ptr(block.res) : 0, block ? ptr(block.slope) : 0, block ? ptr(block.out2) : 0);
  } finally {
    b.wasm._free(scratch);
  }
}

// Binary conv of an exactly ±1 input by XNOR/popcount (wasm only; see xnorConvApplies).
registerWasm(XNOR, (b, k, inputs, attrs, ptr) => {
  const x = inputs.x as Info;
  const out = b.makeOutput([...x.shape.slice(0, 3), (inputs.w as Info).shape[3]], 'float32');
  xnorInto(b, k, ptr, x, inputs.w as Info, inputs.alpha as Info, (attrs as { dil: number }).dil, out);
  return out;
});

// A basic binary block's forward, [y, c]: c = conv(sign h, sign W)·α by XNOR, y = h + prelu(c, slope).
registerWasm(BLOCK, (b, k, inputs, _attrs, ptr) => {
  const h = inputs.h as Info;
  const c = b.makeOutput(h.shape, 'float32');
  const y = b.makeOutput(h.shape, 'float32');
  xnorInto(b, k, ptr, h, inputs.w as Info, inputs.alpha as Info, 1, c, { res: h, slope: inputs.slope as Info, out2: y });
  return [y, c];
});

/** [h + prelu(c, slope), c] with c = conv(sign h, sign W)·α, 3×3 'same': a basic block's forward (wasm). */
export function binaryBlockForward(h: tf.Tensor4D, w: tf.Tensor4D, alpha: tf.Tensor, slope: tf.Tensor): [tf.Tensor4D, tf.Tensor4D] {
  return run(BLOCK, { h, w, alpha, slope }) as unknown as [tf.Tensor4D, tf.Tensor4D];
}

const DW = 'BitsrConvWeightGrad';
registerWasm(DW, (b, k, inputs, attrs, ptr) => {
  const x = inputs.x as Info;
  const dy = inputs.dy as Info;
  const [N, H, W, cin] = x.shape;
  const cout = dy.shape[3];
  const { kh, kw, dil } = attrs as { kh: number; kw: number; dil: number };
  const out = b.makeOutput([kh, kw, cin, cout], 'float32');
  k.convWeightGrad(ptr(x), ptr(dy), ptr(out), N, H, W, cin, cout, kh, kw, dil);
  return out;
});

/** Whether convWeightGrad runs this shape: wasm backend, Cin a multiple of 4, Cout of 8. */
export function convWeightGradApplies(cin: number, cout: number): boolean {
  return tf.getBackend() === 'wasm' && simdKernels() !== undefined && cin % 4 === 0 && cout % 8 === 0;
}

/**
 * dW (HWIO) of a stride-1 'same' conv from its input x and output gradient dy, in one SIMD pass
 * per tap and channel tile, no padding or transposes (wasm has no Conv2DBackpropFilter).
 */
export function convWeightGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dil: number): tf.Tensor4D {
  return run(DW, { x, dy }, { kh, kw, dil }) as tf.Tensor4D;
}

const BIN_DW = 'BitsrBinaryConvWeightGrad';
registerWasm(BIN_DW, (b, k, inputs, attrs, ptr) => {
  const x = inputs.x as Info;
  const dy = inputs.dy as Info;
  const [N, H, W, cin] = x.shape;
  const cout = dy.shape[3];
  const words = cin / 32;
  const { kh, kw, dil } = attrs as { kh: number; kw: number; dil: number };
  const out = b.makeOutput([kh, kw, cin, cout], 'float32');
  const aBytes = N * H * W * words * 4;
  const scratch = b.wasm._malloc(aBytes + words * 4 * 256 * cout * 4 + 128);
  try {
    if (k.packSigns(ptr(x), scratch, N * H * W * words)) b.typedArrayFromHeap(out).fill(NaN); // the NaN guard must see it
    else k.binWeightGrad(scratch, ptr(dy), ptr(out), scratch + aBytes, N, H, W, words, cout, kh, kw, dil);
  } finally {
    b.wasm._free(scratch);
  }
  return out;
});

/** Whether binaryConvWeightGrad runs this shape: wasm backend, Cin a multiple of 32, Cout of 8. */
export function binaryConvWeightGradApplies(xShape: number[], wShape: number[]): boolean {
  const [, , cin, cout] = wShape;
  return tf.getBackend() === 'wasm' && simdKernels() !== undefined && xShape[3] === cin && cin % 32 === 0 && cout % 8 === 0;
}

/**
 * dW (HWIO) of a stride-1 'same' conv whose input x is exactly ±1 (a BinAct output): the float
 * kernel's sums, grouped by the input's sign patterns (wat/binaryBlock.ts binWeightGrad), ~3× faster.
 */
export function binaryConvWeightGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dil: number): tf.Tensor4D {
  return run(BIN_DW, { x, dy }, { kh, kw, dil }) as tf.Tensor4D;
}

const CONV = 'BitsrConv';
registerWasm(CONV, (b, k, inputs, attrs, ptr) => {
  const xp = inputs.xp as Info;
  const w = inputs.w as Info;
  const [N, Hp, Wp, cin] = xp.shape;
  const [kh, kw, , cout] = w.shape;
  const dil = (attrs as { dil: number }).dil;
  const H = Hp - dil * (kh - 1);
  const W = Wp - dil * (kw - 1);
  const out = b.makeOutput([N, H, W, cout], 'float32');
  k.conv(ptr(xp), ptr(w), ptr(out), N, H, W, cin, cout, kh, kw, dil);
  return out;
});

const BLOCK_DX = 'BitsrBinaryBlockDx';
// The basic block's backward through PReLU and the binary conv's input: [dh, dc, dslope].
registerWasm(BLOCK_DX, (b, k, inputs, attrs, ptr) => {
  const dy = inputs.dy as Info;
  const w = inputs.w as Info;
  const [N, H, W, cout] = dy.shape;
  const [kh, kw, cin] = w.shape;
  const est = (attrs as { est: number }).est;
  const dh = b.makeOutput([N, H, W, cin], 'float32');
  const dc = b.makeOutput(dy.shape, 'float32');
  const dslope = b.makeOutput([cout], 'float32');
  const eBytes = (cout / 4) * 16 * (H + kh - 1) * (W + kw - 1) * 4;
  const scratch = b.wasm._malloc(eBytes + cin * kh * kw * (cout / 4) * 4);
  try {
    k.binaryBlockDx(ptr(dy), ptr(w), ptr(inputs.alpha as Info), ptr(dy), ptr(inputs.h as Info), ptr(dh), scratch, scratch + eBytes, N, H, W, cin, cout, kh, kw, 1, est, ptr(inputs.c as Info), ptr(inputs.slope as Info), ptr(dc), ptr(dslope));
  } finally {
    b.wasm._free(scratch);
  }
  return [dh, dc, dslope];
});

/**
 * A basic block's backward from its output gradient dy, in one pass over the table build: dc = the
 * PReLU backward at c (the conv output), dslope, and dh = dy + (conv input gradient of dc)·est'(h).
 */
export function binaryBlockBackward(dy: tf.Tensor4D, c: tf.Tensor4D, slope: tf.Tensor, w: tf.Tensor4D, alpha: tf.Tensor, h: tf.Tensor4D, est: Estimator): [tf.Tensor4D, tf.Tensor4D, tf.Tensor] {
  return run(BLOCK_DX, { dy, c, slope, w, alpha, h }, { est: EST_CODE[est] }) as unknown as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
}

/** Whether binaryBlockBackward runs: wasm, W a multiple of 8, channels of 4, odd kernel. */
export function binaryBlockBackwardApplies(xShape: number[], wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return tf.getBackend() === 'wasm' && simdKernels() !== undefined && xShape[2] % 8 === 0 && cin % 4 === 0 && cout % 4 === 0 && kh % 2 === 1 && kw % 2 === 1;
}

const SIGN_SCALE = 'BitsrSignScale';
const SIGN_DW = 'BitsrSignGradWeightGrad';
const SIGN_DX = 'BitsrSignGradInputGrad';
registerWasm(SIGN_SCALE, (b, k, inputs, _attrs, ptr) => {
  const x = inputs.x as Info;
  const n = size(x.shape);
  const out = b.makeOutput([1], 'float32');
  b.typedArrayFromHeap(out)[0] = n % 4 ? 0 : k.signScale(ptr(x), n);
  return out;
});
registerWasm(SIGN_DW, (b, k, inputs, attrs, ptr) => {
  const x = inputs.x as Info;
  const dy = inputs.dy as Info;
  const [N, H, W, cin] = x.shape;
  const cout = dy.shape[3];
  const { kh, kw, dil, c } = attrs as { kh: number; kw: number; dil: number; c: number };
  const out = b.makeOutput([kh, kw, cin, cout], 'float32');
  const tab = b.wasm._malloc((cout / 4) * 16 * cin * 4 + cout);
  try {
    k.signGradWeightGrad(ptr(x), ptr(dy), ptr(out), tab, N, H, W, cin, cout, kh, kw, dil, c);
  } finally {
    b.wasm._free(tab);
  }
  return out;
});
registerWasm(SIGN_DX, (b, k, inputs, attrs, ptr) => {
  const dy = inputs.dy as Info;
  const w = inputs.w as Info;
  const [N, H, W, cout] = dy.shape;
  const [kh, kw, cin] = w.shape;
  const { dil, c } = attrs as { dil: number; c: number };
  const out = b.makeOutput([N, H, W, cin], 'float32');
  const wtBytes = kh * kw * (cout / 4) * 17 * cin * 4;
  const patBytes = N * (H + dil * (kh - 1)) * (W + dil * (kw - 1)) * (cout / 4);
  const scratch = b.wasm._malloc(wtBytes + patBytes + 16);
  try {
    k.signGradInputGrad(ptr(dy), ptr(w), ptr(out), scratch, scratch + wtBytes, N, H, W, cin, cout, kh, kw, dil, c);
  } finally {
    b.wasm._free(scratch);
  }
  return out;
});

/**
 * c when every element of x is ±c (c > 0, finite), else 0: an output gradient that the sign
 * kernels below can take (the tail's under the L1 loss is ±1/N everywhere). wasm only.
 */
export function signScale(x: tf.Tensor): number {
  if (tf.getBackend() !== 'wasm' || simdKernels() === undefined) return 0;
  const t = run(SIGN_SCALE, { x }) as tf.Tensor;
  const c = t.dataSync()[0];
  t.dispose();
  return c;
}

/** Whether the sign-gradient kernels run this conv: wasm, Cin a multiple of 16, Cout of 4, odd kernel. */
export function signGradApplies(wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return tf.getBackend() === 'wasm' && simdKernels() !== undefined && cin % 16 === 0 && cout % 4 === 0 && kh % 2 === 1 && kw % 2 === 1;
}

/** dW of a stride-1 'same' conv whose output gradient is c·sign(dy) (signScale(dy) = c > 0). */
export function signGradWeightGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dil: number, c: number): tf.Tensor4D {
  return run(SIGN_DW, { x, dy }, { kh, kw, dil, c }) as tf.Tensor4D;
}

/** dX of a stride-1 'same' conv with HWIO weights w whose output gradient is c·sign(dy). */
export function signGradInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, dil: number, c: number): tf.Tensor4D {
  return run(SIGN_DX, { dy, w }, { dil, c }) as tf.Tensor4D;
}

/** Whether convValid runs an output of width `width` with `cout` channels: wasm, width % 4, cout % 8. */
export function convKernelApplies(width: number, cout: number): boolean {
  return tf.getBackend() === 'wasm' && simdKernels() !== undefined && width % 4 === 0 && cout % 8 === 0;
}

/** 'valid' stride-1 conv (dilation dil) of an already padded NHWC input with HWIO weights, in wasm SIMD. */
export function convValid(xp: tf.Tensor4D, w: tf.Tensor4D, dil: number): tf.Tensor4D {
  return run(CONV, { xp, w }, { dil }) as tf.Tensor4D;
}

/** Whether xnorConv runs this shape: wasm backend, Cin a multiple of 32, Cout of 4, ≤ 31 tap-words. */
export function xnorConvApplies(xShape: number[], wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return tf.getBackend() === 'wasm' && simdKernels() !== undefined && xShape[3] === cin && cin % 32 === 0 && cout % 4 === 0 && kh * kw * (cin / 32) <= 31;
}

/**
 * conv(x, sign W) · α for x exactly ±1, 'same' zero padding, by XNOR and popcount: the float
 * conv's exact integer sums, ~16× fewer operations. α: [1,1,1,Cout] (or [Cout]).
 */
export function xnorConv(x: tf.Tensor4D, w: tf.Tensor4D, alpha: tf.Tensor, dil: number): tf.Tensor4D {
  return run(XNOR, { x, w, alpha }, { dil }) as tf.Tensor4D;
}

// Binary-conv weight helpers on the small kernel tensors (one JS pass instead of ~12 tiny tfjs ops,
// each ~30–75 µs of dispatch here). Weights HWIO [kh, kw, ci, co]; α[o] = mean over (kh, kw, ci) of |w|.
const FLIP_BIN = 'BitsrFlipBinaryKernel';
const BIN_W_GRAD = 'BitsrBinaryWeightGrad';

/** α[o] = mean over (kh, kw, ci) of |w[..., o]|, summed in float64 (HWIO: o is the fastest axis). */
function alphas(w: Float32Array, co: number): Float64Array {
  const a = new Float64Array(co);
  for (let r = 0; r < w.length; r += co) for (let o = 0; o < co; o++) a[o] += Math.abs(w[r + o]);
  const k = w.length / co;
  for (let o = 0; o < co; o++) a[o] = Math.fround(a[o] / k);
  return a;
}

// dX kernel of the binary conv: out[i, j, o, c] = sign(w[kh-1-i, kw-1-j, c, o]) · α[o], sign(0) = +1.
register(FLIP_BIN, ['w', 'alpha'], (i) => {
  const [kh, kw, ci, co] = i[0].shape;
  return [[kh, kw, co, ci]];
}, ([w, alpha], [out], attrs) => {
  flipInto(w, out, attrs.shape as number[], alpha, true);
}, (k, [w, alpha, out], [wi]) => {
  const [kh, kw, ci, co] = wi.shape;
  k.flipBinary(w, alpha, out, kh, kw, ci, co);
  return true;
});

// Latent-weight gradient of conv(x, sign W)·α from raw = dL/d(sign W) before the α scale:
// dW = est'(W) · raw · α + |W|' · dα / K, dα[o] = Σ sign(W) · raw, |W|' = step(W, −1) as in tfjs.
// Second output: dα / K.
register(BIN_W_GRAD, ['raw', 'w', 'alpha'], (i) => [i[1].shape, [i[1].shape[3]]], ([raw, w, a], [dw, dA], attrs) => {
  const co = (attrs.shape as number[])[3];
  const est = attrs.est as number;
  const dAlpha = new Float64Array(co);
  for (let r = 0; r < w.length; r += co) for (let o = 0; o < co; o++) dAlpha[o] += w[r + o] >= 0 ? raw[r + o] : -raw[r + o];
  const k = w.length / co;
  for (let o = 0; o < co; o++) dA[o] = Math.fround(dAlpha[o]) / k;
  for (let r = 0; r < w.length; r += co) {
    for (let o = 0; o < co; o++) {
      const v = w[r + o];
      dw[r + o] = estimatorDerivative(Math.abs(v), est) * Math.fround(raw[r + o] * a[o]) + (v > 0 ? dA[o] : -dA[o]);
    }
  }
}, (k, [raw, w, alpha, dw, dA], [, wi], attrs) => {
  const [kh, kw, ci, co] = wi.shape;
  if (co % 4) return false;
  k.binaryWeightGrad(raw, w, alpha, dw, dA, kh * kw * ci, co, attrs.est as number);
  return true;
});

// α = mean|W| per output channel, [1,1,1,co], as the binary-weight kernels above compute it.
const SCALE = 'BitsrWeightScale';
register(SCALE, ['w'], (i) => [[1, 1, 1, i[0].shape[3]]], ([w], [out], attrs) => {
  out.set(alphas(w, (attrs.shape as number[])[3]));
}, (k, [w, out], [wi]) => {
  const [kh, kw, ci, co] = wi.shape;
  if (co % 4) return false;
  k.weightScale(w, out, kh * kw * ci, co);
  return true;
});

/** XNOR-Net α = mean|W| per output channel of an HWIO kernel, [1,1,1,co] (no gradient: binaryConv2d's own). */
export function weightScaleKernel(w: tf.Tensor4D): tf.Tensor {
  return run(SCALE, { w }, { shape: w.shape }) as tf.Tensor;
}

/** The binary conv's dX kernel: flipped, in/out-swapped sign(W), scaled by α = mean|W| per output channel. */
export function flipBinaryKernel(w: tf.Tensor4D, alpha: tf.Tensor = weightScaleKernel(w)): tf.Tensor4D {
  return run(FLIP_BIN, { w, alpha }, { shape: w.shape }) as tf.Tensor4D;
}

/** dL/dW (latent weights) of conv(x, sign W)·α, from raw = the conv weight gradient with sign W. */
export function binaryWeightGrad(raw: tf.Tensor4D, w: tf.Tensor4D, est: Estimator, alpha: tf.Tensor = weightScaleKernel(w)): tf.Tensor4D {
  return (run(BIN_W_GRAD, { raw, w, alpha }, { shape: w.shape, est: EST_CODE[est] }) as tf.Tensor[])[0] as tf.Tensor4D;
}

const PAD = 'BitsrPadSpatial';
// Zero padding of H and W of an NHWC tensor: row copies (tfjs-wasm's PadV2 is ~5× slower here).
register(PAD, ['x'], (i, a) => {
  const [n, h, w, c] = i[0].shape;
  const [t, b, l, r] = a.pads as number[];
  return [[n, h + t + b, w + l + r, c]];
}, ([x], [y], attrs) => {
  const [n, h, w, c] = attrs.shape as number[];
  const [t, b, l, r] = attrs.pads as number[];
  const wp = w + l + r;
  const hp = h + t + b;
  y.fill(0);
  const row = w * c;
  for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) {
    const src = (k * h + i) * row;
    y.set(x.subarray(src, src + row), ((k * hp + i + t) * wp + l) * c);
  }
});

/** Zero-pads H by (top, bottom) and W by (left, right). No gradient: used inside the custom ops. */
export function padSpatial(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  return run(PAD, { x }, { shape: x.shape, pads: [top, bottom, left, right] }) as tf.Tensor4D;
}

const D2S = 'BitsrDepthToSpace';
const S2D = 'BitsrSpaceToDepth';
/** Copies between x [n, h, w, c·s²] and y [n, h·s, w·s, c] in DepthToSpace 'CRD' order, either way. */
function shuffle(x: Float32Array, y: Float32Array, [n, h, w, cs]: number[], s: number, toSpace: boolean): void {
  const c = cs / (s * s);
  const W = w * s;
  for (let k = 0; k < n * h; k++) for (let q = 0; q < w; q++) {
    const src = (k * w + q) * cs;
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < s; i++) {
      const dst = ((k * s + i) * W + q * s) * c + ch;
      const from = src + ch * s * s + i * s;
      if (toSpace) for (let j = 0; j < s; j++) y[dst + j * c] = x[from + j];
      else for (let j = 0; j < s; j++) x[from + j] = y[dst + j * c];
    }
  }
}
register(D2S, ['x'], (i, a) => {
  const [n, h, w, cs] = i[0].shape;
  const s = a.s as number;
  return [[n, h * s, w * s, cs / (s * s)]];
}, ([x], [y], attrs) => shuffle(x, y, attrs.shape as number[], attrs.s as number, true));
register(S2D, ['y'], (i, a) => {
  const [n, hs, ws, c] = i[0].shape;
  const s = a.s as number;
  return [[n, hs / s, ws / s, c * s * s]];
}, ([y], [x], attrs) => shuffle(x, y, attrs.shape as number[], attrs.s as number, false));

/** Depth-to-space ('CRD') as one copy; `spaceToDepth` is its inverse (and its gradient). */
export function depthToSpace(x: tf.Tensor4D, s: number): tf.Tensor4D {
  return run(D2S, { x }, { s, shape: x.shape }) as tf.Tensor4D;
}
export function spaceToDepth(y: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, hs, ws, c] = y.shape;
  return run(S2D, { y }, { s, shape: [n, hs / s, ws / s, c * s * s] }) as tf.Tensor4D;
}

// tfjs clones every tensor a gradient saves (Identity); tfjs-wasm's Identity copies. Tensors are
// immutable and the wasm backend reference-counts data, so a clone can share it, as tfjs-cpu's does.
if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm');
tf.registerKernel({
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const x = inputs.x as Info;
    (backend as unknown as { incRef(id: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
});

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) =>
  tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);

/** sign(x) with sign(0) = +1 (no gradient; see layers.binarize). */
export function signKernel(x: tf.Tensor): tf.Tensor {
  return run(SIGN, { x }) as tf.Tensor;
}

export function signGradKernel(dy: tf.Tensor, x: tf.Tensor, est: Estimator): tf.Tensor {
  return run(SIGN_GRAD, { dy, x }, { est: EST_CODE[est] }) as tf.Tensor;
}

/** [dx, da] of PReLU; da has the slope's shape. */
export function preluGradKernel(dy: tf.Tensor, x: tf.Tensor, a: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const [dx, da] = run(PRELU_GRAD, { dy, x, a }) as tf.Tensor[];
  return [dx, tf.reshape(da, a.shape)];
}

/** The dX kernel of a stride-1 conv with HWIO weights w, scaled by s (per output channel of w; ones if omitted). */
export function flipKernel(w: tf.Tensor4D, s?: tf.Tensor): tf.Tensor4D {
  const co = w.shape[3];
  return run(FLIP, { w, s: s ?? tf.ones([co]) }, { shape: w.shape }) as tf.Tensor4D;
}
