/** training/train/pool.ts: several requests pending on one worker, answered in order by id; a failure rejects only its own. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../../src/model/graph';
import { initParams } from '../../training/engine/forward';
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
    const pool = await WorkerPool.start([{ id: 0, train: cfg, stats, dataset: ds, params: store.sab, grads: new SharedArrayBuffer(store.total * 4), layout: store.layout, teacher: undefined }]);
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
});
