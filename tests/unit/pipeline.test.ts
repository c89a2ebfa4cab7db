/**
 * The app's job pipeline (src/engine/pipeline.ts) in Node: PNG bytes → the Node decoder → plan →
 * tiled onnxruntime-node runs of the shipped models, over random sizes, both modes, every scale.
 * Every scale must end in a result or in a message naming a limit; never a raw engine error.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crop, modCrop, type RgbImage } from '../../src/core/image';
import { imresize } from '../../src/core/imresize';
import { evaluate } from '../../src/core/metrics';
import { evalMinSide } from '../../src/core/sizes';
import { limitsText, upscaleMaxSide } from '../../src/engine/limits';
import { planJob, runJob, type JobEvent } from '../../src/engine/pipeline';
import type { Mode, Scale } from '../../src/engine/protocol';
import { runTiled } from '../../src/engine/tiler';
import { LiveBatcher, liveStep, liveTile } from '../../src/engine/live';
import { makeLr } from '../../training/eval/evaluate';
import { loadOnnxSr, type OnnxSr } from '../../training/eval/onnxModel';
import { decodeImage, encodePng } from '../../training/io/imageIO';
import { randomImage } from '../helpers/synthetic';

const ROOT = join(__dirname, '../..');
const models = new Map<Scale, OnnxSr>();
const TILE = 16;

beforeAll(async () => {
  for (const s of [2, 3, 4] as Scale[]) models.set(s, await loadOnnxSr(join(ROOT, `models/bitsr-x${s}.onnx`), { threads: 1 }));
});
afterAll(async () => {
  for (const m of models.values()) await m.release();
});

const overlap = (s: Scale) => Number(models.get(s)!.metadata.receptiveRadius);

async function job(img: RgbImage, mode: Mode, cancelAfterTiles = Infinity, opts: { scales?: Scale[]; prepare?: (s: Scale) => Promise<number>; live?: boolean; tile?: number } = {}) {
  const events: JobEvent[] = [];
  let tiles = 0;
  const { live, tile = TILE, ...deps } = opts;
  const r = await runJob<RgbImage>(img, {
    mode,
    ...deps,
    // A copy, as a real encoder makes: the pipeline reuses its output storage across images.
    encode: (im, r) => ({ ...crop(im, 0, 0, r?.width ?? im.width, r?.height ?? im.height), ...(im.grayscale ? { grayscale: true } : {}) }),
    model: (s) => ({ tile, overlap: overlap(s) }),
    infer: (s, lr, onTile, timing, out) =>
      runTiled(lr, (t) => models.get(s)!.run(t), {
        out,
        timing,
        scale: s,
        tile,
        overlap: overlap(s),
        onTile: (_d, _t, core, sofar) => {
          tiles++;
          if (live) onTile(core, sofar);
          else onTile();
        },
        isCancelled: () => tiles >= cancelAfterTiles,
      }),
    isCancelled: () => tiles >= cancelAfterTiles,
    emit: (e) => void events.push(e),
  });
  return { events, tiles, cancelled: r.cancelled };
}

describe('job pipeline over random sizes (fast-check)', () => {
  it('every scale of every size 1..64 gives a result or a message naming the limit', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.constantFrom<Mode>('evaluate', 'upscale'), fc.integer({ min: 1, max: 1e6 }), async (w, h, mode, seed) => {
        const img = decodeImage(encodePng(randomImage(w, h, seed)), 'random.png');
        expect([img.width, img.height]).toEqual([w, h]);
        const { events } = await job(img, mode);
        const progress = events.filter((e) => e.type === 'progress');
        const last = progress[progress.length - 1] as { done: number; total: number };
        expect(last.done).toBe(last.total);
        for (const s of [2, 3, 4] as Scale[]) {
          const mine = events.filter((e) => (e.type === 'scale' || e.type === 'skipped') && e.scale === s);
          expect(mine, `x${s} of ${w}×${h} ${mode}`).toHaveLength(1);
          const e = mine[0];
          if (e.type === 'skipped') {
            expect(mode).toBe('evaluate');
            expect(Math.min(w, h)).toBeLessThan(evalMinSide(s));
            expect(e.message).toMatch(new RegExp(`^x${s}: image is ${w}×${h}; Evaluate at x${s} needs at least ${evalMinSide(s)}×${evalMinSide(s)} pixels`));
            continue;
          }
          if (e.type !== 'scale') throw new Error('unreachable');
          expect(e.error, `x${s} of ${w}×${h} ${mode}`).toBeUndefined();
          const [ow, oh] = mode === 'upscale' ? [w * s, h * s] : [w - (w % s), h - (h % s)];
          expect([e.sr!.width, e.sr!.height, e.bicubic.width, e.bicubic.height]).toEqual([ow, oh, ow, oh]);
          expect(e.sr!.data.every((v) => Number.isFinite(v))).toBe(true);
          if (mode === 'evaluate') {
            for (const m of [e.metrics!.sr!, e.metrics!.bicubic]) {
              expect(Number.isNaN(m.psnr) || Number.isNaN(m.ssim)).toBe(false);
              expect(m.psnr).toBeGreaterThan(0);
            }
          } else expect(e.metrics).toBeUndefined();
        }
      }),
      { numRuns: 60, seed: 20261126 },
    );
  }, 240_000);

  it('edge sizes: 1×1, 1×N and N×1 upscale at every scale; the smallest evaluable sizes', async () => {
    for (const [w, h] of [[1, 1], [1, 100], [100, 1], [2, 3]]) {
      const { events } = await job(randomImage(w, h, 3), 'upscale');
      const results = events.filter((e) => e.type === 'scale');
      expect(results.map((e) => e.type === 'scale' && !e.error && e.sr!.width)).toEqual([2 * w, 3 * w, 4 * w]);
    }
    for (const s of [2, 3, 4] as Scale[]) {
      const n = evalMinSide(s);
      const ok = (await job(randomImage(n, n, 4), 'evaluate')).events.find((e) => e.type === 'scale' && e.scale === s);
      expect(ok && ok.type === 'scale' && ok.metrics?.sr).toBeTruthy();
      const small = (await job(randomImage(n - 1, n + 5, 4), 'evaluate')).events.find((e) => e.type === 'skipped' && e.scale === s);
      expect(small).toBeTruthy();
    }
  }, 60_000);

  it('Evaluate metrics equal the CLI protocol on the mod-cropped copy (odd sizes, ground truth read in place)', async () => {
    const img = randomImage(45, 38, 12);
    // Several tiles per scale (final metrics from a whole-image pass), and one tile with the live
    // view on (final metrics are the running ones).
    for (const { events } of [await job(img, 'evaluate'), await job(img, 'evaluate', Infinity, { live: true, tile: 64 })])
    for (const s of [2, 3, 4] as Scale[]) {
      const e = events.find((x) => x.type === 'scale' && x.scale === s);
      if (e?.type !== 'scale') throw new Error(`no x${s} result`);
      const hr = modCrop(img, s);
      const lr = makeLr(hr, s);
      expect(e.gt).toEqual(hr);
      expect(e.metrics!.bicubic).toEqual(evaluate(imresize(lr, s), hr, s));
      expect(e.metrics!.sr).toEqual(evaluate(e.sr!, hr, s));
    }
  });

  it('live results: a partial per tile whose cores tile the output, its PSNR ending at the final one exactly', async () => {
    const img = randomImage(53, 47, 31);
    for (const mode of ['evaluate', 'upscale'] as Mode[]) {
      const seen: JobEvent[] = [];
      const covered = new Map<Scale, Uint8Array>();
      const { events } = await job(img, mode, Infinity, { live: true });
      for (const e of events) {
        seen.push(e);
        if (e.type !== 'partial') continue;
        const cov = covered.get(e.scale) ?? new Uint8Array(e.width * e.height);
        covered.set(e.scale, cov);
        for (let y = e.region.y; y < e.region.y + e.region.height; y++) for (let x = e.region.x; x < e.region.x + e.region.width; x++) cov[y * e.width + x]++;
        if (mode === 'upscale') expect(e.psnr).toBeUndefined();
      }
      for (const s of [2, 3, 4] as Scale[]) {
        const parts = seen.filter((e) => e.type === 'partial' && e.scale === s);
        const fin = seen.find((e) => e.type === 'scale' && e.scale === s);
        if (fin?.type !== 'scale') throw new Error(`no x${s} result`);
        const last = parts[parts.length - 1];
        if (last?.type !== 'partial') throw new Error(`no x${s} partial`);
        expect(parts.map((e) => e.type === 'partial' && e.done)).toEqual(parts.map((_, i) => i + 1));
        expect(last.done).toBe(last.total);
        expect([last.width, last.height]).toEqual([fin.width, fin.height]);
        // Every output pixel in exactly one tile core.
        expect(covered.get(s)!.every((c) => c === 1)).toBe(true);
        if (mode === 'evaluate') expect(Math.abs(last.psnr! - fin.metrics!.sr!.psnr)).toBeLessThanOrEqual(1e-9);
        else expect(last.psnr).toBeUndefined();
        // Partials come before their scale's result.
        expect(seen.indexOf(last)).toBeLessThan(seen.indexOf(fin));
      }
    }
  });

  it('live batching: the first and last tile are sent at once, the rest at most every interval; tiles subsampled to preview size', () => {
    let t = 0;
    const b = new LiveBatcher(250, () => t);
    const tile = liveTile(randomImage(8, 8, 2), { x: 2, y: 3, width: 5, height: 4 }, 2);
    expect([tile.x, tile.y, tile.w, tile.h, tile.rw, tile.rh, tile.rgba.byteLength]).toEqual([2, 3, 5, 4, 3, 2, 3 * 2 * 4]);
    const sent: number[] = [];
    for (let i = 1; i <= 10; i++) {
      t += 100;
      const out = b.add(tile, i, 10);
      if (out) sent.push(out.length);
    }
    // t = 100 (first), 400, 700, 1000 (last): nothing is dropped.
    expect(sent).toEqual([1, 3, 3, 3]);
    expect(liveStep(1280, 720)).toBe(1);
    expect(liveStep(4096, 100)).toBe(4);
  });

  it('identical images: PSNR is +Infinity (the UI shows ∞), SSIM 1, never NaN', async () => {
    const black = decodeImage(encodePng({ ...randomImage(40, 40, 1), data: new Float32Array(3 * 40 * 40) }), 'black.png');
    const { events } = await job(black, 'evaluate');
    for (const e of events) if (e.type === 'scale') expect(e.metrics!.bicubic).toEqual({ psnr: Infinity, ssim: 1 });
  });

  it('cancel takes effect within one tile, also inside a scale', async () => {
    for (const k of [1, 3, 10]) {
      const { tiles, cancelled, events } = await job(randomImage(64, 64, 9), 'upscale', k);
      expect(cancelled).toBe(true);
      expect(tiles).toBe(k);
      expect(events.filter((e) => e.type === 'scale')).toHaveLength(0);
    }
  });

  it('a job with scales [3] runs only x3, and its progress total counts only the x3 tiles', async () => {
    const img = randomImage(60, 45, 21);
    for (const mode of ['evaluate', 'upscale'] as Mode[]) {
      const inferred: Scale[] = [];
      const { events, tiles } = await job(img, mode, Infinity, {
        scales: [3],
        prepare: async (s) => {
          inferred.push(s);
          return 0;
        },
      });
      expect(inferred).toEqual([3]);
      expect(events.flatMap((e) => (e.type === 'progress' ? [] : [e.scale]))).toEqual([3]);
      const all = planJob(img.width, img.height, mode, () => ({ tile: TILE, overlap: overlap(3) }));
      const x3Tiles = all[1].tiles;
      expect(x3Tiles).toBeGreaterThan(1);
      expect(x3Tiles).toBeLessThan(all[0].tiles + all[1].tiles + all[2].tiles);
      const progress = events.filter((e) => e.type === 'progress');
      expect(progress.map((e) => e.total)).toEqual(progress.map(() => x3Tiles));
      expect(progress[progress.length - 1].done).toBe(x3Tiles);
      expect(tiles).toBe(x3Tiles);
      expect(planJob(img.width, img.height, mode, () => ({ tile: TILE, overlap: overlap(3) }), [3]).map((p) => p.scale)).toEqual([3]);
    }
  });

  it('model start-up (prepare) is timed apart: startupMs when spent, ms is inference alone', async () => {
    const img = randomImage(24, 20, 5);
    const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const start = performance.now();
    const { events } = await job(img, 'upscale', Infinity, {
      scales: [2, 4],
      // x2 "creates its session" (80 ms); x4's is cached.
      prepare: async (s) => {
        if (s !== 2) return 0;
        const t0 = performance.now();
        await wait(80);
        return performance.now() - t0;
      },
    });
    const wall = performance.now() - start;
    const [x2, x4] = events.filter((e) => e.type === 'scale');
    if (x2?.type !== 'scale' || x4?.type !== 'scale') throw new Error('no x2/x4 results');
    expect([x2.scale, x4.scale]).toEqual([2, 4]);
    expect(x2.startupMs).toBeGreaterThanOrEqual(75);
    expect(x4.startupMs).toBeUndefined();
    expect(x2.ms! + x2.startupMs!).toBeLessThanOrEqual(wall);
    expect(x2.ms!).toBeLessThan(wall - 75);
  });

  it('ms is the model tile runs alone; wallMs is the whole scale, live view and metrics included', async () => {
    const img = randomImage(40, 36, 9);
    const busy = (ms: number) => {
      const t = performance.now();
      while (performance.now() - t < ms);
    };
    let tiles = 0;
    const events: JobEvent<number>[] = [];
    await runJob<number>(img, {
      mode: 'evaluate',
      scales: [2],
      encode: () => 0,
      model: () => ({ tile: 8, overlap: 2 }),
      // A fake model of 15 ms per tile, and a live view of 25 ms per tile.
      infer: (s, lr, onTile, timing, out) =>
        runTiled(
          lr,
          async (t) => {
            busy(15);
            return imresize(t, s);
          },
          { out, timing, scale: s, tile: 8, overlap: 2, onTile: () => (tiles++, busy(25), onTile()) },
        ),
      isCancelled: () => false,
      emit: (e) => void events.push(e),
    });
    const x2 = events.find((e) => e.type === 'scale');
    if (x2?.type !== 'scale') throw new Error('no x2 result');
    expect(tiles).toBeGreaterThan(1);
    expect(x2.ms!).toBeGreaterThanOrEqual(15 * tiles);
    expect(x2.ms!).toBeLessThan(40 * tiles);
    expect(x2.wallMs).toBeGreaterThanOrEqual(x2.ms! + 25 * tiles);
  });

  it('plans from the size alone: oversized inputs and outputs are skipped with the limit named', () => {
    const m = () => ({ tile: 384, overlap: 10 });
    const up = planJob(2048, 2048, 'upscale', m);
    expect(up.map((p) => !!p.skip)).toEqual([false, true, true]);
    expect(up[1].skip).toMatch(/x3 output would be 6144×6144 .* the maximum is 16\.8 MP \(Upscale at x3 takes up to 1365×1365\)/);
    expect(planJob(4096, 4096, 'evaluate', m).every((p) => !p.skip && p.tiles > 0)).toBe(true);
    expect(planJob(4097, 10, 'evaluate', m).every((p) => /maximum is 4096×4096/.test(p.skip ?? ''))).toBe(true);
    expect(upscaleMaxSide(4)).toBe(1024);
    expect(limitsText('upscale')).toMatch(/2048² at x2, 1365² at x3, 1024² at x4/);
    expect(limitsText('evaluate')).toMatch(/up to 4096×4096, at least 16² at x2, 18² at x3, 20² at x4/);
  });
});
