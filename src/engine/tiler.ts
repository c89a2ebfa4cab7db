/**
 * Tiling scheduler: runs a model tile by tile (core/tiling), reporting progress and stopping
 * between tiles when cancelled. With overlap >= the model's receptive radius (metadata
 * `receptiveRadius`) the merged output equals the untiled one. Pure TS: the worker runs it with
 * onnxruntime-web, the Node tests with onnxruntime-node.
 *
 * Between tiles it yields to the event loop (`yieldTask`), so a Cancel or a new image posted to
 * the worker is read within one tile, not at the end of the scale.
 */
import { createImage, type RgbImage } from '../core/image';
import { type Rect } from '../core/metrics';
import { MIN_MODEL_SIDE } from '../core/sizes';
import { extractTile, pasteTileCore, planTiles } from '../core/tiling';

export type TileRunner = (tile: RgbImage) => Promise<RgbImage>;

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export interface TiledOptions {
  scale: number;
  /** Core tile side in input pixels; >= the image side gives a single tile. */
  tile: number;
  overlap: number;
  /** After each tile: its core in output pixels, already pasted into `out` (the output so far). */
  onTile?: (done: number, total: number, core: Rect, out: RgbImage) => void;
  isCancelled?: () => boolean;
  /** Lets queued messages (Cancel) run between tiles; default: a macrotask turn. */
  yieldTask?: () => Promise<void>;
  /** Storage for the output planes (at least 3·W·H), reused across a job's scales. */
  out?: Float32Array;
  /** Accumulates the ms spent in `run` (the model alone, edge padding included). */
  timing?: TileTiming;
}

/** The model's share of a tiled run: the time inside the tile runner, not the callbacks around it. */
export interface TileTiming {
  runMs: number;
}

export function tileCount(width: number, height: number, tile: number, overlap: number): number {
  return planTiles(width, height, tile, overlap).length;
}

/**
 * One macrotask turn. Awaiting a promise that the runtime resolves (ORT's run) does not let a
 * worker's onmessage run; a MessageChannel round trip does, without setTimeout's 4 ms clamp.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

/** RGB only: the caller upscales alpha separately (the model has no alpha channel). */
export async function runTiled(img: RgbImage, run: TileRunner, o: TiledOptions): Promise<RgbImage> {
  const rgb: RgbImage = { width: img.width, height: img.height, data: img.data };
  const tiles = planTiles(img.width, img.height, o.tile, o.overlap);
  const yieldTask = o.yieldTask ?? yieldToEventLoop;
  // Each tile's core goes straight into the output: no list of tile outputs, no merge copy.
  const W = img.width * o.scale;
  const H = img.height * o.scale;
  // The tile cores cover the whole output, so reused storage needs no clearing.
  const out: RgbImage = o.out && o.out.length >= 3 * W * H ? { width: W, height: H, data: o.out.subarray(0, 3 * W * H) } : createImage(W, H);
  for (let i = 0; i < tiles.length; i++) {
    await yieldTask();
    if (o.isCancelled?.()) throw new CancelledError();
    const t = tiles[i];
    const input = tiles.length === 1 ? rgb : extractTile(rgb, t);
    const t0 = performance.now();
    const res = await runPadded(input, run, o.scale);
    if (o.timing) o.timing.runMs += performance.now() - t0;
    if (res.width !== t.w * o.scale || res.height !== t.h * o.scale) {
      throw new Error(`model returned ${res.width}×${res.height} for a ${t.w}×${t.h} tile at x${o.scale}`);
    }
    pasteTileCore(res, t, out, o.scale);
    o.onTile?.(i + 1, tiles.length, { x: t.cx * o.scale, y: t.cy * o.scale, width: t.cw * o.scale, height: t.ch * o.scale }, out);
  }
  await yieldTask();
  if (o.isCancelled?.()) throw new CancelledError();
  return img.grayscale ? { ...out, grayscale: true } : out;
}

/** Runs `run` on a tile at least MIN_MODEL_SIDE per side: smaller ones are edge-padded, the output cropped back. */
async function runPadded(input: RgbImage, run: TileRunner, scale: number): Promise<RgbImage> {
  const { width: w, height: h } = input;
  if (w >= MIN_MODEL_SIDE && h >= MIN_MODEL_SIDE) return run(input);
  const pw = Math.max(w, MIN_MODEL_SIDE);
  const ph = Math.max(h, MIN_MODEL_SIDE);
  const padded = createImage(pw, ph);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < ph; y++) {
      for (let x = 0; x < pw; x++) padded.data[(c * ph + y) * pw + x] = input.data[(c * h + Math.min(y, h - 1)) * w + Math.min(x, w - 1)];
    }
  }
  const res = await run(padded);
  if (res.width !== pw * scale || res.height !== ph * scale) return res; // the caller reports the mismatch
  const out = createImage(w * scale, h * scale);
  const W = w * scale;
  const H = h * scale;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < H; y++) out.data.set(res.data.subarray((c * ph * scale + y) * pw * scale, (c * ph * scale + y) * pw * scale + W), (c * H + y) * W);
  }
  return out;
}

/**
 * Largest tile side (input px, including 2×overlap margins) such that the biggest activation
 * fits one storage buffer binding: channels × side² × 4 bytes <= limit. `maxChannels` is a
 * bound on any intermediate tensor's channel count (MRB concatenations, pixel-shuffle input).
 */
export function tileForBindingLimit(limitBytes: number, maxChannels: number, overlap: number, cap = 512): number {
  const side = Math.floor(Math.sqrt(limitBytes / (4 * maxChannels)));
  return Math.max(16, Math.min(cap, side - 2 * overlap));
}
