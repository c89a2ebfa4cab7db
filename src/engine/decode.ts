/**
 * Browser image decoding (works in a worker).
 *
 * 1. The size limit is checked from the file header (core/imageHeader: PNG, JPEG, GIF, BMP, WebP;
 *    after the EXIF orientation) before any pixel is decoded.
 * 2. PNG and JPEG are decoded by core/codecs, the same pure-JS decoders and rules as the Node
 *    pipeline (training/io/imageIO.ts), so the app reads exactly the pixels `npm run eval` reads:
 *    alpha never premultiplied, the EXIF orientation applied, grayscale by the file's colour type.
 * 3. Other formats (WebP, GIF first frame, BMP, AVIF, …), and the rare PNG/JPEG variants the shared
 *    decoders do not handle (interlaced sub-8-bit PNG, arithmetic-coded or 12-bit JPEG), go through
 *    createImageBitmap and a 2D canvas. There the browser applies the EXIF orientation but the
 *    canvas premultiplies alpha: the colour of fully transparent pixels is lost (translucent ones
 *    are rounded). Opaque images read exactly. Such images are never flagged grayscale (MATLAB's
 *    imread gives RGB for them too). `npm run eval` reads PNG, JPEG and BMP only.
 */
import { decodeJpeg, decodePng, UnsupportedImageError } from '../core/codecs';
import type { RgbImage } from '../core/image';
import { readImageHeader, sniffFormat, type ImageHeader } from '../core/imageHeader';
import { inputSizeError } from './limits';

export class DecodeError extends Error {}

const corrupt = (name: string) => `cannot decode ${name}: the file is corrupt or truncated, or its format is not supported`;

export async function decodeImage(blob: Blob, name = 'file'): Promise<RgbImage> {
  if (blob.size === 0) throw new DecodeError(`${name} is empty`);
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const head = readImageHeader(bytes);
  if (head) {
    const tooBig = inputSizeError(head.displayWidth, head.displayHeight);
    if (tooBig) throw new DecodeError(`${name}: ${tooBig}`);
  }
  const format = head?.format ?? sniffFormat(bytes);
  if (format === 'png' || format === 'jpeg') {
    try {
      return format === 'png' ? decodePng(bytes, head) : decodeJpeg(bytes, head);
    } catch (e) {
      if (e instanceof RangeError && /alloc|memory/i.test(e.message)) throw new DecodeError(`cannot decode ${name}: out of memory`);
      // A damaged PNG is refused (as `npm run eval` refuses it); a JPEG that jpeg-js cannot read
      // may still be one the browser can (arithmetic coding, 12-bit, CMYK without Adobe marker).
      if (format === 'png' && !(e instanceof UnsupportedImageError)) throw new DecodeError(corrupt(name));
    }
  }
  return decodeWithBrowser(blob, name, head);
}

async function decodeWithBrowser(blob: Blob, name: string, head: ImageHeader | null): Promise<RgbImage> {
  let bmp: ImageBitmap;
  try {
    bmp = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    const looksImage = !!head || blob.type.startsWith('image/') || /\.(png|jpe?g|webp|bmp|gif|avif)$/i.test(name);
    throw new DecodeError(
      looksImage ? corrupt(name) : `${name} is not an image (type ${blob.type || 'unknown'}); use PNG, JPEG, WebP, BMP or GIF`,
    );
  }
  const { width, height } = bmp;
  // Formats without a header reader (AVIF, …) are checked here, before the canvas read-back.
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
  canvas.width = canvas.height = 1; // release the canvas backing store before the float planes exist
  return fromRgba(px, width, height);
}

/** Planar float image from canvas RGBA; alpha kept only if some pixel is not opaque; never grayscale. */
export function fromRgba(px: Uint8ClampedArray, width: number, height: number): RgbImage {
  const n = width * height;
  const data = new Float32Array(3 * n);
  let opaque = true;
  for (let i = 0; i < n; i++) {
    data[i] = px[4 * i] / 255;
    data[n + i] = px[4 * i + 1] / 255;
    data[2 * n + i] = px[4 * i + 2] / 255;
    if (px[4 * i + 3] !== 255) opaque = false;
  }
  let alpha: Float32Array | undefined;
  if (!opaque) {
    alpha = new Float32Array(n);
    for (let i = 0; i < n; i++) alpha[i] = px[4 * i + 3] / 255;
  }
  return { width, height, data, ...(alpha ? { alpha } : {}) };
}
