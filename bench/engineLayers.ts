/**
 * `npx tsx bench/engineLayers.ts [--json] [--size N] [--runs N] [--variant plain|relaxed|both]`
 *
 * Per-layer speed of the binary engine's kernels on one thread, on generated data: the binary
 * conv (xnorConvRows) for the layer kinds of the shipped networks, each next to the float conv of
 * the same shape on the same input (the trainer's `conv` on a pre-padded input, and the engine's
 * `convRows` when the module has it), and the float head/tail convs. Median ms over `runs` timed
 * calls after warm-up (V8 tiers a wasm function up to TurboFan after its first calls), binary
 * GOP/s (2·H·W·kh·kw·cin·cout per second, the float-equivalent count) and float/binary ratios.
 */
import { readFileSync } from 'node:fs';
import { packBinaryConvWeights, xnorScratchBytes } from '../src/kernels/packWeights';
import type { KernelVariant } from '../src/kernels/module';
import type { Kernels } from '../src/kernels/spec';
import { isMain } from '../training/cli/args';
import { instantiateKernels } from '../tests/helpers/kernelModule';

export interface BenchOptions {
  size?: number;
  runs?: number;
  warmup?: number;
  variants?: ('plain' | 'relaxed')[];
}

interface BinaryLayer {
  name: string;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  dil: number;
  /** PReLU + residual + packed signs, as a basic block's conv runs in the engine. */
  epilogue?: boolean;
}

const BINARY_LAYERS: BinaryLayer[] = [
  { name: '3x3 C32->32', cin: 32, cout: 32, kh: 3, kw: 3, dil: 1 },
  { name: '3x3 C32->32 +prelu+res+sgn', cin: 32, cout: 32, kh: 3, kw: 3, dil: 1, epilogue: true },
  { name: '3x3 C64->64', cin: 64, cout: 64, kh: 3, kw: 3, dil: 1 },
  { name: '1x5 d1 C32->8', cin: 32, cout: 8, kh: 1, kw: 5, dil: 1 },
  { name: '5x1 d1 C32->8', cin: 32, cout: 8, kh: 5, kw: 1, dil: 1 },
  { name: '1x5 d2 C32->8', cin: 32, cout: 8, kh: 1, kw: 5, dil: 2 },
  { name: '5x1 d2 C32->8', cin: 32, cout: 8, kh: 5, kw: 1, dil: 2 },
  { name: '1x5 d1 C64->16', cin: 64, cout: 16, kh: 1, kw: 5, dil: 1 },
  { name: '5x1 d1 C64->16', cin: 64, cout: 16, kh: 5, kw: 1, dil: 1 },
  { name: '1x5 d2 C64->16', cin: 64, cout: 16, kh: 1, kw: 5, dil: 2 },
  { name: '5x1 d2 C64->16', cin: 64, cout: 16, kh: 5, kw: 1, dil: 2 },
];

/** Float convs of the head and tail (convRows only). */
const FLOAT_LAYERS = [
  { name: 'head 3x3 C3->32', cin: 3, cout: 32 },
  { name: 'tail 3x3 C32->12', cin: 32, cout: 12 },
  { name: 'tail 3x3 C32->27', cin: 32, cout: 27 },
  { name: 'tail 3x3 C32->48', cin: 32, cout: 48 },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, d = 3) => Number(x.toFixed(d));

/** CPU model and the flags that decide how popcount and SIMD run. */
export function cpuInfo(): { model: string; flags: string[] } {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.*)$/m.exec(text)?.[1] ?? 'unknown';
    const flags = (/^flags\s*:\s*(.*)$/m.exec(text)?.[1] ?? '').split(/\s+/);
    const wanted = ['popcnt', 'avx2', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_bitalg', 'avx512_vpopcntdq', 'avx512_vnni'];
    return { model, flags: wanted.filter((f) => flags.includes(f)) };
  } catch {
    return { model: 'unknown (no /proc/cpuinfo)', flags: [] };
  }
}

/** Deterministic bytes (xorshift32): the timing does not depend on the values. */
function fillRandom(bytes: Uint8Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < bytes.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    bytes[i] = s & 0xff;
  }
}

export interface LayerResult {
  layer: string;
  kernel: string;
  /** Median and fastest ms of the timed calls. */
  ms: number;
  minMs: number;
  gops: number;
  /** Float conv ms on the same input and shape (trainer's `conv`, pre-padded), and float/binary. */
  floatConvMs?: number;
  ratio?: number;
  /** The engine's float convRows on the same shape, and convRows/binary. */
  floatConvRowsMs?: number;
  ratioConvRows?: number;
  /** The binary conv without per-thread scratch (its XOR path; `ms` has the scratch, so the relaxed build takes the table path where Cout % 32 = 0). */
  xorPathMs?: number;
}

/** Bump allocator over the module's memory, 64-byte aligned. */
class Heap {
  private top = 1024;
  constructor(private readonly memory: WebAssembly.Memory) {}
  alloc(bytes: number): number {
    const p = this.top;
    this.top += Math.ceil(bytes / 64) * 64;
    const need = Math.ceil(this.top / 65536) - this.memory.buffer.byteLength / 65536;
    if (need > 0) this.memory.grow(need);
    return p;
  }
  random(bytes: number, seed: number): number {
    const p = this.alloc(bytes);
    fillRandom(new Uint8Array(this.memory.buffer, p, bytes), seed);
    return p;
  }
  /** Floats uniform in [-1, 1). */
  floats(n: number, seed: number): number {
    const p = this.alloc(n * 4);
    const f = new Float32Array(this.memory.buffer, p, n);
    let s = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      f[i] = s / 2147483648 - 1;
    }
    return p;
  }
}

/** Calls f until it has run `calls` times and for at least `ms` milliseconds. */
function warm(f: () => void, calls: number, ms: number): void {
  const t0 = performance.now();
  for (let i = 0; i < calls || performance.now() - t0 < ms; i++) f();
}

/**
 * Times the kernels of one layer interleaved (one call of each per round), so a slow spell on a
 * shared machine hits binary and float alike: per kernel the median and the fastest ms.
 */
function timeRounds(fs: (() => void)[], runs: number): { median: number; min: number }[] {
  const ts = fs.map(() => [] as number[]);
  for (let r = 0; r < runs; r++)
    fs.forEach((f, i) => {
      const t = performance.now();
      f();
      ts[i].push(performance.now() - t);
    });
  return ts.map((t) => ({ median: median(t), min: Math.min(...t) }));
}

interface Job {
  layer: string;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  binary?: () => void;
  /** The same binary conv without scratch (the XOR path). */
  binaryXor?: () => void;
  conv?: () => void;
  convRows?: () => void;
}

async function benchVariant(variant: KernelVariant, size: number, runs: number, warmup: number): Promise<LayerResult[]> {
  const { kernels: k, memory } = await instantiateKernels(variant, 1);
  const heap = new Heap(memory);
  const H = size;
  const W = size;
  const hasConvRows = typeof (k as Partial<Kernels>).convRows === 'function';
  const gops = (j: Job, ms: number) => (2 * H * W * j.kh * j.kw * j.cin * j.cout) / (ms / 1e3) / 1e9;

  /** Float convs of one shape: the trainer's conv (pre-padded input; W % 4, cout % 8), and convRows. */
  const floatConvs = (cin: number, cout: number, kh: number, kw: number, dil: number): Pick<Job, 'conv' | 'convRows'> => {
    const Hp = H + dil * (kh - 1);
    const Wp = W + dil * (kw - 1);
    const wf = heap.floats(kh * kw * cin * Math.ceil(cout / 8) * 8, 12);
    const y = heap.alloc(H * W * Math.ceil(cout / 8) * 8 * 4);
    const jobs: Pick<Job, 'conv' | 'convRows'> = {};
    if (cout % 8 === 0 && W % 4 === 0) {
      const xp = heap.floats(Hp * Wp * cin, 11);
      jobs.conv = () => k.conv(xp, wf, y, 1, H, W, cin, cout, kh, kw, dil);
    }
    if (hasConvRows) {
      const x = heap.floats(H * W * cin, 13);
      const b = heap.floats(Math.ceil(cout / 8) * 8, 14);
      jobs.convRows = () => k.convRows(x, wf, b, y, H, W, cin, cout, kh, kw, dil, 0, H);
    }
    return jobs;
  };

  // one thread's scratch for the binary conv's table path, sized for the largest layer
  const scratchBytes = Math.max(...BINARY_LAYERS.map((L) => xnorScratchBytes(W, L.cin / 32, L.kh, L.dil)));
  const scratch = heap.alloc(scratchBytes);
  const jobs: Job[] = [];
  for (const L of BINARY_LAYERS) {
    const words = L.cin / 32;
    const a = heap.random(H * W * words * 4, 1);
    const wbits = new Uint8Array(Math.ceil((L.cout * L.cin * L.kh * L.kw) / 8));
    fillRandom(wbits, 2);
    const packed = packBinaryConvWeights(wbits, L.cout, L.cin, L.kh, L.kw);
    const wb = heap.alloc(packed.length * 4);
    new Uint32Array(memory.buffer, wb, packed.length).set(packed);
    const alpha = heap.floats(L.cout, 3);
    const slope = L.epilogue ? heap.floats(L.cout, 4) : 0;
    const res = L.epilogue ? heap.floats(H * W * L.cout, 5) : 0;
    const sgn = L.epilogue ? heap.alloc((H * W * L.cout) / 8) : 0;
    const y = heap.alloc(H * W * L.cout * 4);
    jobs.push({
      layer: L.name, cin: L.cin, cout: L.cout, kh: L.kh, kw: L.kw,
      binary: () => {
        k.xnorScratch(scratch, scratchBytes);
        k.xnorConvRows(a, wb, alpha, y, H, W, words, L.cout, L.kh, L.kw, L.dil, 0, H, L.cout, slope, res, sgn);
      },
      binaryXor: () => {
        k.xnorScratch(0, 0);
        k.xnorConvRows(a, wb, alpha, y, H, W, words, L.cout, L.kh, L.kw, L.dil, 0, H, L.cout, slope, res, sgn);
      },
      ...floatConvs(L.cin, L.cout, L.kh, L.kw, L.dil),
    });
  }
  if (hasConvRows) for (const L of FLOAT_LAYERS) jobs.push({ layer: L.name, cin: L.cin, cout: L.cout, kh: 3, kw: 3, convRows: floatConvs(L.cin, L.cout, 3, 3, 1).convRows });

  // Every kernel hot before any timing: V8 starts a wasm function in its baseline compiler and
  // swaps in the optimized code (compiled in the background) at a later call.
  for (const j of jobs) for (const f of [j.binary, j.binaryXor, j.conv, j.convRows]) if (f) warm(f, warmup, 150);

  const out: LayerResult[] = [];
  for (const j of jobs) {
    const fs = [j.binary, j.conv, j.convRows, j.binaryXor];
    const present = fs.filter((f): f is () => void => f !== undefined);
    const times = timeRounds(present, runs);
    const t = (f: (() => void) | undefined) => (f ? times[present.indexOf(f)] : undefined);
    const [bin, conv, rows, xor] = fs.map(t);
    const main = bin ?? rows!;
    out.push({
      layer: j.layer,
      kernel: bin ? 'xnorConvRows' : 'convRows',
      ms: round(main.median),
      minMs: round(main.min),
      gops: round(gops(j, main.median), 1),
      ...(bin && conv ? { floatConvMs: round(conv.median), ratio: round(conv.median / bin.median, 2) } : {}),
      ...(bin && rows ? { floatConvRowsMs: round(rows.median), ratioConvRows: round(rows.median / bin.median, 2) } : {}),
      ...(xor ? { xorPathMs: round(xor.median) } : {}),
    });
  }
  return out;
}

export interface BenchReport {
  cpu: { model: string; flags: string[] };
  node: string;
  size: number;
  runs: number;
  threads: 1;
  variants: { variant: string; layers: LayerResult[] }[];
}

/** Benchmarks the layers on every requested variant (own memory, one thread). */
export async function benchLayers(opts: BenchOptions = {}): Promise<BenchReport> {
  const size = opts.size ?? 256;
  const runs = Math.max(opts.runs ?? 11, 1);
  const warmup = opts.warmup ?? 4;
  const variants: BenchReport['variants'] = [];
  for (const name of opts.variants ?? ['plain', 'relaxed']) {
    variants.push({ variant: name, layers: await benchVariant({ fma: name === 'relaxed', shared: false }, size, runs, warmup) });
  }
  return { cpu: cpuInfo(), node: process.version, size, runs, threads: 1, variants };
}

const USAGE = 'usage: npx tsx bench/engineLayers.ts [--json] [--size N] [--runs N] [--variant plain|relaxed|both]';

function parseArgs(argv: string[]): { opts: BenchOptions; json: boolean } {
  const opts: BenchOptions = {};
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${a} needs a positive integer\n${USAGE}`);
      return v;
    };
    if (a === '--json') json = true;
    else if (a === '--size') opts.size = num();
    else if (a === '--runs') opts.runs = num();
    else if (a === '--variant') {
      const v = argv[++i];
      if (v === 'both') opts.variants = ['plain', 'relaxed'];
      else if (v === 'plain' || v === 'relaxed') opts.variants = [v];
      else throw new Error(`--variant must be plain, relaxed or both\n${USAGE}`);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return { opts, json };
}

if (isMain(import.meta.url)) {
  const { opts, json } = parseArgs(process.argv.slice(2));
  const report = await benchLayers(opts);
  if (json) console.log(JSON.stringify(report, null, 2));
  else {
    console.log(`${report.cpu.model} [${report.cpu.flags.join(' ')}], Node ${report.node}, ${report.size}x${report.size}, one thread, median of ${report.runs}`);
    for (const v of report.variants) {
      console.log(`\n${v.variant}`);
      for (const l of v.layers) {
        const r = l.ratio !== undefined ? `  float conv ${l.floatConvMs} ms (x${l.ratio})` : '';
        const rr = l.ratioConvRows !== undefined ? `  convRows ${l.floatConvRowsMs} ms (x${l.ratioConvRows})` : '';
        const xr = l.xorPathMs !== undefined ? `  no scratch ${l.xorPathMs} ms` : '';
        console.log(`  ${l.layer.padEnd(28)} ${l.kernel.padEnd(13)} ${String(l.ms).padStart(8)} ms (min ${l.minMs}) ${String(l.gops).padStart(7)} GOP/s${r}${rr}${xr}`);
      }
    }
  }
}
