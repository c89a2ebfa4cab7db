/**
 * tfjs ops with the gradients this project needs (tf.customGrad):
 * - conv2d with a fast custom backward: bitsr's SIMD kernels (kernels.ts) for the forward, dX and
 *   dW where the shape allows; elsewhere dX as a conv2d with the flipped, in/out-swapped kernel
 *   (conv2dTranspose runs at 3 GFLOP/s) and dW as one conv2d with the batch as channels (wasm has
 *   no Conv2DBackpropFilter; transposed matMul runs at 3 GFLOP/s);
 * - sign with sign(0) = +1 and a selectable estimator for its derivative;
 * - the binary conv with XNOR-Net weights sign(W)·mean|W| per output channel, as one op;
 * - a whole basic binary block as one op (its forward and backward kernels);
 * - pixel shuffle as a copy kernel whose gradient is the inverse copy (wasm has no DepthToSpace
 *   gradient).
 */
import type { Estimator } from '../../src/model/config';
import { binaryBlockBackward, binaryBlockForward, binaryBlockBackwardApplies, binaryConvWeightGrad, binaryConvWeightGradApplies, binaryWeightGrad, convKernelApplies, convValid, convWeightGrad, convWeightGradApplies, depthToSpace, flipBinaryKernel, flipKernel, padSpatial, preluGradKernel, signGradApplies, signGradInputGrad, signGradKernel, signGradWeightGrad, signKernel, signScale, spaceToDepth, weightScaleKernel, xnorConv, xnorConvApplies } from './kernels';
import { tf } from './tf';

type T4 = tf.Tensor4D;

/** sign(x) with sign(0) = sign(−0) = +1, in one pass (kernels.ts); NaN stays NaN. */
export function signForward(x: tf.Tensor): tf.Tensor {
  return signKernel(x);
}

/**
 * d sign / dx as estimated: STE-clip 1{|x|<1}; ApproxSign 2−2|x| on |x|<1; sharp 4−8|x| on |x|<0.5.
 * The reference definition in tfjs ops; training uses the fused kernel that equals it (tests).
 */
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
      return { value: signForward(xin), gradFunc: (dy, saved) => signGradKernel(dy as tf.Tensor, saved[0], est) };
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

type Pads = [[number, number], [number, number], [number, number], [number, number]];

function samePads(kh: number, kw: number, dil: number): Pads {
  const ph = samePad(kh, dil);
  const pw = samePad(kw, dil);
  return [[0, 0], [ph, ph], [pw, pw], [0, 0]];
}

/**
 * dW[i,j,ci,co] = Σ_{n,h,w} xpad[n, h+i·d, w+j·d, ci] · dy[n,h,w,co], HWIO. Without the SIMD kernel:
 * a conv with the batch as channels: input xpad as [Cin, Hp, Wp, N], filter dy as [H, W, N, Cout],
 * stride d.
 */
function weightGrad(x: T4, dy: T4, kh: number, kw: number, dil: number): T4 {
  const cin = x.shape[3];
  const cin4 = Math.ceil(cin / 4) * 4;
  if (convWeightGradApplies(cin4, dy.shape[3])) {
    // The SIMD kernel (kernels.ts): same sums without the padding and the three transposes. An
    // input with Cin not a multiple of 4 (the RGB head) gets zero channels, then they are dropped.
    if (cin4 === cin) return convWeightGrad(x, dy, kh, kw, dil);
    const dw = convWeightGrad(tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, cin4 - cin]]), dy, kh, kw, dil);
    return tf.slice(dw, [0, 0, 0, 0], [kh, kw, cin, dy.shape[3]]);
  }
  const pads = samePads(kh, kw, dil);
  const padded = pads[1][0] || pads[2][0] ? tf.pad(x, pads) : x;
  const xp = tf.transpose(padded, [3, 1, 2, 0]) as T4;
  const f2 = tf.transpose(dy, [1, 2, 0, 3]) as T4;
  const dwT = tf.conv2d(xp, f2, dil, 'valid'); // [Cin, kh, kw, Cout]
  return tf.transpose(dwT, [1, 2, 0, 3]);
}

/**
 * Stride-1 'same' conv: the SIMD kernel (kernels.ts; with FMA ~1.5–2× XNNPACK's speed on the
 * training shapes, measured) where it applies, else tf.conv2d.
 */
function convSame(x: T4, w: T4, dil: number): T4 {
  const [kh, kw, , cout] = w.shape;
  const pads = samePads(kh, kw, dil);
  if (!convKernelApplies(x.shape[2], cout)) return tf.conv2d(x, w, 1, pads, 'NHWC', dil);
  return convValid(pads[1][0] || pads[2][0] ? padSpatial(x, pads[1][0], pads[1][1], pads[2][0], pads[2][1]) : x, w, dil);
}

const convCache = new Map<string, (x: T4, w: T4) => T4>();

/** Stride-1 'same' conv (odd kernels, dilation) with the fast custom backward. Weights HWIO. */
export function conv2d(x: T4, w: T4, dil: number, needDx = true): T4 {
  const [kh, kw] = w.shape;
  const key = `${kh}x${kw}d${dil}${needDx ? '' : 'n'}`;
  let f = convCache.get(key);
  if (!f) {
    f = tf.customGrad((xi, wi, save) => {
      (save as tf.GradSaveFunc)([xi as T4, wi as T4]);
      const k = channelPad(xi as T4, wi as T4);
      const y = convSame(xi as T4, k ? padChannels(wi as T4, k, 0) : (wi as T4), dil);
      return {
        value: k ? (tf.slice(y, [0, 0, 0, 0], [-1, -1, -1, (wi as T4).shape[3]]) as T4) : y,
        gradFunc: (dyIn, saved) => {
          const [sx, sw] = saved as [T4, T4];
          const cout = sw.shape[3];
          // An output gradient of ±c everywhere (the tail's, under the L1 loss): sums of ±x instead of
          // multiply-adds (kernels.ts signGrad*). Padded output channels get +c and zero weights.
          const c = signGradApplies([kh, kw, sw.shape[2], cout + k]) ? signScale(dyIn) : 0;
          const dy = k ? padChannels(dyIn as T4, k, c) : (dyIn as T4);
          const wp = k ? padChannels(sw, k, 0) : sw;
          let dx: T4;
          let dw: T4;
          if (c > 0) {
            dx = needDx ? signGradInputGrad(dy, wp, dil, c) : tf.zerosLike(sx);
            dw = signGradWeightGrad(sx, dy, kh, kw, dil, c);
          } else {
            // dX: correlation of dY with the spatially flipped kernel, in/out swapped (conv2dTranspose
            // runs at 3 GFLOP/s here).
            dx = needDx ? convSame(dy, flipKernel(wp), dil) : tf.zerosLike(sx);
            dw = weightGrad(sx, dy, kh, kw, dil);
          }
          return [dx, k ? (tf.slice(dw, [0, 0, 0, 0], [-1, -1, -1, cout]) as T4) : dw];
        },
      };
    }) as (x: T4, w: T4) => T4;
    convCache.set(key, f);
  }
  return f(x, w);
}

/**
 * Output channels to add (zero weights) so the SIMD kernels take a conv whose Cout is not a
 * multiple of 8 (the x3 tail: 27): 0 where they would not apply anyway.
 */
function channelPad(x: T4, w: T4): number {
  const cout = w.shape[3];
  const k = (8 - (cout % 8)) % 8;
  return k && convKernelApplies(x.shape[2], cout + k) ? k : 0;
}

/** Appends k channels of `value` (the last axis). */
function padChannels(t: T4, k: number, value: number): T4 {
  return tf.pad(t, [[0, 0], [0, 0], [0, 0], [0, k]], value);
}

const binConvCache = new Map<string, (x: T4, w: T4) => T4>();

/**
 * Binary conv with XNOR-Net weights: conv(x, sign W) · α, α = mean|W| per output channel, as one
 * op. conv(x, sign W) · α rather than conv(x, sign(W)·α): the ±1 sums are then exact integers in
 * float32 in any summation order, so an exact 0 stays 0 and binarizes to +1 in every runtime (the
 * exported graph does the same). The backward is the autograd of that composition, rearranged so
 * that no extra pass over a full-size tensor is needed: α goes into the dX kernel and into dW, and
 * dα = Σ_{n,h,w} dy · conv(x, sign W) = Σ_{i,j,ci} sign W · dW_raw (a sum over the small kernel).
 */
export function binaryConv2d(x: T4, w: T4, dil: number, est: Estimator, binaryInput = false): T4 {
  const [kh, kw] = w.shape;
  // An input that is exactly ±1 (a BinAct's output) takes the XNOR/popcount forward on wasm.
  const xnor = binaryInput && xnorConvApplies(x.shape, w.shape);
  // ... and its weight gradient the sign-pattern kernel.
  const binDw = binaryInput && binaryConvWeightGradApplies(x.shape, w.shape);
  const key = `${kh}x${kw}d${dil}${est}${xnor ? 'x' : ''}${binDw ? 'b' : ''}`;
  let f = binConvCache.get(key);
  if (!f) {
    f = tf.customGrad((xi, wi, save) => {
      const xx = xi as T4;
      const ww = wi as T4;
      const alpha = weightScaleKernel(ww);
      (save as tf.GradSaveFunc)([xx, ww, alpha]);
      const value = xnor ? xnorConv(xx, ww, alpha, dil) : (tf.mul(convSame(xx, signKernel(ww) as T4, dil), alpha) as T4);
      return {
        value,
        gradFunc: (dyIn, saved) => {
          const dy = dyIn as T4;
          const [sx, sw, sa] = saved as [T4, T4, tf.Tensor];
          const dx = convSame(dy, flipBinaryKernel(sw, sa), dil);
          const raw = binDw ? binaryConvWeightGrad(sx, dy, kh, kw, dil) : weightGrad(sx, dy, kh, kw, dil);
          const dw = binaryWeightGrad(raw, sw, est, sa);
          return [dx, dw];
        },
      };
    }) as (x: T4, w: T4) => T4;
    binConvCache.set(key, f);
  }
  return f(x, w);
}

/** Whether binaryBlock runs this input shape (wasm: C a multiple of 32, W of 8; 3×3 kernel). */
export function binaryBlockApplies(xShape: number[], wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return kh === 3 && kw === 3 && cin === cout && xnorConvApplies(xShape, wShape) && binaryConvWeightGradApplies(xShape, wShape) && binaryBlockBackwardApplies(xShape, wShape);
}

const blockCache = new Map<string, (h: T4, w: T4, slope: tf.Tensor) => T4>();

/**
 * A whole basic binary block, h + prelu(conv(sign h, sign W)·α, slope), 3×3, as one op (wasm; see
 * binaryBlockApplies): the XNOR conv writes the block output (PReLU and skip in its store); the
 * backward is one kernel for the PReLU backward, the conv's input gradient by sign-pattern table
 * lookups, the skip gradient and the BinAct estimator (kernels.ts binaryBlockBackward), then the
 * sign-pattern weight gradient. It gives the op-by-op graph's values (checked in the tests) without
 * that graph's elementwise passes, the tape's gradient sum or their tensors. Other widths run the
 * op-by-op graph.
 */
export function binaryBlock(h: T4, w: T4, slope: tf.Tensor, estAct: Estimator, estWeight: Estimator): T4 {
  const key = `${estAct}/${estWeight}`;
  let f = blockCache.get(key);
  if (!f) {
    f = tf.customGrad((hi, wi, si, save) => {
      const [hh, ww, ss] = [hi as T4, wi as T4, si as tf.Tensor];
      const alpha = weightScaleKernel(ww);
      const [y, c] = binaryBlockForward(hh, ww, alpha, ss);
      (save as tf.GradSaveFunc)([hh, ww, ss, c, alpha]);
      return {
        value: y,
        gradFunc: (dyIn, saved) => {
          const dy = dyIn as T4;
          const [sh, sw, sslope, sc, sa] = saved as [T4, T4, tf.Tensor, T4, tf.Tensor];
          const [dh, dc, dslope] = binaryBlockBackward(dy, sc, sslope, sw, sa, sh, estAct);
          const dw = binaryWeightGrad(binaryConvWeightGrad(sh, dc, 3, 3, 1), sw, estWeight, sa);
          return [dh, dw, tf.reshape(dslope, sslope.shape)];
        },
      };
    }) as (h: T4, w: T4, slope: tf.Tensor) => T4;
    blockCache.set(key, f);
  }
  return f(h, w, slope);
}

let preluOp: ((x: tf.Tensor, a: tf.Tensor) => tf.Tensor) | undefined;
/**
 * PReLU (per-channel slope a, broadcast as [1,1,1,C]) with a one-pass fused backward (kernels.ts):
 * tfjs's own uses Greater + two Selects, which wasm runs ~15× slower than Step (measured).
 */
export function prelu(x: tf.Tensor, a: tf.Tensor): tf.Tensor {
  preluOp ??= tf.customGrad((xi, ai, save) => {
    const xx = xi as tf.Tensor;
    const aa = ai as tf.Tensor;
    (save as tf.GradSaveFunc)([xx, aa]);
    return {
      value: tf.prelu(xx, aa),
      gradFunc: (dy, saved) => preluGradKernel(dy as tf.Tensor, saved[0], saved[1]),
    };
  }) as (x: tf.Tensor, a: tf.Tensor) => tf.Tensor;
  return preluOp(x, a);
}

const shuffleCache = new Map<number, (x: T4) => T4>();
/**
 * Depth-to-space in DepthToSpace 'CRD' order: channel c·s² + i·s + j -> pixel (h·s+i, w·s+j). One
 * copy each way (kernels.ts; a 5-D transpose takes ~2.5 ms on the x4 tail here, measured).
 */
export function pixelShuffle(x: T4, s: number): T4 {
  let f = shuffleCache.get(s);
  if (!f) {
    f = tf.customGrad((xi, save) => {
      (save as tf.GradSaveFunc)([]);
      return { value: depthToSpace(xi as T4, s), gradFunc: (dy) => spaceToDepth(dy as T4, s) };
    }) as (x: T4) => T4;
    shuffleCache.set(s, f);
  }
  return f(x);
}
