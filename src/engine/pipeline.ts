/**
 * One job of the app, from a decoded image to per-scale results, with no DOM and no worker API:
 * the inference worker runs it with onnxruntime-web, tests/unit/pipeline.test.ts with
 * onnxruntime-node over random image sizes.
 *
 * - The plan comes from the image size alone: every scale gets a tile count or a reason it is
 *   skipped (too small to evaluate, output too large), so the progress total is fixed up front
 *   and no pixels are held for scales not yet running.
 * - Scales run one at a time and each scale's images are dropped once emitted: a 4096² Evaluate
 *   holds one scale's HR, LR, bicubic and SR at a time.
 * - Between tiles and steps the job yields to the event loop and checks for cancellation.
 */
import { modCrop, quantize8, type RgbImage } from '../core/image';
import { imresize } from '../core/imresize';
import { evaluate } from '../core/metrics';
import { inputSizeError, scaleSizeError } from './limits';
import { SCALES, type MetricPair, type Mode, type Scale } from './protocol';
import { CancelledError, tileCount, yieldToEventLoop } from './tiler';

/** How a scale's model is tiled; undefined when no model is installed for it. */
export interface ModelSlot {
  tile: number;
  overlap: number;
}

export interface ScalePlan {
  scale: Scale;
  /** Tiles the model will run (0 when skipped or bicubic only). */
  tiles: number;
  /** Why this scale is not run, naming the limit. */
  skip?: string;
}

export type JobEvent =
  | { type: 'progress'; done: number; total: number }
  | { type: 'skipped'; scale: Scale; message: string }
  | {
      type: 'scale';
      scale: Scale;
      bicubic: RgbImage;
      sr?: RgbImage;
      /** Evaluate: the mod-cropped ground truth. */
      gt?: RgbImage;
      ms?: number;
      metrics?: { sr?: MetricPair; bicubic: MetricPair };
      /** The model could not run at this scale (the bicubic result is still there). */
      error?: string;
    };

export interface JobDeps {
  mode: Mode;
  model(scale: Scale): ModelSlot | undefined;
  /** Runs the model tiled (runTiled), calling onTile after each tile. */
  infer(scale: Scale, lr: RgbImage, onTile: () => void): Promise<RgbImage>;
  isCancelled(): boolean;
  emit(e: JobEvent): Promise<void> | void;
  yieldTask?: () => Promise<void>;
}

/** LR size at `scale`: the image itself in Upscale, the mod-cropped HR ÷ scale in Evaluate. */
function lrSize(width: number, height: number, scale: Scale, mode: Mode): { w: number; h: number } {
  return mode === 'upscale' ? { w: width, h: height } : { w: Math.floor(width / scale), h: Math.floor(height / scale) };
}

export function planJob(width: number, height: number, mode: Mode, model: (s: Scale) => ModelSlot | undefined): ScalePlan[] {
  const tooBig = inputSizeError(width, height);
  return SCALES.map((scale) => {
    const skip = tooBig ?? scaleSizeError(width, height, scale, mode);
    if (skip) return { scale, tiles: 0, skip: `x${scale}: ${skip}` };
    const m = model(scale);
    const { w, h } = lrSize(width, height, scale, mode);
    return { scale, tiles: m ? tileCount(w, h, m.tile, m.overlap) : 0 };
  });
}

/** Runs every scale of `img`; resolves `{ cancelled }`. Per-scale failures are events, not throws. */
export async function runJob(img: RgbImage, d: JobDeps): Promise<{ cancelled: boolean }> {
  const yieldTask = d.yieldTask ?? yieldToEventLoop;
  const plans = planJob(img.width, img.height, d.mode, (s) => d.model(s));
  const total = plans.reduce((s, p) => s + p.tiles, 0);
  let done = 0;
  await d.emit({ type: 'progress', done, total });
  for (const p of plans) {
    await yieldTask();
    if (d.isCancelled()) return { cancelled: true };
    if (p.skip) {
      await d.emit({ type: 'skipped', scale: p.scale, message: p.skip });
      continue;
    }
    try {
      await runScale(img, p.scale, d, yieldTask, () => d.emit({ type: 'progress', done: ++done, total }));
    } catch (e) {
      if (e instanceof CancelledError) return { cancelled: true };
      await d.emit({ type: 'skipped', scale: p.scale, message: `x${p.scale}: ${describeFailure(e)}` });
    }
  }
  return { cancelled: d.isCancelled() };
}

async function runScale(img: RgbImage, scale: Scale, d: JobDeps, yieldTask: () => Promise<void>, onTile: () => void): Promise<void> {
  let hr: RgbImage | undefined;
  let lr: RgbImage;
  if (d.mode === 'evaluate') {
    hr = modCrop(img, scale);
    // The protocol's LR (training/eval/evaluate.ts makeLr): 8-bit MATLAB bicubic of the mod-cropped HR.
    lr = quantize8(imresize(hr, 1 / scale));
  } else lr = img;
  await yieldTask();
  if (d.isCancelled()) throw new CancelledError();
  const bicubic = imresize(lr, scale);
  let sr: RgbImage | undefined;
  let ms: number | undefined;
  let error: string | undefined;
  if (d.model(scale)) {
    try {
      const t0 = performance.now();
      const rgb = await d.infer(scale, lr, onTile);
      ms = performance.now() - t0;
      // The model sees RGB only; alpha is upscaled with bicubic (clamped when encoded).
      sr = bicubic.alpha ? { ...rgb, alpha: bicubic.alpha } : rgb;
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      error = `bitsr could not run on this ${lr.width}×${lr.height} input (${describeFailure(e)}); showing bicubic`;
    }
  } else error = `no x${scale} model is installed (bicubic only)`;
  await yieldTask();
  if (d.isCancelled()) throw new CancelledError();
  const metrics = hr ? { bicubic: evaluate(bicubic, hr, scale), ...(sr ? { sr: evaluate(sr, hr, scale) } : {}) } : undefined;
  await d.emit({
    type: 'scale',
    scale,
    bicubic,
    ...(sr ? { sr } : {}),
    ...(hr ? { gt: hr } : {}),
    ...(ms !== undefined ? { ms } : {}),
    ...(metrics ? { metrics } : {}),
    ...(error ? { error } : {}),
  });
}

/** First line of an error, without onnxruntime's "failed to call OrtRun(). ERROR_CODE: n" prefix. */
export function describeFailure(e: unknown): string {
  const line = String((e as Error)?.message ?? e).split('\n')[0];
  return line.replace(/^failed to call OrtRun\(\)\.\s*ERROR_CODE:\s*\d+,\s*ERROR_MESSAGE:\s*/i, 'engine error: ').slice(0, 200);
}
