/** The fused KL over channels (training/engine/klChannels.ts) against tfjs's logSoftmax formula. */
import { afterAll, describe, expect, it } from 'vitest';
import { tf, initTf } from '../../training/engine/tf';
import { klChannels } from '../../training/engine/klChannels';
import { mulberry } from '../helpers/synthetic';

const rand = (shape: number[], seed: number, scale: number) => {
  const r = mulberry(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape);
};
/** The op-by-op definition the loss used before: mean over pixels of Σ_c p (log p − log q). */
const reference = (s: tf.Tensor, t: tf.Tensor) => {
  const ls = tf.logSoftmax(s, -1);
  const lt = tf.logSoftmax(t, -1);
  return tf.mean(tf.sum(tf.mul(tf.exp(ls), tf.sub(ls, lt)), -1)) as tf.Scalar;
};
const relDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0];

describe('fused KL over channels equals the logSoftmax formula', () => {
  afterAll(async () => {
    await initTf('cpu');
  });
  for (const backend of ['wasm', 'cpu'] as const) {
    // C 32 and 64 take the SIMD kernel on wasm; C 6 (not a multiple of 4) the JS body.
    for (const [C, scale] of [[32, 4], [64, 1], [6, 8]]) {
      it(`${backend}, C ${C}, logits ±${scale}: value to 1e-6, both gradients to 1e-5`, async () => {
        await initTf(backend);
        const s = rand([2, 5, 8, C], 1 + C, scale);
        const t = rand([2, 5, 8, C], 2 + C, scale);
        const dy = 0.7;
        const value = klChannels(s, t).dataSync()[0];
        const ref = reference(s, t).dataSync()[0];
        expect(Math.abs(value - ref) / ref).toBeLessThan(1e-6);
        const loss = (f: typeof reference) => (a: tf.Tensor, b: tf.Tensor) => tf.mul(f(a, b), dy);
        const got = tf.grads(loss(klChannels))([s, t]);
        const want = tf.grads(loss(reference))([s, t]);
        got.forEach((g, k) => expect(relDiff(g, want[k])).toBeLessThan(1e-5));
        expect(klChannels(s, s).dataSync()[0]).toBeCloseTo(0, 6);
        const poisoned = tf.concat([tf.fill([1, 5, 8, C], NaN), tf.slice(s, [1], [1])]);
        expect(Number.isNaN(klChannels(poisoned, t).dataSync()[0])).toBe(true);
      });
    }
  }
});
