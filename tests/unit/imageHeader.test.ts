import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readImageHeader, sniffFormat } from '../../src/core/imageHeader';
import { DecodeError, decodeImage } from '../../src/engine/decode';
import { MAX_INPUT_SIDE } from '../../src/engine/limits';
import { exifTiff, jpegWithOrientation, patternJpeg, pngBytes } from '../helpers/images';

/** The bytes of a BMP header only (enough for the reader). */
function bmpHead(w: number, h: number, core = false): Uint8Array {
  const b = Buffer.alloc(54);
  b.write('BM', 0, 'latin1');
  if (core) {
    b.writeUInt32LE(12, 14);
    b.writeUInt16LE(w, 18);
    b.writeUInt16LE(h, 20);
  } else {
    b.writeUInt32LE(40, 14);
    b.writeInt32LE(w, 18);
    b.writeInt32LE(h, 22);
  }
  return b;
}

function gif(w: number, h: number): Uint8Array {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b;
}

function riff(chunks: Array<[string, Buffer]>): Uint8Array {
  const body = Buffer.concat(
    chunks.map(([id, data]) => {
      const head = Buffer.alloc(8);
      head.write(id, 0, 'latin1');
      head.writeUInt32LE(data.length, 4);
      return Buffer.concat([head, data, Buffer.alloc(data.length & 1)]);
    }),
  );
  const head = Buffer.alloc(12);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(body.length + 4, 4);
  head.write('WEBP', 8, 'latin1');
  return Buffer.concat([head, body]);
}

/** VP8 (lossy) key-frame header: frame tag, start code, 14-bit sizes (+ 2-bit scale). */
function vp8(w: number, h: number): Buffer {
  const b = Buffer.alloc(20);
  b.set([0x9d, 0x01, 0x2a], 3);
  b.writeUInt16LE(w | (1 << 14), 6); // a scale bit set: must be masked off
  b.writeUInt16LE(h, 8);
  return b;
}

function vp8l(w: number, h: number): Buffer {
  const b = Buffer.alloc(10);
  b[0] = 0x2f;
  b.writeUInt32LE((w - 1) | ((h - 1) << 14), 1);
  return b;
}

function vp8x(w: number, h: number, exif: boolean): Buffer {
  const b = Buffer.alloc(10);
  b[0] = exif ? 0x08 : 0;
  b.writeUIntLE(w - 1, 4, 3);
  b.writeUIntLE(h - 1, 7, 3);
  return b;
}

/** A JPEG made of markers only: SOI, APP0, a frame header (SOFn) and EOI. */
function jpegFrame(sof: number, w: number, h: number, comps: number): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Buffer.from('JFIF\0', 'latin1'), 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const frame = [0xff, sof, 0x00, 8 + 3 * comps, 8, h >> 8, h & 255, w >> 8, w & 255, comps];
  for (let c = 0; c < comps; c++) frame.push(c + 1, 0x11, 0);
  return Uint8Array.from([0xff, 0xd8, ...app0, ...frame, 0xff, 0xd9]);
}

describe('image header', () => {
  it('PNG: IHDR size, colour type and depth; eXIf orientation swaps the displayed size', () => {
    const p = pngBytes({ width: 7, height: 3, colorType: 6, depth: 8, samples: () => [1, 2, 3, 4] });
    expect(readImageHeader(p)).toMatchObject({ format: 'png', width: 7, height: 3, displayWidth: 7, displayHeight: 3, orientation: 1, pngColorType: 6, bitDepth: 8 });
    const r = pngBytes({ width: 7, height: 3, colorType: 0, depth: 16, samples: () => [9], exifOrientation: 6 });
    expect(readImageHeader(r)).toMatchObject({ width: 7, height: 3, displayWidth: 3, displayHeight: 7, orientation: 6, pngColorType: 0, bitDepth: 16 });
  });

  it('JPEG: the SOF size and components (baseline, progressive, lossless), with the EXIF orientation', () => {
    const j = patternJpeg(40, 24);
    expect(readImageHeader(j)).toMatchObject({ format: 'jpeg', width: 40, height: 24, components: 3, orientation: 1 });
    for (const o of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const h = readImageHeader(jpegWithOrientation(j, o))!;
      expect([h.orientation, h.displayWidth, h.displayHeight]).toEqual([o, o >= 5 ? 24 : 40, o >= 5 ? 40 : 24]);
    }
    expect(readImageHeader(jpegFrame(0xc2, 5000, 300, 1))).toMatchObject({ width: 5000, height: 300, components: 1 });
    expect(readImageHeader(jpegFrame(0xc3, 17, 19, 3))).toMatchObject({ width: 17, height: 19 });
    // C4 (DHT) is not a frame header.
    const dhtFirst = jpegFrame(0xc0, 8, 9, 3);
    const withDht = Uint8Array.from([...dhtFirst.subarray(0, 2), 0xff, 0xc4, 0x00, 0x04, 0x00, 0x00, ...dhtFirst.subarray(2)]);
    expect(readImageHeader(withDht)).toMatchObject({ width: 8, height: 9 });
  });

  it('GIF, BMP (info and core headers, top-down rows)', () => {
    expect(readImageHeader(gif(320, 200))).toMatchObject({ format: 'gif', width: 320, height: 200 });
    expect(readImageHeader(bmpHead(640, 480))).toMatchObject({ format: 'bmp', width: 640, height: 480 });
    expect(readImageHeader(bmpHead(640, -480))).toMatchObject({ width: 640, height: 480 });
    expect(readImageHeader(bmpHead(33, 44, true))).toMatchObject({ width: 33, height: 44 });
  });

  it('WebP: VP8, VP8L, VP8X (+ EXIF orientation after the image data)', () => {
    expect(readImageHeader(riff([['VP8 ', vp8(1234, 567)]]))).toMatchObject({ format: 'webp', width: 1234, height: 567 });
    expect(readImageHeader(riff([['VP8L', vp8l(16384, 3)]]))).toMatchObject({ width: 16384, height: 3 });
    const x = riff([
      ['VP8X', vp8x(9000, 20, true)],
      ['VP8 ', vp8(9000, 20)],
      ['EXIF', exifTiff(8)],
    ]);
    expect(readImageHeader(x)).toMatchObject({ width: 9000, height: 20, orientation: 8, displayWidth: 20, displayHeight: 9000 });
    const prefixed = riff([
      ['VP8X', vp8x(10, 20, true)],
      ['EXIF', Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifTiff(6, true)])],
    ]);
    expect(readImageHeader(prefixed)).toMatchObject({ orientation: 6, displayWidth: 20, displayHeight: 10 });
  });

  it('unknown, truncated or damaged headers give null, never a throw', () => {
    expect(sniffFormat(new TextEncoder().encode('hello'))).toBeNull();
    expect(readImageHeader(new TextEncoder().encode('hello, not an image'))).toBeNull();
    const p = pngBytes({ width: 2, height: 2, colorType: 2, depth: 8, samples: () => [1, 2, 3] });
    expect(readImageHeader(p.subarray(0, 20))).toBeNull();
    expect(readImageHeader(jpegFrame(0xc0, 8, 8, 3).subarray(0, 24))).toBeNull();
    expect(readImageHeader(riff([['VP8 ', Buffer.alloc(20)]]))).toBeNull();
    const j = jpegWithOrientation(patternJpeg(8, 8), 6);
    for (let cut = 0; cut < j.length; cut += 3) expect(() => readImageHeader(j.subarray(0, cut))).not.toThrow();
  });
});

describe('decode refuses oversized images from the header', () => {
  it('a 16384² PNG (a few KB of zeros) is refused before its 1 GB of pixels are inflated', async () => {
    const side = 16384;
    // 1-bit gray: 2 KB per row of zeros, ~33 KB once deflated.
    const raw = Buffer.alloc(side * (1 + side / 8));
    const huge = Buffer.from(pngBytes({ width: 1, height: 1, colorType: 0, depth: 1, samples: () => [0] }));
    huge.writeUInt32BE(side, 16);
    huge.writeUInt32BE(side, 20);
    // IHDR CRC no longer matches, which only matters to a decoder: the header check comes first.
    const idat = deflateSync(raw);
    const file = Buffer.concat([huge.subarray(0, 33), idatChunk(idat), huge.subarray(huge.length - 12)]);
    expect(file.length).toBeLessThan(100_000);
    const t0 = performance.now();
    await expect(decodeImage(blob([file]), 'huge.png')).rejects.toThrow(new RegExp(`huge.png: image is 16384×16384; the maximum is ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE}`));
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('limits apply to the displayed size: a JPEG tagged as rotated is checked rotated', async () => {
    const tall = jpegWithOrientation(jpegFrame(0xc0, 100, MAX_INPUT_SIDE + 1, 3), 6);
    await expect(decodeImage(blob([tall]), 'rot.jpg')).rejects.toThrow(new RegExp(`image is ${MAX_INPUT_SIDE + 1}×100`));
    await expect(decodeImage(blob([jpegFrame(0xc0, MAX_INPUT_SIDE + 1, 8, 1)]), 'wide.jpg')).rejects.toBeInstanceOf(DecodeError);
  });

  it('PNG and JPEG decode in plain Node with no canvas (the app path is the shared decoder)', async () => {
    const j = await decodeImage(blob([jpegWithOrientation(patternJpeg(16, 8), 6)]), 'j.jpg');
    expect([j.width, j.height]).toEqual([8, 16]);
    const p = await decodeImage(blob([pngBytes({ width: 3, height: 2, colorType: 6, depth: 8, samples: (x) => [212, 119, 155, x ? 255 : 0] })]), 'p.png');
    expect(Array.from(p.data.subarray(0, 1), (v) => Math.round(v * 255))).toEqual([212]);
    expect(Array.from(p.alpha!, (v) => Math.round(v * 255))).toEqual([0, 255, 255, 0, 255, 255]);
    await expect(decodeImage(blob([pngBytes({ width: 3, height: 2, colorType: 2, depth: 8, samples: () => [1, 2, 3] }).subarray(0, 50)]), 'cut.png')).rejects.toThrow(
      /cannot decode cut.png: the file is corrupt or truncated/,
    );
  });
});

const blob = (parts: Uint8Array[]) => new Blob(parts.map((p) => Uint8Array.from(p)));

function idatChunk(data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write('IDAT', 4, 'latin1');
  return Buffer.concat([head, data, Buffer.alloc(4)]);
}
