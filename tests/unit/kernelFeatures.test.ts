/**
 * The kernel feature probes (src/kernels/features.ts) and the build's prebuilt variants
 * (build/kernelsPlugin.ts): in Node 20 with relaxed SIMD's V8 flag on, every probe validates, so
 * the best variant is the relaxed shared one, and all four assembled binaries validate too.
 */
import { describe, expect, it } from 'vitest';
import { assembleKernels } from '../../build/kernelsPlugin';
import { detectVariant, pickVariant, relaxedSimdSupported, sharedMemorySupported, simdSupported } from '../../src/kernels/features';
import { KERNEL_VARIANTS, kernelFileName } from '../../src/kernels/module';
import { relaxedSimdAvailable } from '../../training/engine/simdKernels';

describe('kernel feature probes', () => {
  it('Node 20 has SIMD, shared memories and, with the V8 flag, relaxed SIMD', () => {
    expect(simdSupported()).toBe(true);
    expect(sharedMemorySupported()).toBe(true);
    expect(relaxedSimdAvailable()).toBe(true);
    expect(relaxedSimdSupported()).toBe(true);
    expect(detectVariant()).toEqual({ fma: true, shared: true });
    expect(detectVariant({ threads: false })).toEqual({ fma: true, shared: false });
  });

  it('pickVariant names each prebuilt file once', () => {
    const names = [false, true].flatMap((relaxed) => [false, true].map((shared) => kernelFileName(pickVariant({ relaxed, shared }))));
    expect(names.sort()).toEqual(KERNEL_VARIANTS.map(kernelFileName).sort());
    expect(kernelFileName(pickVariant({ relaxed: false, shared: false }))).toBe('bitsr-kernels.wasm');
  });

  it('every assembled variant validates', async () => {
    relaxedSimdAvailable();
    const built = await assembleKernels();
    expect([...built.keys()].sort()).toEqual(KERNEL_VARIANTS.map(kernelFileName).sort());
    for (const [name, bytes] of built) expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>), name).toBe(true);
    // The relaxed build differs from the plain one (fused multiply-add), the shared one only in its memory import.
    expect(Buffer.from(built.get('bitsr-kernels-relaxed.wasm')!).equals(Buffer.from(built.get('bitsr-kernels.wasm')!))).toBe(false);
  });
});
