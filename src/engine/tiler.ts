/**
 * Tiling scheduler: runs a model tile by tile (core/tiling), reporting progress and stopping
 * between tiles when cancelled. With overlap >= the model's receptive radius (metadata
 * `receptiveRadius`) the merged output equals the untiled one. Pure TS: the worker runs it with
 * onnxruntime-web, tests/unit/engineTiler.test.ts with onnxruntime-node.
 */
import { createImage, type RgbImage } from '../core/image';
import { extractTile, mergeTiles, planTiles } from '../core/tiling';

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
  onTile?: (done: number, total: number) => void;
  isCancelled?: () => boolean;
}

export function tileCount(width: number, height: number, tile: number, overlap: number): number {
  return planTiles(width, height, tile, overlap).length;
}

/** RGB only: the caller upscales alpha separately (the model has no alpha channel). */
export async function runTiled(img: RgbImage, run: TileRunner, o: TiledOptions): Promise<RgbImage> {
  const rgb: RgbImage = { width: img.width, height: img.height, data: img.data };
  const tiles = planTiles(img.width, img.height, o.tile, o.overlap);
  const outputs: RgbImage[] = [];
  for (let i = 0; i < tiles.length; i++) {
    if (o.isCancelled?.()) throw new CancelledError();
    const t = tiles[i];
    const input = tiles.length === 1 ? rgb : extractTile(rgb, t);
    const out = await run(input);
    if (out.width !== t.w * o.scale || out.height !== t.h * o.scale) {
      throw new Error(`model returned ${out.width}×${out.height} for a ${t.w}×${t.h} tile at x${o.scale}`);
    }
    outputs.push(out);
    o.onTile?.(i + 1, tiles.length);
  }
  if (o.isCancelled?.()) throw new CancelledError();
  const merged = tiles.length === 1 ? outputs[0] : mergeTiles(outputs, tiles, img.width, img.height, o.scale);
  const out = createImage(merged.width, merged.height);
  out.data.set(merged.data);
  return img.grayscale ? { ...out, grayscale: true } : out;
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
