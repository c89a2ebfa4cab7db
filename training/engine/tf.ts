/** tfjs setup for Node: the wasm backend (XNNPACK). Never train on tfjs-backend-cpu (100× slower). */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

// tfjs-core's Node bundle registers no gradients (the @tensorflow/tfjs union package does). Its
// ESM dist cannot be imported by Node (directory imports), but require() resolves it; tfjs keeps
// the engine and the gradient registry in globals, so this copy registers into the same engine.
// Under vitest (vite's resolver) require() fails on the extensionless ESM paths, but import works.
try {
  createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients');
} catch {
  await import('@tensorflow/tfjs-core/dist/register_all_gradients' as string);
}

export { tf };

export async function initTf(backend: 'wasm' | 'cpu' = 'wasm'): Promise<void> {
  // bitsr's kernels (kernels.ts) for both backends; imported here, not at the top: they import tf.
  (await import('./kernels')).registerKernels();
  if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
  if (tf.getBackend() !== backend) {
    const ok = await tf.setBackend(backend);
    if (!ok) throw new Error(`tfjs backend ${backend} failed to initialise`);
    await tf.ready();
  }
  // The fused kernels' SIMD bodies live in the wasm backend's memory (kernels.ts; their WAT is in
  // src/kernels/wat/, assembled by simdKernels.ts).
  if (backend === 'wasm') await (await import('./simdKernels')).initSimdKernels();
}
