/**
 * EXIF orientation, one rule for the app and the Node pipeline: the orientation tag (0x0112) is
 * read from the file (JPEG APP1 "Exif", PNG eXIf, WebP EXIF) and applied, as browsers do, so a
 * phone photo stored sideways is evaluated the way it is seen. Pure TS: no DOM, no Node.
 *
 * Tag values (TIFF/EXIF 2.3): how the stored rows/columns must be transformed to display:
 *   1 as stored            2 mirrored left-right    3 rotated 180°        4 mirrored top-bottom
 *   5 transposed (mirror about the main diagonal)   6 rotated 90° clockwise
 *   7 transversed (mirror about the anti-diagonal)  8 rotated 90° counter-clockwise
 * 5-8 swap width and height.
 */
import { createImage, type RgbImage } from './image';

export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const be16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

/** The orientation tag of a TIFF structure (the payload of an EXIF block); 1 when absent or invalid. */
export function tiffOrientation(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49; // "II"
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d; // "MM"
  if (!little && !big) return 1;
  const u16 = (o: number) => (little ? tiff[o] | (tiff[o + 1] << 8) : be16(tiff, o));
  const u32 = (o: number) => (little ? (tiff[o] | (tiff[o + 1] << 8) | (tiff[o + 2] << 16)) + tiff[o + 3] * 0x1000000 : be16(tiff, o) * 0x10000 + be16(tiff, o + 2));
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + 12 * i;
    if (e + 12 > tiff.length) return 1;
    if (u16(e) !== 0x0112) continue;
    // SHORT (type 3), count 1: the value sits in the first two bytes of the value field.
    if (u16(e + 2) !== 3 || u32(e + 4) < 1) return 1;
    const v = u16(e + 8);
    return v >= 1 && v <= 8 ? (v as Orientation) : 1;
  }
  return 1;
}

/** The payload of an "Exif\0\0" APP1 segment (or a WebP EXIF chunk that kept that prefix) as TIFF. */
export function exifPayloadOrientation(payload: Uint8Array): Orientation {
  const hasPrefix = payload.length >= 6 && payload[0] === 0x45 && payload[1] === 0x78 && payload[2] === 0x69 && payload[3] === 0x66 && payload[4] === 0 && payload[5] === 0;
  return tiffOrientation(hasPrefix ? payload.subarray(6) : payload);
}

/**
 * The orientation of a JPEG: the first APP1 "Exif" segment before the image data; 1 when there is
 * none (or the bytes are not a JPEG).
 */
export function jpegOrientation(bytes: Uint8Array): Orientation {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  let o = 2;
  while (o + 4 <= bytes.length) {
    if (bytes[o] !== 0xff) return 1;
    const marker = bytes[o + 1];
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return 1; // EOI / SOS: no EXIF before the scan
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2;
      continue;
    }
    const len = be16(bytes, o + 2);
    if (len < 2) return 1;
    const start = o + 4;
    const end = Math.min(bytes.length, o + 2 + len);
    if (marker === 0xe1 && end - start >= 6 && bytes[start] === 0x45 && bytes[start + 1] === 0x78 && bytes[start + 2] === 0x69 && bytes[start + 3] === 0x66) {
      return exifPayloadOrientation(bytes.subarray(start, end));
    }
    o += 2 + len;
  }
  return 1;
}

/**
 * Where stored pixel (sx, sy) of a width×height image lands once oriented:
 * destination index = base + sx * dx + sy * dy in the oriented (outW × outH, row-major) image.
 */
export interface OrientationMap {
  width: number;
  height: number;
  base: number;
  dx: number;
  dy: number;
}

export function orientationMap(width: number, height: number, o: Orientation): OrientationMap {
  const W = width;
  const H = height;
  switch (o) {
    case 2:
      return { width: W, height: H, base: W - 1, dx: -1, dy: W };
    case 3:
      return { width: W, height: H, base: (H - 1) * W + W - 1, dx: -1, dy: -W };
    case 4:
      return { width: W, height: H, base: (H - 1) * W, dx: 1, dy: -W };
    case 5: // out(x', y') = in(y', x')
      return { width: H, height: W, base: 0, dx: H, dy: 1 };
    case 6: // out(x', y') = in(y', H-1-x')
      return { width: H, height: W, base: H - 1, dx: H, dy: -1 };
    case 7: // out(x', y') = in(W-1-y', H-1-x')
      return { width: H, height: W, base: (W - 1) * H + H - 1, dx: -H, dy: -1 };
    case 8: // out(x', y') = in(W-1-y', x')
      return { width: H, height: W, base: (W - 1) * H, dx: -H, dy: 1 };
    default:
      return { width: W, height: H, base: 0, dx: 1, dy: W };
  }
}

/** Width and height as displayed. */
export function orientedSize(width: number, height: number, o: Orientation): { width: number; height: number } {
  return o >= 5 ? { width: height, height: width } : { width, height };
}

/** The image as displayed (a new image; the input is returned as is for orientation 1). */
export function applyOrientation(img: RgbImage, o: Orientation): RgbImage {
  if (o === 1) return img;
  const { width: W, height: H } = img;
  const m = orientationMap(W, H, o);
  const out = createImage(m.width, m.height, !!img.alpha);
  const n = W * H;
  const move = (src: Float32Array, so: number, dst: Float32Array, dOff: number) => {
    for (let y = 0; y < H; y++) {
      let d = dOff + m.base + y * m.dy;
      const s = so + y * W;
      for (let x = 0; x < W; x++, d += m.dx) dst[d] = src[s + x];
    }
  };
  for (let c = 0; c < 3; c++) move(img.data, c * n, out.data, c * n);
  if (img.alpha && out.alpha) move(img.alpha, 0, out.alpha, 0);
  return img.grayscale ? { ...out, grayscale: true } : out;
}
