/**
 * Distillation's KL term over channels (SIMD bodies in src/kernels/wat/distill.ts; JS bodies, in
 * float64, for the cpu backend and where C is not a multiple of 4).
 */
import { register, run, size } from './registry';
import type { tf } from '../tf';

const KL = 'BitsrKlChannels';
const KL_GRAD = 'BitsrKlChannelsGrad';

/** One pixel's softmax statistics in float64: maxima, sums of exp(· − max), Σ exp(s − ms)·(s − t). */
function pixelStats(s: Float32Array, t: Float32Array, o: number, C: number) {
  let ms = -Infinity;
  let mt = -Infinity;
  for (let c = 0; c < C; c++) {
    ms = Math.max(ms, s[o + c]);
    mt = Math.max(mt, t[o + c]);
  }
  let zs = 0;
  let zt = 0;
  let a = 0;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(s[o + c] - ms);
    zs += e;
    zt += Math.exp(t[o + c] - mt);
    a += e * (s[o + c] - t[o + c]);
  }
  return { ms, mt, zs, zt, a };
}

export function registerDistillKernels(): void {
  // scale · Σ over pixels of KL(softmax s ‖ softmax t) over the last axis, as [1].
  register(KL, ['s', 't'], () => [[1]], ([s, t], [out], attrs) => {
    const C = (attrs.shape as number[]).at(-1)!;
    let sum = 0;
    for (let o = 0; o < s.length; o += C) {
      const p = pixelStats(s, t, o, C);
      sum += p.a / p.zs + (p.mt - p.ms) + Math.log(p.zt / p.zs);
    }
    out[0] = sum * (attrs.scale as number);
  }, (k, [s, t, out], [si], attrs) => {
    const C = si.shape.at(-1)!;
    if (C % 4) return false;
    k.klChannels(s, t, out, size(si.shape) / C, C, attrs.scale as number);
    return true;
  });

  // Its gradient times g[0]·scale: [ds, dt].
  register(KL_GRAD, ['s', 't', 'g'], (i) => [i[0].shape, i[0].shape], ([s, t, g], [ds, dt], attrs) => {
    const C = (attrs.shape as number[]).at(-1)!;
    const f = g[0] * (attrs.scale as number);
    for (let o = 0; o < s.length; o += C) {
      const p = pixelStats(s, t, o, C);
      const ep = p.a / p.zs;
      for (let c = 0; c < C; c++) {
        const ps = Math.exp(s[o + c] - p.ms) / p.zs;
        ds[o + c] = f * ps * (s[o + c] - t[o + c] - ep);
        dt[o + c] = f * (Math.exp(t[o + c] - p.mt) / p.zt - ps);
      }
    }
  }, (k, [s, t, g, ds, dt], [si], attrs) => {
    const C = si.shape.at(-1)!;
    if (C % 4) return false;
    k.klChannelsGrad(s, t, g, ds, dt, size(si.shape) / C, C, attrs.scale as number);
    return true;
  });
}

/** scale · Σ over pixels of KL(softmax s ‖ softmax t) over the last axis, shape [1] (no gradient: see klChannels). */
export function klChannelsSum(s: tf.Tensor, t: tf.Tensor, scale: number): tf.Tensor {
  return run(KL, { s, t }, { shape: s.shape, scale }) as tf.Tensor;
}

/** The gradient of klChannelsSum times g (a scalar tensor): [ds, dt]. */
export function klChannelsSumGrad(s: tf.Tensor, t: tf.Tensor, g: tf.Tensor, scale: number): [tf.Tensor, tf.Tensor] {
  return run(KL_GRAD, { s, t, g }, { shape: s.shape, scale }) as unknown as [tf.Tensor, tf.Tensor];
}
