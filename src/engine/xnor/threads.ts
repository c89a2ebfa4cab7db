/**
 * Threads for the binary engine: workers that each instantiate the same kernel module over one
 * shared memory (the page must be crossOriginIsolated). A call is written into a control block
 * in that memory; the workers wake on Atomics, each runs its band of rows, and the caller runs the
 * first band itself, then waits for the others. No messages per call, so a layer costs a few
 * microseconds of synchronization. Host-neutral: the browser and Node pass their own way of
 * starting a worker (`spawn`), and the worker side is `serveThread`.
 */
import { KERNELS, type KernelName, type Kernels } from '../../kernels/spec';
import { bandOf, callKernel, type BandArg, type Dispatcher, type RowCall } from './dispatch';

const NAMES = Object.keys(KERNELS) as KernelName[];
const MODES = ['h0', 'h1', 'offset', 'count'] as const;
/** Control block: [gen, done, kernel (−1: exit), rows, nargs, nband, error, _, args[32], band[3·8]]. */
export const CONTROL_INTS = 8 + 32 + 24;
const GEN = 0;
const DONE = 1;
const KERNEL = 2;
const ROWS = 3;
const NARGS = 4;
const NBAND = 5;
const ERROR = 6;
const ARGS = 8;
const BAND = 40;
/** A band taking longer than this means a thread is gone: fail instead of hanging. */
const WAIT_MS = 60_000;

/** What a pool worker is sent once, at start. */
export interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: number;
  index: number;
  count: number;
}

/**
 * The host's worker: `start` sends the init message and resolves once the worker has its kernels
 * (it answers 'ready'), rejecting with its error; `terminate` ends it.
 */
export interface ThreadHandle {
  start(init: ThreadInit): Promise<void>;
  terminate(): void;
}

/** Whether argument i of the kernel is an f32 (kept bit-exact in the control block's f32 view). */
const isF32 = (kernel: KernelName, i: number): boolean => {
  const s: { params: readonly string[]; f32?: readonly string[] } = KERNELS[kernel];
  return !!s.f32?.includes(s.params[i]);
};

function writeCall(ctl: Int32Array, call: RowCall): void {
  if (call.args.length > 32 || call.band.length > 8) throw new Error(`kernel call ${call.kernel} has too many arguments for the thread control block`);
  const f = new Float32Array(ctl.buffer, ctl.byteOffset, ctl.length);
  ctl[KERNEL] = NAMES.indexOf(call.kernel);
  ctl[ROWS] = call.rows;
  ctl[NARGS] = call.args.length;
  ctl[NBAND] = call.band.length;
  call.args.forEach((a, i) => (isF32(call.kernel, i) ? (f[ARGS + i] = a) : (ctl[ARGS + i] = a)));
  call.band.forEach((b, i) => {
    ctl[BAND + 3 * i] = b.at;
    ctl[BAND + 3 * i + 1] = MODES.indexOf(b.mode);
    ctl[BAND + 3 * i + 2] = 'perRow' in b ? b.perRow : 0;
  });
}

function readCall(ctl: Int32Array): RowCall {
  const band: BandArg[] = [];
  for (let i = 0; i < ctl[NBAND]; i++) {
    const at = ctl[BAND + 3 * i];
    const mode = MODES[ctl[BAND + 3 * i + 1]];
    band.push(mode === 'h0' || mode === 'h1' ? { at, mode } : { at, mode, perRow: ctl[BAND + 3 * i + 2] });
  }
  const kernel = NAMES[ctl[KERNEL]];
  const f = new Float32Array(ctl.buffer, ctl.byteOffset, ctl.length);
  const args = Array.from({ length: ctl[NARGS] }, (_, i) => (isF32(kernel, i) ? f[ARGS + i] : ctl[ARGS + i]));
  return { kernel, args, rows: ctl[ROWS], band };
}

/** The pool: `threads` bands per call, the caller's thread running band 0. */
export class ThreadPool implements Dispatcher {
  private readonly ctl: Int32Array;

  private constructor(
    private readonly kernels: Kernels,
    memory: WebAssembly.Memory,
    control: number,
    private readonly workers: ThreadHandle[],
  ) {
    this.ctl = new Int32Array(memory.buffer, control, CONTROL_INTS);
  }

  /** Starts the workers; resolves when all of them are waiting for calls. */
  static async start(kernels: Kernels, memory: WebAssembly.Memory, control: number, workers: ThreadHandle[], module: WebAssembly.Module): Promise<ThreadPool> {
    new Int32Array(memory.buffer, control, CONTROL_INTS).fill(0);
    try {
      await Promise.all(workers.map((w, i) => w.start({ module, memory, control, index: i + 1, count: workers.length + 1 })));
    } catch (e) {
      for (const w of workers) w.terminate();
      throw new Error(`the binary engine's threads failed to start: ${(e as Error).message ?? e}`);
    }
    return new ThreadPool(kernels, memory, control, workers);
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  run(call: RowCall): number {
    const ctl = this.ctl;
    const n = this.threads;
    writeCall(ctl, call);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, ERROR, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    const [b0, b1] = bandOf(call.rows, n, 0);
    let r = callKernel(this.kernels, call, b0, b1);
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= n - 1) break;
      if (Atomics.wait(ctl, DONE, done, WAIT_MS) === 'timed-out') throw new Error(`a binary engine thread did not finish ${call.kernel} within ${WAIT_MS / 1000} s`);
    }
    if (Atomics.load(ctl, ERROR)) throw new Error(`a binary engine thread failed in ${call.kernel}`);
    r |= Atomics.load(ctl, ERROR + 1);
    Atomics.store(ctl, ERROR + 1, 0);
    return r;
  }

  release(): void {
    this.ctl[KERNEL] = -1;
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) w.terminate();
  }
}

/** A pool worker's loop: wait for a call, run this thread's band, report; until told to exit. */
export function serveThread(init: ThreadInit, kernels: Kernels): void {
  const ctl = new Int32Array(init.memory.buffer, init.control, CONTROL_INTS);
  let seen = Atomics.load(ctl, GEN);
  for (;;) {
    Atomics.wait(ctl, GEN, seen);
    seen = Atomics.load(ctl, GEN);
    if (ctl[KERNEL] < 0) return;
    try {
      const call = readCall(ctl);
      const [b0, b1] = bandOf(call.rows, init.count, init.index);
      if (callKernel(kernels, call, b0, b1)) Atomics.or(ctl, ERROR + 1, 1);
    } catch {
      Atomics.store(ctl, ERROR, 1);
    }
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
  }
}
