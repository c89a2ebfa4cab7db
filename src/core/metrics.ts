/**
 * PSNR and SSIM with the protocol every published SR table uses (docs/protocol.md):
 * SR clamped to [0,1] and rounded to 8 bits; Y channel (BT.601, see color.ts); `shave` = scale pixels
 * removed from every border; SSIM per Wang et al. 2004 (Gaussian 11×11, σ = 1.5,
 * K1 = 0.01, K2 = 0.03, data range 255, 'valid' filtering, mean of the SSIM map).
 */
import { metricLumaOf } from './color';
import { type RgbImage } from './image';
import { SSIM_WINDOW } from './sizes';

export interface Metrics {
  psnr: number;
  ssim: number;
}

/** Y planes of both images after 8-bit quantization and border shaving (one fused pass, see color.ts). */
export function protocolY(sr: RgbImage, hr: RgbImage, shave: number, hrMayBeLarger = false): { a: Uint8Array; b: Uint8Array; w: number; h: number } {
  const fits = hrMayBeLarger ? hr.width >= sr.width && hr.height >= sr.height : hr.width === sr.width && hr.height === sr.height;
  if (!fits) throw new Error(`size mismatch: SR ${sr.width}x${sr.height} vs HR ${hr.width}x${hr.height}`);
  const w = sr.width - 2 * shave;
  const h = sr.height - 2 * shave;
  if (w <= 0 || h <= 0) throw new Error(`image ${sr.width}x${sr.height} too small to shave ${shave} pixels`);
  // Ground truth decides gray vs colour: a model's RGB output of a gray image is scored as gray.
  const gray = !!hr.grayscale;
  // MATLAB's Y is uint8, so one byte per pixel holds it exactly (a 4096² image: 2×16 MB, not 2×134).
  const a = new Uint8Array(w * h);
  const b = new Uint8Array(w * h);
  lumaInto(sr, shave, w, h, gray, a);
  lumaInto(hr, shave, w, h, gray, b);
  return { a, b, w, h };
}

/** metricLuma(quantize8(img)) restricted to the shaved window, without full-size temporaries. */
function lumaInto(img: RgbImage, shave: number, w: number, h: number, gray: boolean, out: Uint8Array): void {
  const W = img.width;
  const n = W * img.height;
  const d = img.data;
  const q = (v: number) => Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) / 255;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y + shave) * W + x + shave;
      out[y * w + x] = metricLumaOf(q(d[i]), q(d[n + i]), q(d[2 * n + i]), gray);
    }
  }
}

/** PSNR in dB on 0..255 data; identical inputs give +Infinity. */
export function psnrPlanes(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    se += d * d;
  }
  const mse = se / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let s = 0;
  for (let i = 0; i < size; i++) {
    g[i] = Math.exp(-((i - c) * (i - c)) / (2 * sigma * sigma));
    s += g[i];
  }
  for (let i = 0; i < size; i++) g[i] /= s;
  return g;
}

export function ssimPlanes(a: ArrayLike<number>, b: ArrayLike<number>, w: number, h: number): number {
  const win = gaussianWindow();
  const n = win.length;
  if (w < n || h < n) throw new Error(`image ${w}x${h} smaller than the 11x11 SSIM window`);
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  const ow = w - n + 1;
  const oh = h - n + 1;
  // Separable 'valid' Gaussian filtering of a, b, a², b², ab: one horizontal pass per row (all
  // five moments at once), kept in a ring of n rows, then one vertical pass per output pixel.
  // The ring holds 5·n rows instead of 5·h (a 4096² image: 3.6 MB, not 670 MB); the sums are
  // the same operations in the same order as filtering whole planes.
  const hs = [0, 1, 2, 3, 4].map(() => new Float64Array(ow * n));
  const [h1, h2, h11, h22, h12] = hs;
  const filterRow = (y: number) => {
    const r = y * w;
    const slot = (y % n) * ow;
    for (let x = 0; x < ow; x++) {
      let s1 = 0, s2 = 0, s11 = 0, s22 = 0, s12 = 0;
      for (let t = 0; t < n; t++) {
        const k = win[t];
        const va = a[r + x + t];
        const vb = b[r + x + t];
        s1 += k * va;
        s2 += k * vb;
        s11 += k * va * va;
        s22 += k * vb * vb;
        s12 += k * va * vb;
      }
      const o = slot + x;
      h1[o] = s1; h2[o] = s2; h11[o] = s11; h22[o] = s22; h12[o] = s12;
    }
  };
  for (let y = 0; y < n - 1; y++) filterRow(y);
  let sum = 0;
  for (let y = 0; y < oh; y++) {
    filterRow(y + n - 1);
    for (let x = 0; x < ow; x++) {
      let m1 = 0, m2 = 0, e11 = 0, e22 = 0, e12 = 0;
      for (let t = 0; t < n; t++) {
        const k = win[t];
        const o = ((y + t) % n) * ow + x;
        m1 += k * h1[o];
        m2 += k * h2[o];
        e11 += k * h11[o];
        e22 += k * h22[o];
        e12 += k * h12[o];
      }
      const v1 = e11 - m1 * m1;
      const v2 = e22 - m2 * m2;
      const cv = e12 - m1 * m2;
      sum += ((2 * m1 * m2 + C1) * (2 * cv + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
    }
  }
  return sum / (ow * oh);
}

/**
 * PSNR and SSIM of `sr` against ground truth `hr`, with `shave` = the scale. With `hrUncropped`,
 * `hr` may be the image before the mod-crop: its top-left sr-sized region is the ground truth
 * (what modCrop keeps), read in place instead of copied.
 */
export function evaluate(sr: RgbImage, hr: RgbImage, shave: number, hrUncropped = false): Metrics {
  const { a, b, w, h } = protocolY(sr, hr, shave, hrUncropped);
  return { psnr: psnrPlanes(a, b), ssim: ssimPlanes(a, b, w, h) };
}

export function psnr(sr: RgbImage, hr: RgbImage, shave: number): number {
  const { a, b } = protocolY(sr, hr, shave);
  return psnrPlanes(a, b);
}

/** A rectangle in image pixels. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * PSNR over the pixels done so far, by the protocol's rules (8-bit Y, `shave` border removed):
 * `add` each finished region (e.g. a tile core, in output pixels) of the width×height SR image
 * once. The squared errors are integers, summed exactly, so once every pixel is added `psnr`
 * equals evaluate()'s PSNR. `hr` may be the uncropped ground truth (its top-left region counts).
 */
/** An output image's size and the protocol's shaved window, which the running metrics clip to. */
abstract class ShavedWindow {
  constructor(
    readonly width: number,
    readonly height: number,
    readonly shave: number,
  ) {}

  /** `region` clipped to the shaved window: [x0, x1) × [y0, y1), possibly empty. */
  protected clip(region: Rect): { x0: number; y0: number; x1: number; y1: number } {
    return {
      x0: Math.max(region.x, this.shave),
      y0: Math.max(region.y, this.shave),
      x1: Math.min(region.x + region.width, this.width - this.shave),
      y1: Math.min(region.y + region.height, this.height - this.shave),
    };
  }
}

export class RunningPsnr extends ShavedWindow {
  private se = 0;
  private n = 0;
  private readonly q = (v: number) => Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) / 255;


  /** Adds `region` of `sr` (an image in the same output coordinates, e.g. the full-size output buffer) against `hr`. */
  add(sr: RgbImage, hr: RgbImage, region: Rect): void {
    const { x0, y0, x1, y1 } = this.clip(region);
    const gray = !!hr.grayscale;
    const q = this.q;
    const sn = sr.width * sr.height;
    const hn = hr.width * hr.height;
    const s = sr.data;
    const h = hr.data;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * sr.width + x;
        const j = y * hr.width + x;
        const d = metricLumaOf(q(s[i]), q(s[sn + i]), q(s[2 * sn + i]), gray) - metricLumaOf(q(h[j]), q(h[hn + j]), q(h[2 * hn + j]), gray);
        this.se += d * d;
      }
    }
    if (x1 > x0 && y1 > y0) this.n += (x1 - x0) * (y1 - y0);
  }

  /** Pixels counted so far (inside the shaved window). */
  get pixels(): number {
    return this.n;
  }

  /** dB; undefined before any pixel of the shaved window is in, +Infinity while identical. */
  get psnr(): number | undefined {
    if (this.n === 0) return undefined;
    const mse = this.se / this.n;
    return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
  }
}

/**
 * SSIM of the tiles done so far, for the live view: the mean of the SSIM map over the 11×11
 * windows that lie inside one finished tile's core (and the shaved window). Windows that straddle
 * two tiles are left out, so this is an estimate until the scale ends; the final SSIM is always
 * computed by evaluate() on the whole image.
 */
export class RunningSsim extends ShavedWindow {
  private sum = 0;
  private n = 0;


  add(sr: RgbImage, hr: RgbImage, region: Rect): void {
    const { x0, y0, x1, y1 } = this.clip(region);
    const w = x1 - x0;
    const h = y1 - y0;
    if (w < SSIM_WINDOW || h < SSIM_WINDOW) return;
    const gray = !!hr.grayscale;
    const a = new Uint8Array(w * h);
    const b = new Uint8Array(w * h);
    for (const [img, out] of [[sr, a], [hr, b]] as const) {
      const n = img.width * img.height;
      const d = img.data;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const i = (y + y0) * img.width + x + x0;
          out[y * w + x] = metricLumaOf(q8(d[i]), q8(d[n + i]), q8(d[2 * n + i]), gray);
        }
      }
    }
    const windows = (w - SSIM_WINDOW + 1) * (h - SSIM_WINDOW + 1);
    this.sum += ssimPlanes(a, b, w, h) * windows;
    this.n += windows;
  }

  /** undefined until some tile holds a whole window. */
  get ssim(): number | undefined {
    return this.n ? this.sum / this.n : undefined;
  }
}

const q8 = (v: number) => Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) / 255;
