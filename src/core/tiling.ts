/**
 * Tiled inference: split an image into overlapping tiles, run each, and merge.
 *
 * Each tile has a *core* (a cell of a non-overlapping grid) plus a margin of `overlap` pixels
 * on each side (clipped at the image border). The merge keeps only each tile's core. For a
 * network whose receptive-field radius is ≤ overlap, the merged output equals the untiled one
 * exactly, because every kept pixel saw the same input as it would have untiled.
 */
import { createImage, crop, type RgbImage } from './image';

export interface Tile {
  /** Input region (core + margins), in input pixels. */
  x: number;
  y: number;
  w: number;
  h: number;
  /** Core region, in input pixels (absolute). */
  cx: number;
  cy: number;
  cw: number;
  ch: number;
}

export function planTiles(width: number, height: number, tileSize: number, overlap: number): Tile[] {
  if (tileSize <= 0 || overlap < 0) throw new Error(`invalid tiling: tile ${tileSize}, overlap ${overlap}`);
  const tiles: Tile[] = [];
  for (let cy = 0; cy < height; cy += tileSize) {
    for (let cx = 0; cx < width; cx += tileSize) {
      const cw = Math.min(tileSize, width - cx);
      const ch = Math.min(tileSize, height - cy);
      const x = Math.max(0, cx - overlap);
      const y = Math.max(0, cy - overlap);
      const x1 = Math.min(width, cx + cw + overlap);
      const y1 = Math.min(height, cy + ch + overlap);
      tiles.push({ x, y, w: x1 - x, h: y1 - y, cx, cy, cw, ch });
    }
  }
  return tiles;
}

export function extractTile(img: RgbImage, t: Tile): RgbImage {
  return crop(img, t.x, t.y, t.w, t.h);
}

/** Paste each tile output's core into a (width*scale)×(height*scale) image. */
export function mergeTiles(outputs: RgbImage[], tiles: Tile[], width: number, height: number, scale: number): RgbImage {
  if (outputs.length !== tiles.length) throw new Error(`${outputs.length} outputs for ${tiles.length} tiles`);
  const out = createImage(width * scale, height * scale, outputs.some((o) => o.alpha));
  tiles.forEach((t, i) => pasteTileCore(outputs[i], t, out, scale));
  return out;
}

/** Paste one tile output's core into `out` (the full-size output image). */
export function pasteTileCore(o: RgbImage, t: Tile, out: RgbImage, scale: number): void {
  if (o.width !== t.w * scale || o.height !== t.h * scale) {
    throw new Error(`tile output ${o.width}x${o.height}, expected ${t.w * scale}x${t.h * scale}`);
  }
  const W = out.width;
  const H = out.height;
  const ox = (t.cx - t.x) * scale;
  const oy = (t.cy - t.y) * scale;
  const cw = t.cw * scale;
  const ch = t.ch * scale;
  const on = o.width * o.height;
  for (let c = 0; c < 3; c++) pasteRows(o.data.subarray(c * on, (c + 1) * on), o.width, ox, oy, out.data.subarray(c * W * H, (c + 1) * W * H), W, t.cx * scale, t.cy * scale, cw, ch);
  if (out.alpha && o.alpha) pasteRows(o.alpha, o.width, ox, oy, out.alpha, W, t.cx * scale, t.cy * scale, cw, ch);
}

function pasteRows(src: Float32Array, sw: number, sx: number, sy: number, dst: Float32Array, dw: number, dx: number, dy: number, w: number, h: number): void {
  for (let r = 0; r < h; r++) {
    const s = (sy + r) * sw + sx;
    dst.set(src.subarray(s, s + w), (dy + r) * dw + dx);
  }
}
