/** A worker_threads pool thread of the binary engine: instantiate the kernels, then serve calls. */
import { parentPort } from 'node:worker_threads';
import { bindKernels } from '../../src/kernels/spec';
import { serveThread, type ThreadInit } from '../../src/engine/xnor/threads';

parentPort!.once('message', (init: ThreadInit) => {
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
  const kernels = bindKernels(instance.exports);
  parentPort!.postMessage('ready');
  serveThread(init, kernels);
  process.exit(0);
});
