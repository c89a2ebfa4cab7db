/** The training loop: learning works, resume is exact, and non-finite steps are skipped, never saved. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { loadCheckpoint, saveCheckpoint } from '../../training/engine/checkpoint';
import { forward, initParams, initTf, toTensors } from '../../training/engine/forward';
import { spaceToDepth } from '../../training/engine/kernels';
import { binaryBlockApplies } from '../../training/engine/layers';
import { tf } from '../../training/engine/tf';
import { learningRate, parseOverride, parseTrainConfig } from '../../training/train/config';
import { train } from '../../training/train/trainer';
import { makeTrainDir } from '../helpers/trainData';
import { mulberry } from '../helpers/synthetic';

const tinyNet = { scale: 2, channels: 8, blocks: 2, block: 'mrb', anchor: true } as const;
const tinyTrain = (extra: Record<string, unknown> = {}) =>
  parseTrainConfig({ net: tinyNet, patch: 8, batch: 4, steps: 6, lr: 1e-3, valEvery: 1000, ckptEvery: 1000, logEvery: 1, seed: 7, ...extra });

describe('training', () => {
  let data: string;
  beforeAll(async () => {
    await initTf('wasm');
    data = makeTrainDir();
  });

  it('a tiny binary network overfits one patch pair: loss falls 10x within 400 steps', () => {
    const g = buildGraph(parseNetConfig({ scale: 2, channels: 16, blocks: 2, block: 'basic', anchor: false }));
    const vars = Object.fromEntries(Object.entries(toTensors(g, initParams(g, 3))).map(([k, v]) => [k, tf.variable(v)]));
    const r = mulberry(11);
    const x = tf.tensor4d(Array.from({ length: 12 * 12 * 3 }, () => r()), [1, 12, 12, 3]);
    // Target: a smooth pattern (learnable by a tiny net in a few hundred steps, unlike pure noise).
    const y = tf.tensor4d(Array.from({ length: 24 * 24 * 3 }, (_, i) => 0.5 + 0.3 * Math.sin(Math.floor(i / 72) / 4) * Math.cos((i % 72) / 9)), [1, 24, 24, 3]);
    const stats = { mean: [0.5, 0.5, 0.5], std: [0.29, 0.29, 0.29] } as { mean: [number, number, number]; std: [number, number, number] };
    const opt = tf.train.adam(3e-3);
    const losses: number[] = [];
    for (let i = 0; i < 400; i++) {
      const l = opt.minimize(() => tf.mean(tf.abs(tf.sub(forward(g, vars, stats, x).out, y))) as tf.Scalar, true)!;
      losses.push(l.dataSync()[0]);
      l.dispose();
    }
    const first = losses[0];
    const last = Math.min(...losses.slice(-20));
    expect(last).toBeLessThan(first / 10);
  });

  it('the fused kernels train like the reference: a 32-channel net (fused blocks, sign-gradient tail)', async () => {
    // The same 400-step overfit of one patch pair as above, in the training loss layout, on wasm
    // (fused blocks and kernels) and for its first 50 steps on the cpu backend (tfjs ops only).
    const run = (steps: number) => {
      const g = buildGraph(parseNetConfig({ scale: 2, channels: 32, blocks: 2, block: 'basic', anchor: false }));
      const vars = Object.fromEntries(Object.entries(toTensors(g, initParams(g, 3))).map(([k, v]) => [k, tf.variable(v)]));
      const r = mulberry(12);
      const x = tf.tensor4d(Array.from({ length: 16 * 16 * 3 }, () => r()), [1, 16, 16, 3]);
      const y = tf.tensor4d(Array.from({ length: 32 * 32 * 3 }, (_, i) => 0.5 + 0.3 * Math.sin(Math.floor(i / 96) / 4) * Math.cos((i % 96) / 9)), [1, 32, 32, 3]);
      const yd = spaceToDepth(y, 2);
      const stats = { mean: [0.5, 0.5, 0.5], std: [0.29, 0.29, 0.29] } as { mean: [number, number, number]; std: [number, number, number] };
      const opt = tf.train.adam(3e-3);
      const losses: number[] = [];
      for (let i = 0; i < steps; i++) {
        const l = opt.minimize(() => tf.mean(tf.abs(tf.sub(forward(g, vars, stats, x, { depthOutput: true }).out, yd))) as tf.Scalar, true)!;
        losses.push(l.dataSync()[0]);
        l.dispose();
      }
      Object.values(vars).forEach((v) => v.dispose());
      return losses;
    };
    expect(binaryBlockApplies([1, 16, 16, 32], [3, 3, 32, 32])).toBe(true);
    const fused = run(400);
    expect(Math.min(...fused.slice(-20))).toBeLessThan(fused[0] / 5);
    await initTf('cpu');
    try {
      const ref = run(50);
      for (const i of [0, 10, 25, 49]) expect(Math.abs(fused[i] - ref[i])).toBeLessThan(0.02 * ref[i]);
    } finally {
      await initTf('wasm');
    }
  });

  it('resume after a stop gives the same weights as an uninterrupted run (2 workers)', async () => {
    const a = mkdtempSync(join(tmpdir(), 'bitsr-run-a-'));
    const b = mkdtempSync(join(tmpdir(), 'bitsr-run-b-'));
    const full = await train({ config: tinyTrain(), data: [data], out: a, workers: 2, quiet: true, cacheDir: join(a, 'cache') });
    const part = await train({ config: tinyTrain(), data: [data], out: b, workers: 2, quiet: true, stopAfter: 3, cacheDir: join(b, 'cache') });
    expect(part.step).toBe(3);
    const rest = await train({ config: tinyTrain(), data: [data], out: b, workers: 2, quiet: true, resume: true, cacheDir: join(b, 'cache') });
    expect(rest.step).toBe(6);
    for (const k of Object.keys(full.params)) expect(Array.from(rest.params[k])).toEqual(Array.from(full.params[k]));
    expect(loadCheckpoint(b).step).toBe(6);
  });

  it('a NaN batch is skipped and logged, and the checkpoint stays finite', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bitsr-run-nan-'));
    const r = await train({ config: tinyTrain({ injectNanAtSteps: [2] }), data: [data], out, workers: 1, quiet: true, cacheDir: join(out, 'cache') });
    expect(r.skipped).toBe(1);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8');
    expect(log).toMatch(/"event":"nonfinite","step":2/);
    const ck = loadCheckpoint(out);
    for (const a of Object.values(ck.params)) expect(a.every(Number.isFinite)).toBe(true);
  });

  it('refuses to write a non-finite checkpoint and keeps the previous file intact', () => {
    const out = mkdtempSync(join(tmpdir(), 'bitsr-ck-'));
    const path = join(out, 'checkpoint.json');
    const base = { version: 1 as const, net: parseNetConfig({}), train: {}, stats: { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] }, step: 1, optimizer: { arrays: {}, scalars: {} }, rng: [1], info: {} };
    saveCheckpoint(path, { ...base, params: { w: new Float32Array([1, 2]) } });
    expect(() => saveCheckpoint(path, { ...base, step: 2, params: { w: new Float32Array([1, NaN]) } })).toThrow(/not finite/);
    expect(loadCheckpoint(path).step).toBe(1);
    expect(existsSync(`${path}.tmp-${process.pid}`)).toBe(false);
  });

  it('--init-from copies matching weights (x4 from an x2 trunk) and leaves the new tail fresh', async () => {
    const a = mkdtempSync(join(tmpdir(), 'bitsr-x2-'));
    const src = await train({ config: tinyTrain({ steps: 2 }), data: [data], out: a, workers: 1, quiet: true, cacheDir: join(a, 'cache') });
    const b = mkdtempSync(join(tmpdir(), 'bitsr-x4-'));
    const x4 = parseTrainConfig({ net: { ...tinyNet, scale: 4 }, patch: 8, batch: 4, steps: 2, valEvery: 1000, ckptEvery: 1000, seed: 7 });
    const r = await train({ config: x4, data: [data], out: b, workers: 1, quiet: true, stopAfter: 0, initFrom: a, cacheDir: join(b, 'cache') });
    expect(Array.from(r.params['b1.c.w'])).toEqual(Array.from(src.params['b1.c.w']));
    expect(Array.from(r.params['head.w'])).toEqual(Array.from(src.params['head.w']));
    expect(r.params['tail.w'].length).not.toBe(src.params['tail.w'].length);
    expect(loadCheckpoint(b).info.initFrom).toBe(a);
  });

  it('a warm restart re-runs the cosine from scheduleStart; --override applies to a resumed run', async () => {
    const c = tinyTrain({ steps: 300, lr: 1e-3, scheduleStart: 100 });
    expect(learningRate(c, 50)).toBeCloseTo(1e-3, 12); // before the restart: held at the peak
    expect(learningRate(c, 100)).toBeCloseTo(1e-3, 12);
    expect(learningRate(c, 200)).toBeCloseTo(5e-4, 12);
    expect(learningRate(c, 300)).toBeCloseTo(0, 12);
    expect(learningRate(tinyTrain({ steps: 200 }), 100)).toBeCloseTo(5e-4, 12); // default: one cosine from 0
    expect(() => parseOverride('{"net":{}}')).toThrow(/cannot change the network/);
    expect(() => parseOverride('{"lrr":1}')).toThrow(/unknown training field "lrr"/);
    expect(() => parseOverride('{lr')).toThrow(/not valid JSON/);
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-restart-'));
    await train({ config: tinyTrain(), data: [data], out: dir, workers: 1, quiet: true, stopAfter: 3, cacheDir: join(dir, 'cache') });
    const r = await train({ config: tinyTrain(), data: [data], out: dir, workers: 1, quiet: true, resume: true, steps: 8, override: parseOverride('{"lr":2e-3,"scheduleStart":3}'), cacheDir: join(dir, 'cache') });
    expect(r.step).toBe(8);
    const steps = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'step');
    const lr4 = steps.find((e) => e.step === 4).lr; // logged after the update of step index 3 (t = 0)
    expect(lr4).toBeCloseTo(2e-3, 12);
    expect(loadCheckpoint(dir).train).toMatchObject({ lr: 2e-3, scheduleStart: 3, steps: 8 });
  });

  it('names a missing data dir and a corrupt checkpoint', async () => {
    await expect(train({ config: tinyTrain(), data: ['/nonexistent/dir'], out: mkdtempSync(join(tmpdir(), 'x-')), quiet: true })).rejects.toThrow(/set directory not found/);
    const bad = join(mkdtempSync(join(tmpdir(), 'bad-')), 'checkpoint.json');
    writeFileSync(bad, '{"version":1, "params": ');
    expect(() => loadCheckpoint(bad)).toThrow(/corrupt checkpoint/);
  });
});
