/**
 * PNG and JPEG decoding shared by the app's worker (src/engine/decode.ts) and the Node pipeline
 * (training/io/imageIO.ts, `npm run eval`): the same pure-JS decoders (fast-png, jpeg-js) and the
 * same conversion to the planar float layout, so both read bit-identical pixels. Pure TS: no DOM,
 * no Node.
 *
 * The rules, one place for both:
 * - Colour values are the file's own samples, never premultiplied by alpha (a pixel
 *   (212,119,155,0) stays (212,119,155) with alpha 0). No colour management (ICC/gAMA ignored).
 * - 16-bit samples become 8-bit levels, round(v·255/65535); 1/2/4-bit gray is scaled to 0..255.
 * - Alpha is kept only when the file can carry it (PNG gray+alpha, RGBA, tRNS) and some pixel is
 *   not opaque; an all-opaque alpha channel is dropped. tRNS keys give alpha 0, colour kept.
 * - `grayscale` follows the file: PNG colour types 0/4 and 1-component JPEGs (as MATLAB's imread,
 *   so metrics use the gray value). An RGB file whose pixels happen to be gray stays RGB.
 * - The EXIF orientation (JPEG APP1, PNG eXIf) is applied while converting (src/core/exif.ts), with
 *   no extra full-size copy.
 */
import { decode as decodePngFile } from 'fast-png';
import jpeg from 'jpeg-js';
import { orientationMap, type Orientation } from './exif';
import type { RgbImage } from './image';
import { readImageHeader, sniffFormat, type ImageHeader } from './imageHeader';

/**
 * A file the shared decoders do not handle although it may be valid (the app then lets the browser
 * decode it; the Node pipeline refuses it).
 */
export class UnsupportedImageError extends Error {}

/** v/255 as float32, exactly what `data[i] = v / 255` stores (core/image fromInterleaved8). */
const LEVEL = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** jpeg-js limits, the same in the app and in Node. */
export const JPEG_LIMITS = { maxResolutionInMP: 100, maxMemoryUsageInMB: 2048 } as const;

/** Fills `row` (RGBA, 8 bit, 4 per pixel) with stored row `y`; returns false if all alpha is 255. */
type RowReader = (y: number, row: Uint8Array) => boolean;

interface Raster {
  width: number;
  height: number;
  /** The file can carry transparency. */
  canHaveAlpha: boolean;
  grayscale: boolean;
  orientation: Orientation;
  readRow: RowReader;
}

/**
 * Row by row into planar float32 RGB (+ alpha), oriented on the fly. The alpha plane is allocated
 * at the first non-opaque row (filled with 1 before it), so opaque files never pay for it.
 */
function toPlanar(r: Raster): RgbImage {
  const { width: W, height: H } = r;
  if (!Number.isInteger(W) || !Number.isInteger(H) || W <= 0 || H <= 0) throw new Error(`invalid image size ${W}x${H}`);
  const m = orientationMap(W, H, r.orientation);
  const n = W * H;
  const data = new Float32Array(3 * n);
  let alpha: Float32Array | undefined;
  const row = new Uint8Array(4 * W);
  const n2 = 2 * n;
  for (let y = 0; y < H; y++) {
    const translucent = r.readRow(y, row);
    const start = m.base + y * m.dy;
    const dx = m.dx;
    let d = start;
    for (let x = 0, p = 0; x < W; x++, p += 4, d += dx) {
      data[d] = LEVEL[row[p]];
      data[n + d] = LEVEL[row[p + 1]];
      data[n2 + d] = LEVEL[row[p + 2]];
    }
    if (translucent && r.canHaveAlpha && !alpha) alpha = new Float32Array(n).fill(1);
    if (alpha) {
      d = start;
      for (let x = 0, p = 3; x < W; x++, p += 4, d += dx) alpha[d] = LEVEL[row[p]];
    }
  }
  return { width: m.width, height: m.height, data, ...(alpha ? { alpha } : {}), ...(r.grayscale ? { grayscale: true } : {}) };
}

/** Decode a PNG (any colour type, bit depth and interlace) to the planar layout. */
export function decodePng(bytes: Uint8Array, head: ImageHeader | null = readImageHeader(bytes)): RgbImage {
  // fast-png de-interlaces Adam7 as if every sample were at least one byte.
  if (head && head.bitDepth !== undefined && head.bitDepth < 8 && bytes[28] === 1) {
    throw new UnsupportedImageError(`interlaced PNGs with ${head.bitDepth}-bit samples are not supported`);
  }
  const png = decodePngFile(bytes, { checkCrc: true });
  const { width: W, height: H, depth, channels: ch } = png;
  const colorType = head?.pngColorType ?? (png.palette ? 3 : ch === 1 ? 0 : ch === 2 ? 4 : ch === 3 ? 2 : 6);
  const trns = png.transparency;
  const maxSample = (1 << Math.min(depth, 8)) - 1;
  const to8 = depth === 16 ? (v: number) => Math.floor((v * 255) / 65535 + 0.5) : depth < 8 ? (v: number) => (v * 255) / maxSample : (v: number) => v;
  // Sample s of stored row y: packed rows for depth < 8 (fast-png keeps the PNG row layout).
  const src = png.data;
  const rowLen = depth === 16 ? W * ch : Math.ceil((W * ch * depth) / 8);
  if (src.length < rowLen * H) throw new Error('image data is truncated');
  const sample =
    depth >= 8
      ? (y: number, s: number) => src[y * rowLen + s]
      : (y: number, s: number) => {
          const bit = s * depth;
          return (src[y * rowLen + (bit >> 3)] >> (8 - depth - (bit & 7))) & maxSample;
        };

  let readRow: RowReader;
  if (colorType === 3) {
    const table = new Uint8Array(256 * 4);
    for (let i = 0; i < 256; i++) table[4 * i + 3] = 255; // an index past the palette reads opaque black
    png.palette?.forEach((c, i) => {
      if (i < 256) table.set([c[0], c[1], c[2], c.length > 3 ? c[3] : 255], 4 * i);
    });
    readRow = (y, row) => {
      let t = false;
      for (let x = 0; x < W; x++) {
        const e = 4 * sample(y, x);
        const p = 4 * x;
        row[p] = table[e];
        row[p + 1] = table[e + 1];
        row[p + 2] = table[e + 2];
        if ((row[p + 3] = table[e + 3]) !== 255) t = true;
      }
      return t;
    };
  } else if (ch <= 2) {
    const key = colorType === 0 && trns && trns.length >= 1 ? trns[0] : -1;
    readRow = (y, row) => {
      let t = false;
      for (let x = 0; x < W; x++) {
        const raw = sample(y, ch * x);
        const v = to8(raw);
        const p = 4 * x;
        row[p] = row[p + 1] = row[p + 2] = v;
        const a = ch === 2 ? to8(sample(y, 2 * x + 1)) : raw === key ? 0 : 255;
        if ((row[p + 3] = a) !== 255) t = true;
      }
      return t;
    };
  } else if (depth === 8 && !trns) {
    // The common case (8-bit RGB/RGBA), without the per-sample indirections.
    readRow = (y, row) => {
      let t = false;
      for (let x = 0, s = y * rowLen, p = 0; x < W; x++, s += ch, p += 4) {
        row[p] = src[s];
        row[p + 1] = src[s + 1];
        row[p + 2] = src[s + 2];
        if ((row[p + 3] = ch === 4 ? src[s + 3] : 255) !== 255) t = true;
      }
      return t;
    };
  } else {
    const key = colorType === 2 && trns && trns.length >= 3 ? trns : null;
    readRow = (y, row) => {
      let t = false;
      for (let x = 0; x < W; x++) {
        const s = ch * x;
        const r = sample(y, s);
        const g = sample(y, s + 1);
        const b = sample(y, s + 2);
        const p = 4 * x;
        row[p] = to8(r);
        row[p + 1] = to8(g);
        row[p + 2] = to8(b);
        const a = ch === 4 ? to8(sample(y, s + 3)) : key && r === key[0] && g === key[1] && b === key[2] ? 0 : 255;
        if ((row[p + 3] = a) !== 255) t = true;
      }
      return t;
    };
  }
  return toPlanar({
    width: W,
    height: H,
    canHaveAlpha: colorType === 4 || colorType === 6 || !!trns || (colorType === 3 && !!png.palette?.some((c) => c.length > 3 && c[3] !== 255)),
    grayscale: colorType === 0 || colorType === 4,
    orientation: head?.orientation ?? 1,
    readRow,
  });
}

/** Decode a baseline or progressive JPEG (jpeg-js; gray, YCbCr, Adobe CMYK/YCCK) to the planar layout. */
export function decodeJpeg(bytes: Uint8Array, head: ImageHeader | null = readImageHeader(bytes)): RgbImage {
  const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, ...JPEG_LIMITS });
  const { width: W, height: H, data } = j;
  if (data.length < 3 * W * H) throw new Error('image data is truncated');
  return toPlanar({
    width: W,
    height: H,
    canHaveAlpha: false,
    grayscale: head?.components === 1,
    orientation: head?.orientation ?? 1,
    readRow: (y, row) => {
      for (let x = 0, s = 3 * W * y, p = 0; x < W; x++, s += 3, p += 4) {
        row[p] = data[s];
        row[p + 1] = data[s + 1];
        row[p + 2] = data[s + 2];
        row[p + 3] = 255;
      }
      return false;
    },
  });
}

/** PNG or JPEG by magic bytes; null for any other format (the caller has its own decoder for those). */
export function decodePngOrJpeg(bytes: Uint8Array, head: ImageHeader | null = readImageHeader(bytes)): RgbImage | null {
  const f = head?.format ?? sniffFormat(bytes);
  if (f === 'png') return decodePng(bytes, head);
  if (f === 'jpeg') return decodeJpeg(bytes, head);
  return null;
}
