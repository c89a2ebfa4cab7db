/**
 * The binary engine's prebuilt WebAssembly kernels: every KERNEL_VARIANTS entry of
 * src/kernels/module.ts is assembled here, in Node, with wabt, and shipped as
 * kernels/<kernelFileName(v)> (application/wasm), so the browser never needs a WAT assembler.
 * Dev server: assembled at start-up (module.ts and its WAT are config dependencies, so editing
 * them restarts the server and reassembles); preview: served from the build; build: emitted.
 * A missing kernels/* path is a 404, like models/ and ort/ (build/sitePlugin.ts).
 */
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { KERNEL_VARIANTS, kernelFileName, kernelModuleWat, type KernelVariant } from '../src/kernels/module';
import { assetMiddleware, builtFile } from './sitePlugin';

/** The site folder the kernels are served from. */
export const KERNELS_DIR = 'kernels';

/**
 * One variant's binary. wabt checks it against its own validator with the variant's features;
 * nothing is compiled or instantiated, so relaxed SIMD needs no V8 flag here.
 */
export async function assembleKernel(v: KernelVariant): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const name = kernelFileName(v).replace(/\.wasm$/, '.wat');
  const features = { simd: true, relaxed_simd: v.fma, threads: v.shared };
  const mod = wabt.parseWat(name, kernelModuleWat(v), features);
  try {
    // wabt.js's validate takes the features too (its .d.ts omits the parameter); without them
    // it rejects the shared memory.
    (mod.validate as (f: typeof features) => void).call(mod, features);
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Every variant: file name (kernelFileName) -> bytes. */
export async function assembleKernels(): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const v of KERNEL_VARIANTS) out.set(kernelFileName(v), await assembleKernel(v));
  return out;
}

export function kernelsPlugin(): Plugin {
  let built: Promise<Map<string, Uint8Array>> | undefined;
  const kernels = () => (built ??= assembleKernels());
  return {
    name: 'bitsr-kernels',
    async configureServer(server) {
      const files = await kernels();
      server.middlewares.use(
        assetMiddleware([KERNELS_DIR], (_dir, name) => {
          const bytes = files.get(name);
          return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        }),
      );
    },
    configurePreviewServer(server) {
      const outDir = resolve(server.config.root, server.config.build.outDir);
      server.middlewares.use(assetMiddleware([KERNELS_DIR], (dir, name) => builtFile(outDir, dir, name)));
    },
    buildStart() {
      // Assemble while the bundle builds; a WAT error fails the build in generateBundle, with wabt's message.
      kernels().catch(() => undefined);
    },
    async generateBundle() {
      for (const [name, bytes] of await kernels()) this.emitFile({ type: 'asset', fileName: `${KERNELS_DIR}/${name}`, source: bytes });
    },
  };
}

