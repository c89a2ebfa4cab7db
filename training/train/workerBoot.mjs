// Worker bootstrap: worker threads do not inherit tsx's loader (and Node 20 ignores --import in
// worker execArgv), so register it here, then load the TypeScript worker named by the parent.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
await import(workerData.entry);
