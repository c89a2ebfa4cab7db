/**
 * Image dimensions from the file header, before any pixel is decoded, so the size limits refuse a
 * 16384² PNG from its first bytes instead of after a 1.8 GB decode. Pure TS: no DOM, no Node.
 *
 * PNG (IHDR, plus an eXIf chunk before the image data), JPEG (SOFn, plus the APP1 EXIF
 * orientation), GIF (logical screen), BMP (core and info headers), WebP (VP8, VP8L, VP8X, plus an
 * EXIF chunk). `width`/`height` are as stored; `displayWidth`/`displayHeight` after the EXIF
 * orientation (what the limits apply to, and what the decoders return).
 */
import { exifPayloadOrientation, jpegOrientation, orientedSize, tiffOrientation, type Orientation } from './exif';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp' | 'webp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  orientation: Orientation;
  displayWidth: number;
  displayHeight: number;
  /** PNG: colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA) and bit depth. */
  pngColorType?: number;
  bitDepth?: number;
  /** JPEG: number of colour components in the frame (1 = grayscale). */
  components?: number;
}

const be16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const be32 = (b: Uint8Array, o: number) => be16(b, o) * 0x10000 + be16(b, o + 2);
const le16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const le24 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const le32 = (b: Uint8Array, o: number) => le24(b, o) + b[o + 3] * 0x1000000;
const ascii = (b: Uint8Array, o: number, s: string) => {
  if (o + s.length > b.length) return false;
  for (let i = 0; i < s.length; i++) if (b[o + i] !== s.charCodeAt(i)) return false;
  return true;
};

function header(format: ImageFormat, width: number, height: number, orientation: Orientation = 1, extra: Partial<ImageHeader> = {}): ImageHeader {
  const d = orientedSize(width, height, orientation);
  return { format, width, height, orientation, displayWidth: d.width, displayHeight: d.height, ...extra };
}

/** The format by magic bytes, or null. */
export function sniffFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG') && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'gif';
  if (b.length >= 2 && b[0] === 0x42 && b[1] === 0x4d) return 'bmp';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp';
  return null;
}

/**
 * The header of a PNG, JPEG, GIF, BMP or WebP file; null for another format (or bytes too short to
 * hold the dimensions: the decoder then names the problem).
 */
export function readImageHeader(b: Uint8Array): ImageHeader | null {
  switch (sniffFormat(b)) {
    case 'png':
      return pngHeader(b);
    case 'jpeg':
      return jpegHeader(b);
    case 'gif':
      return b.length >= 10 ? header('gif', le16(b, 6), le16(b, 8)) : null;
    case 'bmp':
      return bmpHeader(b);
    case 'webp':
      return webpHeader(b);
    default:
      return null;
  }
}

function pngHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < 33 || !ascii(b, 12, 'IHDR')) return null;
  const width = be32(b, 16);
  const height = be32(b, 20);
  const extra = { bitDepth: b[24], pngColorType: b[25] };
  // eXIf before the first IDAT (where browsers read it); chunks are skipped by their length.
  let o = 8;
  while (o + 12 <= b.length) {
    const len = be32(b, o);
    if (ascii(b, o + 4, 'IDAT') || ascii(b, o + 4, 'IEND')) break;
    if (ascii(b, o + 4, 'eXIf')) return header('png', width, height, tiffOrientation(b.subarray(o + 8, Math.min(b.length, o + 8 + len))), extra);
    o += 12 + len;
  }
  return header('png', width, height, 1, extra);
}

/** SOF0-3, 5-7, 9-11, 13-15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) do not. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegHeader(b: Uint8Array): ImageHeader | null {
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // no frame header before the scan
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2;
      continue;
    }
    const len = be16(b, o + 2);
    if (isSof(marker)) {
      if (o + 10 > b.length) return null;
      const height = be16(b, o + 5);
      const width = be16(b, o + 7);
      return header('jpeg', width, height, jpegOrientation(b), { components: b[o + 9], bitDepth: b[o + 4] });
    }
    if (len < 2) return null;
    o += 2 + len;
  }
  return null;
}

function bmpHeader(b: Uint8Array): ImageHeader | null {
  if (b.length < 26) return null;
  const size = le32(b, 14);
  if (size === 12) return header('bmp', le16(b, 18), le16(b, 20)); // OS/2 BITMAPCOREHEADER
  const w = le32(b, 18) | 0;
  const h = le32(b, 22) | 0;
  return header('bmp', Math.abs(w), Math.abs(h)); // negative height: top-down rows
}

function webpHeader(b: Uint8Array): ImageHeader | null {
  let o = 12;
  let dims: { width: number; height: number } | null = null;
  let orientation: Orientation = 1;
  let hasExif = false;
  let exifSeen = false;
  while (o + 8 <= b.length) {
    const size = le32(b, o + 4);
    const d = o + 8;
    if (ascii(b, o, 'VP8X') && d + 10 <= b.length) {
      hasExif = (b[d] & 0x08) !== 0;
      dims = { width: le24(b, d + 4) + 1, height: le24(b, d + 7) + 1 };
    } else if (ascii(b, o, 'VP8 ') && !dims && d + 10 <= b.length) {
      // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
      if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) return null;
      dims = { width: le16(b, d + 6) & 0x3fff, height: le16(b, d + 8) & 0x3fff };
    } else if (ascii(b, o, 'VP8L') && !dims && d + 5 <= b.length) {
      if (b[d] !== 0x2f) return null;
      const bits = le32(b, d + 1);
      dims = { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    } else if (ascii(b, o, 'EXIF')) {
      orientation = exifPayloadOrientation(b.subarray(d, Math.min(b.length, d + size)));
      exifSeen = true;
    }
    // Simple (VP8/VP8L-only) files end here; an extended one may keep EXIF after the image data.
    if (dims && (!hasExif || exifSeen)) break;
    o = d + size + (size & 1);
  }
  return dims ? header('webp', dims.width, dims.height, orientation) : null;
}
