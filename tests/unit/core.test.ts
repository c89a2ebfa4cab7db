import { describe, expect, it } from 'vitest';
import { createImage, crop, fromInterleaved8, modCrop, quantize8, toRgba8, type RgbImage } from '../../src/core/image';
import { contributions, imresize } from '../../src/core/imresize';
import { evaluate, GroundTruthLuma, psnr, ScaleScorer } from '../../src/core/metrics';
import { metricLuma } from '../../src/core/color';
import { binarize, packBits, unpackBits } from '../../src/core/bitpack';
import { extractTile, mergeTiles, planTiles } from '../../src/core/tiling';
import { randomImage, smoothImage, mulberry } from '../helpers/synthetic';

describe('imresize (MATLAB bicubic)', () => {
  it('keeps a constant image constant, down and up, at every scale', () => {
    for (const s of [2, 3, 4]) {
      const img = createImage(24, 36);
      img.data.fill(0.3);
      for (const out of [imresize(img, 1 / s), imresize(img, s)]) {
        for (const v of out.data) expect(v).toBeCloseTo(0.3, 6);
      }
    }
  });

  it('gives ceil(size*scale) outputs', () => {
    const img = createImage(25, 17);
    expect(imresize(img, 1 / 4)).toMatchObject({ width: 7, height: 5 });
    expect(imresize(img, 3)).toMatchObject({ width: 75, height: 51 });
  });

  it('normalizes weights and mirrors indices into range', () => {
    const c = contributions(10, 40, 4);
    for (let i = 0; i < c.outLength; i++) {
      let s = 0;
      for (let t = 0; t < c.taps; t++) {
        s += c.weights[i * c.taps + t];
        const idx = c.indices[i * c.taps + t];
        expect(idx).toBeGreaterThanOrEqual(0);
        expect(idx).toBeLessThan(10);
      }
      expect(s).toBeCloseTo(1, 12);
    }
  });

  it('maps coordinates as MATLAB does (x2 down of a ramp: output i sits at input 2i + 0.5)', () => {
    // The antialiased kernel is symmetric and reproduces linear functions away from borders.
    const img = createImage(16, 1);
    for (let x = 0; x < 16; x++) for (let c = 0; c < 3; c++) img.data[c * 16 + x] = x / 15;
    const out = imresize(img, 0.5, { width: 8, height: 1 });
    // Interior outputs of a linear ramp stay linear: pixel i covers input (2i+0.5).
    for (let i = 2; i < 6; i++) expect(out.data[i]).toBeCloseTo((2 * i + 0.5) / 15, 6);
  });

  it('downscale then upscale of smooth content is close', () => {
    const img = smoothImage(96, 96);
    for (const s of [2, 3, 4]) {
      const back = imresize(quantize8(imresize(img, 1 / s)), s);
      expect(psnr(back, img, s)).toBeGreaterThan(38);
    }
  });
});

describe('mod-crop read in place (region)', () => {
  it('imresize, toRgba8 and evaluate on a region equal the same on a cropped copy, bit for bit', () => {
    const img = { ...randomImage(47, 35, 21), alpha: new Float32Array(47 * 35).fill(0.5) };
    for (const s of [2, 3, 4]) {
      const hr = modCrop(img, s);
      const region = { width: hr.width, height: hr.height };
      expect(imresize(img, 1 / s, undefined, region)).toEqual(imresize(hr, 1 / s));
      expect(toRgba8(img, region)).toEqual(toRgba8(hr));
      const sr = imresize(imresize(hr, 1 / s), s);
      expect(evaluate(sr, img, s, true)).toEqual(evaluate(sr, hr, s));
    }
    expect(() => evaluate(randomImage(10, 10), randomImage(9, 10), 1, true)).toThrow(/size mismatch/);
  });
});

describe('metrics', () => {
  it('PSNR of identical images is Infinity, SSIM is 1', () => {
    const img = randomImage(40, 40, 3);
    const m = evaluate(img, img, 4);
    expect(m.psnr).toBe(Infinity);
    expect(m.ssim).toBeCloseTo(1, 12);
  });

  it('PSNR matches the closed form for a uniform offset', () => {
    const a = createImage(30, 30);
    a.data.fill(100 / 255);
    const b = createImage(30, 30);
    b.data.fill(104 / 255);
    // Y difference: round(16 + 219*104/255) - round(16 + 219*100/255) = 105 - 102 = 3 (rounded Y).
    const ya = metricLuma(a)[0];
    const yb = metricLuma(b)[0];
    const d = yb - ya;
    expect(psnr(b, a, 2)).toBeCloseTo(10 * Math.log10((255 * 255) / (d * d)), 10);
  });

  it('is symmetric, drops with noise, and SSIM stays in (0,1]', () => {
    const a = smoothImage(48, 48);
    const b = randomImage(48, 48, 9);
    const mix = createImage(48, 48);
    for (let i = 0; i < mix.data.length; i++) mix.data[i] = 0.9 * a.data[i] + 0.1 * b.data[i];
    expect(psnr(a, mix, 2)).toBeCloseTo(psnr(mix, a, 2), 10);
    const m = evaluate(mix, a, 2);
    expect(m.ssim).toBeGreaterThan(0);
    expect(m.ssim).toBeLessThan(1);
    expect(evaluate(b, a, 2).psnr).toBeLessThan(m.psnr);
  });

  it('scores grayscale ground truth on the gray level, not studio-range Y', () => {
    const g = fromInterleaved8(new Uint8Array(32 * 32).map((_, i) => i % 251), 32, 32, 1);
    expect(g.grayscale).toBe(true);
    const y = metricLuma(g);
    for (let i = 0; i < 32 * 32; i++) expect(y[i]).toBe(i % 251);
  });

  it('rejects size mismatch with a clear message', () => {
    expect(() => psnr(createImage(10, 10), createImage(12, 10), 1)).toThrow(/size mismatch/);
  });
});

describe('ScaleScorer: the live SSIM within finished tiles', () => {
  it("one tile covering the image gives evaluate()'s SSIM exactly; tiles give a close estimate; nothing until a window fits", () => {
    const hr = smoothImage(60, 44);
    const sr = { ...hr, data: hr.data.map((v, i) => v + ((i * 7919) % 13) / 400 - 0.015) };
    const exact = evaluate(sr, hr, 2);
    const gt = new GroundTruthLuma(hr);
    const whole = new ScaleScorer(gt, 60, 44, 2);
    whole.add(sr, { x: 0, y: 0, width: 60, height: 44 });
    expect(whole.ssim).toBeCloseTo(exact.ssim, 12);
    expect(whole.final()).toEqual(exact);
    const tiled = new ScaleScorer(gt, 60, 44, 2);
    expect(tiled.ssim).toBeUndefined();
    tiled.add(sr, { x: 0, y: 0, width: 8, height: 8 });
    expect(tiled.ssim).toBeUndefined();
    expect(() => tiled.final()).toThrow(/scored 36 of 2240 pixels/);
    for (const [x, y, w, h] of [[8, 0, 22, 8], [0, 8, 30, 14], [30, 0, 30, 22], [0, 22, 30, 22], [30, 22, 30, 22]]) tiled.add(sr, { x, y, width: w, height: h });
    expect(Math.abs(tiled.ssim! - exact.ssim)).toBeLessThan(0.05);
    // The final numbers are evaluate()'s, not the estimate.
    expect(tiled.final()).toEqual(exact);
  });

  it("score(): a whole image, evaluate()'s numbers against the uncropped ground truth's top-left region", () => {
    const hr = randomImage(47, 39, 8);
    const gt = new GroundTruthLuma({ ...hr, grayscale: true });
    const sr = randomImage(44, 36, 9);
    expect(new ScaleScorer(gt, 44, 36, 4).score(sr)).toEqual(evaluate(sr, { ...hr, grayscale: true }, 4, true));
    expect(() => new ScaleScorer(gt, 48, 36, 4)).toThrow(/size mismatch/);
    expect(() => new ScaleScorer(gt, 44, 36, 4).score(randomImage(40, 36, 1))).toThrow(/size mismatch/);
  });
});

describe('ScaleScorer: the live PSNR over the tiles done so far', () => {
  /** `hr` plus noise, some of it outside [0,1] (the protocol clamps before quantizing). */
  const noisy = (hr: RgbImage, w: number, h: number, seed: number, amount: number): RgbImage => {
    const r = mulberry(seed);
    const sr = createImage(w, h);
    const n = w * h;
    const hn = hr.width * hr.height;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sr.data[c * n + y * w + x] = hr.data[c * hn + y * hr.width + x] + (r() - 0.5) * amount;
    return sr;
  };

  it('after every tile equals evaluate()’s PSNR (1e-9), and final() equals evaluate(): random images, odd sizes, tilings, shaves, tile order', () => {
    const rnd = mulberry(77);
    for (let trial = 0; trial < 60; trial++) {
      const s = [2, 3, 4][trial % 3];
      const w = 2 * s + 11 + Math.floor(rnd() * 60);
      const h = 2 * s + 11 + Math.floor(rnd() * 60);
      // Every third: the uncropped ground truth (read in place, as the pipeline does), sometimes gray.
      const uncropped = trial % 3 === 0;
      const hr0 = randomImage(w + (uncropped ? s - 1 : 0), h + (uncropped ? 1 : 0), trial + 1);
      const hr = trial % 5 === 0 ? { ...hr0, grayscale: true } : hr0;
      const sr = noisy(hr, w, h, 1000 + trial, trial % 4 === 0 ? 0.02 : 0.4);
      const cores = planTiles(Math.ceil(w / s), Math.ceil(h / s), 1 + Math.floor(rnd() * 20), 0)
        .map((t) => ({ x: t.cx * s, y: t.cy * s, width: Math.min(t.cw * s, w - t.cx * s), height: Math.min(t.ch * s, h - t.cy * s) }))
        .filter((r) => r.width > 0 && r.height > 0);
      if (trial % 2) cores.reverse();
      const run = new ScaleScorer(new GroundTruthLuma(hr), w, h, s);
      for (const c of cores) {
        run.add(sr, c);
        const v = run.psnr;
        if (v !== undefined) expect(Number.isFinite(v) || v === Infinity).toBe(true);
      }
      const ref = evaluate(sr, hr, s, uncropped);
      expect(run.pixels).toBe((w - 2 * s) * (h - 2 * s));
      expect(Math.abs(run.psnr! - ref.psnr), `trial ${trial}: ${w}×${h} x${s}`).toBeLessThanOrEqual(1e-9);
      expect(run.final(), `trial ${trial}: ${w}×${h} x${s}`).toEqual(ref);
    }
  });

  it('is undefined before any pixel of the shaved window, +Infinity while identical', () => {
    const hr = randomImage(20, 20, 4);
    const run = new ScaleScorer(new GroundTruthLuma(hr), 20, 20, 4);
    run.add(hr, { x: 0, y: 0, width: 20, height: 4 });
    expect(run.psnr).toBeUndefined();
    run.add(hr, { x: 0, y: 4, width: 20, height: 16 });
    expect(run.psnr).toBe(Infinity);
    expect(run.psnr).toBe(evaluate(hr, hr, 4).psnr);
  });
});

describe('image helpers', () => {
  it('mod-crop keeps the top-left multiple of the scale', () => {
    const img = randomImage(13, 10, 2);
    const c = modCrop(img, 4);
    expect([c.width, c.height]).toEqual([12, 8]);
    expect(c.data[1 * 12 + 5]).toBe(img.data[1 * 13 + 5]);
    expect(c.data[2 * 96 + 7 * 12 + 11]).toBe(img.data[2 * 130 + 7 * 13 + 11]);
  });

  it('RGBA round-trips through 8 bits and keeps alpha', () => {
    const px = new Uint8Array(5 * 3 * 4).map((_, i) => (i * 37) % 256);
    const img = fromInterleaved8(px, 5, 3, 4);
    expect(img.alpha).toBeDefined();
    expect(Array.from(toRgba8(img))).toEqual(Array.from(px));
  });
});

describe('bit packing', () => {
  it('round-trips ±1 tensors of any length, MSB first, sign(0) = +1', () => {
    const r = mulberry(5);
    for (const n of [1, 7, 8, 9, 64, 1000]) {
      const v = Array.from({ length: n }, () => binarize(r() - 0.5));
      expect(Array.from(unpackBits(packBits(v), n))).toEqual(v);
    }
    expect(Array.from(packBits([1, -1, -1, -1, -1, -1, -1, 0]))).toEqual([0x81]);
    expect(binarize(0)).toBe(1);
    expect(binarize(-0)).toBe(1);
    expect(binarize(-1e-30)).toBe(-1);
  });
});

describe('tiling', () => {
  it('split-merge reproduces the whole (identity and a local x2 operator)', () => {
    const img = randomImage(37, 53, 4);
    for (const [tile, overlap] of [[16, 0], [10, 3], [64, 8], [7, 2]]) {
      const tiles = planTiles(img.width, img.height, tile, overlap);
      const merged = mergeTiles(tiles.map((t) => extractTile(img, t)), tiles, img.width, img.height, 1);
      expect(Array.from(merged.data)).toEqual(Array.from(img.data));
    }
    // A 3x3 box filter then nearest x2 has receptive radius 1: overlap 1 must be exact.
    const op = (im: ReturnType<typeof randomImage>) => {
      const out = createImage(im.width * 2, im.height * 2);
      const n = im.width * im.height;
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < im.height; y++)
          for (let x = 0; x < im.width; x++) {
            let s = 0;
            for (let dy = -1; dy <= 1; dy++)
              for (let dx = -1; dx <= 1; dx++) {
                const yy = Math.min(im.height - 1, Math.max(0, y + dy));
                const xx = Math.min(im.width - 1, Math.max(0, x + dx));
                s += im.data[c * n + yy * im.width + xx];
              }
            for (let k = 0; k < 4; k++) out.data[c * 4 * n + (2 * y + (k >> 1)) * 2 * im.width + 2 * x + (k & 1)] = s / 9;
          }
      return out;
    };
    const full = op(img);
    const tiles = planTiles(img.width, img.height, 12, 1);
    // Clamped borders differ at interior tile edges unless the margin covers the radius; it does.
    const merged = mergeTiles(tiles.map((t) => op(extractTile(img, t))), tiles, img.width, img.height, 2);
    // Only interior tile borders (not image borders) matter: the image border is clamped in both.
    expect(Math.max(...merged.data.map((v, i) => Math.abs(v - full.data[i])))).toBeLessThan(1e-6);
  });

  it('crop rejects out-of-range rectangles', () => {
    expect(() => crop(createImage(4, 4), 2, 2, 3, 1)).toThrow(/outside/);
  });
});
