import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encode as fastPngEncode } from 'fast-png';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { decodePng, UnsupportedImageError } from '../../src/core/codecs';
import { fromInterleaved8 } from '../../src/core/image';
import { decodeImage, encodePng } from '../../training/io/imageIO';
import { alphaPng, pngBytes } from '../helpers/images';
import { randomImage } from '../helpers/synthetic';

const to8 = (a: ArrayLike<number>) => Array.from(a, (v) => Math.round(v * 255));

function bmp24(w: number, h: number, px: (x: number, y: number) => [number, number, number]): Uint8Array {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const buf = new Uint8Array(54 + stride * h);
  const dv = new DataView(buf.buffer);
  buf[0] = 0x42;
  buf[1] = 0x4d;
  dv.setUint32(2, buf.length, true);
  dv.setUint32(10, 54, true);
  dv.setUint32(14, 40, true);
  dv.setInt32(18, w, true);
  dv.setInt32(22, h, true); // bottom-up
  dv.setUint16(26, 1, true);
  dv.setUint16(28, 24, true);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = px(x, y);
      const o = 54 + (h - 1 - y) * stride + x * 3;
      buf[o] = b;
      buf[o + 1] = g;
      buf[o + 2] = r;
    }
  return buf;
}

describe('image IO', () => {
  it('decodes 24-bit bottom-up BMP with row padding', () => {
    const img = decodeImage(bmp24(5, 3, (x, y) => [x * 50, y * 100, 7]));
    expect([img.width, img.height]).toEqual([5, 3]);
    const n = 15;
    expect(Math.round(img.data[2 * 5 + 3] * 255)).toBe(150);
    expect(Math.round(img.data[n + 2 * 5 + 3] * 255)).toBe(200);
    expect(Math.round(img.data[2 * n] * 255)).toBe(7);
  });

  it('round-trips PNG, reads gray PNG as grayscale, keeps RGBA alpha', () => {
    const img = randomImage(9, 7, 1);
    const back = decodeImage(encodePng(img));
    expect(Array.from(back.data)).toEqual(Array.from(img.data));
    const gray = new PNG({ width: 4, height: 4, colorType: 0, inputColorType: 0, inputHasAlpha: false } as never);
    gray.data = Buffer.from(new Uint8Array(16).map((_, i) => i * 16));
    const g = decodeImage(PNG.sync.write(gray, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
    expect(g.grayscale).toBe(true);
    expect(Math.round(g.data[16 + 5] * 255)).toBe(80);
    const rgba = new PNG({ width: 2, height: 1 });
    rgba.data = Buffer.from([1, 2, 3, 40, 5, 6, 7, 200]);
    const a = decodeImage(PNG.sync.write(rgba));
    expect(a.alpha && Array.from(a.alpha).map((v) => Math.round(v * 255))).toEqual([40, 200]);
  });

  it('decodes JPEG', () => {
    const data = Buffer.alloc(16 * 16 * 4, 128);
    const j = jpeg.encode({ data, width: 16, height: 16 }, 95);
    const img = decodeImage(j.data);
    expect(Math.abs(img.data[0] * 255 - 128)).toBeLessThan(3);
  });

  it('names the problem for corrupt and non-image input', () => {
    expect(() => decodeImage(new TextEncoder().encode('hello world, not an image'), 'notes.txt')).toThrow(/notes.txt.*not a PNG, JPEG or BMP/);
    const png = encodePng(randomImage(8, 8));
    expect(() => decodeImage(png.subarray(0, 40), 'cut.png')).toThrow(/cannot decode cut.png/);
    expect(() => decodeImage(bmp24(4, 4, () => [0, 0, 0]).subarray(0, 60), 'cut.bmp')).toThrow(/truncated BMP/);
  });
});

describe('PNG decoding rules (src/core/codecs, shared with the app)', () => {
  it('alpha is never premultiplied: a (212,119,155,0) pixel keeps its colour', () => {
    const img = decodeImage(pngBytes({ width: 2, height: 1, colorType: 6, depth: 8, samples: (x) => (x ? [10, 20, 30, 128] : [212, 119, 155, 0]) }));
    expect(to8(img.data)).toEqual([212, 10, 119, 20, 155, 30]);
    expect(to8(img.alpha!)).toEqual([0, 128]);
    const a = decodeImage(alphaPng(24, 16));
    const src = PNG.sync.read(alphaPng(24, 16)).data;
    expect(to8(a.data.subarray(0, 24 * 16))).toEqual(Array.from({ length: 24 * 16 }, (_, i) => src[4 * i]));
    expect(to8(a.alpha!)).toEqual(Array.from({ length: 24 * 16 }, (_, i) => src[4 * i + 3]));
    expect(Array.from(a.alpha!).filter((v) => v === 0).length).toBeGreaterThan(50);
  });

  it('an all-opaque alpha channel is dropped; grayscale follows the colour type, not the pixels', () => {
    const opaque = decodeImage(pngBytes({ width: 3, height: 2, colorType: 6, depth: 8, samples: (x) => [x, x, x, 255] }));
    expect(opaque.alpha).toBeUndefined();
    expect(opaque.grayscale).toBeUndefined(); // RGB file with gray pixels stays RGB (MATLAB imread)
    const ga = decodeImage(pngBytes({ width: 3, height: 2, colorType: 4, depth: 8, samples: (x) => [50 * x, 100 + x] }));
    expect(ga.grayscale).toBe(true);
    expect(to8(ga.alpha!)).toEqual([100, 101, 102, 100, 101, 102]);
  });

  it('equals pngjs (the former Node decoder) on 8/16-bit gray, gray+alpha, RGB and RGBA', () => {
    const colorTypes = [0, 2, 4, 6] as const;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom(...colorTypes), fc.constantFrom(8, 16), fc.integer(), (w, h, ct, depth, seed) => {
        const ch = { 0: 1, 2: 3, 4: 2, 6: 4 }[ct];
        let r = seed >>> 0;
        const rnd = () => ((r = (Math.imul(r, 1103515245) + 12345) >>> 0) >>> 8) % (depth === 16 ? 65536 : 256);
        const file = pngBytes({ width: w, height: h, colorType: ct, depth: depth as 8 | 16, samples: () => Array.from({ length: ch }, rnd) });
        const mine = decodePng(file);
        const ref = PNG.sync.read(file);
        const meta = ref as unknown as { alpha?: boolean; color?: boolean };
        const want = fromInterleaved8(ref.data, w, h, 4, meta.alpha ?? false, meta.color === false);
        expect(Array.from(mine.data)).toEqual(Array.from(want.data));
        expect(!!mine.grayscale).toBe(!!want.grayscale);
        if (mine.alpha) expect(Array.from(mine.alpha)).toEqual(Array.from(want.alpha!));
        else if (want.alpha) expect(want.alpha.every((v) => v === 1)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('16-bit samples round to 8-bit levels: round(v*255/65535)', () => {
    const vals = [0, 128, 129, 385, 32767, 32896, 65535];
    const img = decodePng(pngBytes({ width: vals.length, height: 1, colorType: 0, depth: 16, samples: (x) => [vals[x]] }));
    expect(to8(img.data.subarray(0, vals.length))).toEqual(vals.map((v) => Math.round((v * 255) / 65535)));
  });

  it('palettes at 1/2/4/8 bits, with tRNS alpha; out-of-palette indices read opaque black', () => {
    const palette: Array<[number, number, number]> = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [9, 8, 7]];
    for (const depth of [1, 2, 4, 8] as const) {
      const n = Math.min(4, 1 << depth);
      const img = decodePng(pngBytes({ width: 11, height: 3, colorType: 3, depth, samples: (x, y) => [(x + y) % n], palette, trns: [255, 0, 77].slice(0, n) }));
      expect(img.grayscale).toBeUndefined();
      for (let i = 0; i < 33; i++) {
        const k = ((i % 11) + Math.floor(i / 11)) % n;
        expect([img.data[i], img.data[33 + i], img.data[66 + i]].map((v) => Math.round(v * 255))).toEqual(palette[k]);
        expect(Math.round(img.alpha![i] * 255)).toBe([255, 0, 77, 255][k]);
      }
    }
    const opaque = decodePng(pngBytes({ width: 2, height: 1, colorType: 3, depth: 8, samples: (x) => [x ? 200 : 1], palette }));
    expect(opaque.alpha).toBeUndefined();
    expect(to8(opaque.data)).toEqual([0, 0, 255, 0, 0, 0]);
  });

  it('tRNS colour keys (gray and RGB) give alpha 0 and keep the colour; sub-byte gray scales to 0..255', () => {
    const g = decodePng(pngBytes({ width: 4, height: 1, colorType: 0, depth: 8, samples: (x) => [x * 60], trns: [0, 60] }));
    expect(to8(g.data.subarray(0, 4))).toEqual([0, 60, 120, 180]);
    expect(to8(g.alpha!)).toEqual([255, 0, 255, 255]);
    const rgb = decodePng(pngBytes({ width: 3, height: 1, colorType: 2, depth: 8, samples: (x) => [x, 2, 3], trns: [0, 1, 0, 2, 0, 3] }));
    expect(to8(rgb.data)).toEqual([0, 1, 2, 2, 2, 2, 3, 3, 3]);
    expect(to8(rgb.alpha!)).toEqual([255, 0, 255]);
    for (const depth of [1, 2, 4] as const) {
      const max = (1 << depth) - 1;
      const img = decodePng(pngBytes({ width: 9, height: 2, colorType: 0, depth, samples: (x, y) => [(x + y) % (max + 1)] }));
      expect(img.grayscale).toBe(true);
      expect(to8(img.data.subarray(0, 18))).toEqual(Array.from({ length: 18 }, (_, i) => Math.round((((i % 9) + Math.floor(i / 9)) % (max + 1)) * (255 / max))));
    }
  });

  it('Adam7-interlaced 8-bit reads as the plain file; interlaced sub-byte is refused by name', () => {
    const data = Uint8Array.from({ length: 13 * 9 * 3 }, (_, i) => (i * 37) % 256);
    const plain = decodePng(fastPngEncode({ width: 13, height: 9, data, channels: 3, depth: 8 }));
    const inter = decodePng(fastPngEncode({ width: 13, height: 9, data, channels: 3, depth: 8 }, { interlace: 'Adam7' }));
    expect(Array.from(inter.data)).toEqual(Array.from(plain.data));
    const sub = pngBytes({ width: 4, height: 4, colorType: 0, depth: 2, samples: () => [1], interlaceFlag: true });
    expect(() => decodePng(sub)).toThrow(UnsupportedImageError);
    expect(() => decodeImage(sub, 'i.png')).toThrow(/cannot decode i.png: interlaced PNGs with 2-bit samples/);
  });

  it('a PNG with a damaged CRC is refused', () => {
    const file = Buffer.from(encodePng(randomImage(4, 4)));
    file[file.length - 20] ^= 0xff; // inside IDAT
    expect(() => decodeImage(file, 'bad.png')).toThrow(/cannot decode bad.png/);
  });
});
