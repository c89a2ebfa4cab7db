/**
 * What one WebGPU compute kernel of the binary engine computes, as data: a producer (a float conv,
 * a group of binary convs writing slices of one concatenation, or a pointwise expression), a chain
 * of per-element stages applied to each produced value on the way out (activation, residual add,
 * pixel shuffle, mean, clip), and where the final value goes (floats, packed signs, or both).
 * Values a kernel only reads are expressions over stored slots, evaluated where they are read
 * (e.g. the bicubic anchor of lr - mean inside the tail conv's epilogue). codegen.ts turns a
 * KernelSpec into WGSL. Pure TS.
 *
 * Layouts: a float slot is NHWC f32 (h·f × w·f × c), or planar [c, h·f, w·f] (the network's input
 * and output). A bits slot holds ceil(c/32) u32 words per pixel; bit k of word j is set iff
 * channel 32j + k is negative (the sign convention is sign(0) = +1); pad bits are 0.
 */

export interface FloatSlot {
  kind: 'float';
  name: string;
  c: number;
  /** Spatial factor vs the input tile. */
  f: number;
  planar: boolean;
}

export interface BitsSlot {
  kind: 'bits';
  name: string;
  c: number;
  f: number;
}

export type Slot = FloatSlot | BitsSlot;

/** Per-channel elementwise ops, with the reference's exact formulas (engine/xnor/reference.ts). */
export type MapOp =
  | { op: 'normalize'; mean: Float32Array; std: Float32Array }
  | { op: 'center'; mean: Float32Array }
  | { op: 'addmean'; mean: Float32Array }
  | { op: 'prelu'; slope: Float32Array }
  | { op: 'rprelu'; theta: Float32Array; slope: Float32Array; delta: Float32Array }
  | { op: 'relu' }
  | { op: 'clip' }
  | { op: 'binact' };

/** A value at (y, x, channel), `c` channels at factor `f`. */
export type Expr = { c: number; f: number } & (
  | { k: 'load'; slot: FloatSlot }
  | { k: 'map'; x: Expr; map: MapOp }
  | { k: 'add'; a: Expr; b: Expr }
  | { k: 'concat'; parts: Expr[] }
  /** DepthToSpace CRD: out(y, x, c) = x(y/s, x/s, c·s² + (y%s)·s + x%s). */
  | { k: 'shuffle'; x: Expr; s: number }
  /** MATLAB bicubic ×s with symmetric padding: 5 taps per phase, `taps[phase·5 + t]` at offsets t − 2. */
  | { k: 'bicubic'; x: Expr; s: number; taps: Float32Array }
);

/** Applied to the producer's value v at (y, x, ch); a shuffle moves (y, x, ch) to the next factor. */
export type Stage = { k: 'map'; map: MapOp } | { k: 'add'; x: Expr | 'self' } | { k: 'shuffle'; s: number };

/** One binary conv of a group: reads packed signs, writes channels [offset, offset + cout) of the group's output. */
export interface Branch {
  x: BitsSlot;
  /** The file's OIHW sign bits, most significant bit first, 1 = +1. */
  bits: Uint8Array;
  alpha: Float32Array;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  dil: number;
  offset: number;
}

export type Producer =
  /** Float conv, stride 1, zero 'same' padding; w OIHW. */
  | { k: 'conv'; x: Expr; w: Float32Array; b?: Float32Array; cin: number; cout: number; kh: number; kw: number; dil: number }
  /** Binary convs (alpha · Σ ±1·±1) concatenated along channels, `cout` in all. */
  | { k: 'binconv'; branches: Branch[]; cout: number }
  /** An expression evaluated at every element of its shape. */
  | { k: 'pointwise'; x: Expr };

export interface KernelSpec {
  /** For errors and debugging: the plan values this kernel computes. */
  name: string;
  producer: Producer;
  stages: Stage[];
  /** The final value: stored as floats, as packed signs, or both (at least one). */
  out: { float?: FloatSlot; bits?: BitsSlot };
}
