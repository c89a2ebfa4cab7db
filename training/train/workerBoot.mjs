// Worker bootstrap: worker threads do not inherit tsx's loader (and Node 20 ignores --import in
// worker execArgv), so register it here (ESM and CJS hooks, as `tsx` does for the main thread),
// then load the TypeScript worker named by the parent.
import { register } from 'tsx/esm/api';
import { register as registerCjs } from 'tsx/cjs/api';
import { workerData } from 'node:worker_threads';

register();
registerCjs();
await import(workerData.entry);
