/**
 * The inference engines behind one interface (load a model / run a tile / release), so the worker
 * has no per-engine branches:
 * - xnor-wasm: bitsr's binary engine, XNOR/popcount WebAssembly SIMD kernels (src/engine/xnor);
 * - xnor-webgpu: the same on WebGPU, WGSL with countOneBits;
 * - ort-wasm / ort-webgpu: onnxruntime-web, the reference. Loaded only when chosen (a dynamic
 *   import), so a visit that runs the binary engine never downloads ORT's ~27 MB of wasm.
 *
 * Choice (docs/engine.md): `?engine=` forces one (`?ep=wasm|webgpu` means ort-wasm|ort-webgpu).
 * Otherwise capability gives the candidates (`candidates`): on a hardware GPU adapter ort-webgpu,
 * the reference, and xnor-webgpu; on every other device xnor-wasm when it has WebAssembly SIMD (all
 * current browsers), else ort-wasm. A software adapter (SwiftShader) is ~50× slower than wasm: not
 * a candidate. Where there are several, a short measurement on the device picks the faster
 * (`measureEngines`), and the app caches the result per device (store.ts).
 */
import type { RgbImage } from '../core/image';
import { simdSupported } from '../kernels/features';
import { probeGpu, type GpuProbe } from './gpu';
import type { EpName } from './protocol';

export const ENGINES = ['xnor-wasm', 'xnor-webgpu', 'ort-wasm', 'ort-webgpu'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface EngineModel {
  run(lr: RgbImage, scale: number): Promise<RgbImage>;
  release(): Promise<void>;
  /** ORT on WebGPU: whether every node runs on the GPU (null: not known / not applicable). */
  allNodesOnEp: boolean | null;
  placement: string;
}

export interface TileEngine {
  name: EngineName;
  /** Where it computes: the CPU (wasm) or the GPU (webgpu). */
  ep: EpName;
  threads: number;
  reason: string;
  /** maxStorageBufferBindingSize of the GPU adapter (GPU engines: bounds the tile). */
  bindingLimit?: number;
  load(bytes: Uint8Array): Promise<EngineModel>;
  /** The CPU engine to fall back to when this GPU engine fails; undefined for CPU engines. */
  fallback?: (why: string) => Promise<TileEngine>;
  /** Frees what the engine holds beyond its models (threads). */
  release?: () => void;
}

async function ortEngine(ep: EpName, reason: string, base: string, bindingLimit?: number, maxThreads?: number): Promise<TileEngine> {
  const s = await import('./session');
  const threads = s.configureOrt(base, maxThreads);
  return {
    name: ep === 'wasm' ? 'ort-wasm' : 'ort-webgpu',
    ep,
    threads: ep === 'wasm' ? threads : 0,
    reason,
    ...(bindingLimit ? { bindingLimit } : {}),
    load: (bytes) => s.createSrSession(bytes, ep),
    ...(ep === 'webgpu' ? { fallback: (why: string) => ortEngine('wasm', why, base, undefined, maxThreads) } : {}),
  };
}

async function xnorWasm(reason: string, base: string, maxThreads?: number): Promise<TileEngine> {
  const x = await import('./xnor/browser');
  const { engine, variant } = await x.createXnorWasm(base, Math.min(x.xnorThreads(), maxThreads ?? Infinity));
  return {
    name: 'xnor-wasm',
    ep: 'wasm',
    threads: engine.threads,
    reason: `${reason} (${variant})`,
    load: async (bytes) => ({ ...x.loadXnorWasm(engine, bytes), allNodesOnEp: true, placement: 'every op on the binary engine (WebAssembly)' }),
    release: () => engine.release(),
  };
}

async function xnorGpu(probe: GpuProbe, reason: string, base: string, maxThreads?: number): Promise<TileEngine> {
  const x = await import('./xnor/browser');
  const device = await probe.adapter!.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: probe.bindingLimit!, maxBufferSize: probe.adapter!.limits.maxBufferSize } });
  return {
    name: 'xnor-webgpu',
    ep: 'webgpu',
    threads: 0,
    reason,
    ...(probe.bindingLimit ? { bindingLimit: probe.bindingLimit } : {}),
    load: async (bytes) => ({ ...x.loadXnorGpu(device, bytes), allNodesOnEp: true, placement: 'every op on the binary engine (WebGPU)' }),
    fallback: (why) => xnorWasm(why, base, maxThreads),
  };
}

/** The name forced by the page's URL parameters, if any. */
export function forcedEngine(search: string): EngineName | undefined {
  const q = new URLSearchParams(search);
  const e = q.get('engine');
  if (e && (ENGINES as readonly string[]).includes(e)) return e as EngineName;
  const ep = q.get('ep');
  return ep === 'wasm' ? 'ort-wasm' : ep === 'webgpu' ? 'ort-webgpu' : undefined;
}

/** `maxThreads` caps the CPU engines' threads (benchmarks: equal threads for both). */
export async function chooseEngine(force: EngineName | undefined, base: string, how = 'forced', maxThreads?: number): Promise<TileEngine> {
  const t = maxThreads;
  const cpu = (why: string) => (simdSupported() ? xnorWasm(why, base, t) : ortEngine('wasm', `${why}; no WebAssembly SIMD for the binary engine`, base, undefined, t));
  const gpuNeeded = force === undefined || force === 'ort-webgpu' || force === 'xnor-webgpu';
  const probe = gpuNeeded ? await probeGpu() : undefined;
  const adapterText = probe?.adapter ? `adapter: ${probe.description}${probe.fallback ? ', software fallback: slow' : ''}` : '';
  switch (force) {
    case 'ort-wasm':
      return ortEngine('wasm', `${how} (onnxruntime-web, wasm)`, base, undefined, t);
    case 'xnor-wasm':
      return simdSupported() ? xnorWasm(`${how}`, base, t) : ortEngine('wasm', `${how}, but this browser has no WebAssembly SIMD; onnxruntime-web instead`, base, undefined, t);
    case 'ort-webgpu':
      if (!probe!.adapter) return ortEngine('wasm', `${how} but ${probe!.why}; using the CPU`, base, undefined, t);
      return ortEngine('webgpu', `${how} (${adapterText})`, base, probe!.bindingLimit, t);
    case 'xnor-webgpu':
      if (!probe!.adapter) return cpu(`${how} but ${probe!.why}; using the CPU`);
      return xnorGpu(probe!, `${how} (${adapterText})`, base, t);
    default:
      if (probe!.adapter && !probe!.fallback) return ortEngine('webgpu', `hardware GPU adapter (${probe!.description})`, base, probe!.bindingLimit, t);
      return cpu(probe!.adapter ? `the GPU adapter is a software fallback (${probe!.description}), about 50× slower than the CPU path; binary engine on the CPU` : `${probe!.why}; binary engine on the CPU`);
  }
}

/** The engines capability allows on this device, the reason, and the key its measurement is cached under. */
export interface Candidates {
  names: EngineName[];
  reason: string;
  /** Identifies the device: user agent, cores, GPU adapter. */
  key: string;
}

/** `cpuBoth`: measure xnor-wasm against ort-wasm on a CPU-only device too (`?measure=cpu`; tests). */
export async function candidates(cpuBoth = false): Promise<Candidates> {
  const probe = await probeGpu();
  const key = [navigator.userAgent, navigator.hardwareConcurrency, probe.adapter ? probe.description : 'no GPU adapter'].join(' | ');
  if (probe.adapter && !probe.fallback) return { names: ['ort-webgpu', 'xnor-webgpu'], reason: `hardware GPU adapter (${probe.description})`, key };
  const reason = probe.adapter ? `the GPU adapter is a software fallback (${probe.description}), about 50× slower than the CPU path` : probe.why;
  if (!simdSupported()) return { names: ['ort-wasm'], reason: `${reason}; no WebAssembly SIMD for the binary engine`, key };
  return { names: cpuBoth ? ['xnor-wasm', 'ort-wasm'] : ['xnor-wasm'], reason, key };
}

export interface Measurement {
  key: string;
  engine: EngineName;
  /** Median ms of one 64×64 tile of the x2 model per engine. */
  ms: Partial<Record<EngineName, number>>;
}

/**
 * Times each engine on the same model (warm, the median of 3 runs of one 64×64 tile); keeps the
 * fastest and releases the others. An engine that fails to start or run is left out.
 */
export async function measureEngines(names: EngineName[], bytes: Uint8Array, scale: number, base: string, reason: string, key: string, maxThreads?: number): Promise<{ engine: TileEngine; measurement: Measurement }> {
  const side = 64;
  const data = new Float32Array(3 * side * side);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) >>> 0) / 2 ** 32;
  const tile: RgbImage = { width: side, height: side, data };
  const ms: Partial<Record<EngineName, number>> = {};
  let best: TileEngine | undefined;
  for (const name of names) {
    let e: TileEngine | undefined;
    try {
      e = await chooseEngine(name, base, reason, maxThreads);
      if (e.name !== name) throw new Error(`${name} is not available`);
      const m = await e.load(bytes);
      await m.run(tile, scale);
      await m.run(tile, scale);
      const t: number[] = [];
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now();
        await m.run(tile, scale);
        t.push(performance.now() - t0);
      }
      await m.release();
      ms[name] = t.sort((a, b) => a - b)[1];
      if (!best || ms[name]! < ms[best.name]!) {
        best?.release?.();
        best = e;
      } else e.release?.();
    } catch {
      e?.release?.();
    }
  }
  if (!best) throw new Error(`none of ${names.join(', ')} could run here`);
  const shown = names.filter((n) => ms[n] !== undefined).map((n) => `${n} ${ms[n]!.toFixed(1)} ms`).join(', ');
  best.reason = `${reason}; measured fastest here (${shown} per 64² tile)`;
  return { engine: best, measurement: { key, engine: best.name, ms } };
}
