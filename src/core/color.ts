/**
 * Luma for metrics, as MATLAB computes it on the 8-bit images of the published tables.
 *
 * RGB images: MATLAB's rgb2ycbcr on uint8 (ITU-R BT.601, studio range),
 * Y = 16 + 65.481 R + 128.553 G + 24.966 B with R,G,B in [0,1], rounded to an integer because
 * MATLAB returns uint8. Measured here: the unrounded Y (BasicSR's float path) gives Set5 x2
 * bicubic 33.68 instead of the published 33.66; the rounded one reproduces the table.
 * Grayscale images (e.g. Set14 bridge): MATLAB scripts skip rgb2ycbcr and use the gray value
 * itself (full range). Using studio-range Y there inflates Set14 by +0.09 dB.
 */
import { type RgbImage } from './image';

/**
 * The luma the evaluation protocol compares for one pixel (r, g, b in [0,1]): integer Y (RGB) or
 * the gray level (grayscale). metrics.ts calls it per pixel of the shaved window.
 */
export function metricLumaOf(r: number, g: number, b: number, gray: boolean): number {
  const y = 16 + 65.481 * r + 128.553 * g + 24.966 * b;
  return Math.round(gray ? ((y - 16) * 255) / 219 : y);
}

/** metricLumaOf over a whole image. */
export function metricLuma(img: RgbImage): Float64Array {
  const n = img.width * img.height;
  const { data } = img;
  const gray = !!img.grayscale;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = metricLumaOf(data[i], data[n + i], data[2 * n + i], gray);
  return y;
}
