/**
 * The plan compiled into WebGPU kernels (src/kernels/wgsl): which values are stored (floats, packed
 * signs, or both) and which are evaluated where they are read, and which ops fuse into one kernel.
 *
 * - Every conv, and every group of binary convs whose outputs only feed one concat (the MRB
 *   branches), starts a kernel. The kernel then pushes each value through the ops that are its
 *   value's only reader: PReLU / RPReLU / ReLU, add (the other operand read where needed), pixel
 *   shuffle, add mean, clip. So a basic block is one kernel (binary conv, PReLU, residual add, the
 *   signs of the result packed for the next block), and the tail is one kernel (conv, shuffle,
 *   + bicubic anchor of lr − mean, + mean, clip, written planar).
 * - A binact's packed signs are written by the kernel that stores its input. Its ±1 floats, when
 *   anything but a binary conv reads them, are an expression like any other map.
 * - Other ops (maps, add, concat, pixel shuffle, bicubic) are expressions inlined into their one
 *   reader; a value with several readers, the output, or one read by a binact is stored by a
 *   pointwise kernel. Convs and the bicubic read their input at many positions, so only cheap
 *   expressions (maps and adds of stored values) are inlined there.
 * Kernels run in plan order, each at its last fused op, so every value it reads exists.
 */
import { bicubicTaps1d } from '../../../model/bicubicKernel';
import type { BitsSlot, Branch, Expr, FloatSlot, KernelSpec, MapOp, Stage } from '../../../kernels/wgsl/ir';
import type { ModelPlan, PlanOp } from '../plan';

export interface GpuProgram {
  kernels: KernelSpec[];
  /** The planar input (3 × h × w) and output (3 × sh × sw). */
  input: FloatSlot;
  output: FloatSlot;
}

type MapPlanOp = Extract<PlanOp, { op: 'normalize' | 'center' | 'addmean' | 'clip' | 'prelu' | 'rprelu' | 'relu' | 'binact' }>;
const MAP_OPS = new Set(['normalize', 'center', 'addmean', 'clip', 'prelu', 'rprelu', 'relu', 'binact']);
const isMap = (o: PlanOp): o is MapPlanOp => MAP_OPS.has(o.op);
const inputsOf = (o: PlanOp): string[] => ('ins' in o ? o.ins : [o.in]);

export function compileGpu(plan: ModelPlan): GpuProgram {
  const ops = plan.ops;
  const index = new Map<PlanOp, number>(ops.map((o, i) => [o, i]));
  const producer = new Map<string, PlanOp>(ops.map((o) => [o.out, o]));
  const readers = new Map<string, PlanOp[]>();
  for (const o of ops) for (const v of new Set(inputsOf(o))) readers.set(v, [...(readers.get(v) ?? []), o]);
  const readersOf = (v: string) => readers.get(v) ?? [];
  const sole = (v: string): PlanOp | undefined => {
    const r = readersOf(v);
    return r.length === 1 ? r[0] : undefined;
  };
  const C = (v: string) => plan.channels.get(v)!;
  const F = (v: string) => plan.factor.get(v)!;

  const input: FloatSlot = { kind: 'float', name: 'lr', c: 3, f: 1, planar: true };
  const output: FloatSlot = { kind: 'float', name: 'sr', c: 3, f: plan.scale, planar: true };
  // Planar floats: neighbouring invocations (pixels) touch neighbouring addresses.
  const floatSlot = (v: string): FloatSlot => (v === 'lr' ? input : v === 'sr' ? output : { kind: 'float', name: v, c: C(v), f: F(v), planar: true });
  const bitsSlots = new Map<string, BitsSlot>();
  /** Packed signs of value v (written by v's kernel, read by the binary convs of binact(v)). */
  const bitsOf = (v: string): BitsSlot => {
    if (!bitsSlots.has(v)) bitsSlots.set(v, { kind: 'bits', name: `${v}#signs`, c: C(v), f: F(v) });
    return bitsSlots.get(v)!;
  };
  /** A binact whose output a binary conv reads: its input's signs must be stored. */
  const packedBinact = (o: PlanOp) => o.op === 'binact' && readersOf(o.out).some((r) => r.op === 'binconv');
  /** A binact read only by binary convs: nothing needs its ±1 floats. */
  const signsOnly = (o: PlanOp) => o.op === 'binact' && readersOf(o.out).every((r) => r.op === 'binconv');
  /** Readers that read v as floats (binary convs read packed signs). */
  const floatReaders = (v: string) => readersOf(v).filter((r) => r.op !== 'binconv' && !signsOnly(r));

  // ---- kernels started by convs: binary-conv groups (concat of branches) and push chains
  const fused = new Set<PlanOp>();
  interface Draft {
    at: number;
    producer: KernelSpec['producer'] | 'pending';
    src: PlanOp;
    stages: { op: PlanOp; stage: () => Stage }[];
    final: string;
  }
  const drafts: Draft[] = [];
  const finalOf = new Map<string, Draft>();
  const groupOf = new Map<PlanOp, Extract<PlanOp, { op: 'concat' }>>(); // binconv -> its concat
  for (const o of ops) {
    if (o.op !== 'concat' || o.ins.length < 1) continue;
    const convs = o.ins.map((v) => producer.get(v));
    if (new Set(o.ins).size === o.ins.length && convs.every((p, k) => p?.op === 'binconv' && sole(o.ins[k]) === o)) for (const p of convs) groupOf.set(p!, o);
  }
  const stageOf = (r: PlanOp, cur: string): (() => Stage) | undefined => {
    if (isMap(r) && r.op !== 'binact') return () => ({ k: 'map', map: mapOf(r) });
    if (r.op === 'add') {
      const ins = r.ins;
      const other = ins[0] === cur ? ins[1] : ins[0];
      return () => ({ k: 'add', x: other === cur ? 'self' : exprOf(other) });
    }
    if (r.op === 'pixelshuffle') return () => ({ k: 'shuffle', s: r.scale });
    return undefined;
  };
  for (const o of ops) {
    if (o.op !== 'conv' && o.op !== 'binconv') continue;
    const cat = o.op === 'binconv' ? groupOf.get(o) : undefined;
    if (cat && producer.get(cat.ins[0]) !== o) continue; // the group starts at its first branch
    const src: PlanOp = cat ?? o;
    let cur = src.out;
    const stages: Draft['stages'] = [];
    for (let r = sole(cur); r && cur !== 'sr'; r = sole(cur)) {
      const st = stageOf(r, cur);
      if (!st) break;
      stages.push({ op: r, stage: st });
      cur = r.out;
    }
    // Sign packing needs a word's 32 channels in one invocation: no shuffle before a binact.
    const needsBits = (v: string) => readersOf(v).some(packedBinact);
    const sh = stages.findIndex((s) => s.op.op === 'pixelshuffle');
    if (sh >= 0 && needsBits(cur)) stages.length = sh;
    const d: Draft = { at: index.get(stages.length ? stages[stages.length - 1].op : src)!, producer: 'pending', src, stages, final: stages.length ? stages[stages.length - 1].op.out : src.out };
    for (const s of stages) fused.add(s.op);
    if (cat) {
      fused.add(cat);
      for (const v of cat.ins) fused.add(producer.get(v)!);
    }
    fused.add(o);
    drafts.push(d);
    finalOf.set(d.final, d);
  }

  // ---- the other ops: inlined expressions, or stored by a pointwise kernel
  const stored = new Set<string>(['lr', ...finalOf.keys()]);
  const cheap = (e: Expr): boolean => e.k === 'load' || (e.k === 'map' && cheap(e.x)) || (e.k === 'add' && cheap(e.a) && cheap(e.b));
  const pointwiseDrafts = new Map<string, Draft>();
  for (const o of ops) {
    if (fused.has(o) || o.op === 'conv' || o.op === 'binconv') continue;
    if (o.op === 'binact' && floatReaders(o.out).length === 0) continue; // signs only: stored by its input's kernel
    const rs = floatReaders(o.out);
    const r = rs.length === 1 ? rs[0] : undefined;
    const store = o.out === 'sr' || !r || packedBinact(r) || ((r.op === 'conv' || r.op === 'bicubic') && !cheap(opExpr(o)));
    if (store) {
      const d: Draft = { at: index.get(o)!, producer: 'pending', src: o, stages: [], final: o.out };
      pointwiseDrafts.set(o.out, d);
      finalOf.set(o.out, d);
      stored.add(o.out);
    }
  }
  // A binact whose input is the network input (stored by no kernel): a kernel packs its signs.
  for (const o of ops) if (packedBinact(o) && !finalOf.has((o as MapPlanOp).in)) {
    const v = (o as MapPlanOp).in;
    const d: Draft = { at: index.get(o)!, producer: { k: 'pointwise', x: exprOf(v) }, src: o, stages: [], final: v };
    drafts.push(d);
    finalOf.set(`${v}#pack`, d);
  }
  drafts.push(...pointwiseDrafts.values());

  // ---- specs
  const kernels: KernelSpec[] = drafts
    .sort((a, b) => a.at - b.at)
    .map((d) => {
      const producerSpec = d.producer !== 'pending' ? d.producer : producerOf(d.src);
      const v = d.final;
      const packOnly = d.producer !== 'pending';
      const out = {
        ...(!packOnly && (v === 'sr' || floatReaders(v).length > 0) ? { float: floatSlot(v) } : {}),
        ...(readersOf(v).some(packedBinact) ? { bits: bitsOf(v) } : {}),
      };
      return { name: [d.src.out, ...d.stages.map((s) => s.op.out)].join(' -> '), producer: producerSpec, stages: d.stages.map((s) => s.stage()), out };
    });
  return { kernels, input, output };

  function producerOf(o: PlanOp): KernelSpec['producer'] {
    if (o.op === 'conv') return { k: 'conv', x: exprOf(o.in), w: o.w, ...(o.b ? { b: o.b } : {}), cin: o.cin, cout: o.cout, kh: o.kh, kw: o.kw, dil: o.dil };
    if (o.op === 'binconv') return { k: 'binconv', branches: [branch(o, 0)], cout: o.cout };
    if (o.op === 'concat' && groupOf.has(producer.get(o.ins[0])!)) {
      let off = 0;
      const branches = o.ins.map((v) => {
        const b = branch(producer.get(v) as Extract<PlanOp, { op: 'binconv' }>, off);
        off += b.cout;
        return b;
      });
      return { k: 'binconv', branches, cout: off };
    }
    return { k: 'pointwise', x: opExpr(o) };
  }

  function branch(o: Extract<PlanOp, { op: 'binconv' }>, offset: number): Branch {
    const act = producer.get(o.in);
    if (act?.op !== 'binact') throw new Error(`binary conv ${o.out}: its input ${o.in} is not a binarization`);
    return { x: bitsOf(act.in), bits: o.bits, alpha: o.alpha, cin: o.cin, cout: o.cout, kh: o.kh, kw: o.kw, dil: o.dil, offset };
  }

  /** The expression reading value v: a load when it is stored, else its op inlined. */
  function exprOf(v: string): Expr {
    if (stored.has(v)) return { k: 'load', slot: floatSlot(v), c: C(v), f: F(v) };
    const o = producer.get(v);
    if (!o) throw new Error(`value ${v} has no producer`);
    return opExpr(o);
  }

  /** The op's value as an expression over its inputs (whose storage is decided: they come earlier). */
  function opExpr(o: PlanOp): Expr {
    const c = C(o.out);
    const f = F(o.out);
    const sub = exprOf;
    if (isMap(o)) return { k: 'map', x: sub(o.in), map: mapOf(o), c, f };
    switch (o.op) {
      case 'add':
        return { k: 'add', a: sub(o.ins[0]), b: sub(o.ins[1]), c, f };
      case 'concat':
        return { k: 'concat', parts: o.ins.map(sub), c, f };
      case 'pixelshuffle':
        return { k: 'shuffle', x: sub(o.in), s: o.scale, c, f };
      case 'bicubic':
        return { k: 'bicubic', x: sub(o.in), s: o.scale, taps: Float32Array.from(bicubicTaps1d(o.scale).flatMap((t) => Array.from(t))), c, f };
      default:
        throw new Error(`op ${o.op} (${o.out}) has no pointwise form`);
    }
  }

  function mapOf(o: MapPlanOp): MapOp {
    switch (o.op) {
      case 'normalize':
        return { op: 'normalize', mean: plan.mean, std: plan.std };
      case 'center':
      case 'addmean':
        return { op: o.op, mean: plan.mean };
      case 'prelu':
        return { op: 'prelu', slope: o.slope };
      case 'rprelu':
        return { op: 'rprelu', theta: o.theta, slope: o.slope, delta: o.delta };
      default:
        return { op: o.op };
    }
  }
}
