/** UI-thread side of the worker protocol: one worker, typed messages. */
import { SCALES, type EpName, type FromWorker, type Mode, type Scale, type ToWorker } from './protocol';

export interface EngineClient {
  /** Submits a job; `scales` (default all) are the scales it runs. */
  process(file: Blob, mode: Mode, scales?: readonly Scale[]): number;
  cancel(job: number): void;
}

export function startEngine(opts: { forceEp?: EpName; tile?: number }, onMessage: (m: FromWorker) => void): EngineClient {
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

/** ?ep=webgpu|wasm and ?tile=N (tests: force tiling on small images). */
export function urlOptions(search: string): { forceEp?: EpName; tile?: number } {
  const q = new URLSearchParams(search);
  const ep = q.get('ep');
  const tile = Number(q.get('tile'));
  return {
    ...(ep === 'webgpu' || ep === 'wasm' ? { forceEp: ep } : {}),
    ...(Number.isInteger(tile) && tile > 0 ? { tile } : {}),
  };
}
