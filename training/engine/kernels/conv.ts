/**
 * Float conv kernels (SIMD bodies in src/kernels/wat/conv.ts): the 'valid' conv forward (also the dX pass on a
 * flipped kernel), the weight gradient, and the flip that makes a conv's dX kernel.
 */
import { tf } from '../tf';
import { type Info, register, registerWasm, run, wasmSimd } from './registry';

const CONV = 'BitsrConv';
const DW = 'BitsrConvWeightGrad';
const FLIP = 'BitsrFlipKernel';

/**
 * out[i, j, o, c] = w[kh-1-i, kw-1-j, c, o] · s[o] (binary: sign(w)·s[o], sign(0) = +1): an HWIO
 * kernel -> the dX kernel's layout.
 */
export function flipInto(w: Float32Array, out: Float32Array, [kh, kw, ci, co]: number[], s: ArrayLike<number>, binary: boolean): void {
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

export function registerConvKernels(): void {
  // HWIO kernel -> spatially flipped, in/out swapped, optionally scaled per output channel of the
  // original kernel: out[i, j, o, c] = w[kh-1-i, kw-1-j, c, o] · s[o]. The dX kernel of a conv.
  register(FLIP, ['w', 's'], (i) => {
    const [kh, kw, ci, co] = i[0].shape;
    return [[kh, kw, co, ci]];
  }, ([w, s], [out], attrs) => {
    flipInto(w, out, attrs.shape as number[], s, false);
  });

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
}

/** Whether convWeightGrad runs this shape: wasm backend, Cin a multiple of 4, Cout of 8. */
export function convWeightGradApplies(cin: number, cout: number): boolean {
  return wasmSimd() && cin % 4 === 0 && cout % 8 === 0;
}

/**
 * dW (HWIO) of a stride-1 'same' conv from its input x and output gradient dy, in one SIMD pass
 * per tap and channel tile, no padding or transposes (wasm has no Conv2DBackpropFilter).
 */
export function convWeightGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dil: number): tf.Tensor4D {
  return run(DW, { x, dy }, { kh, kw, dil }) as tf.Tensor4D;
}

/** Whether convValid runs an output of width `width` with `cout` channels: wasm, width % 4, cout % 8. */
export function convKernelApplies(width: number, cout: number): boolean {
  return wasmSimd() && width % 4 === 0 && cout % 8 === 0;
}

/** 'valid' stride-1 conv (dilation dil) of an already padded NHWC input with HWIO weights, in wasm SIMD. */
export function convValid(xp: tf.Tensor4D, w: tf.Tensor4D, dil: number): tf.Tensor4D {
  return run(CONV, { xp, w }, { dil }) as tf.Tensor4D;
}

/** The dX kernel of a stride-1 conv with HWIO weights w, scaled by s (per output channel of w; ones if omitted). */
export function flipKernel(w: tf.Tensor4D, s?: tf.Tensor): tf.Tensor4D {
  const co = w.shape[3];
  return run(FLIP, { w, s: s ?? tf.ones([co]) }, { shape: w.shape }) as tf.Tensor4D;
}
