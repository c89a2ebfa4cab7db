/**
 * The page side of xnorWebgpu.test.ts, bundled by esbuild into one script: loads models (ONNX
 * bytes, or a hand-built plan by kind and seed) into the WebGPU binary engine and runs images
 * sent from Node. Float32 data travels as base64.
 */
import { readPlan } from '../../src/engine/xnor/plan';
import { createGpuModel, type GpuModel } from '../../src/engine/xnor/webgpu';
import { handPlan, type HandPlanKind } from '../helpers/xnorPlans';

export type ModelSource = { onnx: string } | { hand: HandPlanKind; seed: number };

const toBytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
function toB64(f: Float32Array): string {
  const u = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}

let device: GPUDevice | undefined;
const models = new Map<string, GpuModel>();
const errors: string[] = [];
const model = (key: string) => {
  const m = models.get(key);
  if (!m) throw new Error(`no model '${key}'`);
  return m;
};

const api = {
  /** The adapter's info, or null without one. */
  async init(): Promise<{ vendor: string; architecture: string; description: string } | null> {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    device = await adapter.requestDevice();
    device.addEventListener('uncapturederror', (e) => errors.push((e as GPUUncapturedErrorEvent).error.message));
    const i = (adapter as GPUAdapter & { info: GPUAdapterInfo }).info; // not in every @webgpu/types version
    return { vendor: i.vendor, architecture: i.architecture, description: i.description };
  },
  async load(key: string, src: ModelSource): Promise<number> {
    const plan = 'onnx' in src ? readPlan(toBytes(src.onnx)) : handPlan(src.hand, src.seed);
    const m = createGpuModel(device!, plan);
    models.set(key, m);
    await m.ready();
    return m.kernels.length;
  },
  /** Planar RGB (base64 f32) in; the output's size and data out. */
  async run(key: string, w: number, h: number, data: string): Promise<{ width: number; height: number; data: string }> {
    const out = await model(key).run({ width: w, height: h, data: new Float32Array(toBytes(data).buffer) });
    return { width: out.width, height: out.height, data: toB64(out.data) };
  },
  /** A run writing into a caller's array of `capacity` floats: the output, and whether it lives in that array. */
  async runInto(key: string, w: number, h: number, data: string, capacity: number): Promise<{ data: string; shared: boolean }> {
    const into = new Float32Array(capacity);
    const out = await model(key).run({ width: w, height: h, data: new Float32Array(toBytes(data).buffer) }, into);
    return { data: toB64(out.data), shared: out.data.buffer === into.buffer };
  },
  /** Several runs at once (they queue); resolves every output. */
  async runMany(key: string, inputs: { w: number; h: number; data: string }[]): Promise<string[]> {
    const outs = await Promise.all(inputs.map((x) => model(key).run({ width: x.w, height: x.h, data: new Float32Array(toBytes(x.data).buffer) })));
    return outs.map((o) => toB64(o.data));
  },
  /** The error message of a run, or '' when it succeeds. */
  async runError(key: string, w: number, h: number, values: number): Promise<string> {
    try {
      await model(key).run({ width: w, height: h, data: new Float32Array(values) });
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  },
  release(key: string): void {
    model(key).release();
  },
  errors: () => errors,
};

(globalThis as unknown as { xnorGpu: typeof api }).xnorGpu = api;
export type XnorGpuPage = typeof api;
