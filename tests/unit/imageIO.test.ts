import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { decodeImage, encodePng } from '../../training/io/imageIO';
import { randomImage } from '../helpers/synthetic';

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
