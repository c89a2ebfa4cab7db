/**
 * The worker's live results (the 'partial' message): each finished tile core of a scale's SR
 * image, subsampled to preview resolution as RGBA, sent at most every LIVE_INTERVAL_MS (the
 * scale's last tile always), so a 4096² job neither floods the UI thread nor copies full-size
 * images to it.
 */
import type { RgbImage } from '../core/image';
import type { Rect } from '../core/metrics';
import { PREVIEW_MAX_SIDE } from './encode';
import type { LiveTile } from './protocol';

/** At most ~4 'partial' messages a second per scale. */
export const LIVE_INTERVAL_MS = 250;

/** Subsampling step so a width×height image is at most PREVIEW_MAX_SIDE on its longer side. */
export function liveStep(width: number, height: number): number {
  return Math.max(1, Math.ceil(Math.max(width, height) / PREVIEW_MAX_SIDE));
}

/** `r` of `img` as RGBA 8-bit (alpha 255), every `step`-th pixel (nearest), with its place. */
export function liveTile(img: RgbImage, r: Rect, step: number): LiveTile {
  const rw = Math.max(1, Math.ceil(r.width / step));
  const rh = Math.max(1, Math.ceil(r.height / step));
  const rgba = new Uint8ClampedArray(rw * rh * 4);
  const n = img.width * img.height;
  const d = img.data;
  const q = (v: number) => Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255);
  for (let y = 0; y < rh; y++) {
    const sy = Math.min(r.y + y * step, r.y + r.height - 1);
    for (let x = 0; x < rw; x++) {
      const i = sy * img.width + Math.min(r.x + x * step, r.x + r.width - 1);
      const o = 4 * (y * rw + x);
      rgba[o] = q(d[i]);
      rgba[o + 1] = q(d[n + i]);
      rgba[o + 2] = q(d[2 * n + i]);
      rgba[o + 3] = 255;
    }
  }
  return { x: r.x, y: r.y, w: r.width, h: r.height, rw, rh, rgba: rgba.buffer };
}

/**
 * Collects a scale's tiles and says when to send them: the first tile, then at most every
 * `interval` ms, and always the last. Tiles are converted when added (the output buffer they
 * come from is reused), so the pending ones are small preview-resolution copies.
 */
export class LiveBatcher {
  private pending: LiveTile[] = [];
  private last = -Infinity;

  constructor(
    private readonly interval = LIVE_INTERVAL_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Adds a tile; returns the tiles to send now (and forgets them), or null to wait. */
  add(tile: LiveTile, done: number, total: number): LiveTile[] | null {
    this.pending.push(tile);
    const t = this.now();
    if (done < total && t - this.last < this.interval) return null;
    this.last = t;
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
