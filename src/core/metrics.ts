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

const q8 = (v: number) => Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * 255) / 255;

/** The protocol's luma of pixel i of planar RGB `d` (n pixels per plane), after 8-bit quantisation. */
const lumaAt = (d: ArrayLike<number>, i: number, n: number, gray: boolean): number => metricLumaOf(q8(d[i]), q8(d[n + i]), q8(d[2 * n + i]), gray);

/** metricLuma(quantize8(img)) restricted to the shaved window, without full-size temporaries. */
function lumaInto(img: RgbImage, shave: number, w: number, h: number, gray: boolean, out: Uint8Array): void {
  const W = img.width;
  const n = W * img.height;
  const d = img.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out[y * w + x] = lumaAt(d, (y + shave) * W + x + shave, n, gray);
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
 * The ground truth's protocol luma (8-bit Y of the 8-bit-quantised RGB, color.ts), computed once
 * for the whole image so that every scale of a job reads it instead of converting it again. A
 * scale's ground truth is the top-left mod-crop, so its shaved window is a sub-rectangle here.
 */
export class GroundTruthLuma {
  readonly y: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly gray: boolean;

  constructor(hr: RgbImage) {
    this.width = hr.width;
    this.height = hr.height;
    this.gray = !!hr.grayscale;
    this.y = new Uint8Array(hr.width * hr.height);
    lumaInto(hr, 0, hr.width, hr.height, this.gray, this.y);
  }

  /** The w×h plane whose top-left pixel is (x0, y0). */
  window(x0: number, y0: number, w: number, h: number): Uint8Array {
    const out = new Uint8Array(w * h);
    for (let r = 0; r < h; r++) out.set(this.y.subarray((r + y0) * this.width + x0, (r + y0) * this.width + x0 + w), r * w);
    return out;
  }
}

/**
 * Evaluate-mode scores of one scale, by the protocol's rules (8-bit Y, `shave` = scale pixels off
 * every border), against the ground truth's luma (GroundTruthLuma, the uncropped image: its
 * top-left width×height region counts). Every image's luma is computed once:
 * - `score(img)`: a whole image (the bicubic comparison), equal to evaluate()'s numbers.
 * - `add(sr, region)`: a finished region of the SR image (a tile core, output pixels), added
 *   once each: its luma goes into the SR plane. `psnr` is over the pixels added so far: the
 *   squared errors are integers, summed exactly, so once every pixel is in it is evaluate()'s
 *   PSNR. `ssim` is the live estimate: the mean SSIM map over the 11×11 windows that lie inside
 *   one added region (windows straddling two regions are left out).
 * - `final()`: evaluate()'s numbers for the whole SR image, from the SR plane, without converting
 *   anything again (and without a second SSIM pass when one region covered the whole window).
 */
export class ScaleScorer {
  private readonly w: number;
  private readonly h: number;
  private readonly hr: Uint8Array;
  private readonly sr: Uint8Array;
  private se = 0;
  private n = 0;
  private ssimSum = 0;
  private windows = 0;
  /** The SSIM of a region that covered the whole window: evaluate()'s, kept as computed. */
  private whole: number | undefined;

  constructor(
    private readonly gt: GroundTruthLuma,
    readonly width: number,
    readonly height: number,
    readonly shave: number,
  ) {
    if (gt.width < width || gt.height < height) throw new Error(`size mismatch: SR ${width}x${height} vs HR ${gt.width}x${gt.height}`);
    this.w = width - 2 * shave;
    this.h = height - 2 * shave;
    if (this.w <= 0 || this.h <= 0) throw new Error(`image ${width}x${height} too small to shave ${shave} pixels`);
    this.hr = gt.window(shave, shave, this.w, this.h);
    this.sr = new Uint8Array(this.w * this.h);
  }

  /** evaluate() of a whole width×height image against the ground truth. */
  score(img: RgbImage): Metrics {
    if (img.width !== this.width || img.height !== this.height) throw new Error(`size mismatch: ${img.width}x${img.height} vs ${this.width}x${this.height}`);
    const a = new Uint8Array(this.w * this.h);
    lumaInto(img, this.shave, this.w, this.h, this.gt.gray, a);
    return { psnr: psnrPlanes(a, this.hr), ssim: ssimPlanes(a, this.hr, this.w, this.h) };
  }

  /** Adds `region` of `sr` (an image in the same output coordinates, e.g. the full-size output buffer). */
  add(sr: RgbImage, region: Rect): void {
    const s = this.shave;
    const x0 = Math.max(region.x, s) - s;
    const y0 = Math.max(region.y, s) - s;
    const x1 = Math.min(region.x + region.width, this.width - s) - s;
    const y1 = Math.min(region.y + region.height, this.height - s) - s;
    const rw = x1 - x0;
    const rh = y1 - y0;
    if (rw <= 0 || rh <= 0) return;
    const W = sr.width;
    const N = W * sr.height;
    const d = sr.data;
    const gray = this.gt.gray;
    const a = rw === this.w && rh === this.h ? this.sr : new Uint8Array(rw * rh);
    const b = a === this.sr ? this.hr : new Uint8Array(rw * rh);
    let se = 0;
    for (let y = 0; y < rh; y++) {
      for (let x = 0; x < rw; x++) {
        const i = (y + y0 + s) * W + x + x0 + s;
        const k = (y + y0) * this.w + x + x0;
        const v = lumaAt(d, i, N, gray);
        this.sr[k] = v;
        const diff = v - this.hr[k];
        se += diff * diff;
        if (a !== this.sr) {
          a[y * rw + x] = v;
          b[y * rw + x] = this.hr[k];
        }
      }
    }
    this.se += se;
    this.n += rw * rh;
    if (rw >= SSIM_WINDOW && rh >= SSIM_WINDOW) {
      const windows = (rw - SSIM_WINDOW + 1) * (rh - SSIM_WINDOW + 1);
      const v = ssimPlanes(a, b, rw, rh);
      this.ssimSum += v * windows;
      this.windows += windows;
      if (a === this.sr) this.whole = v;
    }
  }

  /** Pixels of the shaved window added so far. */
  get pixels(): number {
    return this.n;
  }

  /** dB over the pixels added so far; undefined before any, +Infinity while identical. */
  get psnr(): number | undefined {
    if (this.n === 0) return undefined;
    const mse = this.se / this.n;
    return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
  }

  /** The live SSIM estimate; undefined until some region holds a whole window. */
  get ssim(): number | undefined {
    return this.windows ? this.ssimSum / this.windows : undefined;
  }

  /** evaluate()'s PSNR and SSIM of the SR image; every pixel of the shaved window must be added. */
  final(): Metrics {
    if (this.n !== this.w * this.h) throw new Error(`scored ${this.n} of ${this.w * this.h} pixels`);
    return { psnr: this.psnr!, ssim: this.whole ?? ssimPlanes(this.sr, this.hr, this.w, this.h) };
  }
}

