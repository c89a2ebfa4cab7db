/**
 * The one description of every WebAssembly kernel: its name, parameters (i32 pointers and sizes
 * unless listed as f32), result, and the scratch it needs. The WAT function headers are generated
 * from it (`signature`), and so is the TypeScript binding (`Kernels`, `bindKernels`), so the
 * module and its callers cannot drift apart: bindKernels also checks each export's arity.
 * The trainer (training/engine) and the inference engine (src/engine/xnor) both use this module.
 */
interface KernelSpec {
  readonly params: readonly string[];
  readonly f32?: readonly string[];
  readonly result?: 'i32' | 'f32';
  /** What scratch memory the caller passes, in words. */
  readonly scratch?: string;
}

export const KERNELS = {
  binaryBlockDx: { params: ['dc', 'w', 'alpha', 'res', 'ex', 'out', 'E', 'O', 'N', 'H', 'W', 'cin', 'cout', 'kh', 'kw', 'dil', 'est', 'cx', 'slope', 'dcOut', 'dsl'] },
  binWeightGrad: { params: ['a', 'dy', 'dw', 'tab', 'N', 'H', 'W', 'words', 'cout', 'kh', 'kw', 'dil'], scratch: 'tab: sign-pattern tables' },
  conv: { params: ['xp', 'w', 'y', 'N', 'H', 'W', 'cin', 'cout', 'kh', 'kw', 'dil'] },
  convWeightGrad: { params: ['x', 'dy', 'dw', 'N', 'H', 'W', 'cin', 'cout', 'kh', 'kw', 'dil'] },
  sign: { params: ['x', 'y', 'n'] },
  signGrad: { params: ['dy', 'x', 'dx', 'n', 'est'] },
  preluGrad: { params: ['dy', 'x', 'a', 'dx', 'da', 'n', 'C'] },
  signScale: { params: ['x', 'n'], result: 'f32' },
  signGradWeightGrad: { params: ['x', 'dy', 'dw', 'tab', 'N', 'H', 'W', 'cin', 'cout', 'kh', 'kw', 'dil', 'c'], f32: ['c'], scratch: 'tab: sign-pattern tables' },
  signGradInputGrad: { params: ['dy', 'w', 'out', 'wt', 'pat', 'N', 'H', 'W', 'cin', 'cout', 'kh', 'kw', 'dil', 'c'], f32: ['c'], scratch: 'wt, pat: flipped weights and pattern tables' },
  weightScale: { params: ['w', 'alpha', 'rows', 'co'] },
  flipBinary: { params: ['w', 'alpha', 'out', 'kh', 'kw', 'ci', 'co'] },
  weightBits: { params: ['w', 'bits', 'taps', 'ci', 'co'] },
  binaryWeightGrad: { params: ['raw', 'w', 'alpha', 'dw', 'da', 'rows', 'co', 'est'] },
  packSigns: { params: ['x', 'out', 'nwords'], result: 'i32' },
  xnorConv: { params: ['a', 'wb', 'alpha', 'y', 'acc', 'N', 'H', 'W', 'words', 'cout', 'kh', 'kw', 'dil', 'res', 'slope', 'y2'], scratch: 'acc: 4·cout bytes (per-byte popcount sums)' },
  xnorConv32: { params: ['a', 'wb', 'alpha', 'y', 'acc', 'N', 'H', 'W', 'words', 'cout', 'kh', 'kw', 'dil', 'res', 'slope', 'y2'], scratch: 'acc: unused (registers)' },
  // The fused MRB (src/kernels/wat/mrbBlock.ts): its two XNOR convs with the activation in the store
  // (theta = 0: PReLU; res = 0: no skip), and the table backward of one or several convs.
  mrbBranchConv: { params: ['a', 'wb', 'alpha', 'theta', 'slope', 'delta', 't', 'y', 'res', 'N', 'H', 'W', 'words'] },
  mrbConv3x3: { params: ['a', 'wb', 'alpha', 'theta', 'slope', 'delta', 't', 'y', 'res', 'N', 'H', 'W', 'words'] },
  mrbOffsets: { params: ['w', 'O', 'stride', 'cin', 'cout', 'ng', 'kh', 'kw', 'dil', 'g0', 'G', 'W', 'pad'] },
  mrbTableDx: { params: ['dy', 'cx', 'slope', 'alpha', 'O', 'span', 'passes', 'E', 'ex', 'res', 'out', 'dcOut', 'dsl', 'dth', 'ddl', 'N', 'H', 'W', 'C', 'pad', 'gb', 'est'], scratch: 'E: sign-pattern table; O: mrbOffsets lookups' },
  // Distillation's KL over channels (src/kernels/wat/distill.ts): scale · the sum over pixels into out[0]; its gradient times g[0]·scale.
  klChannels: { params: ['s', 't', 'out', 'npix', 'C', 'scale'], f32: ['scale'] },
  klChannelsGrad: { params: ['s', 't', 'g', 'ds', 'dt', 'npix', 'C', 'scale'], f32: ['scale'] },
  // Binary conv for inference (src/kernels/wat/inferBinary.ts): N = 1, 'same', output rows [h0, h1),
  // wb from packBinaryConvWeights, ystride in floats; slope/res/sgn: 0 = none. Memory scratch only the
  // instance's own from xnorScratch (so threads with one instance each may split a layer by rows).
  xnorConvRows: { params: ['a', 'wb', 'alpha', 'y', 'H', 'W', 'words', 'cout', 'kh', 'kw', 'dil', 'h0', 'h1', 'ystride', 'slope', 'res', 'sgn'] },
  // Per-instance (per-thread) scratch for xnorConvRows' table path (relaxed build, Cout % 32 = 0);
  // bytes from xnorScratchBytes (src/kernels/packWeights.ts); (0, 0) turns it off.
  xnorScratch: { params: ['ptr', 'bytes'] },
  // Float inference kernels (src/kernels/wat/inferFloat.ts): N = 1, NHWC, output rows [h0, h1).
  convRows: { params: ['x', 'w', 'b', 'y', 'H', 'W', 'cin', 'cout', 'kh', 'kw', 'dil', 'h0', 'h1'] },
  finishRows: { params: ['t', 'lr', 'k', 'out', 'H', 'W', 's', 'h0', 'h1', 'm0', 'm1', 'm2'], f32: ['m0', 'm1', 'm2'] },
  normalizeRows: { params: ['lr', 'y', 'H', 'W', 'h0', 'h1', 'm0', 'm1', 'm2', 's0', 's1', 's2'], f32: ['m0', 'm1', 'm2', 's0', 's1', 's2'] },
  preluRows: { params: ['x', 'slope', 'y', 'W', 'C', 'h0', 'h1'] },
  rpreluRows: { params: ['x', 'theta', 'slope', 'delta', 'y', 'W', 'C', 'h0', 'h1'] },
  addRows: { params: ['a', 'b', 'y', 'W', 'C', 'h0', 'h1'] },
  copyChannelsRows: { params: ['x', 'y', 'W', 'cx', 'cy', 'off', 'h0', 'h1'] },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
type Spec = typeof KERNELS;
type Args<P extends readonly string[]> = { [K in keyof P]: number };
/** The kernels as callable functions: one number per parameter, in the spec's order. */
export type Kernels = { [K in KernelName]: (...args: Args<Spec[K]['params']>) => Spec[K] extends { result: string } ? number : void };

/** The WAT header of kernel `name`: `(func (export "name") (param $p i32) ... (result ...)`. */
export function signature(name: KernelName): string {
  const s: KernelSpec = KERNELS[name];
  const params = s.params.map((p) => `(param $${p} ${s.f32?.includes(p) ? 'f32' : 'i32'})`).join(' ');
  return `(func (export "${name}") ${params}${s.result ? ` (result ${s.result})` : ''}`;
}

/** The instance's exports as Kernels; throws naming the first kernel missing or of another arity. */
export function bindKernels(exports: WebAssembly.Exports): Kernels {
  for (const [name, s] of Object.entries(KERNELS) as [KernelName, KernelSpec][]) {
    const f = exports[name];
    if (typeof f !== 'function') throw new Error(`kernel module lacks ${name}`);
    if (f.length !== s.params.length) throw new Error(`kernel ${name} takes ${f.length} parameters, the spec says ${s.params.length}`);
  }
  return exports as unknown as Kernels;
}
