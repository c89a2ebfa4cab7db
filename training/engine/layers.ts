/**
 * tfjs ops with the gradients this project needs (tf.customGrad):
 * - conv2d whose backward avoids the wasm traps measured here: dX as a conv2d with the flipped,
 *   in/out-swapped kernel (conv2dTranspose runs at 3 GFLOP/s), and dW as one conv2d with the
 *   batch as channels (wasm has no Conv2DBackpropFilter; transposed matMul runs at 3 GFLOP/s);
 * - sign with sign(0) = +1 and a selectable estimator for its derivative;
 * - XNOR-Net weight binarization sign(W)·mean|W| per output channel;
 * - pixel shuffle by reshape/transpose (wasm has no DepthToSpace gradient).
 */
import type { Estimator } from '../../src/model/config';
import { tf } from './tf';

type T4 = tf.Tensor4D;

/**
 * sign(x) with sign(0) = +1, as −step(−x, −1): step(v, −1) is 1 for v > 0 and −1 otherwise, so
 * −x > 0 (x < 0) gives −1 after the outer negation and x ≥ 0 (−0 too) gives +1. Measured here on
 * 16×24×24×32: wasm's Step/Neg take ~0.15 ms, GreaterEqual with a scalar 2.7 ms.
 */
export function signForward(x: tf.Tensor): tf.Tensor {
  return tf.neg(tf.step(tf.neg(x), -1));
}

/** d sign / dx as estimated: STE-clip 1{|x|<1}; ApproxSign 2−2|x| on |x|<1; sharp 4−8|x| on |x|<0.5. */
export function estimatorGrad(x: tf.Tensor, est: Estimator): tf.Tensor {
  const ax = tf.abs(x);
  if (est === 'ste') return tf.step(tf.sub(1, ax), 0);
  if (est === 'approxsign') return tf.relu(tf.sub(2, tf.mul(ax, 2)));
  return tf.relu(tf.sub(4, tf.mul(ax, 8)));
}

const signCache = new Map<Estimator, (x: tf.Tensor) => tf.Tensor>();
export function binarize(x: tf.Tensor, est: Estimator): tf.Tensor {
  let f = signCache.get(est);
  if (!f) {
    f = tf.customGrad((input, save) => {
      const xin = input as tf.Tensor;
      (save as tf.GradSaveFunc)([xin]);
      return { value: signForward(xin), gradFunc: (dy, saved) => tf.mul(dy, estimatorGrad(saved[0], est)) };
    }) as (x: tf.Tensor) => tf.Tensor;
    signCache.set(est, f);
  }
  return f(x);
}

/** XNOR-Net per-output-channel scale α = mean |W| over kh, kw, cin (shape [1,1,1,cout]). */
export function weightScale(w: tf.Tensor4D): tf.Tensor {
  return tf.mean(tf.abs(w), [0, 1, 2], true);
}

function samePad(k: number, dil: number): number {
  return (dil * (k - 1)) / 2;
}

const convCache = new Map<string, (x: T4, w: T4) => T4>();

/** Stride-1 'same' conv (odd kernels, dilation) with the fast custom backward. Weights HWIO. */
export function conv2d(x: T4, w: T4, dil: number, needDx = true): T4 {
  const [kh, kw] = w.shape;
  const key = `${kh}x${kw}d${dil}${needDx ? '' : 'n'}`;
  let f = convCache.get(key);
  if (!f) {
    const ph = samePad(kh, dil);
    const pw = samePad(kw, dil);
    const pads: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
    f = tf.customGrad((xi, wi, save) => {
      const xx = xi as T4;
      const ww = wi as T4;
      (save as tf.GradSaveFunc)([xx, ww]);
      const value = tf.conv2d(xx, ww, 1, pads, 'NHWC', dil);
      return {
        value,
        gradFunc: (dyIn, saved) => {
          const dy = dyIn as T4;
          const [sx, sw] = saved as [T4, T4];
          // dX: correlation of dY with the spatially flipped kernel, in/out swapped.
          const dx = needDx
            ? tf.conv2d(dy, tf.transpose(tf.reverse(sw, [0, 1]), [0, 1, 3, 2]) as T4, 1, pads, 'NHWC', dil)
            : tf.zerosLike(sx);
          // dW[i,j,ci,co] = Σ_{n,h,w} xpad[n, h+i·d, w+j·d, ci] · dy[n,h,w,co]: a conv with the batch
          // as channels: input xpad as [Cin, Hp, Wp, N], filter dy as [H, W, N, Cout], stride d.
          const xp = tf.transpose(ph || pw ? tf.pad(sx, pads) : sx, [3, 1, 2, 0]) as T4;
          const f2 = tf.transpose(dy, [1, 2, 0, 3]) as T4;
          const dwT = tf.conv2d(xp, f2, dil, 'valid'); // [Cin, kh, kw, Cout]
          return [dx, tf.transpose(dwT, [1, 2, 0, 3])];
        },
      };
    }) as (x: T4, w: T4) => T4;
    convCache.set(key, f);
  }
  return f(x, w);
}

let preluOp: ((x: tf.Tensor, a: tf.Tensor) => tf.Tensor) | undefined;
/**
 * PReLU (per-channel slope a, broadcast as [1,1,1,C]) with a gradient built from Step/Relu:
 * tfjs's own uses Greater + two Selects, which wasm runs ~15× slower than Step (measured).
 */
export function prelu(x: tf.Tensor, a: tf.Tensor): tf.Tensor {
  preluOp ??= tf.customGrad((xi, ai, save) => {
    const xx = xi as tf.Tensor;
    const aa = ai as tf.Tensor;
    (save as tf.GradSaveFunc)([xx, aa]);
    return {
      value: tf.prelu(xx, aa),
      gradFunc: (dy, saved) => {
        const [sx, sa] = saved;
        const pos = tf.step(sx, 0); // 1 where x > 0
        const dx = tf.mul(dy, tf.add(sa, tf.mul(pos, tf.sub(1, sa))));
        const neg = tf.sub(sx, tf.relu(sx)); // min(x, 0)
        const da = tf.reshape(tf.sum(tf.mul(dy, neg), [0, 1, 2]), sa.shape);
        return [dx, da];
      },
    };
  }) as (x: tf.Tensor, a: tf.Tensor) => tf.Tensor;
  return preluOp(x, a);
}

/** Depth-to-space in DepthToSpace 'CRD' order: channel c·s² + i·s + j -> pixel (h·s+i, w·s+j). */
export function pixelShuffle(x: T4, s: number): T4 {
  const [n, h, w, cs] = x.shape;
  const c = cs / (s * s);
  const r = tf.reshape(x, [n * h, w, c, s, s]);
  const t = tf.transpose(r, [0, 3, 1, 4, 2]); // [nh, i, w, j, c]
  return tf.reshape(t, [n, h * s, w * s, c]);
}
