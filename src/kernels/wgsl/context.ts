/**
 * Shared pieces of WGSL generation: the bindings a kernel declares, its constants buffer (weights
 * and per-channel parameters, one u32 array; floats are bit-cast), and the functions that evaluate
 * read-only expressions at (y, x, channel). Pure TS.
 */
import type { BitsSlot, Expr, FloatSlot, MapOp, Slot, Stage } from './ir';

/** Invocations per workgroup in x and y: a row of 32 pixels, so that a 32-wide SIMD group reads and writes consecutive floats of a planar value. */
export const WORKGROUP: readonly [number, number] = [32, 2];

export interface Binding {
  slot: Slot;
  write: boolean;
  /** @binding index (0 is the dims uniform, 1 the constants). */
  binding: number;
}

/** WGSL literal for an integer (i32) or index (u32). */
export const i32 = (n: number) => `${n | 0}`;
export const u32 = (n: number) => `${n >>> 0}u`;

export class KernelContext {
  readonly bindings: Binding[] = [];
  private readonly chunks: Uint32Array[] = [];
  private constWords = 0;
  private readonly constAt = new Map<ArrayBufferView, number>();
  private readonly fnOf = new Map<Expr, string>();
  private readonly fns: string[] = [];

  /** The variable bound to a slot (read-only, or read-write for outputs). */
  bind(slot: Slot, write = false): string {
    let b = this.bindings.find((x) => x.slot.name === slot.name && x.slot.kind === slot.kind && x.write === write);
    if (!b) {
      b = { slot, write, binding: 2 + this.bindings.length };
      this.bindings.push(b);
    }
    return `b${b.binding}`;
  }

  /** Offset (in u32 words) of an array in the constants buffer; each array is stored once. */
  constant(a: Float32Array | Uint32Array): number {
    const at = this.constAt.get(a);
    if (at !== undefined) return at;
    const words = a instanceof Float32Array ? new Uint32Array(Float32Array.from(a).buffer) : Uint32Array.from(a);
    const off = this.constWords;
    this.chunks.push(words);
    this.constWords += words.length;
    this.constAt.set(a, off);
    return off;
  }

  consts(): Uint32Array<ArrayBuffer> {
    const out = new Uint32Array(Math.max(1, this.constWords));
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }

  /** The name of a function `fn(y: i32, x: i32, c: i32) -> f32` evaluating e. */
  expr(e: Expr): string {
    const have = this.fnOf.get(e);
    if (have) return have;
    const name = `e${this.fnOf.size}`;
    this.fnOf.set(e, name);
    this.fns.push(`fn ${name}(y: i32, x: i32, c: i32) -> f32 {\n${this.exprBody(e)}\n}`);
    return name;
  }

  private exprBody(e: Expr): string {
    switch (e.k) {
      case 'load':
        return `  return ${this.load(e.slot, 'y', 'x', 'c')};`;
      case 'map':
        return `  var v = ${this.expr(e.x)}(y, x, c);\n  ${this.mapCode(e.map, 'c')}\n  return v;`;
      case 'add':
        return `  return ${this.expr(e.a)}(y, x, c) + ${this.expr(e.b)}(y, x, c);`;
      case 'concat': {
        let off = 0;
        const lines = e.parts.map((p, k) => {
          const line = k === e.parts.length - 1 ? `  return ${this.expr(p)}(y, x, c - ${i32(off)});` : `  if (c < ${i32(off + p.c)}) { return ${this.expr(p)}(y, x, c - ${i32(off)}); }`;
          off += p.c;
          return line;
        });
        return lines.join('\n');
      }
      case 'shuffle': {
        const s = e.s;
        return `  return ${this.expr(e.x)}(y / ${i32(s)}, x / ${i32(s)}, c * ${i32(s * s)} + (y % ${i32(s)}) * ${i32(s)} + x % ${i32(s)});`;
      }
      case 'bicubic': {
        const s = e.s;
        const t = this.constant(e.taps);
        const fx = this.expr(e.x);
        // Separable: rows of the 5×5 window weighted by the column taps, then by the row taps.
        return [
          `  let hi = dims.h * ${i32(e.x.f)};`,
          `  let wi = dims.w * ${i32(e.x.f)};`,
          `  let ty = ${u32(t)} + u32(y % ${i32(s)}) * 5u;`,
          `  let tx = ${u32(t)} + u32(x % ${i32(s)}) * 5u;`,
          `  let qy = y / ${i32(s)} - 2;`,
          `  let qx = x / ${i32(s)} - 2;`,
          `  var acc = 0.0;`,
          `  for (var i = 0; i < 5; i++) {`,
          `    let yy = sym(qy + i, hi);`,
          `    var row = 0.0;`,
          `    for (var j = 0; j < 5; j++) { row = row + kf(tx + u32(j)) * ${fx}(yy, sym(qx + j, wi), c); }`,
          `    acc = acc + kf(ty + u32(i)) * row;`,
          `  }`,
          `  return acc;`,
        ].join('\n');
      }
    }
  }

  /** WGSL reading a float slot at (y, x, c) (i32 expressions). */
  load(slot: FloatSlot, y: string, x: string, c: string): string {
    const b = this.bind(slot);
    const w = `dims.w * ${i32(slot.f)}`;
    if (slot.planar) return `${b}[u32((${c} * (dims.h * ${i32(slot.f)}) + ${y}) * ${w} + ${x})]`;
    return `${b}[u32((${y} * ${w} + ${x}) * ${i32(slot.c)} + ${c})]`;
  }

  /** WGSL storing v into a float slot at (y, x, c). */
  store(slot: FloatSlot, y: string, x: string, c: string, v: string): string {
    const b = this.bind(slot, true);
    const w = `dims.w * ${i32(slot.f)}`;
    if (slot.planar) return `${b}[u32((${c} * (dims.h * ${i32(slot.f)}) + ${y}) * ${w} + ${x})] = ${v};`;
    return `${b}[u32((${y} * ${w} + ${x}) * ${i32(slot.c)} + ${c})] = ${v};`;
  }

  /** Statements applying a map op to the f32 variable `v` for channel `ch` (an i32 expression). */
  mapCode(m: MapOp, ch: string): string {
    const k = (a: Float32Array) => `kf(${u32(this.constant(a))} + u32(${ch}))`;
    switch (m.op) {
      case 'normalize':
        return `v = (v - ${k(m.mean)}) / ${k(m.std)};`;
      case 'center':
        return `v = v - ${k(m.mean)};`;
      case 'addmean':
        return `v = v + ${k(m.mean)};`;
      case 'prelu':
        return `if (v < 0.0) { v = v * ${k(m.slope)}; }`;
      case 'rprelu':
        return `{ let t = v - ${k(m.theta)}; v = select(t * ${k(m.slope)}, t, t >= 0.0) + ${k(m.delta)}; }`;
      case 'relu':
        return 'v = max(v, 0.0);';
      case 'clip':
        return 'v = min(max(v, 0.0), 1.0);';
      case 'binact':
        return 'v = select(-1.0, 1.0, v >= 0.0);';
    }
  }

  /** Statements applying the stages to `v` at the i32 variables py, px, pc. */
  stagesCode(stages: Stage[]): string {
    return stages
      .map((s) => {
        switch (s.k) {
          case 'map':
            return this.mapCode(s.map, 'pc');
          case 'add':
            return s.x === 'self' ? 'v = v + v;' : `v = v + ${this.expr(s.x)}(py, px, pc);`;
          case 'shuffle': {
            const q = `${i32(s.s)}`;
            return `{ let q = pc % ${i32(s.s * s.s)}; py = py * ${q} + q / ${q}; px = px * ${q} + q % ${q}; pc = pc / ${i32(s.s * s.s)}; }`;
          }
        }
      })
      .join('\n      ');
  }

  /**
   * Statements writing the final value `v` at (py, px, pc) of a c-channel value at factor f: the
   * float store, and the sign bit into the u32 variable `bits`, stored when its word is complete
   * (the channels of a word must come in order, in one invocation).
   */
  outputCode(out: { float?: FloatSlot; bits?: BitsSlot }, c: number, f: number): string {
    const lines: string[] = [];
    if (out.float) lines.push(this.store(out.float, 'py', 'px', 'pc', 'v'));
    if (out.bits) {
      const b = this.bind(out.bits, true);
      const words = Math.ceil(c / 32);
      lines.push(
        'if (v < 0.0) { bits = bits | (1u << (u32(pc) & 31u)); }',
        `if ((pc & 31) == 31 || pc == ${i32(c - 1)}) { ${b}[u32((py * (dims.w * ${i32(f)}) + px) * ${i32(words)} + (pc >> 5u))] = bits; bits = 0u; }`,
      );
    }
    return lines.join('\n      ');
  }

  /** The whole module: declarations, helpers, expression functions, then `body`. */
  module(body: string): string {
    const decl = this.bindings.map((b) => {
      const t = b.slot.kind === 'bits' ? 'u32' : 'f32';
      return `@group(0) @binding(${b.binding}) var<storage, ${b.write ? 'read_write' : 'read'}> b${b.binding}: array<${t}>; // ${b.slot.kind} ${b.slot.name}`;
    });
    return [
      'struct Dims { h: i32, w: i32, pad0: i32, pad1: i32 }',
      '@group(0) @binding(0) var<uniform> dims: Dims;',
      '@group(0) @binding(1) var<storage, read> K: array<u32>;',
      ...decl,
      'fn kf(i: u32) -> f32 { return bitcast<f32>(K[i]); }',
      // Symmetric padding (MATLAB, the anchor's mirrored Slices): -1 -> 0, -2 -> 1, n -> n-1, n+1 -> n-2.
      'fn sym(i: i32, n: i32) -> i32 { var j = i; if (j < 0) { j = -j - 1; } if (j >= n) { j = 2 * n - 1 - j; } return clamp(j, 0, n - 1); }',
      ...this.fns,
      body,
    ].join('\n');
  }
}
