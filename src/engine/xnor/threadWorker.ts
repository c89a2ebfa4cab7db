/// <reference lib="webworker" />
/** A browser pool thread of the binary engine: instantiate the kernels over the shared memory, then serve calls. */
import { bindKernels } from '../../kernels/spec';
import { serveThread, type ThreadInit } from './threads';

declare const self: DedicatedWorkerGlobalScope;
self.onmessage = async (ev: MessageEvent<ThreadInit>) => {
  const init = ev.data;
  try {
    const instance = await WebAssembly.instantiate(init.module, { env: { memory: init.memory } });
    const kernels = bindKernels(instance.exports);
    self.postMessage('ready');
    serveThread(init, kernels);
  } catch (e) {
    self.postMessage({ error: String((e as Error).message ?? e) });
  }
};
