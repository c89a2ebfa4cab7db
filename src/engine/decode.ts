/**
 * Browser image decoding (works in a worker): PNG, JPEG, WebP, BMP, GIF (first frame), whatever
 * createImageBitmap decodes. EXIF orientation is honoured; no colour-space conversion and no
 * premultiplication, so pixel values match what a Node PNG/JPEG decoder reads.
 */
import type { RgbImage } from '../core/image';
import { inputSizeError } from './limits';

export class DecodeError extends Error {}

export async function decodeImage(blob: Blob, name = 'file'): Promise<RgbImage> {
  if (blob.size === 0) throw new DecodeError(`${name} is empty`);
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    const looksImage = blob.type.startsWith('image/') || /\.(png|jpe?g|webp|bmp|gif|avif)$/i.test(name);
    throw new DecodeError(
      looksImage
        ? `cannot decode ${name}: the file is corrupt or truncated, or its format is not supported`
        : `${name} is not an image (type ${blob.type || 'unknown'}); use PNG, JPEG, WebP, BMP or GIF`,
    );
  }
  const { width, height } = bmp;
  const tooBig = inputSizeError(width, height);
  if (tooBig) {
    bmp.close();
    throw new DecodeError(`${name}: ${tooBig}`);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new DecodeError('no 2D canvas available to read pixels');
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  const px = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' }).data;
  return fromRgba(px, width, height);
}

/** Planar float image; grayscale when every pixel has R = G = B; alpha kept only if used. */
export function fromRgba(px: Uint8ClampedArray, width: number, height: number): RgbImage {
  const n = width * height;
  const data = new Float32Array(3 * n);
  let gray = true;
  let opaque = true;
  for (let i = 0; i < n; i++) {
    const r = px[4 * i];
    const g = px[4 * i + 1];
    const b = px[4 * i + 2];
    if (r !== g || g !== b) gray = false;
    if (px[4 * i + 3] !== 255) opaque = false;
    data[i] = r / 255;
    data[n + i] = g / 255;
    data[2 * n + i] = b / 255;
  }
  let alpha: Float32Array | undefined;
  if (!opaque) {
    alpha = new Float32Array(n);
    for (let i = 0; i < n; i++) alpha[i] = px[4 * i + 3] / 255;
  }
  return { width, height, data, ...(alpha ? { alpha } : {}), ...(gray ? { grayscale: true } : {}) };
}

/** PNG of an image (alpha included). */
export async function encodePng(img: RgbImage, toRgba8: (i: RgbImage) => Uint8ClampedArray): Promise<Blob> {
  const canvas = new OffscreenCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas available to encode PNG');
  ctx.putImageData(new ImageData(toRgba8(img) as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
