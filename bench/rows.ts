/**
 * Pure row builder + JSON schema of `npm run bench:infer` (no browser): per-image samples from the
 * bench page become one row per (method, backend, scale); `ratios` compares bitsr-wasm with every
 * other row of the same scale over the images both measured. tests/unit/benchInfer.test.ts covers it.
 */

export interface Sample {
  image: string;
  /** Inference time for this image (after warm-up), ms: for bitsr the model's tile runs alone. */
  ms: number;
  /** bitsr: the whole scale in the app's worker (bicubic, live view, metrics, encoding), ms. */
  scaleWallMs?: number;
  /** Output pixels (width × height of the SR image). */
  outPixels: number;
  psnr: number;
  ssim: number;
}

export interface RowInput {
  method: string;
  backend: string;
  scale: number;
  samples: Sample[];
  modelBytes: number | null;
  peakJsHeapBytes: number | null;
  /** What the heap number covers (e.g. 'page main thread', 'inference worker'). */
  heapScope?: string;
  notes?: string[];
}

export interface Row {
  method: string;
  backend: string;
  scale: number;
  images: number;
  imageNames: string[];
  medianMs: number | null;
  meanMs: number | null;
  /** bitsr: median of the whole scale in the app's worker; null for peers. */
  medianScaleWallMs: number | null;
  /** Output megapixels per second: Σ output pixels / Σ time. */
  outputMPixPerS: number | null;
  /** Mean Y-PSNR (dB) / SSIM over the images, core `evaluate` (shave = scale). */
  psnr: number | null;
  ssim: number | null;
  modelBytes: number | null;
  peakJsHeapMB: number | null;
  heapScope: string | null;
  notes: string[];
}

export interface Ratio {
  scale: number;
  /** The peer row this bitsr-wasm row is compared with. */
  peer: string;
  peerBackend: string;
  images: number;
  /** bitsr median ms ÷ peer median ms (< 1: bitsr is faster). */
  timeRatio: number | null;
  /** bitsr MP/s ÷ peer MP/s (> 1: bitsr is faster). */
  speedRatio: number | null;
  /** bitsr PSNR − peer PSNR, dB (> 0: bitsr is better). */
  psnrDelta: number | null;
  ssimDelta: number | null;
  /** bitsr model bytes ÷ peer model bytes. */
  sizeRatio: number | null;
}

export interface BenchReport {
  schema: 'bitsr-bench-infer/1';
  date: string;
  machine: Record<string, unknown>;
  config: Record<string, unknown>;
  rows: Row[];
  ratios: Ratio[];
  [extra: string]: unknown;
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
const round = (x: number | null, d: number): number | null => (x === null || !Number.isFinite(x) ? x : Number(x.toFixed(d)));

export function buildRow(r: RowInput): Row {
  const s = r.samples;
  const totalMs = s.reduce((a, x) => a + x.ms, 0);
  const totalPx = s.reduce((a, x) => a + x.outPixels, 0);
  return {
    method: r.method,
    backend: r.backend,
    scale: r.scale,
    images: s.length,
    imageNames: s.map((x) => x.image),
    medianMs: round(median(s.map((x) => x.ms)), 1),
    meanMs: round(mean(s.map((x) => x.ms)), 1),
    medianScaleWallMs: s.length && s.every((x) => x.scaleWallMs !== undefined) ? round(median(s.map((x) => x.scaleWallMs!)), 1) : null,
    outputMPixPerS: s.length && totalMs > 0 ? round(totalPx / totalMs / 1000, 4) : null,
    psnr: round(mean(s.map((x) => x.psnr)), 3),
    ssim: round(mean(s.map((x) => x.ssim)), 4),
    modelBytes: r.modelBytes,
    peakJsHeapMB: r.peakJsHeapBytes === null ? null : round(r.peakJsHeapBytes / 2 ** 20, 1),
    heapScope: r.heapScope ?? null,
    notes: r.notes ?? [],
  };
}

/** bitsr-wasm vs every other row of the same scale, over the images both rows measured. */
export function buildRatios(inputs: RowInput[], bitsrMethod = 'bitsr', bitsrBackend = 'wasm'): Ratio[] {
  const out: Ratio[] = [];
  for (const b of inputs) {
    if (b.method !== bitsrMethod || b.backend !== bitsrBackend) continue;
    for (const p of inputs) {
      if (p.scale !== b.scale || p === b || (p.method === bitsrMethod && p.backend === bitsrBackend)) continue;
      const names = new Set(p.samples.map((x) => x.image));
      const bs = b.samples.filter((x) => names.has(x.image));
      const common = new Set(bs.map((x) => x.image));
      const ps = p.samples.filter((x) => common.has(x.image));
      const br = buildRow({ ...b, samples: bs });
      const pr = buildRow({ ...p, samples: ps });
      const div = (a: number | null, c: number | null) => (a !== null && c !== null && c !== 0 ? a / c : null);
      const sub = (a: number | null, c: number | null) => (a !== null && c !== null ? a - c : null);
      out.push({
        scale: b.scale,
        peer: p.method,
        peerBackend: p.backend,
        images: bs.length,
        timeRatio: round(div(br.medianMs, pr.medianMs), 3),
        speedRatio: round(div(br.outputMPixPerS, pr.outputMPixPerS), 3),
        psnrDelta: round(sub(br.psnr, pr.psnr), 3),
        ssimDelta: round(sub(br.ssim, pr.ssim), 4),
        sizeRatio: round(div(b.modelBytes, p.modelBytes), 4),
      });
    }
  }
  return out;
}

/** Throws with every problem found when `r` is not a complete report (used by the test and the CLI). */
export function validateReport(r: BenchReport, expect: { scales: number[]; methods: Array<[string, string | null]>; base?: [string, string] }): void {
  const [bm, bb] = expect.base ?? ['bitsr', 'wasm'];
  const errs: string[] = [];
  if (r.schema !== 'bitsr-bench-infer/1') errs.push(`schema ${String(r.schema)}`);
  for (const row of r.rows) {
    for (const k of ['method', 'backend', 'scale', 'images', 'medianMs', 'outputMPixPerS', 'psnr', 'ssim', 'modelBytes', 'peakJsHeapMB', 'notes'] as const) {
      if (!(k in row)) errs.push(`row ${row.method}/${row.backend}/x${row.scale} lacks ${k}`);
    }
    if (row.images > 0 && (row.medianMs === null || row.psnr === null)) errs.push(`row ${row.method}/x${row.scale} has images but no numbers`);
  }
  for (const s of expect.scales) {
    for (const [m, be] of expect.methods) {
      if (!r.rows.some((x) => x.scale === s && x.method === m && (be === null || x.backend === be))) errs.push(`missing row ${m}${be ? `/${be}` : ''} x${s}`);
      if (!(m === bm && be === bb) && !r.ratios.some((x) => x.scale === s && x.peer === m && (be === null || x.peerBackend === be))) {
        errs.push(`missing ratio ${bm}-${bb} vs ${m}${be ? `/${be}` : ''} x${s}`);
      }
    }
  }
  if (errs.length) throw new Error(`bench report incomplete:\n- ${errs.join('\n- ')}`);
}
