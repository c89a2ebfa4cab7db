/** training/train/adam.ts: the trainer's Adam core takes the same steps as tfjs's tf.train.adam. */
import { beforeAll, describe, expect, it } from 'vitest';
import { initTf } from '../../training/engine/forward';
import { tf } from '../../training/engine/tf';
import { Adam } from '../../training/train/adam';
import { mulberry } from '../helpers/synthetic';

describe('Adam', () => {
  beforeAll(async () => {
    await initTf('cpu');
  });

  it('agrees with tf.train.adam to 1e-6 over 100 steps (three tensors, random gradients)', () => {
    const lr = 3e-3;
    const beta1 = 0.9;
    const beta2 = 0.999;
    const eps = 1e-8; // the trainer's epsilon (tfjs's default would be the backend's, 1e-7)
    const r = mulberry(5);
    const rand = (n: number, s = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
    const sizes = [7, 33, 120];
    // Ours: the three tensors back to back in one flat buffer, as the trainer lays them out.
    const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
    const total = sizes.reduce((a, b) => a + b, 0);
    const theta = new Float32Array(total);
    const inits = sizes.map((n) => rand(n));
    inits.forEach((a, i) => theta.set(a, offsets[i]));
    const vars = inits.map((a, i) => tf.variable(tf.tensor1d(a), true, `adam-test-${i}`));
    const ours = new Adam(total, { beta1, beta2, eps });
    const ref = tf.train.adam(lr, beta1, beta2, eps);
    const grad = new Float32Array(total);
    let worst = 0;
    for (let t = 1; t <= 100; t++) {
      // Gradients of mixed magnitudes, some exactly zero.
      const gs = sizes.map((n, i) => rand(n, [1e-3, 1, 50][i]).map((g, j) => (j % 11 === 0 ? 0 : g)));
      gs.forEach((g, i) => grad.set(g, offsets[i]));
      sizes.forEach((n, i) => ours.update(theta, grad, t, offsets[i], offsets[i] + n, lr));
      ref.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: tf.tensor1d(gs[i]) })));
      vars.forEach((v, i) => {
        const want = v.dataSync();
        for (let j = 0; j < sizes[i]; j++) worst = Math.max(worst, Math.abs(theta[offsets[i] + j] - want[j]));
      });
    }
    expect(worst).toBeLessThan(1e-6);
    // The weights did move (by up to lr per step): the comparison is not of two unchanged buffers.
    const moved = Math.max(...inits[2].map((w, j) => Math.abs(theta[offsets[2] + j] - w)));
    expect(moved).toBeGreaterThan(10 * lr);
    ref.dispose();
    vars.forEach((v) => v.dispose());
  });

  it('gradScale averages summed gradients, and clip clamps the updated weights', () => {
    const a = new Adam(4, { beta1: 0.9, beta2: 0.999 });
    const b = new Adam(4, { beta1: 0.9, beta2: 0.999 });
    const ta = Float32Array.from([0.5, -0.5, 0.99, -0.99]);
    const tb = ta.slice();
    const g = Float32Array.from([1, -2, -3, 4]);
    a.update(ta, g.map((x) => 2 * x), 1, 0, 4, 0.1, 0, 0.5);
    b.update(tb, g, 1, 0, 4, 0.1);
    expect(Array.from(ta)).toEqual(Array.from(tb));
    expect(Array.from(a.m)).toEqual(Array.from(b.m));
    const c = new Adam(4, { beta1: 0.9, beta2: 0.999 });
    const tc = Float32Array.from([0.5, -0.5, 0.99, -0.99]);
    c.update(tc, g, 1, 0, 4, 0.1, 1);
    expect(Array.from(tc)).toEqual([Math.fround(0.4), Math.fround(-0.4), 1, -1]);
  });

  it('uses the moment buffers it is given, and refuses ones of the wrong size', () => {
    const m = new Float32Array(new SharedArrayBuffer(16));
    const v = new Float32Array(new SharedArrayBuffer(16));
    const a = new Adam(4, { beta1: 0.9, beta2: 0.999, buffers: { m, v } });
    a.update(Float32Array.from([1, 2, 3, 4]), Float32Array.from([1, -1, 2, 0]), 1, 0, 4, 0.1);
    expect(a.m).toBe(m);
    expect(Array.from(m)).toEqual([0.1, -0.1, 0.2, 0].map(Math.fround));
    expect(v[2]).toBeCloseTo(0.004, 9);
    expect(() => new Adam(5, { beta1: 0.9, beta2: 0.999, buffers: { m, v } })).toThrow(/moment buffers must hold 5 values/);
  });
});
