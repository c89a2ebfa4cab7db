/** Small generated test images (deterministic). */
import { createImage, type RgbImage } from '../../src/core/image';

export function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomImage(w: number, h: number, seed = 1): RgbImage {
  const r = mulberry(seed);
  const img = createImage(w, h);
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.round(r() * 255) / 255;
  return img;
}

/** Smooth content: low-frequency sinusoids, quantized to 8 bits. */
export function smoothImage(w: number, h: number): RgbImage {
  const img = createImage(w, h);
  const n = w * h;
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const v = 0.5 + 0.3 * Math.sin((x + 7 * c) / 11) * Math.cos((y - 3 * c) / 13);
        img.data[c * n + y * w + x] = Math.round(v * 255) / 255;
      }
  return img;
}
