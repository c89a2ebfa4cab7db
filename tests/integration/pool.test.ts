/**
 * training/train/pool.ts: several requests pending on one worker, answered in order by id; a failure
 * rejects only its own. The workers' optimizer step over their slices equals one Adam pass here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/model/graph';
import { initParams } from '../../training/engine/forward';
import { Adam } from '../../training/train/adam';
import { parseTrainConfig } from '../../training/train/config';
import { loadDataset, samplePatches } from '../../training/train/data';
import { ParamStore } from '../../training/train/params';
import { WorkerPool } from '../../training/train/pool';
import { makeTrainDir } from '../helpers/trainData';

describe('worker pool', () => {
  it('queues several requests per worker and routes each reply to its request', async () => {
    const cfg = parseTrainConfig({ net: { scale: 2, channels: 8, blocks: 1, block: 'basic' }, patch: 8, batch: 2, steps: 1 });
    const ds = loadDataset([makeTrainDir(2, 32)], 2, 8, join(mkdtempSync(join(tmpdir(), 'bitsr-pool-')), 'cache'));
    const graph = buildGraph(cfg.net);
    const store = new ParamStore(graph.params);
    store.load(initParams(graph, 1));
    const stats = { mean: [0.5, 0.5, 0.5], std: [0.3, 0.3, 0.3] } as { mean: [number, number, number]; std: [number, number, number] };
    const grads = new SharedArrayBuffer(store.total * 4);
    const moments = { m: new SharedArrayBuffer(store.total * 4), v: new SharedArrayBuffer(store.total * 4) };
    const adam = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const pool = await WorkerPool.start([{ id: 0, train: cfg, stats, dataset: ds, params: store.sab, grads, allGrads: [grads], moments, adam, layout: store.layout, teacher: undefined }]);
    try {
      let s = 1;
      const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
      const img = (w: number, h: number) => ({ width: w, height: h, data: new Float32Array(w * h * 3).fill(0.5) });
      // Four requests in flight at once on one worker, of two kinds and with one that fails.
      const a = pool.call(0, { type: 'infer', images: [img(5, 4)] });
      const b = pool.call(0, { type: 'step', refs: samplePatches(ds, 2, 8, rnd) });
      const bad = pool.call(0, { type: 'infer', images: [null as never] }).then(() => new Error('resolved'), (e: Error) => e); // throws in the worker
      const c = pool.call(0, { type: 'infer', images: [img(3, 6)] });
      expect(pool.queued(0)).toBe(4);
      const [ra, rb, rc] = await Promise.all([a, b, c]);
      expect((await bad).message).toMatch(/^training worker failed: TypeError/);
      expect(ra.type).toBe('inferred');
      expect([ra.images[0].width, ra.images[0].height]).toEqual([10, 8]);
      expect(rb.type).toBe('stepped');
      expect(rb.finite).toBe(true);
      expect([rc.images[0].width, rc.images[0].height]).toEqual([6, 12]);
      expect(pool.queued(0)).toBe(0);
    } finally {
      await pool.terminate();
    }
  });

  it('three workers update disjoint slices: the same weights and moments as one Adam pass over summed gradients', async () => {
    const cfg = parseTrainConfig({ net: { scale: 2, channels: 8, blocks: 2, block: 'basic' }, patch: 8, batch: 3, steps: 1 });
    const ds = loadDataset([makeTrainDir(2, 32)], 2, 8, join(mkdtempSync(join(tmpdir(), 'bitsr-pool-')), 'cache'));
    const graph = buildGraph(cfg.net);
    const store = new ParamStore(graph.params);
    store.load(initParams(graph, 3));
    const N = store.total;
    const W = 3;
    const stats = { mean: [0.5, 0.5, 0.5], std: [0.3, 0.3, 0.3] } as { mean: [number, number, number]; std: [number, number, number] };
    const grads = Array.from({ length: W }, () => new SharedArrayBuffer(N * 4));
    const moments = { m: new SharedArrayBuffer(N * 4), v: new SharedArrayBuffer(N * 4) };
    const consts = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const shared = new Adam(N, { ...consts, buffers: { m: new Float32Array(moments.m), v: new Float32Array(moments.v) } });
    const ref = new Adam(N, consts);
    const refTheta = store.theta.slice();
    let s = 7;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    // Two ranges with their own lr and clip; the last 5 values belong to no range and must not move.
    const ranges = [
      { start: 0, end: 100, lr: 0.01, clip: 0 },
      { start: 100, end: N - 5, lr: 0.003, clip: 0.05 },
    ];
    // Slices that cut through the ranges, as the trainer's cut points do.
    const slices: Array<[number, number]> = [[0, 64], [64, 160], [160, N]];
    const pool = await WorkerPool.start(grads.map((g, id) => ({ id, train: cfg, stats, dataset: ds, params: store.sab, grads: g, allGrads: grads, moments, adam: consts, layout: store.layout, teacher: undefined })));
    try {
      for (let t = 1; t <= 3; t++) {
        const gs = grads.map((b) => new Float32Array(b));
        gs.forEach((g) => g.forEach((_, i) => (g[i] = (rnd() * 2 - 1) * (i % 3 ? 1 : 1e-3))));
        const sum = gs[0].slice();
        for (let k = 1; k < W; k++) for (let i = 0; i < N; i++) sum[i] += gs[k][i];
        for (const r of ranges) ref.update(refTheta, sum, t, r.start, r.end, r.lr, r.clip, 1 / W);
        const replies = await Promise.all(slices.map((slice, i) => pool.call(i, { type: 'update', t, slice, ranges, gradScale: 1 / W })));
        expect(replies.map((r) => r.type)).toEqual(['updated', 'updated', 'updated']);
      }
      expect(Array.from(store.theta)).toEqual(Array.from(refTheta));
      expect(Array.from(shared.m)).toEqual(Array.from(ref.m));
      expect(Array.from(shared.v)).toEqual(Array.from(ref.v));
      const init = initParams(graph, 3);
      const before = new ParamStore(graph.params);
      before.load(init);
      expect(Array.from(store.theta.subarray(N - 5))).toEqual(Array.from(before.theta.subarray(N - 5)));
      expect(store.theta[0]).not.toBe(before.theta[0]);
    } finally {
      await pool.terminate();
    }
  });
});
