/**
 * The binary engine (src/engine/xnor) in Node, for `npm run eval -- --engine xnor`: the same kernel
 * module as the browser's (assembled here with wabt, relaxed SIMD when this Node has it), threads as
 * worker_threads over a shared memory, and the same plan reader and executor.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createImage, type RgbImage } from '../../src/core/image';
import { kernelModuleWat } from '../../src/kernels/module';
import type { ThreadHandle, ThreadInit } from '../../src/engine/xnor/threads';
import { XnorWasmEngine } from '../../src/engine/xnor/wasmEngine';
import { relaxedSimdAvailable } from '../engine/simdKernels';
import type { OnnxSr } from './onnxModel';

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** The kernel module of this variant, assembled once per process. */
export function kernelModule(fma: boolean, shared: boolean): Promise<WebAssembly.Module> {
  const key = `${fma}${shared}`;
  let m = modules.get(key);
  if (!m) {
    m = (async () => {
      // Relaxed SIMD is behind a V8 flag on Node 20: relaxedSimdAvailable sets it.
      if (fma && !relaxedSimdAvailable()) throw new Error('this Node has no relaxed SIMD');
      const wabt = await (await import('wabt')).default();
      const mod = wabt.parseWat('bitsr-kernels.wat', kernelModuleWat({ fma, shared }), { simd: true, relaxed_simd: fma, threads: shared });
      try {
        return new WebAssembly.Module(new Uint8Array(mod.toBinary({}).buffer));
      } finally {
        mod.destroy();
      }
    })();
    modules.set(key, m);
  }
  return m;
}

function nodeThread(): ThreadHandle {
  // The worker is TypeScript: it registers tsx's loader, then imports it (execArgv loaders do not
  // reach worker threads on Node 20).
  const url = new URL('./xnorThread.ts', import.meta.url).href;
  const w = new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url)}); })`, { eval: true });
  w.unref();
  return {
    start: (init: ThreadInit) =>
      new Promise<void>((resolve, reject) => {
        w.once('message', () => resolve());
        w.once('error', reject);
        w.postMessage(init);
      }),
    terminate: () => void w.terminate(),
  };
}

/** A binary engine with `threads` threads (1: no workers, unshared memory). */
export async function createNodeXnorEngine(threads = 1, fma = relaxedSimdAvailable()): Promise<XnorWasmEngine> {
  const shared = threads > 1;
  return XnorWasmEngine.create({ module: await kernelModule(fma, shared), shared, threads, spawn: nodeThread });
}

export async function loadXnorSr(path: string, opts: { threads?: number; engine?: XnorWasmEngine } = {}): Promise<OnnxSr> {
  if (!existsSync(path)) throw new Error(`model file not found: ${path}`);
  const engine = opts.engine ?? (await createNodeXnorEngine(opts.threads ?? 1));
  let model;
  try {
    model = engine.load(new Uint8Array(readFileSync(path)));
  } catch (e) {
    throw new Error(`cannot load model ${path} with the binary engine: ${(e as Error).message}`);
  }
  const scale = model.plan.scale;
  return {
    scale,
    metadata: model.plan.metadata,
    async run(lr: RgbImage) {
      const out = model.run(lr);
      const img = createImage(out.width, out.height);
      img.data.set(out.data);
      return lr.grayscale ? { ...img, grayscale: true } : img;
    },
    release: async () => {
      if (!opts.engine) engine.release();
    },
  };
}
