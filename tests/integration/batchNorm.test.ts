/**
 * The ablation's BatchNorm row, as BatchNorm is used in practice: batch statistics in training,
 * running statistics (gathered by the trainer) at evaluation, never the evaluated image's own.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modCrop } from '../../src/core/image';
import { evaluate } from '../../src/core/metrics';
import { parseNetConfig } from '../../src/model/config';
import { buildGraph, type Op } from '../../src/model/graph';
import { loadCheckpoint } from '../../training/engine/checkpoint';
import { forward, imageToTensor, initParams, initTf, tensorToImage, toTensors } from '../../training/engine/forward';
import { tf } from '../../training/engine/tf';
import { makeLr } from '../../training/eval/evaluate';
import { readImage } from '../../training/io/imageIO';
import { parseTrainConfig } from '../../training/train/config';
import { train } from '../../training/train/trainer';
import { makeTrainDir } from '../helpers/trainData';
import { mulberry } from '../helpers/synthetic';

const bnNet = { scale: 2, channels: 8, blocks: 1, block: 'basic', batchNorm: true, btm: false, activation: 'prelu', anchor: false } as const;
const stats = { mean: [0.5, 0.5, 0.5], std: [0.29, 0.29, 0.29] } as { mean: [number, number, number]; std: [number, number, number] };

describe('BatchNorm (ablation row)', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });

  it('training normalises by the batch and reports its statistics; evaluation uses the running ones', () => {
    const g = buildGraph(parseNetConfig(bnNet));
    const bn = g.ops.find((o) => o.op === 'batchnorm') as Extract<Op, { op: 'batchnorm' }>;
    const arrays = initParams(g, 5);
    const r = mulberry(3);
    for (const [k, v] of [[bn.mean, 0.3], [bn.variance, 2.5], [bn.gamma, 1.5], [bn.beta, -0.2]] as const) arrays[k] = Float32Array.from(arrays[k], () => v + 0.1 * r());
    const params = toTensors(g, arrays);
    const x = tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, () => r()), [2, 6, 6, 3]);
    const keep = [bn.in, bn.out];
    const batchStats: Record<string, Float32Array> = {};
    const train = forward(g, params, stats, x, { keep, batchStats });
    const evalRun = forward(g, params, stats, x, { keep });
    const C = bnNet.channels;
    const inp = train.kept[bn.in].dataSync();
    const n = inp.length / C;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += inp[i * C + c];
      const m = s / n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (inp[i * C + c] - m) ** 2;
      expect(batchStats[bn.mean][c]).toBeCloseTo(m, 5);
      expect(batchStats[bn.variance][c]).toBeCloseTo(v / (n - 1), 4);
      const [gm, bt, rm, rv] = [arrays[bn.gamma][c], arrays[bn.beta][c], arrays[bn.mean][c], arrays[bn.variance][c]];
      const outTrain = train.kept[bn.out].dataSync();
      const outEval = evalRun.kept[bn.out].dataSync();
      for (const i of [0, 7, n - 1]) {
        expect(outTrain[i * C + c]).toBeCloseTo((gm * (inp[i * C + c] - m)) / Math.sqrt(v / n + 1e-5) + bt, 4);
        expect(outEval[i * C + c]).toBeCloseTo((gm * (inp[i * C + c] - rm)) / Math.sqrt(rv + 1e-5) + bt, 4);
      }
    }
    tf.dispose([x, ...Object.values(params), train.out, evalRun.out, ...Object.values(train.kept), ...Object.values(evalRun.kept)]);
  });

  it('the trainer gathers running statistics, and validation scores with them', async () => {
    const data = makeTrainDir();
    const out = join(data, 'run');
    const config = parseTrainConfig({ net: bnNet, patch: 8, batch: 4, steps: 6, lr: 1e-3, valEvery: 6, ckptEvery: 6, logEvery: 1, seed: 7 });
    const r = await train({ config, data: [data], val: data, out, workers: 2, quiet: true });
    const ck = loadCheckpoint(join(out, 'checkpoint.json'));
    const g = buildGraph(ck.net);
    const bn = g.ops.find((o) => o.op === 'batchnorm') as Extract<Op, { op: 'batchnorm' }>;
    // Moved from their start (0 and 1) by six updates at momentum 0.1.
    expect(Math.max(...ck.params[bn.mean].map(Math.abs))).toBeGreaterThan(1e-3);
    expect(Math.max(...ck.params[bn.variance].map((v) => Math.abs(v - 1)))).toBeGreaterThan(1e-3);
    // The validation PSNR is the running-statistics forward's, not the per-image-statistics one.
    const params = toTensors(g, ck.params);
    const score = (batchStats?: Record<string, Float32Array>) => {
      const files = readdirSync(join(data, 'HR')).sort();
      const ps = files.map((f) => {
        const hr = modCrop(readImage(join(data, 'HR', f)), 2);
        const t = tf.tidy(() => forward(g, params, ck.stats, imageToTensor(makeLr(hr, 2)), batchStats ? { batchStats } : {}).out);
        const sr = tensorToImage(t);
        t.dispose();
        return evaluate(sr, hr, 2).psnr;
      });
      return ps.reduce((a, b) => a + b, 0) / ps.length;
    };
    const running = score();
    expect(r.history.at(-1)!.psnr).toBeCloseTo(running, 6);
    expect(Math.abs(score({}) - running)).toBeGreaterThan(1e-3);
    tf.dispose(Object.values(params));
  }, 120_000);
});
