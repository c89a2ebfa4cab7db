/**
 * PSNR and SSIM with the protocol every published SR table uses (PAPER.md):
 * SR clamped to [0,1] and rounded to 8 bits; Y channel (BT.601, see color.ts); `shave` = scale pixels
 * removed from every border; SSIM per Wang et al. 2004 (Gaussian 11×11, σ = 1.5,
 * K1 = 0.01, K2 = 0.03, data range 255, 'valid' filtering, mean of the SSIM map).
 */
import { metricLuma } from './color';
import { quantize8, type RgbImage } from './image';

export interface Metrics {
  psnr: number;
  ssim: number;
}

/** Y planes of both images after 8-bit quantization and border shaving. */
export function protocolY(sr: RgbImage, hr: RgbImage, shave: number): { a: Float64Array; b: Float64Array; w: number; h: number } {
  if (sr.width !== hr.width || sr.height !== hr.height) {
    throw new Error(`size mismatch: SR ${sr.width}x${sr.height} vs HR ${hr.width}x${hr.height}`);
  }
  const w = sr.width - 2 * shave;
  const h = sr.height - 2 * shave;
  if (w <= 0 || h <= 0) throw new Error(`image ${sr.width}x${sr.height} too small to shave ${shave} pixels`);
  // Ground truth decides gray vs colour: a model's RGB output of a gray image is scored as gray.
  const gray = !!hr.grayscale;
  const ya = metricLuma({ ...quantize8(sr), grayscale: gray });
  const yb = metricLuma({ ...quantize8(hr), grayscale: gray });
  const a = new Float64Array(w * h);
  const b = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y + shave) * sr.width + x + shave;
      a[y * w + x] = ya[s];
      b[y * w + x] = yb[s];
    }
  }
  return { a, b, w, h };
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

/** Separable 'valid' filtering of a w×h plane with a 1-D kernel applied on both axes. */
function filterValid(src: Float64Array, w: number, h: number, k: Float64Array): Float64Array {
  const n = k.length;
  const ow = w - n + 1;
  const oh = h - n + 1;
  const tmp = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += k[t] * src[y * w + x + t];
      tmp[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let t = 0; t < n; t++) acc += k[t] * tmp[(y + t) * ow + x];
      out[y * ow + x] = acc;
    }
  }
  return out;
}

export function ssimPlanes(a: Float64Array, b: Float64Array, w: number, h: number): number {
  const win = gaussianWindow();
  if (w < win.length || h < win.length) throw new Error(`image ${w}x${h} smaller than the 11x11 SSIM window`);
  const C1 = (0.01 * 255) ** 2;
  const C2 = (0.03 * 255) ** 2;
  const n = a.length;
  const aa = new Float64Array(n);
  const bb = new Float64Array(n);
  const ab = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    aa[i] = a[i] * a[i];
    bb[i] = b[i] * b[i];
    ab[i] = a[i] * b[i];
  }
  const mu1 = filterValid(a, w, h, win);
  const mu2 = filterValid(b, w, h, win);
  const s11 = filterValid(aa, w, h, win);
  const s22 = filterValid(bb, w, h, win);
  const s12 = filterValid(ab, w, h, win);
  let sum = 0;
  for (let i = 0; i < mu1.length; i++) {
    const m1 = mu1[i];
    const m2 = mu2[i];
    const v1 = s11[i] - m1 * m1;
    const v2 = s22[i] - m2 * m2;
    const cv = s12[i] - m1 * m2;
    sum += ((2 * m1 * m2 + C1) * (2 * cv + C2)) / ((m1 * m1 + m2 * m2 + C1) * (v1 + v2 + C2));
  }
  return sum / mu1.length;
}

/** PSNR and SSIM of `sr` against ground truth `hr`, with `shave` = the scale. */
export function evaluate(sr: RgbImage, hr: RgbImage, shave: number): Metrics {
  const { a, b, w, h } = protocolY(sr, hr, shave);
  return { psnr: psnrPlanes(a, b), ssim: ssimPlanes(a, b, w, h) };
}

export function psnr(sr: RgbImage, hr: RgbImage, shave: number): number {
  const { a, b } = protocolY(sr, hr, shave);
  return psnrPlanes(a, b);
}
