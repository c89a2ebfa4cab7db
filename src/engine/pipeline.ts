/**
 * One job of the app, from a decoded image to per-scale results, with no DOM and no worker API:
 * the inference worker runs it with onnxruntime-web, tests/unit/pipeline.test.ts with
 * onnxruntime-node over random image sizes.
 *
 * - The job runs the scales it was given (`JobDeps.scales`, all by default); the others are not
 *   planned, run or reported.
 * - The plan comes from the image size alone: every scale gets a tile count or a reason it is
 *   skipped (too small to evaluate, output too large), so the progress total is fixed up front
 *   and no pixels are held for scales not yet running.
 * - Scales run one at a time, and within a scale each full-size image is scored, encoded (`encode`:
 *   PNG in the browser) and dropped before the next is made; the mod-cropped ground truth is read
 *   in place. A 4096² Evaluate holds the source and one full-size image at a time.
 * - Between tiles and steps the job yields to the event loop and checks for cancellation.
 * - Live results: after each SR tile a 'partial' event gives its core and the output so far, with
 *   (Evaluate) the PSNR of the tiles done (core/metrics ScaleScorer), equal to the final PSNR at
 *   the last tile; the final metrics equal evaluate() on the whole image. Each image's luma is
 *   computed once (the ground truth's once per job) and one SSIM pass serves a one-tile scale.
 * - A scale's `ms` is inference alone: the model's tile runs, summed by runTiled. `wallMs` is the
 *   whole scale (LR, bicubic, live view, metrics, encoding). Loading its model (`JobDeps.prepare`)
 *   is timed apart as `startupMs` and left out of both, so a first image does not look slower.
 */
import { type Region, type RgbImage } from '../core/image';
import { imresize } from '../core/imresize';
import { GroundTruthLuma, ScaleScorer, type Rect } from '../core/metrics';
import { makeLr } from '../core/protocol';
import { inputSizeError, scaleSizeError } from './limits';
import { SCALES, type MetricPair, type Mode, type Scale } from './protocol';
import { CancelledError, tileCount, yieldToEventLoop, type TileTiming } from './tiler';

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

export type JobEvent<E = RgbImage> =
  | { type: 'progress'; done: number; total: number }
  | { type: 'skipped'; scale: Scale; message: string }
  /**
   * A tile of the scale's SR image is done: its core `region` (output pixels) of `image` (the
   * output so far, width×height, valid until the next event), and in Evaluate the PSNR over the
   * tiles done so far (ScaleScorer: equals the final PSNR once `done` = `total`).
   */
  | { type: 'partial'; scale: Scale; done: number; total: number; width: number; height: number; region: Rect; image: RgbImage; psnr?: number; ssim?: number }
  | {
      type: 'scale';
      scale: Scale;
      width: number;
      height: number;
      /** Encoded images (`JobDeps.encode`). */
      bicubic: E;
      sr?: E;
      /** Evaluate: the mod-cropped ground truth. */
      gt?: E;
      /** Inference alone: the model's tile runs, without the live view, metrics and encoding, ms. */
      ms?: number;
      /** The whole scale, from making its LR to its encoded results, ms (model start-up excluded). */
      wallMs: number;
      /** Model start-up (fetch + session creation) spent for this scale, ms; only when non-zero. */
      startupMs?: number;
      metrics?: { sr?: MetricPair; bicubic: MetricPair };
      /** The model could not run at this scale (the bicubic result is still there). */
      error?: string;
    };

export interface JobDeps<E = RgbImage> {
  mode: Mode;
  /** The scales to run, in any order (run in SCALES order); all of them when absent. */
  scales?: readonly Scale[];
  /** Turns a finished image (its top-left `region`, when given) into what the 'scale' event carries. */
  encode(img: RgbImage, region?: Region): Promise<E> | E;
  model(scale: Scale): ModelSlot | undefined;
  /**
   * Runs the model tiled (runTiled, output in `out` when given), calling onTile after each tile
   * with the tile's core (output pixels) and the output so far (runTiled's onTile arguments),
   * and adding the model's own time to `timing` (runTiled's `timing` option).
   */
  infer(scale: Scale, lr: RgbImage, onTile: (core?: Rect, sofar?: RgbImage) => void, timing: TileTiming, out?: Float32Array): Promise<RgbImage>;
  /**
   * Gets the x`scale` model ready before `infer` (fetch, session creation); resolves the ms that
   * took, 0 when it was already loaded. Its time is not counted in the scale's `ms`.
   */
  prepare?(scale: Scale): Promise<number>;
  isCancelled(): boolean;
  emit(e: JobEvent<E>): Promise<void> | void;
  yieldTask?: () => Promise<void>;
}

/** LR size at `scale`: the image itself in Upscale, the mod-cropped HR ÷ scale in Evaluate. */
function lrSize(width: number, height: number, scale: Scale, mode: Mode): { w: number; h: number } {
  return mode === 'upscale' ? { w: width, h: height } : { w: Math.floor(width / scale), h: Math.floor(height / scale) };
}

/** Output pixels at `scale`: the mod-cropped image in Evaluate, the image × scale² in Upscale. */
function outputPixels(width: number, height: number, scale: Scale, mode: Mode): number {
  const { w, h } = lrSize(width, height, scale, mode);
  return w * scale * h * scale;
}

/** The plan of the `scales` (default all) that are run, in SCALES order. */
export function planJob(width: number, height: number, mode: Mode, model: (s: Scale) => ModelSlot | undefined, scales: readonly Scale[] = SCALES): ScalePlan[] {
  const tooBig = inputSizeError(width, height);
  return SCALES.filter((s) => scales.includes(s)).map((scale) => {
    const skip = tooBig ?? scaleSizeError(width, height, scale, mode);
    if (skip) return { scale, tiles: 0, skip: `x${scale}: ${skip}` };
    const m = model(scale);
    const { w, h } = lrSize(width, height, scale, mode);
    return { scale, tiles: m ? tileCount(w, h, m.tile, m.overlap) : 0 };
  });
}

/** Runs every scale of `img`; resolves `{ cancelled }`. Per-scale failures are events, not throws. */
export async function runJob<E>(img: RgbImage, d: JobDeps<E>): Promise<{ cancelled: boolean }> {
  const yieldTask = d.yieldTask ?? yieldToEventLoop;
  const plans = planJob(img.width, img.height, d.mode, (s) => d.model(s), d.scales);
  const total = plans.reduce((s, p) => s + p.tiles, 0);
  let done = 0;
  await d.emit({ type: 'progress', done, total });
  // One output buffer for the job, sized for its largest scale (see runScale).
  const outLength = Math.max(0, ...plans.filter((p) => !p.skip).map((p) => 3 * outputPixels(img.width, img.height, p.scale, d.mode)));
  let out: Float32Array | undefined;
  // Evaluate: the ground truth's luma, made by the first scale and read by every scale.
  let gtLuma: GroundTruthLuma | undefined;
  // Known from the size alone: said at once, so a cancelled job still shows why they never ran.
  for (const p of plans) if (p.skip) await d.emit({ type: 'skipped', scale: p.scale, message: p.skip });
  for (const p of plans) {
    if (p.skip) continue;
    await yieldTask();
    if (d.isCancelled()) return { cancelled: true };
    try {
      await runScale(img, p, d, yieldTask, () => d.emit({ type: 'progress', done: ++done, total }), (out ??= new Float32Array(outLength)), () => (gtLuma ??= new GroundTruthLuma(img)));
    } catch (e) {
      if (e instanceof CancelledError) return { cancelled: true };
      await d.emit({ type: 'skipped', scale: p.scale, message: `x${p.scale}: ${describeFailure(e)}` });
    }
  }
  return { cancelled: d.isCancelled() };
}

/**
 * One scale. `out` holds the full-size output planes: the bicubic image, then (once that is
 * encoded) the SR image, at every scale of the job, so no 200 MB array is left to the GC.
 */
async function runScale<E>(
  img: RgbImage,
  plan: ScalePlan,
  d: JobDeps<E>,
  yieldTask: () => Promise<void>,
  onTile: () => void,
  out: Float32Array,
  groundTruth: () => GroundTruthLuma,
): Promise<void> {
  const { scale } = plan;
  const started = performance.now();
  const step = async () => {
    await yieldTask();
    if (d.isCancelled()) throw new CancelledError();
  };
  // Evaluate: the ground truth is the top-left mod-crop of `img`, read in place (no copy) to make
  // the LR, its PNG and the metrics.
  let lr: RgbImage;
  let gt: E | undefined;
  if (d.mode === 'evaluate') {
    const crop = { width: img.width - (img.width % scale), height: img.height - (img.height % scale) };
    // The protocol's LR: 8-bit MATLAB bicubic of the mod-cropped HR.
    lr = makeLr(img, scale, crop);
    await step();
    gt = await d.encode(img, crop);
  } else lr = img;
  await step();
  let bicubicImg: RgbImage | undefined = imresize(lr, scale, undefined, undefined, out);
  const { width, height } = bicubicImg;
  const alpha = bicubicImg.alpha;
  // Evaluate: every image's luma is computed once (the ground truth's once per job).
  const scorer = d.mode === 'evaluate' ? new ScaleScorer(groundTruth(), width, height, scale) : undefined;
  const bicubicMetrics = scorer?.score(bicubicImg);
  const bicubic = await d.encode(bicubicImg);
  bicubicImg = undefined; // dropped before the SR image exists
  await step();
  let sr: E | undefined;
  let srMetrics: MetricPair | undefined;
  let ms: number | undefined;
  let startupMs = 0;
  let error: string | undefined;
  if (d.model(scale)) {
    let rgb: RgbImage;
    try {
      if (d.prepare) startupMs = await d.prepare(scale);
      await step();
      // The live view: each tile's core as it lands, and in Evaluate the PSNR of the tiles so far.
      let tilesDone = 0;
      const afterTile = (core?: Rect, sofar?: RgbImage) => {
        onTile();
        tilesDone++;
        if (!core || !sofar) return;
        scorer?.add(sofar, core);
        const psnr = scorer?.psnr;
        const ssim = scorer?.ssim;
        void d.emit({ type: 'partial', scale, done: tilesDone, total: plan.tiles, width, height, region: core, image: sofar, ...(psnr !== undefined ? { psnr } : {}), ...(ssim !== undefined ? { ssim } : {}) });
      };
      const timing: TileTiming = { runMs: 0 };
      rgb = await d.infer(scale, lr, afterTile, timing, out);
      ms = timing.runMs;
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      error = `bitsr could not run on this ${lr.width}×${lr.height} input (${describeFailure(e)}); showing bicubic`;
    }
    if (!error) {
      // The model sees RGB only; alpha is upscaled with bicubic (clamped when encoded).
      const out = alpha ? { ...rgb!, alpha } : rgb!;
      // Without a live view (a caller that passes no tile cores) the scorer takes the image whole.
      if (scorer && scorer.pixels === 0) scorer.add(out, { x: 0, y: 0, width, height });
      srMetrics = scorer?.final();
      sr = await d.encode(out);
    }
  } else error = `no x${scale} model is installed (bicubic only)`;
  await d.emit({
    type: 'scale',
    scale,
    width,
    height,
    wallMs: performance.now() - started - startupMs,
    bicubic,
    ...(sr !== undefined ? { sr } : {}),
    ...(gt !== undefined ? { gt } : {}),
    ...(ms !== undefined ? { ms } : {}),
    ...(startupMs > 0 ? { startupMs } : {}),
    ...(bicubicMetrics ? { metrics: { bicubic: bicubicMetrics, ...(srMetrics ? { sr: srMetrics } : {}) } } : {}),
    ...(error ? { error } : {}),
  });
}

/** First line of an error, without onnxruntime's "failed to call OrtRun(). ERROR_CODE: n" prefix. */
export function describeFailure(e: unknown): string {
  const line = String((e as Error)?.message ?? e).split('\n')[0];
  return line.replace(/^failed to call OrtRun\(\)\.\s*ERROR_CODE:\s*\d+,\s*ERROR_MESSAGE:\s*/i, 'engine error: ').slice(0, 200);
}
