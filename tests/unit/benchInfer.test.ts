/** bench/rows.ts: the row builder, ratios and the report schema of `npm run bench:infer` (no browser). */
import { describe, expect, it } from 'vitest';
import { buildRatios, buildRow, median, validateReport, type BenchReport, type RowInput } from '../../bench/rows';

const sample = (image: string, ms: number, psnr: number, outPixels = 1_000_000) => ({ image, ms, outPixels, psnr, ssim: psnr / 40 });

const inputs: RowInput[] = [
  { method: 'bitsr', backend: 'wasm', scale: 2, samples: [sample('a', 100, 30), sample('b', 300, 32), sample('c', 200, 31)], modelBytes: 50_000, peakJsHeapBytes: 2 * 2 ** 20 },
  { method: 'bitsr', backend: 'webgpu', scale: 2, samples: [sample('a', 5000, 30)], modelBytes: 50_000, peakJsHeapBytes: null, notes: ['images: 1'] },
  { method: 'upscalerjs-esrgan-slim', backend: 'tfjs-wasm', scale: 2, samples: [sample('a', 400, 31), sample('b', 600, 33)], modelBytes: 900_000, peakJsHeapBytes: 10 * 2 ** 20 },
  { method: 'canvas-drawImage-high', backend: 'canvas2d', scale: 2, samples: [sample('a', 2, 28), sample('b', 4, 29), sample('c', 3, 28.5)], modelBytes: 0, peakJsHeapBytes: null },
];

describe('bench rows', () => {
  it('median', () => {
    expect(median([])).toBeNull();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('buildRow: median ms, MP/s = Σpx / Σms, mean PSNR/SSIM, heap in MB', () => {
    const r = buildRow(inputs[0]);
    expect(r).toMatchObject({ method: 'bitsr', backend: 'wasm', scale: 2, images: 3, imageNames: ['a', 'b', 'c'], medianMs: 200, meanMs: 200, psnr: 31, peakJsHeapMB: 2, modelBytes: 50_000 });
    expect(r.outputMPixPerS).toBeCloseTo(3_000_000 / 600 / 1000, 6);
    expect(r.ssim).toBeCloseTo(31 / 40, 4);
    const empty = buildRow({ ...inputs[0], samples: [] });
    expect(empty).toMatchObject({ images: 0, medianMs: null, outputMPixPerS: null, psnr: null });
    expect(r.medianScaleWallMs).toBeNull();
  });

  it('buildRow: the median scale wall time, only when every sample has one', () => {
    const walls = [500, 300, 400];
    const withWall = { ...inputs[0], samples: inputs[0].samples.map((x, i) => ({ ...x, scaleWallMs: walls[i] })) };
    expect(buildRow(withWall).medianScaleWallMs).toBe(400);
    expect(buildRow({ ...withWall, samples: [...withWall.samples, inputs[0].samples[0]] }).medianScaleWallMs).toBeNull();
  });

  it('ratios: bitsr-wasm ÷ each peer, same scale, over common images only', () => {
    const ratios = buildRatios(inputs);
    expect(ratios.map((r) => `${r.peer}/${r.peerBackend}`)).toEqual(['bitsr/webgpu', 'upscalerjs-esrgan-slim/tfjs-wasm', 'canvas-drawImage-high/canvas2d']);
    const slim = ratios.find((r) => r.peer === 'upscalerjs-esrgan-slim')!;
    // common images a, b: bitsr median (100+300)/2 = 200, slim 500; PSNR 31 vs 32.
    expect(slim).toMatchObject({ scale: 2, images: 2, timeRatio: 0.4, speedRatio: 2.5, psnrDelta: -1, sizeRatio: 0.0556 });
    const gpu = ratios.find((r) => r.peer === 'bitsr')!;
    expect(gpu.images).toBe(1);
    expect(gpu.timeRatio).toBe(0.02);
  });

  it('validateReport accepts a complete report and names what is missing', () => {
    const report: BenchReport = { schema: 'bitsr-bench-infer/1', date: '', machine: {}, config: {}, rows: inputs.map(buildRow), ratios: buildRatios(inputs) };
    const methods: Array<[string, string | null]> = [
      ['bitsr', 'wasm'],
      ['bitsr', 'webgpu'],
      ['upscalerjs-esrgan-slim', null],
      ['canvas-drawImage-high', null],
    ];
    expect(() => validateReport(report, { scales: [2], methods })).not.toThrow();
    expect(() => validateReport(report, { scales: [2, 3], methods })).toThrow(/missing row bitsr\/wasm x3/);
    expect(() => validateReport({ ...report, ratios: [] }, { scales: [2], methods })).toThrow(/missing ratio bitsr-wasm vs upscalerjs-esrgan-slim x2/);
    // Every row carries the documented fields, and the report round-trips through JSON.
    const back = JSON.parse(JSON.stringify(report)) as BenchReport;
    for (const r of back.rows) for (const k of ['method', 'backend', 'scale', 'images', 'medianMs', 'outputMPixPerS', 'psnr', 'ssim', 'modelBytes', 'peakJsHeapMB', 'notes']) expect(r).toHaveProperty(k);
  });
});
