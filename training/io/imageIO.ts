/** Node image IO: PNG (pngjs), JPEG (jpeg-js), BMP (own decoder) -> RgbImage, and PNG writing. */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { fromInterleaved8, toRgba8, type RgbImage } from '../../src/core/image';
import { decodeBmp } from './bmp';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp'];

export function isImagePath(p: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(p).toLowerCase());
}

/** Decode by content (magic bytes), not by extension. Grayscale becomes R=G=B; alpha is kept. */
export function decodeImage(buf: Uint8Array, name = 'image'): RgbImage {
  try {
    if (buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) {
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      // pngjs expands gray/palette to RGBA; keep alpha only if the file has an alpha channel.
      const meta = png as unknown as { alpha?: boolean; color?: boolean };
      return fromInterleaved8(png.data, png.width, png.height, 4, meta.alpha ?? false, meta.color === false);
    }
    if (buf[0] === 0xff && buf[1] === 0xd8) {
      const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
      // jpeg-js expands 1-component JPEGs to RGBA; detect gray by the component count.
      const comps = (j as unknown as { components?: unknown[] }).components;
      return fromInterleaved8(j.data, j.width, j.height, 4, false, Array.isArray(comps) && comps.length === 1);
    }
    if (buf[0] === 0x42 && buf[1] === 0x4d) {
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
