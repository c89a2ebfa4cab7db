/**
 * The binary engines in the browser: xnor-wasm fetches the prebuilt kernel module of the variant
 * this browser runs (kernels/, built by build/kernelsPlugin.ts: relaxed SIMD or not, shared memory
 * when the page is cross-origin isolated) and starts its pool threads as module workers;
 * xnor-webgpu compiles the plan to WGSL on a GPU device.
 */
import type { RgbImage } from '../../core/image';
import { kernelFileName } from '../../kernels/module';
import { relaxedSimdSupported, sharedMemorySupported } from '../../kernels/features';
import { readPlan } from './plan';
import type { ThreadHandle, ThreadInit } from './threads';
import { XnorWasmEngine } from './wasmEngine';
import { createGpuModel } from './webgpu';

export interface LoadedModel {
  run(lr: RgbImage): Promise<RgbImage>;
  release(): Promise<void>;
}

function browserThread(): ThreadHandle {
  const w = new Worker(new URL('./threadWorker.ts', import.meta.url), { type: 'module', name: 'bitsr-xnor-thread' });
  return {
    start: (init: ThreadInit) =>
      new Promise<void>((resolve, reject) => {
        w.onmessage = (ev: MessageEvent<'ready' | { error: string }>) => (ev.data === 'ready' ? resolve() : reject(new Error(ev.data.error)));
        w.onerror = (ev) => reject(new Error(ev.message || 'the thread worker failed to start'));
        w.postMessage(init);
      }),
    terminate: () => w.terminate(),
  };
}

/** Threads for xnor-wasm: up to 4 when shared memory is available (cross-origin isolated), else 1. */
export function xnorThreads(): number {
  return sharedMemorySupported() ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
}

export async function createXnorWasm(base: string, threads = xnorThreads()): Promise<{ engine: XnorWasmEngine; variant: string }> {
  const shared = threads > 1;
  const fma = relaxedSimdSupported();
  const file = kernelFileName({ fma, shared });
  const res = await fetch(new URL(`kernels/${file}`, base));
  if (!res.ok) throw new Error(`kernel module ${file} failed to load (HTTP ${res.status})`);
  const module = await WebAssembly.compile(await res.arrayBuffer());
  const engine = await XnorWasmEngine.create({ module, shared, threads, spawn: browserThread });
  return { engine, variant: `${fma ? 'relaxed SIMD' : 'SIMD'}${shared ? ', shared memory' : ''}` };
}

export function loadXnorWasm(engine: XnorWasmEngine, bytes: Uint8Array): LoadedModel {
  const m = engine.load(bytes);
  return { run: async (lr) => m.run(lr), release: async () => undefined };
}

export function loadXnorGpu(device: GPUDevice, bytes: Uint8Array): LoadedModel {
  const m = createGpuModel(device, readPlan(bytes));
  return { run: (lr) => m.run(lr), release: async () => m.release() };
}
