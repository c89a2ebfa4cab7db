/**
 * The inference binary conv (xnorConvRows) and its weight packer against plain JS references on
 * unpacked ±1 values, in every build variant of the kernel module (plain / relaxed SIMD, own /
 * shared memory). The kernel's arithmetic is the reference's (an exact integer, then f32 multiply
 * and add in the same order), so results are compared bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { packBits, unpackBits } from '../../src/core/bitpack';
import type { KernelVariant } from '../../src/kernels/module';
import { binaryConvWeightWords, packBinaryConvWeights, xnorScratchBytes } from '../../src/kernels/packWeights';
import { instantiateKernels, type KernelInstance } from '../helpers/kernelModule';

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  H: number;
  W: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  dil: number;
  slope?: boolean;
  res?: boolean;
  sgn?: boolean;
  /** Row-range boundaries inside (0, H): the layer runs as consecutive calls over these parts. */
  splits?: number[];
  /** Every input −1 and every weight +1: the largest counts (byte accumulators at their limit). */
  allMismatch?: boolean;
}

interface Data {
  signs: Int8Array; // [H, W, cin] ±1
  bits: Uint8Array; // OIHW, packBits convention
  alpha: Float32Array;
  slope: Float32Array;
  res: Float32Array; // [H, W, cout]
}

function makeData(c: Case, rand: () => number): Data {
  const signs = Int8Array.from({ length: c.H * c.W * c.cin }, () => (c.allMismatch || rand() < 0.5 ? -1 : 1));
  const w = Float32Array.from({ length: c.cout * c.cin * c.kh * c.kw }, () => (c.allMismatch ? 1 : rand() - 0.5));
  // alpha of both signs (a negative alpha times a count of 0 is −0, whose packed sign is +)
  const alpha = Float32Array.from({ length: c.cout }, () => rand() * 2 - 0.6);
  const slope = Float32Array.from({ length: c.cout }, () => rand() * 0.5 - 0.1);
  const res = Float32Array.from({ length: c.H * c.W * c.cout }, () => rand() * 40 - 20);
  return { signs, bits: packBits(w), alpha, slope, res };
}

/** Direct loops over unpacked ±1 values: counts n and the epilogue's floats (f32 at each step). */
function reference(c: Case, d: Data): { n: Int32Array; y: Float32Array; sgn: Uint32Array } {
  const wt = unpackBits(d.bits, c.cout * c.cin * c.kh * c.kw);
  const n = new Int32Array(c.H * c.W * c.cout);
  const y = new Float32Array(n.length);
  const sgn = new Uint32Array((c.H * c.W * c.cout) / 32);
  const ph = ((c.kh - 1) / 2) * c.dil;
  const pw = ((c.kw - 1) / 2) * c.dil;
  for (let h = 0; h < c.H; h++)
    for (let w = 0; w < c.W; w++)
      for (let o = 0; o < c.cout; o++) {
        let s = 0;
        for (let i = 0; i < c.kh; i++) {
          const hh = h + i * c.dil - ph;
          if (hh < 0 || hh >= c.H) continue;
          for (let j = 0; j < c.kw; j++) {
            const ww = w + j * c.dil - pw;
            if (ww < 0 || ww >= c.W) continue;
            for (let ci = 0; ci < c.cin; ci++) s += d.signs[(hh * c.W + ww) * c.cin + ci] * wt[((o * c.cin + ci) * c.kh + i) * c.kw + j];
          }
        }
        const p = h * c.W + w;
        let v = Math.fround(d.alpha[o] * s);
        if (c.slope && !(v >= 0)) v = Math.fround(v * d.slope[o]);
        if (c.res) v = Math.fround(v + d.res[p * c.cout + o]);
        n[p * c.cout + o] = s;
        y[p * c.cout + o] = v;
        if (c.sgn && v < 0) sgn[(p * c.cout + o) >> 5] |= 1 << (o & 31);
      }
  return { n, y, sgn };
}

/** Packed input signs [H, W, cin/32] (bit = negative), packSigns' convention. */
function packInput(c: Case, signs: Int8Array): Uint32Array {
  const words = c.cin / 32;
  const a = new Uint32Array(c.H * c.W * words);
  for (let p = 0; p < c.H * c.W; p++)
    for (let ci = 0; ci < c.cin; ci++) if (signs[p * c.cin + ci] < 0) a[p * words + (ci >> 5)] |= 1 << (ci & 31);
  return a;
}

const SENTINEL = 0x7fc0dead; // a NaN no kernel computes: marks words that must stay untouched

/**
 * Runs the case in `inst`; y and res are slices (at channel `off`) of wider concat-like buffers.
 * tables: the instance gets exactly xnorScratchBytes of scratch (the relaxed build's table path for
 * Cout % 32 = 0).
 */
function run(inst: KernelInstance, c: Case, d: Data, tables: boolean, relaxed: boolean) {
  const words = c.cin / 32;
  const off = 3;
  const ystride = c.cout + 5;
  const npix = c.H * c.W;
  const wpacked = packBinaryConvWeights(d.bits, c.cout, c.cin, c.kh, c.kw);
  let top = 64;
  const alloc = (bytes: number) => {
    const p = top;
    top += Math.ceil(bytes / 16) * 16 + 16;
    return p;
  };
  const pa = alloc(npix * words * 4);
  const pw = alloc(wpacked.length * 4);
  const pal = alloc(c.cout * 4);
  const psl = alloc(c.cout * 4);
  const py = alloc(npix * ystride * 4);
  const pr = alloc(npix * ystride * 4);
  const ps = alloc((npix * c.cout) / 8 + 4);
  const scratchBytes = xnorScratchBytes(c.W, words, c.kh, c.dil);
  const pscr = alloc(scratchBytes + 16);
  const need = Math.ceil(top / 65536);
  if (inst.memory.buffer.byteLength < need * 65536) inst.memory.grow(need - inst.memory.buffer.byteLength / 65536);
  const buf = inst.memory.buffer;
  new Uint32Array(buf, pa, npix * words).set(packInput(c, d.signs));
  new Uint32Array(buf, pw, wpacked.length).set(wpacked);
  new Float32Array(buf, pal, c.cout).set(d.alpha);
  new Float32Array(buf, psl, c.cout).set(d.slope);
  const yv = new Uint32Array(buf, py, npix * ystride).fill(SENTINEL);
  const rv = new Float32Array(buf, pr, npix * ystride).fill(Number.NaN);
  for (let p = 0; p < npix; p++) rv.set(d.res.subarray(p * c.cout, (p + 1) * c.cout), p * ystride + off);
  const sv = new Uint32Array(buf, ps, (npix * c.cout) / 32 + 1).fill(SENTINEL);
  const scr = new Uint32Array(buf, pscr, scratchBytes / 4 + 4).fill(SENTINEL);
  if (tables) inst.kernels.xnorScratch(pscr, scratchBytes);
  else inst.kernels.xnorScratch(0, 0);
  const bounds = [0, ...(c.splits ?? []), c.H];
  for (let part = 0; part + 1 < bounds.length; part++) {
    inst.kernels.xnorConvRows(pa, pw, pal, py + off * 4, c.H, c.W, words, c.cout, c.kh, c.kw, c.dil, bounds[part], bounds[part + 1], ystride,
      c.slope ? psl : 0, c.res ? pr + off * 4 : 0, c.sgn ? ps : 0);
    // nothing written below the part's rows yet
    const after = bounds[part + 1] * c.W * ystride;
    expect(yv.subarray(after).every((u) => u === SENTINEL), `rows >= ${bounds[part + 1]} written by part ${part}`).toBe(true);
    if (c.sgn) expect(sv.subarray((bounds[part + 1] * c.W * c.cout) / 32).every((u) => u === SENTINEL)).toBe(true);
  }
  const y = new Float32Array(npix * c.cout);
  const yf = new Float32Array(buf, py, npix * ystride);
  let outside = 0;
  for (let p = 0; p < npix; p++)
    for (let o = 0; o < ystride; o++) {
      if (o >= off && o < off + c.cout) y[p * c.cout + o - off] = yf[p * ystride + o];
      else if (yv[p * ystride + o] !== SENTINEL) outside++;
    }
  const sgn = c.sgn ? sv.slice(0, (npix * c.cout) / 32) : new Uint32Array((npix * c.cout) / 32);
  if (c.sgn) expect(sv[(npix * c.cout) / 32], 'sgn written past its end').toBe(SENTINEL);
  // the table path ran exactly when it should, and stayed inside its scratch
  expect(scr.subarray(0, scratchBytes / 4).some((u) => u !== SENTINEL), 'table path used').toBe(tables && relaxed && c.cout % 32 === 0);
  expect(scr.subarray(scratchBytes / 4).every((u) => u === SENTINEL), 'scratch written past its end').toBe(true);
  return { y, sgn, outside };
}

/** Data and reference per case, computed once for all variants (the direct loops are slow). */
const memo = new Map<number, { d: Data; ref: ReturnType<typeof reference> }>();

function check(inst: KernelInstance, c: Case, seed: number, tables: boolean, relaxed: boolean) {
  let m = memo.get(seed);
  if (!m) {
    const d = makeData(c, mulberry32(seed));
    m = { d, ref: reference(c, d) };
    memo.set(seed, m);
  }
  const { d, ref } = m;
  const got = run(inst, c, d, tables, relaxed);
  expect(got.outside, 'channels outside [0, cout) of the y slice written').toBe(0);
  let firstBad = -1;
  for (let i = 0; i < got.y.length && firstBad < 0; i++) if (!Object.is(got.y[i], ref.y[i]) && !(got.y[i] === 0 && ref.y[i] === 0)) firstBad = i;
  if (firstBad >= 0) {
    const p = Math.floor(firstBad / c.cout);
    const o = firstBad % c.cout;
    const count = Math.round(got.y[firstBad] / d.alpha[o]);
    expect.fail(`pixel (${Math.floor(p / c.W)}, ${p % c.W}) channel ${o}: got ${got.y[firstBad]} (count ~${count}), want ${ref.y[firstBad]} (count ${ref.n[firstBad]})`);
  }
  if (!c.slope && !c.res) {
    // the integer counts themselves, exactly
    for (let i = 0; i < got.y.length; i++) if (Math.round(got.y[i] / d.alpha[i % c.cout]) !== ref.n[i] && d.alpha[i % c.cout] !== 0) expect.fail(`count at ${i}`);
  }
  if (c.sgn) expect(Array.from(got.sgn)).toEqual(Array.from(ref.sgn));
}

const K33 = { kh: 3, kw: 3 };
const K15 = { kh: 1, kw: 5 };
const K51 = { kh: 5, kw: 1 };

/** Every size 1, 2, 3, 5, 17, 64 as both H and W; every Cout; each kernel shape at dilation 1 and 2. */
const CASES: Case[] = [
  { H: 17, W: 17, cin: 32, cout: 32, ...K33, dil: 1 },
  { H: 17, W: 17, cin: 32, cout: 32, ...K33, dil: 1, slope: true, res: true, sgn: true, splits: [5, 11] },
  { H: 64, W: 17, cin: 64, cout: 64, ...K33, dil: 1, slope: true, res: true, sgn: true, splits: [30] },
  { H: 17, W: 64, cin: 32, cout: 48, ...K33, dil: 2, slope: true, splits: [1, 16] },
  { H: 5, W: 3, cin: 64, cout: 32, ...K33, dil: 1, sgn: true },
  { H: 3, W: 5, cin: 32, cout: 8, ...K33, dil: 2, res: true },
  { H: 1, W: 17, cin: 32, cout: 4, ...K33, dil: 1, slope: true },
  { H: 17, W: 1, cin: 64, cout: 12, ...K33, dil: 1, res: true },
  { H: 2, W: 2, cin: 32, cout: 27, ...K33, dil: 1, slope: true, res: true },
  { H: 17, W: 17, cin: 64, cout: 27, ...K33, dil: 2, slope: true, res: true, splits: [8] },
  { H: 17, W: 17, cin: 32, cout: 8, ...K15, dil: 1, slope: true, splits: [4, 9] },
  { H: 17, W: 17, cin: 32, cout: 8, ...K15, dil: 2, res: true },
  { H: 17, W: 17, cin: 64, cout: 16, ...K51, dil: 1, slope: true, res: true },
  { H: 17, W: 17, cin: 64, cout: 16, ...K51, dil: 2, splits: [2, 15] },
  { H: 5, W: 64, cin: 64, cout: 16, ...K15, dil: 2 },
  { H: 64, W: 5, cin: 32, cout: 8, ...K51, dil: 2, slope: true },
  { H: 2, W: 3, cin: 32, cout: 4, ...K15, dil: 1 },
  { H: 3, W: 2, cin: 32, cout: 12, ...K51, dil: 1, res: true },
  { H: 1, W: 1, cin: 64, cout: 32, ...K33, dil: 2, slope: true, res: true, sgn: true },
  { H: 17, W: 5, cin: 32, cout: 64, ...K51, dil: 2, slope: true, res: true, sgn: true, splits: [3, 12] },
  { H: 9, W: 17, cin: 32, cout: 96, ...K33, dil: 1, slope: true, sgn: true },
  { H: 9, W: 11, cin: 64, cout: 41, ...K15, dil: 1, slope: true, res: true },
  // a word count without an unrolled path, and other odd kernel shapes up to 5x5
  { H: 9, W: 10, cin: 96, cout: 12, ...K33, dil: 1, slope: true, splits: [4] },
  { H: 11, W: 13, cin: 32, cout: 16, kh: 5, kw: 5, dil: 1, res: true },
  { H: 13, W: 11, cin: 32, cout: 32, kh: 3, kw: 5, dil: 2, sgn: true },
  // the largest counts: every byte accumulator (and its widening) at its limit
  { H: 9, W: 9, cin: 32, cout: 32, ...K33, dil: 1, allMismatch: true },
  { H: 9, W: 9, cin: 64, cout: 48, ...K33, dil: 1, allMismatch: true, sgn: false, slope: true },
  { H: 9, W: 9, cin: 96, cout: 16, ...K33, dil: 1, allMismatch: true },
  { H: 7, W: 8, cin: 32, cout: 20, kh: 5, kw: 5, dil: 1, allMismatch: true },
  { H: 7, W: 12, cin: 64, cout: 16, ...K15, dil: 2, allMismatch: true },
  { H: 7, W: 12, cin: 64, cout: 32, ...K15, dil: 2, allMismatch: true, res: true },
];

const VARIANTS: KernelVariant[] = [
  { fma: false, shared: false },
  { fma: true, shared: false },
  { fma: false, shared: true },
  { fma: true, shared: true },
];

const caseName = (c: Case) =>
  `${c.H}x${c.W} C${c.cin}->${c.cout} ${c.kh}x${c.kw} d${c.dil}${c.allMismatch ? ' all-mismatch' : ''}${c.slope ? ' slope' : ''}${c.res ? ' res' : ''}${c.sgn ? ' sgn' : ''}${c.splits ? ` rows@${c.splits.join(',')}` : ''}`;

describe('packBinaryConvWeights', () => {
  it('puts each OIHW bit at its documented place (sign word, low and high nibbles; padding zero)', () => {
    const rand = mulberry32(7);
    for (const [cout, cin, kh, kw] of [[27, 64, 3, 3], [8, 32, 1, 5], [4, 32, 5, 1]]) {
      const n = cout * cin * kh * kw;
      const bits = packBits(Float32Array.from({ length: n }, () => rand() - 0.5));
      const values = unpackBits(bits, n);
      const packed = packBinaryConvWeights(bits, cout, cin, kh, kw);
      const words = cin / 32;
      const nvec = Math.ceil(cout / 4);
      expect(packed.length).toBe(binaryConvWeightWords(cout, cin, kh, kw));
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let k = 0; k < words; k++)
            for (let o = 0; o < 4 * nvec; o++) {
              const base = (((i * kw + j) * words + k) * nvec + (o >> 2)) * 12 + (o & 3);
              const word = packed[base];
              for (let c = 0; c < 32; c++) {
                const bit = (word >>> c) & 1;
                const want = o < cout && values[((o * cin + 32 * k + c) * kh + i) * kw + j] < 0 ? 1 : 0;
                if (bit !== want) expect.fail(`o ${o} c ${32 * k + c} tap ${i},${j}: bit ${bit}`);
              }
              expect(packed[base + 4]).toBe(word & 0x0f0f0f0f);
              expect(packed[base + 8]).toBe((word >>> 4) & 0x0f0f0f0f);
              const tables = new Uint8Array(packed.buffer, kh * kw * words * nvec * 48);
              const tbase = (((i * kw + j) * words + k) * Math.ceil(cout / 16) + (o >> 4)) * 128 + (o & 15);
              if (o < Math.ceil(cout / 16) * 16)
                for (let q = 0; q < 8; q++) if (tables[tbase + 16 * q] !== ((word >>> (4 * q)) & 15)) expect.fail(`table nibble o ${o} q ${q}`);
            }
    }
  });

  it('rejects a cin that is not a multiple of 32 and a short buffer', () => {
    expect(() => packBinaryConvWeights(new Uint8Array(100), 4, 16, 3, 3)).toThrow(/multiple of 32/);
    expect(() => packBinaryConvWeights(new Uint8Array(10), 4, 32, 3, 3)).toThrow(/bits/);
  });
});

describe.each(VARIANTS)('xnorConvRows (fma $fma, shared $shared)', (variant) => {
  it.each(CASES.map((c, i) => [caseName(c), c, i] as const))('%s', async (_name, c, i) => {
    const inst = await instantiateKernels(variant, 1);
    check(inst, c, 1000 + i, false, variant.fma);
  });

  it.each(CASES.map((c, i) => [caseName(c), c, i] as const))('%s, table path', async (_name, c, i) => {
    const inst = await instantiateKernels(variant, 1);
    check(inst, c, 1000 + i, true, variant.fma);
  });

  it('traps when asked for packed signs of a cout that is not a multiple of 32', async () => {
    const { kernels } = await instantiateKernels(variant, 4);
    expect(() => kernels.xnorConvRows(0, 1024, 2048, 4096, 2, 2, 1, 16, 3, 3, 1, 0, 2, 16, 0, 0, 8192)).toThrow(WebAssembly.RuntimeError);
    expect(() => kernels.xnorConvRows(0, 1024, 2048, 4096, 2, 2, 1, 32, 3, 3, 1, 0, 2, 32, 0, 0, 8192)).not.toThrow();
  });

  it('traps when the byte accumulators could overflow (kh·kw·words > 31)', async () => {
    const { kernels } = await instantiateKernels(variant, 4);
    expect(() => kernels.xnorConvRows(0, 1024, 2048, 4096, 2, 2, 2, 4, 5, 5, 1, 0, 2, 4, 0, 0, 0)).toThrow(WebAssembly.RuntimeError);
  });
});
