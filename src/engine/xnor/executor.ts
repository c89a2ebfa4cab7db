/**
 * Runs a schedule (schedule.ts) on one tile with the shared WebAssembly kernels (src/kernels): the
 * weights are packed once into the kernel memory at load; per tile size, every value gets a place
 * in that memory (values whose lifetimes do not overlap share space), then each step is one kernel
 * call over rows (dispatch.ts), on one thread or split over a pool.
 */
import type { RgbImage } from '../../core/image';
import { bicubicTaps1dF32 } from '../../model/bicubicKernel';
import { packFloatConvBias, packFloatConvWeights } from '../../kernels/packFloat';
import { packBinaryConvWeights } from '../../kernels/packWeights';
import { KERNELS, type Kernels } from '../../kernels/spec';
import type { Dispatcher, RowCall } from './dispatch';
import type { ModelPlan } from './plan';
import { stepReference, type Value } from './reference';
import type { Schedule, Slot, Step } from './schedule';

const ALIGN = 64;
const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/**
 * The kernel memory: a control block for the threads at 0, the weights of every loaded model in a
 * bump-allocated region below WEIGHTS_END, and above it one scratch region that each tile lays its
 * values out in (models run one at a time). The memory grows when a tile needs more.
 */
export const WEIGHTS_END = 8 << 20;

export class Heap {
  private top = 1024;
  readonly scratch = WEIGHTS_END;
  constructor(readonly memory: WebAssembly.Memory) {
    this.ensure(WEIGHTS_END);
  }
  private alloc(bytes: number): number {
    const p = this.top;
    this.top = align(p + Math.max(bytes, 4));
    if (this.top > WEIGHTS_END) throw new Error(`the models' weights exceed the engine's ${WEIGHTS_END >> 20} MiB weight region`);
    return p;
  }
  ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
  }
  f32(p: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, p, n);
  }
  u32(p: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, p, n);
  }
  putF32(data: ArrayLike<number>): number {
    const p = this.alloc(data.length * 4);
    this.f32(p, data.length).set(data);
    return p;
  }
  putU32(data: Uint32Array): number {
    const p = this.alloc(data.length * 4);
    this.u32(p, data.length).set(data);
    return p;
  }
}

interface Layout {
  h: number;
  w: number;
  ptr: Map<string, number>;
  lr: number;
  sr: number;
  end: number;
}

const reads = (s: Step): string[] => {
  switch (s.kind) {
    case 'input':
      return [];
    case 'pack':
      return [s.in];
    case 'binconv':
      return [s.a, ...(s.res ? [s.res] : [])];
    case 'conv':
      return [s.in];
    case 'finish':
      return [s.in];
    case 'general':
      return 'ins' in s.op ? s.op.ins : [s.op.in];
  }
};
const writes = (s: Step): string[] => {
  switch (s.kind) {
    case 'binconv':
      return [s.out, ...(s.sgn ? [s.sgn] : [])];
    case 'general':
      return [s.op.out];
    default:
      return [s.out];
  }
};

export class XnorExecutor {
  private readonly weights = new Map<object, { w: number; alpha?: number; slope?: number; b?: number; cinWords?: number }>();
  private readonly base: number;
  private layout: Layout | undefined;

  constructor(
    private readonly plan: ModelPlan,
    private readonly sched: Schedule,
    private readonly heap: Heap,
    private readonly kernels: Kernels,
    private readonly dispatch: Dispatcher,
  ) {
    for (const s of sched.steps) {
      if (s.kind === 'binconv') {
        const o = s.op;
        if (!this.weights.has(o)) this.weights.set(o, { w: heap.putU32(packBinaryConvWeights(o.bits, o.cout, o.cin, o.kh, o.kw)), alpha: heap.putF32(o.alpha) });
        if (s.slope) this.weights.set(s, { w: 0, slope: heap.putF32(s.slope) });
      } else if (s.kind === 'conv') {
        const o = s.op;
        this.weights.set(o, { w: heap.putF32(packFloatConvWeights(o.w, o.cout, o.cin, o.kh, o.kw)), b: heap.putF32(packFloatConvBias(o.b, o.cout)) });
      }
    }
    this.base = heap.scratch;
  }

  private bytesOf(s: Slot, h: number, w: number): number {
    const px = h * s.f * w * s.f;
    return s.bits ? px * Math.ceil(s.c / 32) * 4 : px * s.c * 4;
  }

  /** Places every value for an h×w tile: greedy first fit over lifetimes (step indices). */
  private layoutFor(h: number, w: number): Layout {
    if (this.layout && this.layout.h === h && this.layout.w === w) return this.layout;
    const steps = this.sched.steps;
    const first = new Map<string, number>();
    const last = new Map<string, number>();
    steps.forEach((s, i) => {
      for (const v of writes(s)) if (!first.has(v)) first.set(v, i);
      for (const v of [...reads(s), ...writes(s)]) last.set(v, i);
    });
    const live: { start: number; end: number; from: number; to: number }[] = [];
    const ptr = new Map<string, number>();
    let top = this.base;
    for (const [v, start] of [...first.entries()].sort((a, b) => a[1] - b[1])) {
      const slot = this.sched.slots.get(v);
      if (!slot) continue;
      const size = align(this.bytesOf(slot, h, w));
      const end = last.get(v)!;
      // Lowest address free for [start, end]: a value may not overlap one still live.
      const busy = live.filter((l) => l.end >= start && l.start <= end).sort((a, b) => a.from - b.from);
      let p = this.base;
      for (const b of busy) {
        if (p + size <= b.from) break;
        p = Math.max(p, b.to);
      }
      live.push({ start, end, from: p, to: p + size });
      ptr.set(v, p);
      top = Math.max(top, p + size);
    }
    const lr = top;
    const sr = align(lr + 3 * h * w * 4);
    const s = this.plan.scale;
    const end = align(sr + 3 * h * s * w * s * 4);
    this.heap.ensure(end);
    this.layout = { h, w, ptr, lr, sr, end };
    return this.layout;
  }

  /** Bytes of kernel memory a tile of h×w needs (weights included). */
  memoryFor(h: number, w: number): number {
    return this.layoutFor(h, w).end;
  }

  run(lr: RgbImage): RgbImage {
    const { width: W, height: H } = lr;
    const L = this.layoutFor(H, W);
    const heap = this.heap;
    heap.f32(L.lr, 3 * H * W).set(lr.data.subarray(0, 3 * H * W));
    const view = (v: string): Value => {
      const s = this.sched.slots.get(v)!;
      if (s.bits) throw new Error(`value ${v} is stored as bits only`);
      return { h: H * s.f, w: W * s.f, c: s.c, data: heap.f32(L.ptr.get(v)!, H * s.f * W * s.f * s.c) };
    };
    for (const s of this.sched.steps) this.step(s, L, H, W, view);
    const s = this.plan.scale;
    return { width: W * s, height: H * s, data: heap.f32(L.sr, 3 * H * s * W * s).slice() };
  }

  private rows(kernel: RowCall['kernel'], args: number[], rows: number): number {
    // The h0/h1 arguments are found by name in the kernel's description.
    const names = KERNELS[kernel].params as readonly string[];
    return this.dispatch.run({ kernel, args, rows, band: [{ at: names.indexOf('h0'), mode: 'h0' }, { at: names.indexOf('h1'), mode: 'h1' }] });
  }

  private step(s: Step, L: Layout, H: number, W: number, view: (v: string) => Value): void {
    const P = (v: string) => L.ptr.get(v)!;
    const { mean, std } = this.plan;
    switch (s.kind) {
      case 'input':
        if (s.normalize) this.rows('normalizeRows', [L.lr, P(s.out), H, W, 0, H, mean[0], mean[1], mean[2], std[0], std[1], std[2]], H);
        else view(s.out).data.set(lrNhwc(this.heap.f32(L.lr, 3 * H * W), H, W).data);
        return;
      case 'pack': {
        const { c, f } = this.sched.slots.get(s.in)!;
        [H, W] = [H * f, W * f];
        const call: RowCall = { kernel: 'packSigns', args: [P(s.in), P(s.out), 0], rows: H, band: [{ at: 0, mode: 'offset', perRow: W * c * 4 }, { at: 1, mode: 'offset', perRow: (W * c) / 8 }, { at: 2, mode: 'count', perRow: (W * c) / 32 }] };
        // A NaN input (packSigns' flag) would binarize silently; say so instead.
        if (this.dispatch.run(call)) throw new Error('the network produced NaN before a binarization');
        return;
      }
      case 'binconv': {
        const o = s.op;
        const f = this.plan.factor.get(o.in)!;
        [H, W] = [H * f, W * f];
        const wt = this.weights.get(o)!;
        const slope = s.slope ? this.weights.get(s)!.slope! : 0;
        this.rows('xnorConvRows', [P(s.a), wt.w, wt.alpha!, P(s.out) + 4 * s.offset, H, W, o.cin / 32, o.cout, o.kh, o.kw, o.dil, 0, H, s.ystride, slope, s.res ? P(s.res) : 0, s.sgn ? P(s.sgn) : 0], H);
        return;
      }
      case 'conv': {
        const o = s.op;
        const f = this.plan.factor.get(o.in)!;
        [H, W] = [H * f, W * f];
        const wt = this.weights.get(o)!;
        this.rows('convRows', [P(s.in), wt.w, wt.b!, P(s.out), H, W, o.cin, o.cout, o.kh, o.kw, o.dil, 0, H], H);
        return;
      }
      case 'finish':
        this.rows('finishRows', [P(s.in), L.lr, s.anchor ? this.bicubic(s.shuffle) : 0, L.sr, H, W, s.shuffle, 0, H, mean[0], mean[1], mean[2]], H);
        return;
      case 'general': {
        const op = s.op;
        const f = this.plan.factor.get(op.out)!;
        const [h, w] = [H * f, W * f];
        const c = this.plan.channels.get(op.out)!;
        if (op.op === 'add' && op.out !== 'sr') {
          this.rows('addRows', [P(op.ins[0]), P(op.ins[1]), P(op.out), w, c, 0, h], h);
          return;
        }
        if (op.op === 'prelu' && op.out !== 'sr') {
          this.rows('preluRows', [P(op.in), this.vector(op.slope), P(op.out), w, c, 0, h], h);
          return;
        }
        if (op.op === 'rprelu' && op.out !== 'sr') {
          this.rows('rpreluRows', [P(op.in), this.vector(op.theta), this.vector(op.slope), this.vector(op.delta), P(op.out), w, c, 0, h], h);
          return;
        }
        if (op.op === 'binact' && (w * c) % 4 === 0) {
          // Float ±1 (a binarization read by something other than whole-word binary convs).
          const row = w * c;
          this.dispatch.run({ kernel: 'sign', args: [P(op.in), P(op.out), 0], rows: h, band: [{ at: 0, mode: 'offset', perRow: row * 4 }, { at: 1, mode: 'offset', perRow: row * 4 }, { at: 2, mode: 'count', perRow: row }] });
          return;
        }
        if (op.op === 'concat') {
          let off = 0;
          for (const v of op.ins) {
            const cx = this.plan.channels.get(v)!;
            this.rows('copyChannelsRows', [P(v), P(op.out), w, cx, c, off, 0, h], h);
            off += cx;
          }
          return;
        }
        const lrView = (v: string): Value => (v === 'lr' ? lrNhwc(this.heap.f32(L.lr, 3 * H * W), H, W) : view(v));
        const r = stepReference(this.plan, op, lrView);
        if (op.out === 'sr') {
          // A network that ends in a general op: planar output.
          const out = this.heap.f32(L.sr, r.data.length);
          for (let k = 0; k < 3; k++) for (let p = 0; p < r.h * r.w; p++) out[k * r.h * r.w + p] = r.data[p * 3 + k];
        } else view(op.out).data.set(r.data);
        return;
      }
    }
  }

  /** A per-channel vector (or the 1-D bicubic taps) in the weight region, placed once. */
  private vector(v: Float32Array): number {
    let e = this.weights.get(v);
    if (!e) this.weights.set(v, (e = { w: this.heap.putF32(v) }));
    return e.w;
  }

  private bicubic(s: number): number {
    return this.vector((this.bicubicKernels[s] ??= bicubicTaps1dF32(s)));
  }
  private readonly bicubicKernels: Record<number, Float32Array> = {};
}

function lrNhwc(planar: Float32Array, H: number, W: number): Value {
  const data = new Float32Array(3 * H * W);
  for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) data[p * 3 + c] = planar[c * H * W + p];
  return { h: H, w: W, c: 3, data };
}
