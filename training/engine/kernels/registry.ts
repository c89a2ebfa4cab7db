/**
 * The plumbing shared by bitsr's tfjs kernels (the families are the sibling modules; kernels.ts
 * registers them all from initTf): running a body on either backend, registering a kernel, and
 * dispatching one. Nothing here registers anything by being imported.
 */
import type { Estimator } from '../../../src/model/config';
import { simdKernels, type SimdKernels } from '../simdKernels';
import { tf } from '../tf';

export type Info = tf.TensorInfo;
export interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): Float32Array;
  dataIdMap: { get(id: unknown): { memoryOffset: number } };
  wasm: { _malloc(bytes: number): number; _free(ptr: number): void; asm: { memory: WebAssembly.Memory } };
}
interface CpuBackend {
  data: { get(id: unknown): { values: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): Info;
}
export type Body = (ins: Float32Array[], outs: Float32Array[], attrs: Record<string, unknown>) => void;
/** Runs the SIMD version on heap byte offsets; returns false where it does not apply (shape). */
export type Simd = (k: SimdKernels, ptr: number[], ins: Info[], attrs: Record<string, unknown>) => boolean;

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const EST_CODE: Record<Estimator, number> = { ste: 0, approxsign: 1, sharp: 2 };
/** d sign/dx at |x| = ax for an EST_CODE estimator (NaN stays NaN). */
export function estimatorDerivative(ax: number, est: number): number {
  if (est === 0) return ax < 1 ? 1 : ax >= 1 ? 0 : NaN;
  return est === 1 ? Math.max(0, 2 - 2 * ax) : Math.max(0, 4 - 8 * ax);
}

/** Runs `body` on Float32Array views of the inputs and freshly allocated outputs, on either backend. */
function execute(backendName: string, backend: unknown, ins: Info[], outShapes: number[][], attrs: Record<string, unknown>, body: Body, simd?: Simd): Info[] {
  for (const t of ins) if (t.dtype !== 'float32') throw new Error(`bitsr kernel: expected float32, got ${t.dtype}`);
  if (backendName === 'wasm') {
    const b = backend as WasmBackend;
    // Allocate first: an allocation may grow the heap and detach earlier views.
    const outs = outShapes.map((s) => b.makeOutput(s, 'float32'));
    const k = simdKernels();
    if (k && simd?.(k, [...ins, ...outs].map((t) => b.dataIdMap.get(t.dataId).memoryOffset), ins, attrs)) return outs;
    body(ins.map((t) => b.typedArrayFromHeap(t)), outs.map((t) => b.typedArrayFromHeap(t)), attrs);
    return outs;
  }
  const b = backend as CpuBackend;
  const outArrays = outShapes.map((s) => new Float32Array(size(s)));
  body(ins.map((t) => b.data.get(t.dataId).values as Float32Array), outArrays, attrs);
  return outArrays.map((a, i) => b.makeTensorInfo(outShapes[i], 'float32', a));
}

/** Registers a kernel on wasm (SIMD where `simd` applies, else `body`) and on cpu (`body`). */
export function register(name: string, inputNames: string[], outShapes: (ins: Info[], attrs: Record<string, unknown>) => number[][], body: Body, simd?: Simd): void {
  for (const backendName of ['wasm', 'cpu']) {
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const ins = inputNames.map((n) => inputs[n] as Info);
        const a = (attrs ?? {}) as Record<string, unknown>;
        const outs = execute(backendName, backend, ins, outShapes(ins, a), a, body, simd);
        return outs.length === 1 ? outs[0] : outs;
      },
    });
  }
}

/** A wasm-only kernel: `fn` gets the backend, the SIMD kernels and a tensor -> heap offset function. */
export function registerWasm(name: string, fn: (b: WasmBackend, k: SimdKernels, inputs: tf.NamedTensorInfoMap, attrs: Record<string, unknown>, ptr: (t: Info) => number) => Info | Info[]): void {
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackend;
      const k = simdKernels();
      if (!k) throw new Error(`${name}: bitsr SIMD kernels not initialised (initTf('wasm') does it)`);
      return fn(b, k, inputs, (attrs ?? {}) as Record<string, unknown>, (t) => b.dataIdMap.get(t.dataId).memoryOffset);
    },
  });
}

/** Whether the wasm-only kernels can run now: the wasm backend with its SIMD kernels initialised. */
export const wasmSimd = (): boolean => tf.getBackend() === 'wasm' && simdKernels() !== undefined;

export const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}) =>
  tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
