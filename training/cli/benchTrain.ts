/**
 * npm run bench:train -- [--config <json>] [--workers N] [--steps N] --json
 * Training speed against a native reference, in one run:
 * - stepsPerSec of the real trainer (all workers) on generated data;
 * - effectiveGflops = 6 × forward MACs of a step ÷ step time (forward + two backward convs);
 * - ortConvGflops = onnxruntime-node running the step's convolutions (same shapes, forward)
 *   natively with intraOpNumThreads = cores;
 * - ratio = effectiveGflops / ortConvGflops.
 * Both sides are measured warm: on this VM, ORT's 2-thread speed roughly doubles after a few
 * seconds of load (measured: 55 GFLOP/s cold, 110 after the training run, same process), and a
 * 3-run warm-up understated it. So ORT warms up for WARM_SEC, is timed before and after the
 * training run, and the faster of the two medians is the reference (the conservative choice).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildGraph, forwardMacs, type NetGraph } from '../../src/model/graph';
import { DataType, encodeModel, floatTensor, type NodeProto, type TensorProto, type ValueInfo } from '../../src/model/onnxProto';
import { createImage } from '../../src/core/image';
import { writePng } from '../io/imageIO';
import { readTrainConfig, type TrainConfig } from '../train/config';
import { relaxedSimdAvailable } from '../engine/simdKernels';
import { train } from '../train/trainer';
import { int, parseArgs, runCli, str } from './args';

const USAGE = 'usage: npm run bench:train -- [--config training/configs/default.json] [--workers N] [--steps N] [--json]';

/** One ONNX model holding every conv of a training step, each on its own input of the step's shape. */
function convModel(g: NetGraph, n: number, h: number, w: number): { bytes: Uint8Array; feeds: Record<string, ort.Tensor>; macs: number } {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const inputs: ValueInfo[] = [];
  const outputs: ValueInfo[] = [];
  const feeds: Record<string, ort.Tensor> = {};
  const s = g.config.scale;
  const [H, W] = g.config.variant === 'vdsr' ? [h * s, w * s] : [h, w];
  let macs = 0;
  g.ops.forEach((o, i) => {
    if (o.op !== 'conv') return;
    const x = `x${i}`;
    inputs.push({ name: x, elemType: DataType.FLOAT, shape: [n, o.cin, H, W] });
    feeds[x] = new ort.Tensor('float32', new Float32Array(n * o.cin * H * W).map(() => Math.random()), [n, o.cin, H, W]);
    inits.push(floatTensor(`w${i}`, [o.cout, o.cin, o.kh, o.kw], new Float32Array(o.cout * o.cin * o.kh * o.kw).map(() => Math.random() - 0.5)));
    const ph = (o.dil * (o.kh - 1)) / 2;
    const pw = (o.dil * (o.kw - 1)) / 2;
    nodes.push({ opType: 'Conv', inputs: [x, `w${i}`], outputs: [`y${i}`], attrs: [{ name: 'dilations', ints: [o.dil, o.dil] }, { name: 'pads', ints: [ph, pw, ph, pw] }, { name: 'kernel_shape', ints: [o.kh, o.kw] }] });
    outputs.push({ name: `y${i}`, elemType: DataType.FLOAT, shape: [n, o.cout, H, W] });
    macs += n * H * W * o.kh * o.kw * o.cin * o.cout;
  });
  const bytes = encodeModel({
    irVersion: 8,
    opsetImports: [{ domain: '', version: 18 }],
    producerName: 'bitsr-bench',
    producerVersion: '1',
    graph: { name: 'convs', nodes, initializers: inits, inputs, outputs },
    metadata: {},
  });
  return { bytes, feeds, macs };
}

const WARM_SEC = 3;
const ORT_RUNS = 40;

/** GFLOP/s of the step's convolutions in onnxruntime-node: median of ORT_RUNS after WARM_SEC of runs. */
async function ortConvGflops(g: NetGraph, cfg: TrainConfig, threads: number): Promise<number> {
  const { bytes, feeds, macs } = convModel(g, cfg.batch, cfg.patch, cfg.patch);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const warmEnd = performance.now() + WARM_SEC * 1000;
  while (performance.now() < warmEnd) await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < ORT_RUNS; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return (2 * macs) / (times[times.length >> 1] / 1000) / 1e9;
}

await runCli(USAGE, async () => {
  const a = parseArgs(process.argv.slice(2), { flags: ['json'], options: ['config', 'workers', 'steps'] });
  const configPath = str(a, 'config', 'training/configs/default.json');
  const cfg = readTrainConfig(configPath);
  const cores = availableParallelism();
  const workers = int(a, 'workers', Math.min(cores, cfg.batch));
  const steps = int(a, 'steps', 30);
  const warm = 5;
  const g = buildGraph(cfg.net);

  // Generated data: the benchmark must not depend on a dataset being present.
  const dir = mkdtempSync(join(tmpdir(), 'bitsr-bench-'));
  try {
    const side = cfg.patch * cfg.net.scale * 3;
    for (let k = 0; k < 4; k++) {
      const img = createImage(side, side);
      for (let i = 0; i < img.data.length; i++) img.data[i] = (Math.sin(i * 0.37 + k) + 1) / 2;
      writePng(join(dir, 'HR', `${k}.png`), img);
    }
    const ortBefore = await ortConvGflops(g, cfg, cores);
    const r = await train({
      config: { ...cfg, steps: steps + warm, valEvery: 1e9, ckptEvery: 1e9, logEvery: 1e9 },
      data: [dir],
      out: join(dir, 'run'),
      workers,
      quiet: true,
      cacheDir: join(dir, 'cache'),
    });
    const timed = r.stepMs.slice(warm).sort((x, y) => x - y);
    const stepSec = timed[timed.length >> 1] / 1000;
    const macs = forwardMacs(g, cfg.patch, cfg.patch);
    const stepMacs = cfg.batch * (macs.binary + macs.fp);
    const effectiveGflops = (6 * stepMacs) / stepSec / 1e9;
    const ortAfter = await ortConvGflops(g, cfg, cores);
    const ort = Math.max(ortBefore, ortAfter);
    const out = {
      config: configPath,
      workers,
      stepsPerSec: 1 / stepSec,
      msPerStep: stepSec * 1000,
      effectiveGflops,
      ortConvGflops: ort,
      ratio: effectiveGflops / ort,
      ortConvGflopsBeforeAfter: [ortBefore, ortAfter],
      msPerStepP10P90: [timed[Math.floor(timed.length * 0.1)], timed[Math.floor(timed.length * 0.9)]],
      relaxedSimdFma: relaxedSimdAvailable(),
    };
    console.log(a.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
