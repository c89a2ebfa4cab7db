/**
 * Elementwise kernels (SIMD bodies in src/kernels/wat/elementwise.ts): sign, the sign estimators' gradient and
 * the PReLU backward, each one pass where tfjs-wasm takes one per op (measured on 8×24×24×32:
 * ~0.1 ms per pass, ~0.4 ms per per-channel Sum; a PReLU backward from tfjs ops takes nine).
 */
import type { Estimator } from '../../../src/model/config';
import { tf } from '../tf';
import { EST_CODE, estimatorDerivative, register, run, size } from './registry';

const SIGN = 'BitsrSign';
const SIGN_GRAD = 'BitsrSignGrad';
const PRELU_GRAD = 'BitsrPreluGrad';

export function registerElementwiseKernels(): void {
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
}

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
