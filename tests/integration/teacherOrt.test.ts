/**
 * The distillation teacher on onnxruntime-node (training/engine/teacherOrt.ts) against the trainer's
 * own forward: the same SR (before the clip) and stage outputs, NHWC, for a batch of patches, and
 * the trainer reports which engine ran the teacher.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseNetConfig, type NetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { saveCheckpoint, type DataStats } from '../../training/engine/checkpoint';
import { forward, initParams, initTf, toTensors } from '../../training/engine/forward';
import { createOrtTeacher, type Nhwc } from '../../training/engine/teacherOrt';
import { tf } from '../../training/engine/tf';
import { parseTrainConfig } from '../../training/train/config';
import { train } from '../../training/train/trainer';
import { makeTrainDir } from '../helpers/trainData';

const stats: DataStats = { mean: [0.45, 0.44, 0.4], std: [0.25, 0.24, 0.26] };

/** max |a − b| ÷ max |b| over a tensor. */
function relErr(a: Nhwc, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const r = b.dataSync();
  let d = 0;
  let m = 0;
  for (let i = 0; i < r.length; i++) {
    d = Math.max(d, Math.abs(a.data[i] - r[i]));
    m = Math.max(m, Math.abs(r[i]));
  }
  return d / m;
}

describe('ORT teacher', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  const nets: Array<[string, Partial<NetConfig>]> = [
    ['basic x2 with the anchor', { scale: 2, channels: 8, blocks: 2, block: 'basic', anchor: true }],
    ['MRB x3, RPReLU', { scale: 3, channels: 16, blocks: 3, block: 'mrb', activation: 'rprelu' }],
    ['MRB x4 C64 (the full tier), anchor', { scale: 4, channels: 64, blocks: 2, block: 'mrb', activation: 'rprelu', anchor: true }],
  ];
  it.each(nets)('gives the forward of the trainer: %s', async (_name, net) => {
    const cfg = parseNetConfig({ ...net, binary: false });
    const g = buildGraph(cfg);
    const params = initParams(g, 5);
    const teacher = await createOrtTeacher(g, params, stats);
    const [n, h, w] = [3, 16, 24];
    const x = Float32Array.from({ length: n * h * w * 3 }, (_, i) => (Math.sin(i * 0.37) + 1) / 2);
    const got = await teacher.run({ data: x, shape: [n, h, w, 3] });
    await teacher.release();
    tf.tidy(() => {
      const r = forward(g, toTensors(g, params), stats, tf.tensor4d(x, [n, h, w, 3]), { keep: g.stages });
      expect(got.out.shape).toEqual([n, h * cfg.scale, w * cfg.scale, 3]);
      expect(relErr(got.out, r.out)).toBeLessThan(1e-5);
      expect(got.stages).toHaveLength(g.stages.length);
      g.stages.forEach((k, i) => expect(relErr(got.stages[i], r.kept[k])).toBeLessThan(1e-5));
    });
  });

  it('the trainer logs which engine ran the teacher; teacherEngine tfjs forces the wasm forward', async () => {
    const data = makeTrainDir();
    const net = { scale: 2, channels: 8, blocks: 2, block: 'basic', anchor: true } as const;
    const engines: unknown[] = [];
    for (const teacherEngine of ['auto', 'tfjs'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'bitsr-teacher-'));
      const tNet = parseNetConfig({ ...net, binary: false });
      const teacherPath = join(dir, 'teacher.json');
      saveCheckpoint(teacherPath, { version: 1, net: tNet, train: {}, stats, step: 0, params: initParams(buildGraph(tNet), 21), optimizer: { arrays: {}, scalars: {} }, rng: [1], info: {} });
      const cfg = parseTrainConfig({ net, patch: 8, batch: 2, steps: 1, lr: 1e-3, valEvery: 1000, ckptEvery: 1000, logEvery: 1, seed: 7, distill: { teacher: teacherPath, teacherEngine } });
      await train({ config: cfg, data: [data], out: dir, workers: 1, quiet: true, cacheDir: join(dir, 'cache') });
      const start = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'start');
      engines.push(start.teacher);
    }
    expect(engines).toEqual([{ engine: 'ort' }, { engine: 'tfjs', reason: 'teacherEngine: tfjs' }]);
  });
});
