/**
 * The plan compiled for the WebAssembly kernels: which values live as floats (NHWC) and which as
 * packed signs only, which ops fuse into one kernel call, and where each value sits in memory for
 * a tile of a given size.
 *
 * Fusions (each one pass over memory instead of several):
 * - binact → binary conv: the binact's value is only ever packed signs (32 channels per u32);
 * - binary conv → PReLU → add (the basic block, and the MRB's 3×3 conv): one xnorConvRows call,
 *   which also packs the signs of its output when the next op binarizes it;
 * - binary convs whose outputs only feed a concat (the MRB branches), and a PReLU on that concat:
 *   each branch writes its channel slice of the concatenation, through its slice of the slopes;
 * - pixel shuffle → (+ bicubic anchor) → add mean → clip: one finishing call writing the planar output.
 * Add, PReLU, RPReLU and concat are one kernel call each; ops no shipped network has (ReLU, a
 * float binarization, a lone bicubic) run as plain loops (reference.ts). Every call takes a range of rows, so a step can be
 * split across threads that share the memory.
 */
import type { ModelPlan, PlanOp } from './plan';

/** How a value is stored: floats NHWC with `c` channels, or packed signs (c/32 words per pixel). */
export interface Slot {
  name: string;
  c: number;
  bits: boolean;
  /** Spatial factor vs the input tile (1, or the scale). */
  f: number;
}

export type Step =
  | { kind: 'input'; out: string; normalize: boolean }
  | { kind: 'pack'; in: string; out: string }
  | { kind: 'binconv'; op: Extract<PlanOp, { op: 'binconv' }>; a: string; out: string; offset: number; ystride: number; slope?: Float32Array; res?: string; sgn?: string }
  | { kind: 'conv'; op: Extract<PlanOp, { op: 'conv' }>; in: string; out: string }
  /**
   * The output: clip(pixelshuffle(in) [+ bicubic(lr − mean)] + mean, 0, 1), planar. `anchor`: the
   * MATLAB-bicubic anchor of the input is added (computed in the same pass from lr).
   */
  | { kind: 'finish'; shuffle: number; anchor: boolean; in: string; out: string }
  | { kind: 'general'; op: PlanOp };

export interface Schedule {
  steps: Step[];
  slots: Map<string, Slot>;
}

/** Compiles the plan; throws naming the op when a value's use is not supported. */
export function schedule(plan: ModelPlan): Schedule {
  const ops = plan.ops;
  const readers = new Map<string, PlanOp[]>();
  for (const o of ops) for (const v of 'ins' in o ? o.ins : [o.in]) readers.set(v, [...(readers.get(v) ?? []), o]);
  const sole = (v: string): PlanOp | undefined => {
    const r = readers.get(v);
    return r && r.length === 1 ? r[0] : undefined;
  };
  const slots = new Map<string, Slot>();
  const slot = (name: string, bits = false) => {
    if (!slots.has(name)) slots.set(name, { name, c: plan.channels.get(name)!, bits, f: plan.factor.get(name)! });
    return name;
  };
  const steps: Step[] = [];
  const skip = new Set<PlanOp>();
  /** binact outputs stored only as bits (every reader a binary conv, whole words). */
  const bitsOnly = new Set<string>();
  for (const o of ops) if (o.op === 'binact' && plan.channels.get(o.out)! % 32 === 0 && (readers.get(o.out) ?? []).every((r) => r.op === 'binconv')) bitsOnly.add(o.out);
  /** A binact of `v` whose bits a producer of `v` can write directly. */
  const binactOf = (v: string) => (readers.get(v) ?? []).find((r) => r.op === 'binact' && bitsOnly.has(r.out)) as Extract<PlanOp, { op: 'binact' }> | undefined;
  const packedByProducer = new Set<string>();
  // The finishing pass reads the anchor, computed after the tail conv: it goes last.
  const deferred: Step[] = [];

  const first = ops[0];
  if (first.op === 'normalize' && first.in === 'lr') {
    steps.push({ kind: 'input', out: slot(first.out), normalize: true });
    skip.add(first);
  } else steps.push({ kind: 'input', out: slot('lr'), normalize: false });

  for (const o of ops) {
    if (skip.has(o)) continue;
    switch (o.op) {
      case 'binact':
        if (bitsOnly.has(o.out)) {
          if (!packedByProducer.has(o.out)) steps.push({ kind: 'pack', in: slot(o.in), out: slot(o.out, true) });
        } else steps.push({ kind: 'general', op: o });
        slot(o.out, bitsOnly.has(o.out));
        break;
      case 'binconv': {
        if (!bitsOnly.has(o.in)) {
          steps.push({ kind: 'general', op: o });
          slot(o.out);
          break;
        }
        // MRB branches: every reader of the concat's inputs is the concat.
        const cat = sole(o.out);
        if (cat?.op === 'concat' && cat.ins.every((v) => sole(v) === cat && ops.some((p) => p.op === 'binconv' && p.out === v && bitsOnly.has(p.in)))) {
          const act = sole(cat.out);
          const fuseAct = act?.op === 'prelu';
          const target = fuseAct ? act.out : cat.out;
          const C = plan.channels.get(cat.out)!;
          let offset = 0;
          for (const v of cat.ins) {
            const b = ops.find((p) => p.op === 'binconv' && p.out === v) as Extract<PlanOp, { op: 'binconv' }>;
            steps.push({ kind: 'binconv', op: b, a: b.in, out: slot(target), offset, ystride: C, ...(fuseAct ? { slope: act.slope.subarray(offset, offset + b.cout) } : {}) });
            skip.add(b);
            offset += b.cout;
          }
          skip.add(cat);
          if (fuseAct) skip.add(act);
          slot(cat.out);
          break;
        }
        let out = o.out;
        let slope: Float32Array | undefined;
        let res: string | undefined;
        const p = sole(o.out);
        if (p?.op === 'prelu') {
          slope = p.slope;
          out = p.out;
          skip.add(p);
          const a = sole(p.out);
          if (a?.op === 'add') {
            res = a.ins[0] === p.out ? a.ins[1] : a.ins[0];
            out = a.out;
            skip.add(a);
          }
        }
        const next = o.cout % 32 === 0 ? binactOf(out) : undefined;
        if (next) packedByProducer.add(next.out);
        steps.push({ kind: 'binconv', op: o, a: o.in, out: slot(out), offset: 0, ystride: o.cout, ...(slope ? { slope } : {}), ...(res ? { res } : {}), ...(next ? { sgn: slot(next.out, true) } : {}) });
        break;
      }
      case 'conv': {
        steps.push({ kind: 'conv', op: o, in: o.in, out: slot(o.out) });
        // The tail: pixel shuffle [+ bicubic anchor of lr − mean] + mean, clip: one pass.
        const ps = sole(o.out);
        if (ps?.op !== 'pixelshuffle') break;
        const producer = (v: string) => ops.find((p) => p.out === v);
        let n = sole(ps.out);
        const chain: PlanOp[] = [ps];
        let anchor = false;
        if (n?.op === 'add') {
          const other = n.ins[0] === ps.out ? n.ins[1] : n.ins[0];
          const up = producer(other);
          const centred = up?.op === 'bicubic' ? producer(up.in) : undefined;
          if (up?.op !== 'bicubic' || up.scale !== ps.scale || centred?.op !== 'center' || centred.in !== 'lr' || sole(other) !== n || sole(centred.out) !== up) break;
          chain.push(n, up, centred);
          anchor = true;
          n = sole(n.out);
        }
        const clip = n?.op === 'addmean' ? sole(n.out) : undefined;
        if (n?.op !== 'addmean' || clip?.op !== 'clip' || clip.out !== 'sr') break;
        chain.push(n, clip);
        for (const c of chain) skip.add(c);
        deferred.push({ kind: 'finish', shuffle: ps.scale, anchor, in: o.out, out: slot('sr') });
        break;
      }
      default:
        steps.push({ kind: 'general', op: o });
        slot(o.out);
    }
  }
  steps.push(...deferred);
  return { steps, slots };
}
