/// <reference lib="webworker" />
/**
 * The inference worker's messaging: it decodes the file and runs the job pipeline (pipeline.ts: the
 * protocol's LR in Evaluate, bitsr tiled and bicubic at x2/x3/x4, PSNR/SSIM with src/core/metrics,
 * the same code as `npm run eval`), posting each scale as it finishes, one job at a time. The
 * engines, their choice and fallbacks are sessions.ts's and engines.ts's. The UI thread never does pixel work.
 */
import type { RgbImage } from '../core/image';
import { decodeImage } from './decode';
import { createEncoder } from './encode';
import type { Rect } from '../core/metrics';
import { LiveBatcher, liveStep, liveTile } from './live';
import { describeFailure, runJob } from './pipeline';
import { SCALES, type FromWorker, type Mode, type Scale, type ToWorker } from './protocol';
import { Sessions } from './sessions';
import { runTiled, type TileTiming } from './tiler';
import type { TierChoice } from './tiers';

declare const self: DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => self.postMessage(m);
const firstLine = describeFailure;

const sessions = new Sessions((info) => post({ type: 'ep', info }));
sessions.onTierMeasured = (key, ms) => post({ type: 'tierMeasured', key, ms });
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

/** Runs the x`scale` model tiled on `lr`, output in `out` when given (sessions.ts recovers a lost GPU device). */
function infer(scale: number, lr: RgbImage, job: number, onTile: (core: Rect, sofar: RgbImage) => void, timing: TileTiming, out?: Float32Array): Promise<RgbImage> {
  return sessions.run(scale, (s, { tile, overlap }) =>
    runTiled(lr, (t) => s.run(t, scale), { scale, tile, overlap, onTile: (_d, _t, core, sofar) => onTile(core, sofar), isCancelled: () => cancelled.has(job), out, timing }),
  );
}

async function processJob(job: number, file: Blob, mode: Mode, requested: readonly Scale[] | undefined, tier: TierChoice): Promise<void> {
  // A non-empty subset of SCALES, in their order; anything else means all of them.
  const picked = SCALES.filter((s) => requested?.includes(s));
  const scales = picked.length ? picked : [...SCALES];
  const name = (file as File).name || 'file';
  let img: RgbImage;
  try {
    img = await decodeImage(file, name);
  } catch (e) {
    post({ type: 'error', job, message: firstLine(e) });
    post({ type: 'done', job, cancelled: false });
    return;
  }
  if (cancelled.has(job)) {
    cancelled.delete(job);
    post({ type: 'done', job, cancelled: true });
    return;
  }
  post({ type: 'decoded', job, mode, scales, width: img.width, height: img.height, grayscale: !!img.grayscale, alpha: !!img.alpha, source: file });
  await sessions.resolveTiers(scales, tier);
  const encoder = createEncoder();
  // The live view of the scale now running (a new batcher per scale).
  let live: { scale: Scale; batcher: LiveBatcher } | undefined;
  const r = await runJob(img, {
    mode,
    scales,
    model: (scale) => sessions.slot(scale),
    prepare: (scale) => sessions.prepare(scale),
    infer: (scale, lr, onTile, timing, out) => infer(scale, lr, job, onTile, timing, out),
    isCancelled: () => cancelled.has(job),
    // One image at a time, so only one RGBA copy is alive at once.
    encode: encoder.encode,
    emit: (e) => {
      if (e.type === 'progress') post({ type: 'progress', job, done: e.done, total: e.total });
      else if (e.type === 'partial') {
        if (live?.scale !== e.scale || e.done === 1) live = { scale: e.scale, batcher: new LiveBatcher() };
        const tiles = live.batcher.add(liveTile(e.image, e.region, liveStep(e.width, e.height)), e.done, e.total);
        if (tiles) {
          const m: FromWorker = { type: 'partial', job, scale: e.scale, done: e.done, total: e.total, width: e.width, height: e.height, tiles, ...(e.psnr !== undefined ? { psnr: e.psnr } : {}), ...(e.ssim !== undefined ? { ssim: e.ssim } : {}) };
          self.postMessage(m, tiles.map((t) => t.rgba));
        }
      }
      else if (e.type === 'skipped') post({ type: 'skipped', job, scale: e.scale, message: e.message });
      else {
        const { bicubic, sr, gt, ...rest } = e;
        const previews = { ...(bicubic.preview ? { bicubic: bicubic.preview } : {}), ...(sr?.preview ? { sr: sr.preview } : {}), ...(gt?.preview ? { gt: gt.preview } : {}) };
        const model = sessions.modelInfo(e.scale);
        post({
          ...rest,
          job,
          ...(model && e.sr ? { model } : {}),
          bicubic: bicubic.png,
          ...(sr ? { sr: sr.png } : {}),
          ...(gt ? { gt: gt.png } : {}),
          ...(Object.keys(previews).length ? { previews } : {}),
        });
      }
    },
  });
  encoder.release();
  post({ type: 'done', job, cancelled: r.cancelled });
  cancelled.delete(job);
}

async function init(m: Extract<ToWorker, { type: 'init' }>): Promise<void> {
  const { type: _, ...o } = m;
  try {
    await sessions.init(o);
  } catch (e) {
    post({ type: 'error', message: `the inference engine failed to start: ${firstLine(e)}` });
    throw e;
  }
  try {
    await sessions.loadModelList();
  } catch (e) {
    post({ type: 'error', message: `cannot read the model list (models/index.json: ${firstLine(e)}); bicubic only` });
  }
  try {
    const measured = await sessions.settle();
    if (measured) post({ type: 'measured', measurement: measured });
  } catch (e) {
    post({ type: 'error', message: `the inference engine failed to start: ${firstLine(e)}` });
    throw e;
  }
  post({ type: 'models', models: sessions.models });
  sessions.announce();
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'cancel') {
    cancelled.add(m.job);
    return;
  }
  // One job at a time, in order; cancel messages bypass the queue.
  const task = m.type === 'init' ? () => init(m) : () => processJob(m.job, m.file, m.mode, m.scales, m.tier ?? 'auto');
  queue = queue.then(task).catch((e) => post({ type: 'error', message: `internal error: ${firstLine(e)}` }));
};
