import { describe, expect, it } from 'vitest';
import { decodeJpeg, decodePng } from '../../src/core/codecs';
import { applyOrientation, jpegOrientation, orientedSize, tiffOrientation, type Orientation } from '../../src/core/exif';
import { createImage, type RgbImage } from '../../src/core/image';
import { exifTiff, jpegWithOrientation, patternJpeg, pngBytes } from '../helpers/images';

const ALL: Orientation[] = [1, 2, 3, 4, 5, 6, 7, 8];

/** 3×2 image whose R plane spells a b c / d e f (values 1..6), G = 10·R, B = 100·R, alpha = R / 10. */
function abc(): RgbImage {
  const img = createImage(3, 2, true);
  for (let i = 0; i < 6; i++) {
    img.data[i] = i + 1;
    img.data[6 + i] = 10 * (i + 1);
    img.data[12 + i] = 100 * (i + 1);
    img.alpha![i] = (i + 1) / 10;
  }
  return img;
}

// The displayed image for each tag, rows top to bottom (a..f = 1..6), from the EXIF 2.3 table.
const EXPECTED: Record<Orientation, number[][]> = {
  1: [[1, 2, 3], [4, 5, 6]],
  2: [[3, 2, 1], [6, 5, 4]], // mirrored left-right
  3: [[6, 5, 4], [3, 2, 1]], // rotated 180°
  4: [[4, 5, 6], [1, 2, 3]], // mirrored top-bottom
  5: [[1, 4], [2, 5], [3, 6]], // transposed
  6: [[4, 1], [5, 2], [6, 3]], // rotated 90° clockwise
  7: [[6, 3], [5, 2], [4, 1]], // transversed
  8: [[3, 6], [2, 5], [1, 4]], // rotated 90° counter-clockwise
};

const rows = (plane: ArrayLike<number>, w: number, h: number) => Array.from({ length: h }, (_, y) => Array.from({ length: w }, (_, x) => plane[y * w + x]));

describe('EXIF orientation', () => {
  for (const o of ALL) {
    it(`orientation ${o} moves every plane (RGB and alpha) as the EXIF table says`, () => {
      const out = applyOrientation({ ...abc(), grayscale: true }, o);
      const want = EXPECTED[o];
      expect([out.width, out.height]).toEqual([want[0].length, want.length]);
      expect(orientedSize(3, 2, o)).toEqual({ width: out.width, height: out.height });
      const n = out.width * out.height;
      expect(rows(out.data.subarray(0, n), out.width, out.height)).toEqual(want);
      expect(rows(out.data.subarray(n, 2 * n), out.width, out.height)).toEqual(want.map((r) => r.map((v) => 10 * v)));
      expect(rows(out.data.subarray(2 * n), out.width, out.height)).toEqual(want.map((r) => r.map((v) => 100 * v)));
      expect(rows(Array.from(out.alpha!, (v) => Math.round(v * 10)), out.width, out.height)).toEqual(want);
      expect(out.grayscale).toBe(true);
    });
  }

  it('orientation 1 returns the image itself; 2-8 leave the input untouched', () => {
    const img = abc();
    expect(applyOrientation(img, 1)).toBe(img);
    const copy = Array.from(img.data);
    for (const o of ALL) applyOrientation(img, o);
    expect(Array.from(img.data)).toEqual(copy);
  });

  it('reads the tag from big- and little-endian TIFF; absent, invalid or truncated reads 1', () => {
    for (const o of ALL) {
      expect(tiffOrientation(exifTiff(o))).toBe(o);
      expect(tiffOrientation(exifTiff(o, true))).toBe(o);
    }
    expect(tiffOrientation(exifTiff(9))).toBe(1);
    expect(tiffOrientation(exifTiff(0))).toBe(1);
    expect(tiffOrientation(exifTiff(6).subarray(0, 12))).toBe(1);
    const otherTag = exifTiff(6);
    otherTag.writeUInt16BE(0x010f, 10); // Make, not Orientation
    expect(tiffOrientation(otherTag)).toBe(1);
    expect(tiffOrientation(new Uint8Array(0))).toBe(1);
  });

  it('finds the APP1 segment of a JPEG, after an APP0 too; none reads 1', () => {
    const base = patternJpeg(16, 8);
    expect(jpegOrientation(base)).toBe(1); // jpeg-js writes APP0 JFIF only
    for (const o of ALL) expect(jpegOrientation(jpegWithOrientation(base, o, o % 2 === 0))).toBe(o);
    // APP1 after APP0: insert after the JFIF segment.
    const app0End = 4 + ((base[4] << 8) | base[5]);
    const withExif = jpegWithOrientation(base, 6);
    const app1 = withExif.subarray(2, withExif.length - base.length + 2);
    const after = Buffer.concat([base.subarray(0, app0End), app1, base.subarray(app0End)]);
    expect(jpegOrientation(after)).toBe(6);
    expect(jpegOrientation(new TextEncoder().encode('not a jpeg'))).toBe(1);
  });

  it('the decoders orient while converting: equal to applyOrientation of the unrotated decode', () => {
    const base = patternJpeg(24, 16);
    const plain = decodeJpeg(base);
    const png = (o?: number) =>
      pngBytes({ width: 5, height: 3, colorType: 6, depth: 8, samples: (x, y) => [x * 40, y * 90, 7 * x * y, 60 + x + 10 * y], ...(o ? { exifOrientation: o } : {}) });
    const plainPng = decodePng(png());
    for (const o of ALL) {
      const j = decodeJpeg(jpegWithOrientation(base, o));
      const want = applyOrientation(plain, o);
      expect([j.width, j.height]).toEqual([want.width, want.height]);
      expect(Array.from(j.data)).toEqual(Array.from(want.data));
      const p = decodePng(png(o));
      const wantPng = applyOrientation(plainPng, o);
      expect([p.width, p.height]).toEqual([wantPng.width, wantPng.height]);
      expect(Array.from(p.data)).toEqual(Array.from(wantPng.data));
      expect(Array.from(p.alpha!)).toEqual(Array.from(wantPng.alpha!));
    }
  });
});
