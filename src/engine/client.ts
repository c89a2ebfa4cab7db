/** UI-thread side of the worker protocol: one worker, typed messages. */
import { forcedEngine, type EngineName } from './engines';
import { SCALES, type FromWorker, type Mode, type Scale, type ToWorker } from './protocol';

export interface EngineClient {
  /** Submits a job; `scales` (default all) are the scales it runs. */
  process(file: Blob, mode: Mode, scales?: readonly Scale[]): number;
  cancel(job: number): void;
}

export function startEngine(opts: { force?: EngineName; forcedBy?: string; tile?: number; threads?: number }, onMessage: (m: FromWorker) => void): EngineClient {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'bitsr-inference' });
  const send = (m: ToWorker) => worker.postMessage(m);
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data);
  worker.onerror = (ev) => onMessage({ type: 'error', message: `the inference worker failed: ${ev.message || 'unknown error'}` });
  send({ type: 'init', base: new URL('.', document.baseURI).href, ...opts });
  let job = 0;
  return {
    process(file, mode, scales = SCALES) {
      send({ type: 'process', job: ++job, file, mode, scales: [...scales] });
      return job;
    },
    cancel(j) {
      send({ type: 'cancel', job: j });
    },
  };
}

/**
 * ?engine=xnor-wasm|xnor-webgpu|ort-wasm|ort-webgpu (or ?ep=wasm|webgpu: ORT), ?threads=N (a cap on
 * the CPU engines' threads; benchmarks) and ?tile=N (tests: force tiling on small images).
 */
export function urlOptions(search: string): { force?: EngineName; forcedBy?: string; tile?: number; threads?: number } {
  const q = new URLSearchParams(search);
  const force = forcedEngine(search);
  const tile = Number(q.get('tile'));
  const threads = Number(q.get('threads'));
  const by = q.get('engine') === force ? `?engine=${force}` : `?ep=${q.get('ep')}`;
  return {
    ...(force ? { force, forcedBy: `forced by ${by}` } : {}),
    ...(Number.isInteger(tile) && tile > 0 ? { tile } : {}),
    ...(Number.isInteger(threads) && threads > 0 ? { threads } : {}),
  };
}
