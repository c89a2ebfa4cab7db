/**
 * bitsr's WebAssembly SIMD training kernels (registered as tfjs kernels in kernels.ts): their WAT
 * source is src/kernels (shared with the browser engine), assembled here with wabt at startup. The module
 * imports the tfjs-wasm backend's own memory, so it reads and writes tensors in place: pointers are
 * the backend's byte offsets. Plain JS loops are no faster than tfjs's separate wasm passes
 * (measured here: 0.34 ms for a branch-free sign over 8×24×24×32, 1.4 ms with a branch on random
 * signs); 128-bit SIMD is what makes fusing pay.
 *
 * NaN in, NaN out everywhere (x − x is 0 for finite x, NaN otherwise), so the trainer's NaN
 * guard still sees a poisoned batch.
 */
import v8 from 'node:v8';
import { relaxedSimdSupported } from '../../src/kernels/features';
import { kernelModuleWat } from '../../src/kernels/module';
import { bindKernels, type Kernels } from '../../src/kernels/spec';
import { tf } from './tf';

/** The kernels as the trainer calls them (described once in src/kernels/spec.ts). */
export type SimdKernels = Kernels;

let kernels: SimdKernels | undefined;

/**
 * Whether this runtime accepts relaxed SIMD (a one-instruction module), after enabling the V8 flag:
 * Node 20 has it behind --experimental-wasm-relaxed-simd, on by default from Node 22.
 */
export function relaxedSimdAvailable(): boolean {
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // not Node, or the flag is gone (relaxed SIMD shipped): validation decides
  }
  return relaxedSimdSupported();
}

/** The SIMD kernels bound to the current wasm backend's memory, or undefined before initSimdKernels. */
export function simdKernels(): SimdKernels | undefined {
  return kernels;
}

/** Assembles the module and binds it to the tfjs-wasm heap. Call after the wasm backend is ready. */
export async function initSimdKernels(): Promise<void> {
  if (kernels) return;
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { asm?: { memory?: WebAssembly.Memory } } } | null;
  const memory = backend?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('bitsr SIMD kernels: the tfjs-wasm backend does not expose its memory (tfjs version changed?)');
  const wabt = await (await import('wabt')).default();
  // Relaxed SIMD's fused multiply-add runs the multiply-accumulate loops ~1.4× faster here
  // (measured: conv weight gradient 42 vs 30 GFLOP/s); without it, the mul+add build.
  const fma = relaxedSimdAvailable();
  const mod = wabt.parseWat('bitsr-kernels.wat', kernelModuleWat({ fma, shared: false }), { simd: true, relaxed_simd: fma });
  let buffer: Uint8Array<ArrayBuffer>;
  try {
    buffer = new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(buffer), { env: { memory } });
  kernels = bindKernels(instance.exports);
}
