/**
 * A kernel call split by rows. Every step of the binary engine is one kernel call over a range of
 * rows, described as data (kernel name, arguments, and how a band of rows changes them), so that a
 * pool of threads sharing the memory can run the bands of one call in parallel.
 */
import type { KernelName, Kernels } from '../../kernels/spec';

/** How one argument follows a band [b0, b1) of the call's rows. */
export type BandArg = { at: number; mode: 'h0' | 'h1' } | { at: number; mode: 'offset' | 'count'; perRow: number };

export interface RowCall {
  kernel: KernelName;
  args: number[];
  rows: number;
  band: BandArg[];
}

/** The arguments of `call` for rows [b0, b1). */
export function bandArgs(call: RowCall, b0: number, b1: number): number[] {
  const a = call.args.slice();
  for (const b of call.band) {
    if (b.mode === 'h0') a[b.at] = b0;
    else if (b.mode === 'h1') a[b.at] = b1;
    else if (b.mode === 'offset') a[b.at] += b0 * b.perRow;
    else if (b.mode === 'count') a[b.at] = (b1 - b0) * b.perRow;
  }
  return a;
}

/** Band k of n over `rows` rows: near-equal, contiguous. */
export function bandOf(rows: number, n: number, k: number): [number, number] {
  return [Math.floor((rows * k) / n), Math.floor((rows * (k + 1)) / n)];
}

export function callKernel(kernels: Kernels, call: RowCall, b0: number, b1: number): number {
  if (b1 <= b0) return 0;
  const f = kernels[call.kernel] as unknown as (...a: number[]) => number | undefined;
  return f(...bandArgs(call, b0, b1)) ?? 0;
}

/** Runs row calls: on this thread alone, or split over a pool (threads.ts). */
export interface Dispatcher {
  readonly threads: number;
  /** Runs the call over all its rows; resolves the kernels' results OR-ed (packSigns' NaN flag). */
  run(call: RowCall): number;
  release(): void;
}

export function singleThread(kernels: Kernels): Dispatcher {
  return {
    threads: 1,
    run: (call) => callKernel(kernels, call, 0, call.rows),
    release: () => undefined,
  };
}
