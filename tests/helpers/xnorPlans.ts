/**
 * Small hand-built binary-engine plans with random weights (tests only), for what the exported
 * models do not show on their own:
 * - 'binconv': a float head, then one binary conv whose output is the network output, so the
 *   output is alpha times the XNOR-popcount sums themselves (exact: integer sums of ±1);
 * - 'mrb': an MRB-style group of 1×5 / 5×1 binary convs at dilation 1 and 2 (C → C/4 each, C = 48:
 *   words straddle branches, and 16 pad bits), concat, PReLU, then a binary conv to the output
 *   (exact as well);
 * - 'general': ops in unusual places: a concat of float convs, RPReLU into a binarization whose ±1
 *   floats are also added to a value, ReLU, x + x, a bicubic upscale read twice, clip of a value
 *   that is not the output.
 * Pure TS (the browser test bundles it).
 */
import type { ModelPlan, PlanOp } from '../../src/engine/xnor/plan';
import { mulberry } from './synthetic';

export type HandPlanKind = 'binconv' | 'mrb' | 'general';

class PlanBuilder {
  readonly ops: PlanOp[] = [];
  readonly channels = new Map<string, number>([['lr', 3]]);
  readonly factor = new Map<string, number>([['lr', 1]]);
  private n = 0;
  readonly r: () => number;
  readonly mean = Float32Array.from([0.45, 0.44, 0.4]);
  readonly std = Float32Array.from([0.25, 0.24, 0.26]);

  constructor(seed: number) {
    this.r = mulberry(seed);
  }

  private emit(op: PlanOp, c: number, f: number): string {
    this.ops.push(op);
    this.channels.set(op.out, c);
    this.factor.set(op.out, f);
    return op.out;
  }
  private name(out?: string) {
    return out ?? `v${this.n++}`;
  }
  private floats(n: number, lo: number, hi: number): Float32Array {
    return Float32Array.from({ length: n }, () => lo + (hi - lo) * this.r());
  }
  c(v: string) {
    return this.channels.get(v)!;
  }
  f(v: string) {
    return this.factor.get(v)!;
  }

  map(op: 'normalize' | 'center' | 'addmean' | 'clip' | 'relu' | 'binact', x: string, out?: string): string {
    return this.emit({ op, in: x, out: this.name(out) }, this.c(x), this.f(x));
  }
  prelu(x: string, out?: string): string {
    return this.emit({ op: 'prelu', in: x, out: this.name(out), slope: this.floats(this.c(x), -0.3, 0.6) }, this.c(x), this.f(x));
  }
  rprelu(x: string, out?: string): string {
    const c = this.c(x);
    return this.emit({ op: 'rprelu', in: x, out: this.name(out), theta: this.floats(c, -0.2, 0.2), slope: this.floats(c, -0.3, 0.6), delta: this.floats(c, -0.2, 0.2) }, c, this.f(x));
  }
  add(a: string, b: string, out?: string): string {
    return this.emit({ op: 'add', ins: [a, b], out: this.name(out) }, this.c(a), this.f(a));
  }
  concat(ins: string[], out?: string): string {
    return this.emit({ op: 'concat', ins, out: this.name(out) }, ins.reduce((s, v) => s + this.c(v), 0), this.f(ins[0]));
  }
  shuffle(x: string, scale: number, out?: string): string {
    return this.emit({ op: 'pixelshuffle', in: x, out: this.name(out), scale }, this.c(x) / (scale * scale), this.f(x) * scale);
  }
  bicubic(x: string, scale: number, out?: string): string {
    return this.emit({ op: 'bicubic', in: x, out: this.name(out), scale }, this.c(x), this.f(x) * scale);
  }
  conv(x: string, cout: number, kh: number, kw: number, dil = 1, out?: string): string {
    const cin = this.c(x);
    const s = 1 / Math.sqrt(cin * kh * kw);
    return this.emit({ op: 'conv', in: x, out: this.name(out), w: this.floats(cout * cin * kh * kw, -s, s), b: this.floats(cout, -0.1, 0.1), kh, kw, dil, cin, cout }, cout, this.f(x));
  }
  binconv(x: string, cout: number, kh: number, kw: number, dil = 1, out?: string): string {
    const cin = this.c(x);
    const bits = Uint8Array.from({ length: Math.ceil((cout * cin * kh * kw) / 8) }, () => Math.floor(this.r() * 256));
    return this.emit({ op: 'binconv', in: x, out: this.name(out), bits, alpha: this.floats(cout, 0.05, 0.2), kh, kw, dil, cin, cout }, cout, this.f(x));
  }
  plan(): ModelPlan {
    return { ops: this.ops, channels: this.channels, factor: this.factor, scale: this.f('sr'), mean: this.mean, std: this.std, metadata: {} };
  }
}

export function handPlan(kind: HandPlanKind, seed: number): ModelPlan {
  const b = new PlanBuilder(seed);
  const x = b.map('normalize', 'lr');
  if (kind === 'binconv') {
    b.binconv(b.map('binact', b.conv(x, 64, 3, 3)), 3, 3, 3, 1, 'sr');
  } else if (kind === 'mrb') {
    const s = b.map('binact', b.conv(x, 48, 3, 3));
    const branches = [b.binconv(s, 12, 1, 5, 1), b.binconv(s, 12, 1, 5, 2), b.binconv(s, 12, 5, 1, 1), b.binconv(s, 12, 5, 1, 2)];
    b.binconv(b.map('binact', b.prelu(b.concat(branches))), 3, 3, 3, 1, 'sr');
  } else {
    const cat = b.concat([b.conv(x, 8, 3, 3), b.conv(x, 8, 1, 1)]);
    const s = b.map('binact', b.rprelu(cat));
    const t = b.map('relu', b.add(s, b.binconv(s, 16, 3, 3, 2)));
    const u = b.conv(b.add(t, t), 12, 3, 3);
    const up = b.bicubic('lr', 2);
    const z = b.add(b.add(b.shuffle(u, 2), b.map('center', up)), b.map('clip', up));
    b.map('clip', b.map('addmean', z), 'sr');
  }
  return b.plan();
}
