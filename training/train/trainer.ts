/**
 * The training coordinator: data-parallel over worker_threads (one tfjs-wasm instance each),
 * gradients averaged and Adam applied by the workers over disjoint slices (per-group learning
 * rates), validation with the real evaluation protocol, atomic checkpoints (periodic and on
 * SIGINT/SIGTERM), exact resume, and a NaN/Inf guard that skips the step and never saves
 * non-finite weights.
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluate } from '../../src/core/metrics';
import { modCrop, type RgbImage } from '../../src/core/image';
import { buildGraph, type ParamGroup } from '../../src/model/graph';
import { loadCheckpoint, removeStaleTmpFiles, saveCheckpoint, type Checkpoint, type DataStats } from '../engine/checkpoint';
import { initParams, mulberry32 } from '../engine/forward';
import { listImageSet } from '../eval/datasets';
import { makeLr } from '../eval/evaluate';
import { readImage } from '../io/imageIO';
import { learningRate, parseTrainConfig, type TrainConfig } from './config';
import { datasetStats, loadDataset, samplePatches } from './data';
import { Adam, type AdamRange } from './adam';
import { ParamStore } from './params';
import { WorkerPool } from './pool';
import type { WorkerInit } from './protocol';

/** BatchNorm running statistics: running ← (1 − m)·running + m·batch (PyTorch's default m). */
const BN_MOMENTUM = 0.1;

export interface TrainOptions {
  config: TrainConfig;
  data: string[];
  val?: string;
  out: string;
  resume?: boolean;
  /** Recipe fields merged over the config (and over a resumed checkpoint's config). */
  override?: Partial<Omit<TrainConfig, 'net'>>;
  workers?: number;
  /** Override config.steps (total steps of the run). */
  steps?: number;
  /** Start from another run's weights where names and shapes match (e.g. x3/x4 from the x2 trunk). */
  initFrom?: string;
  /** Stop after this many steps in this invocation (tests: simulate a kill). */
  stopAfter?: number;
  quiet?: boolean;
  cacheDir?: string;
  /** Awaited after each step, outside the step's timing (benchmarks interleave a reference here). */
  afterStep?: (step: number) => Promise<void> | void;
}

export interface TrainResult {
  step: number;
  lastLoss: number;
  bestPsnr: number | null;
  history: Array<{ step: number; psnr: number; ssim: number }>;
  skipped: number;
  params: Record<string, Float32Array>;
  /** Wall milliseconds of each step of this invocation (benchmarks). */
  stepMs: number[];
  /** The slowest worker's own milliseconds in each step (benchmarks: the rest is coordination). */
  workerMs: number[];
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const out = resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const ckPath = join(out, 'checkpoint.json');
  const logPath = join(out, 'log.jsonl');
  const log = (o: Record<string, unknown>) => appendFileSync(logPath, JSON.stringify({ t: new Date().toISOString(), ...o }) + '\n');

  removeStaleTmpFiles(out);

  let cfg = opts.config;
  let resumed: Checkpoint | undefined;
  if (opts.resume) {
    if (!existsSync(ckPath)) throw new Error(`--resume: no checkpoint to resume from (${ckPath} does not exist)`);
    resumed = loadCheckpoint(ckPath);
    // Through the config parser: defaults for fields newer than the checkpoint, and validation.
    cfg = parseTrainConfig({ ...resumed.train, net: resumed.net });
  }
  if (opts.override) cfg = parseTrainConfig({ ...cfg, ...opts.override, net: cfg.net });
  if (opts.steps) cfg = { ...cfg, steps: opts.steps };
  const W = opts.workers ?? 1;
  if (cfg.batch % W !== 0) throw new Error(`batch ${cfg.batch} must be divisible by --workers ${W}`);
  const graph = buildGraph(cfg.net);
  if (cfg.net.batchNorm && cfg.batch / W < 2) throw new Error('batchNorm needs at least 2 patches per worker');

  // Data and its statistics (BTM data init: computed once, stored in the checkpoint).
  const ds = loadDataset(opts.data, cfg.net.scale, cfg.patch, opts.cacheDir);
  const stats: DataStats = resumed?.stats ?? (cfg.net.btm ? datasetStats(ds) : { mean: [0, 0, 0], std: [1, 1, 1] });

  // Parameters in one flat shared buffer; Adam's moments in the same layout.
  const store = new ParamStore(graph.params);
  const { layout, total, theta } = store;
  const init = resumed?.params ?? initParams(graph, cfg.seed);
  const transferred: string[] = [];
  if (!resumed && opts.initFrom) {
    const src = loadCheckpoint(opts.initFrom).params;
    for (const s of layout) {
      if (src[s.name]?.length === s.size) {
        init[s.name] = src[s.name];
        transferred.push(s.name);
      }
    }
    if (transferred.length === 0) throw new Error(`--init-from ${opts.initFrom}: no parameter matches this network`);
  }
  store.load(init);
  // Adam's moments live in shared memory: the workers apply the update, each over its own slice.
  const adamConst = { beta1: cfg.beta1, beta2: cfg.beta2, eps: 1e-8 };
  const moments = { m: new SharedArrayBuffer(total * 4), v: new SharedArrayBuffer(total * 4) };
  const adam = new Adam(total, { ...adamConst, buffers: { m: new Float32Array(moments.m), v: new Float32Array(moments.v) } });
  if (resumed) {
    store.fill(adam.m, resumed.optimizer.arrays, 'm.');
    store.fill(adam.v, resumed.optimizer.arrays, 'v.');
  }
  const groupOf = new Map(graph.params.map((p) => [p.name, p.group] as [string, ParamGroup]));
  const rngState = { s: resumed ? resumed.rng[0] : (cfg.seed * 2654435761) >>> 0 };
  const rnd = mulberry32(rngState);
  let step = resumed?.step ?? 0;
  // Provenance accumulates across resumes (history, time); the current invocation's facts win.
  const info: Record<string, unknown> = {
    wallSeconds: 0,
    cpuSeconds: 0,
    history: [] as TrainResult['history'],
    ...(resumed?.info ?? {}),
    data: opts.data.map((d) => resolve(d)),
    images: ds.names.length,
    val: opts.val ? resolve(opts.val) : null,
    workers: W,
    ...(transferred.length ? { initFrom: resolve(opts.initFrom!), transferred: transferred.length } : {}),
  };
  const history = info.history as TrainResult['history'];
  let best = history.length ? Math.max(...history.map((h) => h.psnr)) : -Infinity;

  // Teacher for distillation.
  let teacher: WorkerInit['teacher'];
  if (cfg.distill) {
    const t = loadCheckpoint(cfg.distill.teacher);
    if (t.net.binary) throw new Error(`distillation teacher ${cfg.distill.teacher} must be full precision (binary: false)`);
    if (t.net.channels !== cfg.net.channels || t.net.blocks !== cfg.net.blocks || t.net.scale !== cfg.net.scale) {
      throw new Error('distillation teacher must have the same architecture (channels, blocks, scale)');
    }
    teacher = { net: t.net, stats: t.stats, params: t.params };
  }

  // Validation set: HR kept here, LR sent to worker 0 each time.
  const val: Array<{ hr: RgbImage; lr: RgbImage }> = opts.val
    ? listImageSet(opts.val).files.map((f) => {
        const hr = modCrop(readImage(f), cfg.net.scale);
        return { hr, lr: makeLr(hr, cfg.net.scale) };
      })
    : [];

  const gradSabs = Array.from({ length: W }, () => new SharedArrayBuffer(total * 4));
  const inits: WorkerInit[] = gradSabs.map((grads, id) => ({
    id,
    train: cfg,
    stats,
    dataset: ds,
    params: store.sab,
    grads,
    allGrads: gradSabs,
    moments,
    adam: adamConst,
    layout,
    teacher,
  }));
  // Each worker's slice of the optimizer step: contiguous, 16-float aligned.
  const cut = (k: number) => Math.min(total, Math.ceil((total * k) / W / 16) * 16);
  const slices = inits.map((_, i) => [cut(i), cut(i + 1)] as [number, number]);
  const pool = await WorkerPool.start(inits);

  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const save = (path = ckPath) => {
    const params = store.named();
    const arrays = { ...store.named(adam.m, 'm.'), ...store.named(adam.v, 'v.') };
    saveCheckpoint(path, {
      version: 1,
      net: cfg.net,
      train: cfg as unknown as Record<string, unknown>,
      stats,
      step,
      params,
      optimizer: { arrays, scalars: { t: step } },
      rng: [rngState.s],
      info,
    });
  };

  const validate = async () => {
    if (!val.length) return;
    const r = await pool.call(0, { type: 'infer', images: val.map((x) => x.lr) });
    const ms = r.images.map((im, i) => evaluate({ ...im, grayscale: val[i].hr.grayscale }, val[i].hr, cfg.net.scale));
    const psnr = ms.reduce((s, x) => s + x.psnr, 0) / ms.length;
    const ssim = ms.reduce((s, x) => s + x.ssim, 0) / ms.length;
    history.push({ step, psnr, ssim });
    log({ event: 'val', step, psnr, ssim });
    if (psnr > best) {
      best = psnr;
      save(join(out, 'best.json'));
    }
    lastVal = psnr;
  };

  // Which engine runs the teacher (worker 0 stands for all: they load the same binding).
  const teacherEngine = pool.teachers[0];
  log({ event: resumed ? 'resume' : 'start', step, config: cfg, workers: W, images: ds.names.length, stats, params: total, ...(teacherEngine ? { teacher: teacherEngine } : {}) });
  if (teacherEngine && !opts.quiet) process.stderr.write(`distillation teacher: ${teacherEngine.engine}${teacherEngine.reason ? ` (${teacherEngine.reason})` : ''}\n`);
  const shard = cfg.batch / W;
  const t0 = Date.now();
  let lastT = t0;
  const lastStepCount = step;
  let lastLoss = NaN;
  let lastVal: number | null = history.length ? history[history.length - 1].psnr : null;
  let skipped = 0;
  const startStep = step;
  const tty = process.stderr.isTTY && !opts.quiet;
  const stepMs: number[] = [];
  const workerMs: number[] = [];
  try {
    while (step < cfg.steps && !stopRequested && !(opts.stopAfter !== undefined && step - startStep >= opts.stopAfter)) {
      const refs = samplePatches(ds, cfg.batch, cfg.patch, rnd);
      const poison = cfg.injectNanAtSteps?.includes(step) ?? false;
      const res = await Promise.all(
        inits.map((_, i) => pool.call(i, { type: 'step', refs: refs.slice(i * shard, (i + 1) * shard), poison: poison && i === 0 })),
      );
      const loss = res.reduce((s, r) => s + r.loss, 0) / W;
      if (!res.every((r) => r.finite)) {
        skipped++;
        log({ event: 'nonfinite', step, loss: String(loss), action: 'step skipped' });
        step++;
        continue;
      }
      lastLoss = loss;
      // Adam (bias-corrected), gradient = mean of the workers' shard-mean gradients; binary latent
      // weights have their own learning-rate scale and optional clip. The workers sum the
      // gradients and apply the update, each over its slice (parallel, and off this event loop).
      const lr = learningRate(cfg, step);
      const ranges: AdamRange[] = [];
      for (const s of layout) {
        const group = groupOf.get(s.name);
        if (group === 'stat') {
          // BatchNorm running statistics: not optimised; moved towards the workers' mean batch statistic.
          for (let i = 0; i < s.size; i++) {
            let b = 0;
            for (const r of res) b += r.batchStats![s.name][i];
            theta[s.offset + i] = (1 - BN_MOMENTUM) * theta[s.offset + i] + (BN_MOMENTUM * b) / W;
          }
          continue;
        }
        const binary = group === 'binary';
        ranges.push({ start: s.offset, end: s.offset + s.size, lr: binary ? lr * cfg.lrBinaryScale : lr, clip: binary ? cfg.latentClip : 0 });
      }
      await Promise.all(slices.map((slice, i) => pool.call(i, { type: 'update', t: step + 1, slice, ranges, gradScale: 1 / W })));
      workerMs.push(Math.max(...res.map((r) => r.ms)));
      step++;
      const now = Date.now();
      stepMs.push(now - lastT);
      info.wallSeconds = (info.wallSeconds as number) + (now - lastT) / 1000;
      info.cpuSeconds = (info.cpuSeconds as number) + ((now - lastT) / 1000) * W;
      lastT = now;
      if (step % cfg.logEvery === 0 || step === cfg.steps) {
        const sps = (step - lastStepCount) / Math.max(1e-9, (now - t0) / 1000);
        const eta = (cfg.steps - step) / Math.max(1e-9, sps);
        log({ event: 'step', step, loss, lr, stepsPerSec: sps });
        const line = `step ${step}/${cfg.steps} loss ${loss.toFixed(5)} ${sps.toFixed(2)} steps/s ETA ${formatEta(eta)} val ${lastVal === null ? '-' : lastVal.toFixed(2) + ' dB'}`;
        if (tty) process.stderr.write(`\r${bar(step / cfg.steps)} ${line}   `);
        else if (!opts.quiet && step % (cfg.logEvery * 10) === 0) process.stderr.write(line + '\n');
      }
      if (step % cfg.valEvery === 0 || step === cfg.steps) await validate();
      if (step % cfg.ckptEvery === 0) save();
      if (opts.afterStep) {
        await opts.afterStep(step);
        lastT = Date.now();
      }
    }
    save();
    log({ event: stopRequested ? 'interrupted' : 'end', step, bestPsnr: Number.isFinite(best) ? best : null, skipped });
    if (tty) process.stderr.write('\n');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.terminate();
  }
  return { step, lastLoss, bestPsnr: Number.isFinite(best) ? best : null, history, skipped, params: store.named(), stepMs, workerMs };
}

function bar(f: number): string {
  const n = 20;
  const k = Math.round(Math.min(1, Math.max(0, f)) * n);
  return `[${'#'.repeat(k)}${'.'.repeat(n - k)}]`;
}

function formatEta(s: number): string {
  if (!Number.isFinite(s)) return '-';
  const h = Math.floor(s / 3600);
  const mnt = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(mnt).padStart(2, '0')}m` : `${mnt}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}
