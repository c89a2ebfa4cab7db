/** The kernel module standalone (tests, benchmarks): assembled with wabt over its own memory. */
import v8 from 'node:v8';
import { kernelModuleWat, SHARED_MAX_PAGES, type KernelVariant } from '../../src/kernels/module';
import { bindKernels, type Kernels } from '../../src/kernels/spec';

export interface KernelInstance {
  kernels: Kernels;
  memory: WebAssembly.Memory;
}

const binaries = new Map<string, WebAssembly.Module>();

/** Compiles variant `v` once (Node 20 has relaxed SIMD behind a V8 flag, set first) and instantiates it over a fresh memory of `pages` 64 KiB pages. */
export async function instantiateKernels(v: KernelVariant, pages: number): Promise<KernelInstance> {
  const key = `${v.fma}-${v.shared}`;
  let mod = binaries.get(key);
  if (!mod) {
    if (v.fma) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    const wabt = await (await import('wabt')).default();
    const parsed = wabt.parseWat(`bitsr-kernels-${key}.wat`, kernelModuleWat(v), { simd: true, relaxed_simd: v.fma, threads: v.shared });
    try {
      mod = new WebAssembly.Module(new Uint8Array(parsed.toBinary({}).buffer));
    } finally {
      parsed.destroy();
    }
    binaries.set(key, mod);
  }
  const memory = v.shared ? new WebAssembly.Memory({ initial: pages, maximum: SHARED_MAX_PAGES, shared: true }) : new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(mod, { env: { memory } });
  return { kernels: bindKernels(instance.exports), memory };
}
