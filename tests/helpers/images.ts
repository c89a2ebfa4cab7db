/**
 * Test images: Set5 baby.png when ../shared/data is present, else a generated one; a small one for
 * WebGPU; and byte-level builders (EXIF segments, PNG chunks, alpha and oriented files) for the
 * decoder tests.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { BENCH } from './sharedData';

const dir = join(tmpdir(), 'bitsr-e2e-images');

/** A deterministic RGB test pattern (smooth + edges), so PSNRs are meaningful. */
export function generatedPng(w: number, h: number, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${w}x${h}.png`);
  if (existsSync(file)) return file;
  writeFileSync(file, patternPng(w, h, () => 255));
  return file;
}

export function babyPng(): { path: string; generated: boolean } {
  const p = join(BENCH, 'Set5/HR/baby.png');
  return existsSync(p) ? { path: p, generated: false } : { path: generatedPng(256, 256, 'baby-standin'), generated: true };
}

/** A TIFF block (the payload of an EXIF segment) whose IFD0 holds only the orientation tag. */
export function exifTiff(orientation: number, littleEndian = false): Buffer {
  const b = Buffer.alloc(8 + 2 + 12 + 4);
  const u16 = (v: number, o: number) => (littleEndian ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (littleEndian ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  b.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // count
  u16(orientation, 18); // value, left-justified in the 4-byte field
  u32(0, 22); // no next IFD
  return b;
}

/** The JPEG with an APP1 "Exif" segment carrying `orientation` inserted right after SOI. */
export function jpegWithOrientation(jpegBytes: Uint8Array, orientation: number, littleEndian = false): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifTiff(orientation, littleEndian)]);
  const seg = Buffer.alloc(4);
  seg.writeUInt16BE(0xffe1, 0);
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([Buffer.from(jpegBytes.subarray(0, 2)), seg, payload, Buffer.from(jpegBytes.subarray(2))]);
}

/** A deterministic RGB JPEG (jpeg-js encoder) of the same pattern as generatedPng. */
export function patternJpeg(w: number, h: number, quality = 90): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      data[i] = 128 + 100 * Math.sin(x / 5);
      data[i + 1] = 128 + 100 * Math.cos(y / 7);
      data[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
      data[i + 3] = 255;
    }
  return jpeg.encode({ data, width: w, height: h }, quality).data;
}

/**
 * An RGBA PNG whose alpha varies over the image and is 0 on a band of pixels that keep a non-zero
 * colour: a premultiplying decoder reads those as black.
 */
export function alphaPng(w: number, h: number): Buffer {
  return patternPng(w, h, (x, y) => (x % 7 === 0 || y < 4 ? 0 : Math.round((255 * (x + y)) / (w + h))));
}

export interface PngSpec {
  width: number;
  height: number;
  /** 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA. */
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  /** The samples of pixel (x, y): as many as the colour type has channels (palette: the index). */
  samples: (x: number, y: number) => number[];
  palette?: Array<[number, number, number]>;
  /** Raw tRNS payload: palette alphas, or the gray / RGB key as 16-bit big-endian samples. */
  trns?: number[];
  exifOrientation?: number;
  /** Sets the Adam7 flag only (the data stays non-interlaced): for testing refusals. */
  interlaceFlag?: boolean;
}

/** A PNG written chunk by chunk (filter 0 rows), for what pngjs cannot write: palettes, tRNS, sub-byte depths, eXIf. */
export function pngBytes(s: PngSpec): Buffer {
  const ch = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[s.colorType];
  const rowBytes = Math.ceil((s.width * ch * s.depth) / 8);
  const raw = Buffer.alloc(s.height * (rowBytes + 1));
  for (let y = 0; y < s.height; y++) {
    const row = y * (rowBytes + 1) + 1;
    let bit = 0;
    for (let x = 0; x < s.width; x++)
      for (const v of s.samples(x, y)) {
        if (s.depth === 16) raw.writeUInt16BE(v, row + bit / 8);
        else if (s.depth === 8) raw[row + bit / 8] = v;
        else raw[row + (bit >> 3)] |= v << (8 - s.depth - (bit & 7));
        bit += s.depth;
      }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(s.width, 0);
  ihdr.writeUInt32BE(s.height, 4);
  ihdr[8] = s.depth;
  ihdr[9] = s.colorType;
  ihdr[12] = s.interlaceFlag ? 1 : 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    ...(s.exifOrientation ? [chunk('eXIf', exifTiff(s.exifOrientation))] : []),
    ...(s.palette ? [chunk('PLTE', Buffer.from(s.palette.flat()))] : []),
    ...(s.trns ? [chunk('tRNS', Buffer.from(s.trns))] : []),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The test pattern (smooth + edges) as PNG bytes, with the given alpha per pixel. */
function patternPng(w: number, h: number, alpha: (x: number, y: number) => number): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      png.data[i] = 128 + 100 * Math.sin(x / 5);
      png.data[i + 1] = 128 + 100 * Math.cos(y / 7);
      png.data[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
      png.data[i + 3] = alpha(x, y);
    }
  return PNG.sync.write(png);
}
