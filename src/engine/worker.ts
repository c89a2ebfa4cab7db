/// <reference lib="webworker" />
/**
 * The inference worker: decodes the file and runs the job pipeline (pipeline.ts: the protocol's
 * LR in Evaluate, bitsr tiled and bicubic at x2/x3/x4, PSNR/SSIM with src/core/metrics, the same
 * code as `npm run eval`), posting each scale as it finishes. It owns the ORT sessions, the EP
 * choice and its fallbacks. The UI thread never does pixel work.
 */
import type { RgbImage } from '../core/image';
import { channelsOf, receptiveRadiusOf } from '../model/metadata';
import { decodeImage } from './decode';
import { createEncoder } from './encode';
import { describeFailure, runJob } from './pipeline';
import { SCALES, type EpName, type FromWorker, type Mode, type ModelEntry, type Scale, type ToWorker } from './protocol';
import { chooseEp, configureOrt, createSrSession, epInfo, isDeviceLost, type EpChoice, type SrSession } from './session';
import { CancelledError, runTiled, tileForBindingLimit } from './tiler';

declare const self: DedicatedWorkerGlobalScope;
const post = (m: FromWorker) => self.postMessage(m);

let base = '';
let choice: EpChoice = { ep: 'wasm', reason: 'starting' };
let threads = 1;
let forcedTile: number | undefined;
let models: ModelEntry[] = [];
const sessions = new Map<number, Promise<SrSession>>();
let lastSession: SrSession | null = null;
const cancelled = new Set<number>();
let queue: Promise<void> = Promise.resolve();

const WASM_TILE = 384;

function model(scale: number): ModelEntry | undefined {
  return models.find((m) => m.scale === scale);
}

function overlapOf(m: ModelEntry): number {
  return receptiveRadiusOf(m.metadata);
}

function tileFor(m: ModelEntry): number {
  if (forcedTile) return forcedTile;
  if (choice.ep === 'webgpu' && choice.bindingLimit) {
    const channels = channelsOf(m.metadata);
    // Bound on any intermediate's channel count: MRB concatenations, the pixel-shuffle input.
    return tileForBindingLimit(choice.bindingLimit, Math.max(4 * channels, 3 * m.scale * m.scale), overlapOf(m));
  }
  return WASM_TILE;
}

function maxTile(): number {
  return forcedTile ?? (models[0] ? tileFor(models[0]) : WASM_TILE);
}

function announce(): void {
  post({ type: 'ep', info: epInfo(choice, threads, lastSession, maxTile()) });
}

async function loadSession(scale: number): Promise<SrSession> {
  const m = model(scale);
  if (!m) throw new Error(`no x${scale} model is installed`);
  let p = sessions.get(scale);
  if (!p) {
    p = (async () => {
      const res = await fetch(new URL(`models/${m.file}`, base));
      if (!res.ok) throw new Error(`model ${m.file} failed to load (HTTP ${res.status})`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      try {
        return await createSrSession(bytes, choice.ep);
      } catch (e) {
        if (choice.ep !== 'webgpu') throw new Error(`model ${m.file} failed to load: ${firstLine(e)}`);
        // The GPU path failed for this model: fall back to wasm for everything (one EP, one badge).
        await switchToWasm(`the GPU session failed (${firstLine(e)}); fell back to the CPU`);
        try {
          return await createSrSession(bytes, 'wasm');
        } catch (e2) {
          throw new Error(`model ${m.file} failed to load: ${firstLine(e2)}`);
        }
      }
    })();
    sessions.set(scale, p);
    // A failed load is not cached: the next image retries.
    p.catch(() => sessions.delete(scale));
  }
  const s = await p;
  lastSession = s;
  announce();
  return s;
}

async function dropSessions(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  lastSession = null;
  for (const p of all) await p.then((s) => s.release()).catch(() => undefined);
}

async function switchToWasm(reason: string): Promise<void> {
  await dropSessions();
  choice = { ep: 'wasm', reason };
  announce();
}

/** Runs the model; a lost GPU device is recovered once by recreating the session, then by wasm. */
async function infer(scale: number, lr: RgbImage, job: number, onTile: () => void, out?: Float32Array): Promise<RgbImage> {
  const m = model(scale)!;
  const go = async () => {
    const s = await loadSession(scale);
    return runTiled(lr, (t) => s.run(t, scale), { scale, tile: tileFor(m), overlap: overlapOf(m), onTile, isCancelled: () => cancelled.has(job), out });
  };
  try {
    return await go();
  } catch (e) {
    if (e instanceof CancelledError || choice.ep !== 'webgpu' || !isDeviceLost(e)) throw e;
    await dropSessions();
    try {
      return await go();
    } catch (e2) {
      if (e2 instanceof CancelledError) throw e2;
      await switchToWasm(`the GPU device was lost (${firstLine(e2)}); fell back to the CPU`);
      return go();
    }
  }
}

const firstLine = describeFailure;

async function processJob(job: number, file: Blob, mode: Mode): Promise<void> {
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
  post({ type: 'decoded', job, mode, width: img.width, height: img.height, grayscale: !!img.grayscale, alpha: !!img.alpha, source: file });
  const encoder = createEncoder();
  const r = await runJob(img, {
    mode,
    model: (scale) => {
      const m = model(scale);
      return m ? { tile: tileFor(m), overlap: overlapOf(m) } : undefined;
    },
    infer: (scale, lr, onTile, out) => infer(scale, lr, job, onTile, out),
    isCancelled: () => cancelled.has(job),
    // One image at a time, so only one RGBA copy is alive at once.
    encode: encoder.encode,
    emit: (e) => {
      if (e.type === 'progress') post({ type: 'progress', job, done: e.done, total: e.total });
      else if (e.type === 'skipped') post({ type: 'skipped', job, scale: e.scale, message: e.message });
      else {
        const { bicubic, sr, gt, ...rest } = e;
        const previews = { ...(bicubic.preview ? { bicubic: bicubic.preview } : {}), ...(sr?.preview ? { sr: sr.preview } : {}), ...(gt?.preview ? { gt: gt.preview } : {}) };
        post({
          ...rest,
          job,
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

async function init(forceEp: EpName | undefined, tile: number | undefined, b: string): Promise<void> {
  base = b;
  forcedTile = tile && tile >= 8 ? tile : undefined;
  threads = configureOrt(base);
  choice = await chooseEp(forceEp);
  try {
    const res = await fetch(new URL('models/index.json', base));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    models = ((await res.json()) as { models: ModelEntry[] }).models.filter((m) => SCALES.includes(m.scale as Scale));
  } catch (e) {
    models = [];
    post({ type: 'error', message: `cannot read the model list (models/index.json: ${firstLine(e)}); bicubic only` });
  }
  post({ type: 'models', models });
  announce();
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.type === 'cancel') {
    cancelled.add(m.job);
    return;
  }
  // One job at a time, in order; cancel messages bypass the queue.
  const task = m.type === 'init' ? () => init(m.forceEp, m.tile, m.base) : () => processJob(m.job, m.file, m.mode);
  queue = queue.then(task).catch((e) => post({ type: 'error', message: `internal error: ${firstLine(e)}` }));
};
