/**
 * Binary-conv weight helpers on the small kernel tensors (SIMD bodies in src/kernels/wat/weights.ts): one pass
 * instead of ~12 tiny tfjs ops, each ~30–75 µs of dispatch here. Weights HWIO [kh, kw, ci, co];
 * α[o] = mean over (kh, kw, ci) of |w|.
 */
import type { Estimator } from '../../../src/model/config';
import type { tf } from '../tf';
import { flipInto } from './conv';
import { EST_CODE, estimatorDerivative, register, run } from './registry';

const FLIP_BIN = 'BitsrFlipBinaryKernel';
const BIN_W_GRAD = 'BitsrBinaryWeightGrad';
const SCALE = 'BitsrWeightScale';

/** α[o] = mean over (kh, kw, ci) of |w[..., o]|, summed in float64 (HWIO: o is the fastest axis). */
function alphas(w: Float32Array, co: number): Float64Array {
  const a = new Float64Array(co);
  for (let r = 0; r < w.length; r += co) for (let o = 0; o < co; o++) a[o] += Math.abs(w[r + o]);
  const k = w.length / co;
  for (let o = 0; o < co; o++) a[o] = Math.fround(a[o] / k);
  return a;
}

export function registerWeightKernels(): void {
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
  register(SCALE, ['w'], (i) => [[1, 1, 1, i[0].shape[3]]], ([w], [out], attrs) => {
    out.set(alphas(w, (attrs.shape as number[])[3]));
  }, (k, [w, out], [wi]) => {
    const [kh, kw, ci, co] = wi.shape;
    if (co % 4) return false;
    k.weightScale(w, out, kh * kw * ci, co);
    return true;
  });
}

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
