/**
 * Which prebuilt kernel variant (module.ts KERNEL_VARIANTS) this runtime can run, probed with
 * WebAssembly.validate on tiny modules: no instantiation, no memory, nothing fetched. Works in
 * the browser (main thread or worker) and in Node (the trainer enables relaxed SIMD's V8 flag
 * before probing, training/engine/simdKernels.ts).
 */
import type { KernelVariant } from './module';

/** (module (func (result v128) (v128.const i32x4 0 0 0 0))) */
export const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);

/** (module (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))) */
export const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);

/** (module (memory 1 1 shared)) */
export const SHARED_MEMORY_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 3, 1, 1]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/** Fixed-width (128-bit) SIMD: every kernel variant needs it. */
export function simdSupported(): boolean {
  return validates(SIMD_PROBE);
}

/** Relaxed SIMD (f32x4.relaxed_madd): the `-relaxed` variants' fused multiply-add. */
export function relaxedSimdSupported(): boolean {
  return simdSupported() && validates(RELAXED_SIMD_PROBE);
}

/**
 * A shared WebAssembly memory can be created here: the module validates and SharedArrayBuffer is
 * exposed (in a browser only when the page is cross-origin isolated, COOP/COEP).
 */
export function sharedMemorySupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && validates(SHARED_MEMORY_PROBE);
}

/** The variant for the given capabilities (kernelFileName(pickVariant(...)) is its file under kernels/). */
export function pickVariant(can: { relaxed: boolean; shared: boolean }): KernelVariant {
  return { fma: can.relaxed, shared: can.shared };
}

/** The best variant this runtime runs, or undefined when it has no WebAssembly SIMD at all. */
export function detectVariant(opts: { threads?: boolean } = {}): KernelVariant | undefined {
  if (!simdSupported()) return undefined;
  return pickVariant({ relaxed: relaxedSimdSupported(), shared: (opts.threads ?? true) && sharedMemorySupported() });
}
