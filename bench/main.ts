/**
 * Benchmark page (not part of the app bundle). Exposes window.__bench for the Node driver:
 * - bitsr: the app's own engine (src/engine/client.ts -> worker.ts -> session.ts), Evaluate mode,
 *   i.e. exactly the app's code path; per-scale inference ms comes from the worker's `scale` message.
 * - peers: UpscalerJS esrgan-slim / esrgan-medium on tfjs (webgl, wasm or cpu) on this thread.
 * - canvas: drawImage with imageSmoothingQuality 'high' (the browser's own resize).
 * Every method gets the same LR (modCrop + quantize8(imresize(hr, 1/s))) and is scored by core `evaluate`.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import Upscaler from 'upscaler';
import slim2 from '@upscalerjs/esrgan-slim/2x';
import slim3 from '@upscalerjs/esrgan-slim/3x';
import slim4 from '@upscalerjs/esrgan-slim/4x';
import medium2 from '@upscalerjs/esrgan-medium/2x';
import medium3 from '@upscalerjs/esrgan-medium/3x';
import medium4 from '@upscalerjs/esrgan-medium/4x';
import { modCrop, quantize8, toRgba8, type RgbImage } from '../src/core/image';
import { imresize } from '../src/core/imresize';
import { evaluate } from '../src/core/metrics';
import { startEngine } from '../src/engine/client';
import { decodeImage, fromRgba } from '../src/engine/decode';
import type { EngineName } from '../src/engine/engines';
import type { Tier } from '../src/engine/tiers';
import type { EpInfo, FromWorker } from '../src/engine/protocol';

interface ImageIn {
  name: string;
  b64: string;
}
interface PerImage {
  image: string;
  scale: number;
  ms: number;
  outPixels: number;
  psnr: number;
  ssim: number;
  /** The whole scale in the worker (its `wallMs`), ms. */
  scaleWallMs?: number;
  /** Worker time for this scale outside inference (bicubic, metrics, PNG encoding), ms. */
  overheadMs?: number;
  /** The model the worker ran for this scale. */
  model?: { file: string; tier: Tier };
}

const PEERS: Record<string, Record<number, unknown>> = {
  'esrgan-slim': { 2: slim2, 3: slim3, 4: slim4 },
  'esrgan-medium': { 2: medium2, 3: medium3, 4: medium4 },
};

const blobOf = (im: ImageIn) => new Blob([Uint8Array.from(atob(im.b64), (c) => c.charCodeAt(0))], { type: 'image/png' });
const log = (s: string) => {
  document.getElementById('log')!.textContent += `\n${s}`;
  console.log(`[bench] ${s}`);
};

// ---- heap sampling (main thread) ---------------------------------------------------------------
const heapNow = () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null;
let heapPeak: number | null = null;
function sampleHeap(): void {
  const h = heapNow();
  if (h !== null) heapPeak = Math.max(heapPeak ?? 0, h);
}
setInterval(sampleHeap, 50);

async function lrOf(im: ImageIn, scale: number): Promise<{ hr: RgbImage; lr: RgbImage }> {
  const img = await decodeImage(blobOf(im), im.name);
  const hr = modCrop(img, scale);
  return { hr, lr: quantize8(imresize(hr, 1 / scale)) };
}

// ---- bitsr through the app's engine ------------------------------------------------------------
async function bitsr(opts: { engine: EngineName; threads?: number; tier?: Tier; images: ImageIn[]; warmup: ImageIn; budgetMs: number; tile?: number }) {
  heapPeak = heapNow();
  const waiters = new Map<number, { resolve: () => void; scales: PerImage[]; name: string; last: number }>();
  let ep: EpInfo | null = null;
  const errors: string[] = [];
  const client = startEngine({ force: opts.engine, forcedBy: 'bench', ...(opts.threads ? { threads: opts.threads } : {}), ...(opts.tile ? { tile: opts.tile } : {}) }, (m: FromWorker) => {
    if (m.type === 'ep') ep = m.info;
    else if (m.type === 'error') errors.push(m.message);
    if (!('job' in m) || m.job === undefined) return;
    const w = waiters.get(m.job);
    if (!w) return;
    const now = performance.now();
    if (m.type === 'decoded') w.last = now;
    if (m.type === 'scale') {
      if (m.ms !== undefined && m.metrics?.sr) {
        w.scales.push({ image: w.name, scale: m.scale, ms: m.ms, outPixels: m.width * m.height, psnr: m.metrics.sr.psnr, ssim: m.metrics.sr.ssim, scaleWallMs: m.wallMs, overheadMs: now - w.last - m.ms, ...(m.model ? { model: { file: m.model.file, tier: m.model.tier } } : {}) });
      }
      w.last = now;
    }
    if (m.type === 'done') w.resolve();
  });
  const run = (im: ImageIn) =>
    new Promise<{ scales: PerImage[]; wallMs: number }>((resolve) => {
      const t0 = performance.now();
      const job = client.process(new File([blobOf(im)], im.name, { type: 'image/png' }), 'evaluate', undefined, opts.tier ?? 'lite');
      const w = { scales: [] as PerImage[], name: im.name, last: t0, resolve: () => resolve({ scales: w.scales, wallMs: performance.now() - t0 }) };
      waiters.set(job, w);
    });
  const tw = performance.now();
  const warm = await run(opts.warmup);
  const warmupMs = performance.now() - tw;
  log(`bitsr ${opts.engine} warm-up ${warmupMs.toFixed(0)} ms`);
  const samples: PerImage[] = [];
  const walls: Array<{ image: string; wallMs: number }> = [];
  const t0 = performance.now();
  let skipped = 0;
  for (const im of opts.images) {
    if (performance.now() - t0 > opts.budgetMs) {
      skipped++;
      continue;
    }
    const r = await run(im);
    samples.push(...r.scales);
    walls.push({ image: im.name, wallMs: r.wallMs });
    log(`bitsr ${opts.engine} ${im.name}: ${r.scales.map((s) => `x${s.scale} ${s.ms.toFixed(0)} ms ${s.psnr.toFixed(2)} dB`).join(', ')}`);
  }
  sampleHeap();
  return { samples, walls, warmupMs, warmupScales: warm.scales, skipped, ep, errors, crossOriginIsolated, heapPeak };
}

// ---- UpscalerJS peers --------------------------------------------------------------------------
let tfBackendSet: string | null = null;
async function useBackend(backend: string): Promise<string> {
  if (tfBackendSet !== backend) {
    if (backend === 'wasm') {
      setWasmPaths(new URL('tfjs/', location.href).href);
      // The threaded build's pthread workers fail once bundled (blob worker: "ReferenceError: e is
      // not defined"), so tfjs wasm runs single-threaded SIMD here (bitsr's ORT uses 2 threads).
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setThreadsCount(1);
    }
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} unavailable`);
    await tf.ready();
    tfBackendSet = backend;
  }
  return tf.getBackend();
}

async function peer(opts: { model: string; backend: string; scale: number; images: ImageIn[]; budgetMs: number; warmup?: boolean }) {
  const def = PEERS[opts.model]?.[opts.scale] as { _internals?: { path: string } } | undefined;
  if (!def) throw new Error(`no ${opts.model} x${opts.scale}`);
  const backend = await useBackend(opts.backend);
  heapPeak = heapNow();
  const upscaler = new Upscaler({ model: { ...def, path: new URL(`peers/${opts.model}/x${opts.scale}/model.json`, location.href).href } as never });
  await upscaler.getModel();
  const once = async (lr: RgbImage) => {
    const px = toRgba8(lr);
    const rgb = new Int32Array(lr.width * lr.height * 3);
    for (let i = 0, j = 0; i < px.length; i += 4) {
      rgb[j++] = px[i];
      rgb[j++] = px[i + 1];
      rgb[j++] = px[i + 2];
    }
    const input = tf.tensor3d(rgb, [lr.height, lr.width, 3], 'int32');
    const t0 = performance.now();
    const out = (await upscaler.execute(input as never, { output: 'tensor' })) as unknown as tf.Tensor3D;
    const data = await out.data();
    const ms = performance.now() - t0;
    sampleHeap();
    const [h, w] = out.shape;
    out.dispose();
    input.dispose();
    return { ms, data, w, h };
  };
  let warmupMs: number | null = null;
  const prepared = await Promise.all(opts.images.map(async (im) => ({ name: im.name, ...(await lrOf(im, opts.scale)) })));
  if (opts.warmup !== false && prepared.length) warmupMs = (await once(prepared[0].lr)).ms;
  const samples: PerImage[] = [];
  const t0 = performance.now();
  let skipped = 0;
  for (const { name, hr, lr } of prepared) {
    if (performance.now() - t0 > opts.budgetMs) {
      skipped++;
      continue;
    }
    const r = await once(lr);
    // HWC 0..255 -> planar [0,1]; evaluate clamps and rounds to 8 bits like every other method.
    const n = r.w * r.h;
    const sr = { width: r.w, height: r.h, data: new Float32Array(3 * n) };
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) sr.data[c * n + i] = r.data[3 * i + c] / 255;
    const m = evaluate(sr, hr, opts.scale);
    samples.push({ image: name, scale: opts.scale, ms: r.ms, outPixels: n, psnr: m.psnr, ssim: m.ssim });
    log(`${opts.model} ${backend} x${opts.scale} ${name}: ${r.ms.toFixed(0)} ms ${m.psnr.toFixed(2)} dB`);
  }
  await upscaler.dispose();
  return { samples, warmupMs, skipped, backend, heapPeak, tfMemory: tf.memory() };
}

// ---- canvas floor ------------------------------------------------------------------------------
async function canvas(opts: { scale: number; images: ImageIn[] }) {
  heapPeak = heapNow();
  const samples: PerImage[] = [];
  const prepared = await Promise.all(opts.images.map(async (im) => ({ name: im.name, ...(await lrOf(im, opts.scale)) })));
  const once = (lr: RgbImage) => {
    const src = new OffscreenCanvas(lr.width, lr.height);
    src.getContext('2d')!.putImageData(new ImageData(toRgba8(lr) as Uint8ClampedArray<ArrayBuffer>, lr.width, lr.height), 0, 0);
    const W = lr.width * opts.scale;
    const H = lr.height * opts.scale;
    const t0 = performance.now();
    const dst = new OffscreenCanvas(W, H);
    const ctx = dst.getContext('2d', { willReadFrequently: true })!;
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(src, 0, 0, W, H);
    const px = ctx.getImageData(0, 0, W, H).data;
    const ms = performance.now() - t0;
    return { ms, img: fromRgba(px, W, H) };
  };
  if (prepared.length) once(prepared[0].lr);
  for (const { name, hr, lr } of prepared) {
    const r = once(lr);
    const m = evaluate({ width: r.img.width, height: r.img.height, data: r.img.data }, hr, opts.scale);
    samples.push({ image: name, scale: opts.scale, ms: r.ms, outPixels: r.img.width * r.img.height, psnr: m.psnr, ssim: m.ssim });
  }
  sampleHeap();
  return { samples, heapPeak };
}

/** Cost of the pieces around inference, measured on this thread with the same core code. */
async function overheads(opts: { images: ImageIn[]; scale: number }) {
  const out: Array<{ image: string; lrMs: number; bicubicMs: number; evaluateMs: number }> = [];
  for (const im of opts.images) {
    const img = await decodeImage(blobOf(im), im.name);
    const hr = modCrop(img, opts.scale);
    let t = performance.now();
    const lr = quantize8(imresize(hr, 1 / opts.scale));
    const lrMs = performance.now() - t;
    t = performance.now();
    const bic = imresize(lr, opts.scale);
    const bicubicMs = performance.now() - t;
    t = performance.now();
    evaluate(bic, hr, opts.scale);
    out.push({ image: im.name, lrMs, bicubicMs, evaluateMs: performance.now() - t });
  }
  return out;
}

(window as unknown as { __bench: unknown }).__bench = { bitsr, peer, canvas, overheads, ready: true };
log('ready');
