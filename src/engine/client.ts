/** UI-thread side of the worker protocol: one worker, typed messages. */
import { forcedEngine, type EngineName, type Measurement } from './engines';
import { SCALES, type FromWorker, type Mode, type Scale, type ToWorker } from './protocol';
import type { TierChoice } from './tiers';

export interface EngineClient {
  /** Submits a job; `scales` (default all) are the scales it runs, `tier` which model tier. */
  process(file: Blob, mode: Mode, scales?: readonly Scale[], tier?: TierChoice): number;
  cancel(job: number): void;
}

export function startEngine(opts: { force?: EngineName; forcedBy?: string; tile?: number; threads?: number; cached?: Measurement; measureCpu?: boolean; tierProbes?: Record<string, number> }, onMessage: (m: FromWorker) => void): EngineClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'bitsr-inference' });
  const send = (m: ToWorker) => worker.postMessage(m);
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
  worker.onerror = (ev) => onMessage({ type: 'error', message: `the inference worker failed: ${ev.message || 'unknown error'}` });
  send({ type: 'init', base: new URL('.', document.baseURI).href, ...opts });
  let job = 0;
  return {
    process(file, mode, scales = SCALES, tier = 'auto') {
      send({ type: 'process', job: ++job, file, mode, scales: [...scales], tier });
      return job;
    },
    cancel(j) {
      send({ type: 'cancel', job: j });
    },
  };
}

/**
 * ?engine=xnor-wasm|xnor-webgpu|ort-wasm|ort-webgpu (or ?ep=wasm|webgpu: ORT), ?threads=N (a cap on
 * the CPU engines' threads; benchmarks), ?measure=cpu (measure the CPU engines against each other:
 * tests) and ?tile=N (tests: force tiling on small images).
 */
export function urlOptions(search: string): { force?: EngineName; forcedBy?: string; tile?: number; threads?: number; measureCpu?: boolean } {
  const q = new URLSearchParams(search);
  const force = forcedEngine(search);
  const tile = Number(q.get('tile'));
  const threads = Number(q.get('threads'));
  const by = q.get('engine') === force ? `?engine=${force}` : `?ep=${q.get('ep')}`;
  return {
    ...(force ? { force, forcedBy: `forced by ${by}` } : {}),
    ...(Number.isInteger(tile) && tile > 0 ? { tile } : {}),
    ...(Number.isInteger(threads) && threads > 0 ? { threads } : {}),
    ...(q.get('measure') === 'cpu' ? { measureCpu: true } : {}),
  };
}

const MEASURED_KEY = 'bitsr.engineMeasurement';

/** The engine measurement cached on this device (localStorage), if any and well formed. */
export function cachedMeasurement(): Measurement | undefined {
  try {
    const m = JSON.parse(localStorage.getItem(MEASURED_KEY) ?? 'null') as Measurement | null;
    return m && typeof m.key === 'string' && typeof m.engine === 'string' && typeof m.ms === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

export function saveMeasurement(m: Measurement): void {
  try {
    localStorage.setItem(MEASURED_KEY, JSON.stringify(m));
  } catch {
    // storage full or disabled: measure again next visit
  }
}

const TIER_PROBES_KEY = 'bitsr.tierProbes';

/** Full-tier probe measurements cached on this device (localStorage), by key; {} when none. */
export function cachedTierProbes(): Record<string, number> {
  try {
    const o = JSON.parse(localStorage.getItem(TIER_PROBES_KEY) ?? '{}') as unknown;
    if (!o || typeof o !== 'object') return {};
    return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number' && v > 0)) as Record<string, number>;
  } catch {
    return {};
  }
}

export function saveTierProbe(key: string, ms: number): void {
  try {
    localStorage.setItem(TIER_PROBES_KEY, JSON.stringify({ ...cachedTierProbes(), [key]: ms }));
  } catch {
    // storage full or disabled: measure again next visit
  }
}
