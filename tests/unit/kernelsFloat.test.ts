/**
 * The float inference kernels (src/kernels/wat/inferFloat.ts) against plain JS references, in all
 * four module variants (FMA or not, shared memory or not). Every kernel runs on row ranges: the
 * parts of a split must give the whole, and a range must leave the other rows (and the memory
 * around each buffer) untouched.
 */
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { imresize } from '../../src/core/imresize';
import { createImage } from '../../src/core/image';
import type { KernelVariant } from '../../src/kernels/module';
import { floatConvPaddedCout, packFloatConvBias, packFloatConvWeights, packFloatConvWeightsHwio } from '../../src/kernels/packFloat';
import type { Kernels } from '../../src/kernels/spec';
import { bicubicKernel, bicubicTaps1dF32 } from '../../src/model/bicubicKernel';
import { DEFAULT_NET, parseNetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { exportOnnx } from '../../src/model/onnxExport';
import { instantiateKernels } from '../helpers/kernelModule';
import { mulberry } from '../helpers/synthetic';

const VARIANTS: KernelVariant[] = [
  { fma: false, shared: false },
  { fma: true, shared: false },
  { fma: false, shared: true },
  { fma: true, shared: true },
];
const name = (v: KernelVariant) => `${v.fma ? 'fma' : 'mul+add'}, ${v.shared ? 'shared' : 'own'} memory`;
/** Written before a kernel runs: any value still there afterwards was not written. */
const SENTINEL = -7777.5;
const GUARD = 16; // floats of sentinel after every buffer

/** Bump allocator over a kernel instance's memory: 16-byte aligned buffers, each followed by a guard. */
class Heap {
  private top = 64;
  private readonly guards: number[] = [];
  constructor(readonly memory: WebAssembly.Memory) {}
  get f32(): Float32Array {
    return new Float32Array(this.memory.buffer);
  }
  reset(): void {
    this.top = 64;
    this.guards.length = 0;
  }
  /** A buffer of n floats filled with `data` or the sentinel; returns its byte offset. */
  alloc(n: number, data?: ArrayLike<number>): number {
    const p = this.top;
    const f = this.f32;
    f.fill(SENTINEL, p / 4, p / 4 + n + GUARD);
    if (data) f.set(data, p / 4);
    this.guards.push(p / 4 + n);
    this.top = p + Math.ceil((n + GUARD) / 4) * 16;
    if (this.top > this.memory.buffer.byteLength) throw new Error('test heap too small');
    return p;
  }
  read(p: number, n: number): Float32Array {
    return this.f32.slice(p / 4, p / 4 + n);
  }
  fill(p: number, n: number): void {
    this.f32.fill(SENTINEL, p / 4, p / 4 + n);
  }
  expectGuards(): void {
    const f = this.f32;
    for (const g of this.guards) for (let k = 0; k < GUARD; k++) if (f[g + k] !== SENTINEL) throw new Error(`write past a buffer end at float ${g + k}`);
  }
}

function randoms(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Random split of [0, H) into 1..4 contiguous parts, returned in a shuffled order. */
function splits(H: number, seed: number): Array<[number, number]> {
  const r = mulberry(seed);
  const cuts = new Set<number>([0, H]);
  const n = Math.floor(r() * 4);
  for (let k = 0; k < n; k++) cuts.add(Math.floor(r() * (H + 1)));
  const c = [...cuts].sort((a, b) => a - b);
  const parts = c.slice(1).map((e, k): [number, number] => [c[k], e]);
  for (let k = parts.length - 1; k > 0; k--) {
    const j = Math.floor(r() * (k + 1));
    [parts[k], parts[j]] = [parts[j], parts[k]];
  }
  return parts;
}

/**
 * Runs `run(h0, h1)` over a split of [0, H) into the output buffer (rowFloats per row, `rows`
 * rows per LR row), then once over a single middle range on a fresh buffer, which must leave the
 * other rows untouched. Returns the whole output.
 */
function runRows(heap: Heap, out: number, H: number, rowFloats: number, seed: number, run: (h0: number, h1: number) => void, rowsPerRow = 1, planes = 1): Float32Array {
  const n = planes * H * rowsPerRow * rowFloats;
  heap.fill(out, n);
  for (const [h0, h1] of splits(H, seed)) run(h0, h1);
  const whole = heap.read(out, n);
  heap.expectGuards();
  const a = Math.floor(H / 3);
  const b = Math.max(a + 1, Math.ceil((2 * H) / 3));
  heap.fill(out, n);
  run(a, b);
  const part = heap.read(out, n);
  const planeFloats = H * rowsPerRow * rowFloats;
  for (let i = 0; i < n; i++) {
    const row = Math.floor((i % planeFloats) / (rowsPerRow * rowFloats));
    const inside = row >= a && row < b;
    if (inside ? !Object.is(part[i], whole[i]) : part[i] !== SENTINEL) throw new Error(`rows [${a}, ${b}) of ${H}: float ${i} (row ${row}) ${inside ? 'differs from the whole run' : 'was written'}`);
  }
  heap.expectGuards();
  return whole;
}

const instances = new Map<string, { k: Kernels; heap: Heap }>();
beforeAll(async () => {
  for (const v of VARIANTS) {
    const { kernels, memory } = await instantiateKernels(v, 160);
    instances.set(name(v), { k: kernels, heap: new Heap(memory) });
  }
});
const inst = (v: KernelVariant) => instances.get(name(v))!;

describe('packFloat', () => {
  it('packs OIHW and HWIO to the same blocks of 8 output channels, zero-padded', () => {
    const [cout, cin, kh, kw] = [11, 3, 3, 5];
    const oihw = randoms(cout * cin * kh * kw, 1);
    const hwio = new Float32Array(oihw.length);
    for (let o = 0; o < cout; o++) for (let c = 0; c < cin; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) hwio[((i * kw + j) * cin + c) * cout + o] = oihw[((o * cin + c) * kh + i) * kw + j];
    const p = packFloatConvWeights(oihw, cout, cin, kh, kw);
    expect(p.length).toBe(16 * cin * kh * kw);
    expect(packFloatConvWeightsHwio(hwio, cout, cin, kh, kw)).toEqual(p);
    // output channel 9 = block 1, lane 1; tap (2, 3), input channel 1
    expect(p[(((1 * kh + 2) * kw + 3) * cin + 1) * 8 + 1]).toBe(oihw[((9 * cin + 1) * kh + 2) * kw + 3]);
    expect(p[(((1 * kh + 2) * kw + 3) * cin + 1) * 8 + 3]).toBe(0); // channel 11: padding
    expect(Array.from(packFloatConvBias(Float32Array.of(1, 2, 3), 3))).toEqual([1, 2, 3, 0, 0, 0, 0, 0]);
    expect(floatConvPaddedCout(27)).toBe(32);
    expect(() => packFloatConvWeights(oihw.subarray(0, cout * cin * 2 * kw), cout, cin, 2, kw)).toThrow(/odd/);
    expect(() => packFloatConvWeights(oihw.subarray(1), cout, cin, kh, kw)).toThrow(/values/);
  });
});

/** [H, W, cin, cout, kh, kw, dil]: every size 1, 2, 3, 5, 17, 64 as both H and W. */
const CONV_CASES: Array<[number, number, number, number, number, number, number]> = [
  [1, 1, 3, 32, 3, 3, 1],
  [2, 64, 32, 48, 3, 3, 1],
  [3, 17, 64, 12, 3, 3, 2],
  [5, 5, 32, 27, 1, 5, 1],
  [17, 3, 3, 4, 5, 1, 2],
  [64, 2, 64, 8, 3, 3, 1],
  [64, 64, 32, 32, 3, 3, 1],
  [17, 17, 64, 48, 3, 3, 2],
  [1, 64, 32, 12, 1, 5, 2],
  [64, 1, 32, 27, 5, 1, 1],
  [3, 5, 3, 48, 3, 3, 1],
  [5, 3, 64, 4, 1, 5, 2],
  [2, 2, 32, 32, 3, 3, 2],
  [17, 64, 3, 12, 3, 3, 1],
  [7, 11, 32, 12, 3, 3, 2],
];

/** 'same' zero-padded conv in float64; also the sum of |terms| (the rounding scale). */
function convRef(x: Float32Array, oihw: Float32Array, bias: Float32Array | undefined, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number) {
  const y = new Float64Array(H * W * cout);
  const mag = new Float64Array(H * W * cout);
  const rh = (kh - 1) / 2;
  const rw = (kw - 1) / 2;
  for (let h = 0; h < H; h++)
    for (let w = 0; w < W; w++)
      for (let o = 0; o < cout; o++) {
        let s = bias ? bias[o] : 0;
        let m = Math.abs(s);
        for (let i = 0; i < kh; i++) {
          const hi = h + (i - rh) * dil;
          if (hi < 0 || hi >= H) continue;
          for (let j = 0; j < kw; j++) {
            const wi = w + (j - rw) * dil;
            if (wi < 0 || wi >= W) continue;
            for (let c = 0; c < cin; c++) {
              const t = x[(hi * W + wi) * cin + c] * oihw[((o * cin + c) * kh + i) * kw + j];
              s += t;
              m += Math.abs(t);
            }
          }
        }
        y[(h * W + w) * cout + o] = s;
        mag[(h * W + w) * cout + o] = m;
      }
  return { y, mag };
}

describe('convRows', () => {
  it.each(CONV_CASES.map((c, i) => [i, ...c] as const))('case %i: %ix%i, %i -> %i channels, %ix%i dil %i', (idx, H, W, cin, cout, kh, kw, dil) => {
    const x = randoms(H * W * cin, 10 + idx);
    const oihw = randoms(cout * cin * kh * kw, 20 + idx);
    const bias = idx % 3 === 2 ? undefined : randoms(cout, 30 + idx);
    const ref = convRef(x, oihw, bias, H, W, cin, cout, kh, kw, dil);
    for (const v of VARIANTS) {
      const { k, heap } = inst(v);
      heap.reset();
      const px = heap.alloc(x.length, x);
      const pw = heap.alloc(floatConvPaddedCout(cout) * cin * kh * kw, packFloatConvWeights(oihw, cout, cin, kh, kw));
      const pb = bias ? heap.alloc(floatConvPaddedCout(cout), packFloatConvBias(bias, cout)) : 0;
      const py = heap.alloc(H * W * cout);
      const y = runRows(heap, py, H, W * cout, 40 + idx, (h0, h1) => k.convRows(px, pw, pb, py, H, W, cin, cout, kh, kw, dil, h0, h1));
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - ref.y[i]) / (ref.mag[i] + 1e-30));
      expect(worst, name(v)).toBeLessThan(1e-5);
    }
  });
});

/** MATLAB bicubic ×s of (lr − mean) as the exported graph builds it, in float64: symmetric pad 2, 5×5 phases, depth-to-space. */
function anchorOnnxRef(lr: Float32Array, H: number, W: number, s: number, mean: number[]): Float64Array {
  const k = bicubicKernel(s);
  const out = new Float64Array(3 * H * s * W * s);
  // ONNX: rows [x1, x0, x..., x(n-1), x(n-2)] (Slice/Concat); MATLAB's mirror where n = 1.
  const pad = (n: number) => (n === 1 ? [0, 0, 0, 0, 0] : [1, 0, ...Array.from({ length: n }, (_, i) => i), n - 1, n - 2]);
  const ph = pad(H);
  const pw = pad(W);
  for (let c = 0; c < 3; c++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let i = 0; i < s; i++)
          for (let j = 0; j < s; j++) {
            let a = 0;
            for (let dy = 0; dy < 5; dy++)
              for (let dx = 0; dx < 5; dx++) {
                const hh = H === 1 ? 0 : ph[h + dy];
                const ww = W === 1 ? 0 : pw[w + dx];
                a += k[(dy * 5 + dx) * s * s + i * s + j] * (lr[(c * H + hh) * W + ww] - Math.fround(mean[c]));
              }
            out[(c * H * s + h * s + i) * W * s + w * s + j] = a;
          }
  return out;
}

function finishRef(t: Float32Array, anchor: ArrayLike<number> | undefined, H: number, W: number, s: number, mean: number[]): Float64Array {
  const out = new Float64Array(3 * H * s * W * s);
  for (let c = 0; c < 3; c++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++)
        for (let i = 0; i < s; i++)
          for (let j = 0; j < s; j++) {
            const o = (c * H * s + h * s + i) * W * s + w * s + j;
            const v = t[(h * W + w) * 3 * s * s + c * s * s + i * s + j] + (anchor ? anchor[o] : 0) + Math.fround(mean[c]);
            out[o] = Math.min(1, Math.max(0, v));
          }
  return out;
}

const MEAN = [0.45, 0.44, 0.4];
const STD = [0.25, 0.24, 0.26];
/** [H, W, s] */
const FINISH_CASES: Array<[number, number, number]> = [
  [1, 1, 2],
  [1, 5, 3],
  [2, 3, 4],
  [3, 2, 2],
  [5, 17, 3],
  [17, 64, 2],
  [64, 1, 4],
  [2, 2, 3],
  [64, 17, 4],
  [3, 64, 3],
  [7, 11, 2], // W = 3 mod 4: the last 4-pixel vector would reach one column past the row
  [11, 7, 4],
];

/** Index of the first element that differs (Object.is), or -1: typed arrays, fast. */
function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
}

describe('finishRows (pixel shuffle + bicubic anchor + mean, clipped)', () => {
  it('the reference anchor is MATLAB imresize of (lr - mean)', () => {
    for (const [H, W, s] of FINISH_CASES) {
      const lr = randoms(3 * H * W, H * 100 + W, 0, 1);
      const img = createImage(W, H);
      for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) img.data[c * H * W + p] = lr[c * H * W + p] - Math.fround(MEAN[c]);
      expect(maxAbsDiff(imresize(img, s).data, anchorOnnxRef(lr, H, W, s, MEAN)), `${H}x${W} x${s}`).toBeLessThan(1e-6);
    }
  });

  it.each(FINISH_CASES)('%ix%i x%i', (H, W, s) => {
    const lr = randoms(3 * H * W, H * 100 + W, 0, 1);
    // mostly small residuals, some large enough to clip at 0 and 1
    const t = randoms(H * W * 3 * s * s, H * 7 + W, -0.2, 0.2).map((v, i) => (i % 13 === 0 ? v * 10 : v));
    const anchor = anchorOnnxRef(lr, H, W, s, MEAN);
    for (const withAnchor of [true, false]) {
      const ref = finishRef(t, withAnchor ? anchor : undefined, H, W, s, MEAN);
      for (const v of VARIANTS) {
        const { k, heap } = inst(v);
        heap.reset();
        const pt = heap.alloc(t.length, t);
        const plr = heap.alloc(lr.length, lr);
        const pk = withAnchor ? heap.alloc(5 * s, bicubicTaps1dF32(s)) : 0;
        const po = heap.alloc(ref.length);
        const out = runRows(heap, po, H, W * s, H + W, (h0, h1) => k.finishRows(pt, plr, pk, po, H, W, s, h0, h1, MEAN[0], MEAN[1], MEAN[2]), s, 3);
        expect(maxAbsDiff(out, ref), `${name(v)}, anchor ${withAnchor}`).toBeLessThan(2e-6);
        if (out.length > 500) expect(out.some((x) => x === 0) && out.some((x) => x === 1), 'clipped at both ends').toBe(true);
      }
    }
  });

  it('equals onnxruntime on an exported model whose tail outputs only its bias', async () => {
    for (const s of [2, 3, 4]) {
      const g = buildGraph(parseNetConfig({ ...DEFAULT_NET, scale: s, channels: 8, blocks: 2 }));
      expect(g.config.variant === 'lr' && g.config.anchor, 'an lr model with the bicubic anchor').toBe(true);
      const bias = randoms(3 * s * s, s, -0.1, 0.1);
      const params: Record<string, Float32Array> = {};
      for (const p of g.params) params[p.name] = p.name === 'tail.b' ? bias : new Float32Array(p.shape.reduce((a, b) => a * b, 1));
      const session = await ort.InferenceSession.create(exportOnnx(g, params, { mean: MEAN, std: STD }), { intraOpNumThreads: 1 });
      try {
        for (const [H, W] of [[2, 3], [3, 2], [9, 13]]) {
          const lr = randoms(3 * H * W, 5 * H + W, 0, 1);
          const res = await session.run({ lr: new ort.Tensor('float32', lr, [1, 3, H, W]) });
          const t = new Float32Array(H * W * 3 * s * s);
          for (let p = 0; p < H * W; p++) t.set(bias, p * 3 * s * s); // zero weights: the tail conv is its bias
          for (const v of VARIANTS) {
            const { k, heap } = inst(v);
            heap.reset();
            const pt = heap.alloc(t.length, t);
            const plr = heap.alloc(lr.length, lr);
            const pk = heap.alloc(5 * s, bicubicTaps1dF32(s));
            const po = heap.alloc(3 * H * s * W * s);
            k.finishRows(pt, plr, pk, po, H, W, s, 0, H, MEAN[0], MEAN[1], MEAN[2]);
            expect(maxAbsDiff(heap.read(po, 3 * H * s * W * s), res.sr.data as Float32Array), `x${s} ${H}x${W} ${name(v)}`).toBeLessThan(1e-6);
          }
        }
      } finally {
        await session.release();
      }
    }
  });
});

const SIZES: Array<[number, number, number]> = [
  [1, 1, 3],
  [2, 64, 32],
  [3, 17, 27],
  [5, 5, 64],
  [17, 3, 12],
  [64, 2, 8],
  [64, 64, 32],
];
const f = Math.fround;

describe('normalize and elementwise kernels (exact float32)', () => {
  it.each(SIZES)('%ix%i, %i channels', (H, W, C) => {
    const n = H * W * C;
    const x = randoms(n, H + W + C, -2, 2);
    const x2 = randoms(n, H + W + C + 1, -2, 2);
    const slope = randoms(C, 1);
    const theta = randoms(C, 2, -0.5, 0.5);
    const delta = randoms(C, 3, -0.5, 0.5);
    const lr = randoms(3 * H * W, 4, 0, 1);
    const prelu = (u: number, c: number) => (u < 0 ? f(u * slope[c]) : u);
    const refs = {
      prelu: x.map((u, i) => prelu(u, i % C)),
      rprelu: x.map((u, i) => f(prelu(f(u - theta[i % C]), i % C) + delta[i % C])),
      add: x.map((u, i) => f(u + x2[i])),
      norm: Float32Array.from({ length: 3 * H * W }, (_, i) => f(f(lr[(i % 3) * H * W + Math.floor(i / 3)] - f(MEAN[i % 3])) / f(STD[i % 3]))),
    };
    const cy = C + 5;
    const off = 3;
    const concat = new Float32Array(H * W * cy).fill(SENTINEL);
    for (let p = 0; p < H * W; p++) concat.set(x.subarray(p * C, (p + 1) * C), p * cy + off);
    for (const v of VARIANTS) {
      const { k, heap } = inst(v);
      heap.reset();
      const px = heap.alloc(n, x);
      const px2 = heap.alloc(n, x2);
      const [ps, pth, pd] = [heap.alloc(C, slope), heap.alloc(C, theta), heap.alloc(C, delta)];
      const plr = heap.alloc(lr.length, lr);
      const py = heap.alloc(n);
      const pc = heap.alloc(H * W * cy);
      const seed = H * W;
      expect(firstDiff(runRows(heap, py, H, W * C, seed, (h0, h1) => k.preluRows(px, ps, py, W, C, h0, h1)), refs.prelu), `prelu ${name(v)}`).toBe(-1);
      expect(firstDiff(runRows(heap, py, H, W * C, seed + 1, (h0, h1) => k.rpreluRows(px, pth, ps, pd, py, W, C, h0, h1)), refs.rprelu), `rprelu ${name(v)}`).toBe(-1);
      expect(firstDiff(runRows(heap, py, H, W * C, seed + 2, (h0, h1) => k.addRows(px, px2, py, W, C, h0, h1)), refs.add), `add ${name(v)}`).toBe(-1);
      expect(firstDiff(runRows(heap, pc, H, W * cy, seed + 3, (h0, h1) => k.copyChannelsRows(px, pc, W, C, cy, off, h0, h1)), concat), `copy ${name(v)}`).toBe(-1);
      expect(firstDiff(runRows(heap, py, H, W * 3, seed + 4, (h0, h1) => k.normalizeRows(plr, py, H, W, h0, h1, MEAN[0], MEAN[1], MEAN[2], STD[0], STD[1], STD[2])), refs.norm), `normalize ${name(v)}`).toBe(-1);
      // in place
      heap.f32.set(x, px / 4);
      k.preluRows(px, ps, px, W, C, 0, H);
      expect(firstDiff(heap.read(px, n), refs.prelu), `prelu in place ${name(v)}`).toBe(-1);
      heap.expectGuards();
    }
  });
});
