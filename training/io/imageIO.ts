/**
 * Node image IO: PNG and JPEG through src/core/codecs (fast-png, jpeg-js: the very decoders and
 * rules the app's worker uses, EXIF orientation applied, alpha never premultiplied), BMP (own
 * decoder) -> RgbImage, and PNG writing (pngjs).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { PNG } from 'pngjs';
import { decodeJpeg, decodePng } from '../../src/core/codecs';
import { fromInterleaved8, toRgba8, type RgbImage } from '../../src/core/image';
import { readImageHeader, sniffFormat } from '../../src/core/imageHeader';
import { decodeBmp } from './bmp';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp'];

export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(p).toLowerCase());
}

/** Decode by content (magic bytes), not by extension. Grayscale files keep R=G=B; alpha is kept. */
export function decodeImage(buf: Uint8Array, name = 'image'): RgbImage {
  try {
    const head = readImageHeader(buf);
    const format = head?.format ?? sniffFormat(buf);
    if (format === 'png') return decodePng(buf, head);
    if (format === 'jpeg' || (buf[0] === 0xff && buf[1] === 0xd8)) return decodeJpeg(buf, head);
    if (format === 'bmp') {
      const b = decodeBmp(buf);
      return fromInterleaved8(b.rgba, b.width, b.height, 4, false);
    }
  } catch (e) {
    throw new Error(`cannot decode ${name}: ${(e as Error).message}`);
  }
  throw new Error(`cannot decode ${name}: not a PNG, JPEG or BMP file`);
}

export function readImage(path: string): RgbImage {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return decodeImage(buf, path);
}

export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height });
  png.data = Buffer.from(toRgba8(img).buffer);
  return PNG.sync.write(png);
}

export function writePng(path: string, img: RgbImage): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodePng(img));
}
