/**
 * Distillation (Eq. 5 of the paper as docs/method.md states it): the trainer's loss for one step,
 * recomputed by hand with plain tfjs ops (explicit softmax, log, sums) on the same batch.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { saveCheckpoint, type DataStats } from '../../training/engine/checkpoint';
import { forward, initParams, initTf, mulberry32, toTensors } from '../../training/engine/forward';
import { spaceToDepth } from '../../training/engine/kernels';
import { tf } from '../../training/engine/tf';
import { parseTrainConfig } from '../../training/train/config';
import { buildBatch, datasetStats, loadDataset, samplePatches } from '../../training/train/data';
import { trainingLoss } from '../../training/train/loss';
import { train } from '../../training/train/trainer';
import { makeTrainDir } from '../helpers/trainData';

const net = { scale: 2, channels: 8, blocks: 2, block: 'basic', anchor: true } as const;

/** Eq. 5 by hand: λ·mean|S−HR| + β·mean|S−T| + γ·Σ_stages mean_pixels Σ_c p_S (log p_S − log p_T). */
function handLoss(out: tf.Tensor, y: tf.Tensor, tOut: tf.Tensor, stages: tf.Tensor[], tStages: tf.Tensor[], d: { lambda: number; beta: number; gamma: number }): tf.Scalar {
  return tf.tidy(() => {
    const softmax = (z: tf.Tensor) => {
      const e = tf.exp(tf.sub(z, tf.max(z, -1, true)));
      return tf.div(e, tf.sum(e, -1, true));
    };
    let kl: tf.Tensor = tf.scalar(0);
    stages.forEach((s, i) => {
      const p = softmax(s);
      const q = softmax(tStages[i]);
      const perPixel = tf.sum(tf.mul(p, tf.sub(tf.log(p), tf.log(q))), -1);
      kl = tf.add(kl, tf.div(tf.sum(perPixel), perPixel.size));
    });
    const l1 = (a: tf.Tensor, b: tf.Tensor) => tf.div(tf.sum(tf.abs(tf.sub(a, b))), a.size);
    return tf.addN([tf.mul(l1(out, y), d.lambda), tf.mul(l1(out, tOut), d.beta), tf.mul(kl, d.gamma)]) as tf.Scalar;
  });
}

describe('distillation loss', () => {
  let data: string;
  beforeAll(async () => {
    await initTf('wasm');
    data = makeTrainDir();
  });

  it("the trainer's first-step loss equals Eq. 5 computed by hand on the same batch", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-distill-'));
    const cache = join(dir, 'cache');
    // A full-precision teacher (random weights: the loss only needs it to differ from the student).
    const tNet = parseNetConfig({ ...net, binary: false });
    const tGraph = buildGraph(tNet);
    const tStats: DataStats = { mean: [0.45, 0.44, 0.4], std: [0.25, 0.24, 0.26] };
    const teacherPath = join(dir, 'teacher.json');
    saveCheckpoint(teacherPath, { version: 1, net: tNet, train: {}, stats: tStats, step: 0, params: initParams(tGraph, 21), optimizer: { arrays: {}, scalars: {} }, rng: [1], info: {} });
    const distill = { teacher: teacherPath, lambda: 0.4, beta: 0.6, gamma: 0.5 }; // γ large so the KL term weighs in
    const cfg = parseTrainConfig({ net, patch: 8, batch: 2, steps: 1, lr: 1e-3, valEvery: 1000, ckptEvery: 1000, logEvery: 1, seed: 7, distill });
    await train({ config: cfg, data: [data], out: dir, workers: 1, quiet: true, cacheDir: cache });
    const logged = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'step' && e.step === 1).loss;

    // The same batch: the trainer's sampler, seeded as train() seeds it, and its initial weights.
    const ds = loadDataset([data], 2, cfg.patch, cache);
    const stats = datasetStats(ds);
    const rnd = mulberry32({ s: (cfg.seed * 2654435761) >>> 0 });
    const batch = buildBatch(ds, samplePatches(ds, cfg.batch, cfg.patch, rnd), cfg.patch);
    const graph = buildGraph(cfg.net);
    const n = cfg.batch;
    const p = cfg.patch;
    const x = tf.tensor4d(batch.lr, [n, p, p, 3]);
    const y = spaceToDepth(tf.tensor4d(batch.hr, [n, 2 * p, 2 * p, 3]), 2); // variant 'lr': the loss runs in the depth layout
    const s = forward(graph, toTensors(graph, initParams(graph, cfg.seed)), stats, x, { keep: graph.stages, depthOutput: true });
    const t = forward(tGraph, toTensors(tGraph, initParams(tGraph, 21)), tStats, x, { keep: tGraph.stages, depthOutput: true });
    const stages = graph.stages.map((k) => s.kept[k]);
    const tStages = tGraph.stages.map((k) => t.kept[k]);
    const byHand = handLoss(s.out, y, t.out, stages, tStages, distill).dataSync()[0];
    const fn = trainingLoss(s.out, y, { config: cfg.distill!, teacherOut: t.out, stages, teacherStages: tStages }).dataSync()[0];
    // Every term counts: each alone is a sizeable part of the total.
    const kl = handLoss(s.out, y, t.out, stages, tStages, { lambda: 0, beta: 0, gamma: distill.gamma }).dataSync()[0];
    const l1hr = handLoss(s.out, y, t.out, stages, tStages, { lambda: distill.lambda, beta: 0, gamma: 0 }).dataSync()[0];
    const l1t = handLoss(s.out, y, t.out, stages, tStages, { lambda: 0, beta: distill.beta, gamma: 0 }).dataSync()[0];
    for (const term of [kl, l1hr, l1t]) expect(term / byHand).toBeGreaterThan(0.01);
    expect(Math.abs(kl + l1hr + l1t - byHand)).toBeLessThan(1e-6 * byHand);
    expect(Math.abs(fn - byHand)).toBeLessThan(1e-5 * byHand);
    expect(Math.abs(logged - byHand)).toBeLessThan(1e-5 * byHand);
    // And without a teacher the loss is the plain L1.
    const plain = trainingLoss(s.out, y).dataSync()[0];
    expect(Math.abs(plain - handLoss(s.out, y, t.out, stages, tStages, { lambda: 1, beta: 0, gamma: 0 }).dataSync()[0])).toBeLessThan(1e-6);
    // loss 'l2': the mean squared error in L1's place.
    const o = s.out.dataSync();
    const target = y.dataSync();
    let se = 0;
    for (let i = 0; i < o.length; i++) se += (o[i] - target[i]) ** 2;
    expect(trainingLoss(s.out, y, undefined, 'l2').dataSync()[0]).toBeCloseTo(se / o.length, 7);
    expect(se / o.length).not.toBeCloseTo(plain, 3);
  });
});
