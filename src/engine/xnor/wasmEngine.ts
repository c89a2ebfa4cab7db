/**
 * The binary engine on WebAssembly: one kernel memory and one thread pool for all loaded models,
 * each model a plan (plan.ts) compiled to kernel calls (schedule.ts, executor.ts). Host-neutral:
 * the browser passes the prebuilt kernel module and a way to start workers, Node its own.
 */
import type { RgbImage } from '../../core/image';
import { SHARED_MAX_PAGES } from '../../kernels/module';
import { bindKernels, type Kernels } from '../../kernels/spec';
import { singleThread, type Dispatcher } from './dispatch';
import { Heap, WEIGHTS_END, XnorExecutor } from './executor';
import { readPlan, type ModelPlan } from './plan';
import { schedule } from './schedule';
import { CONTROL_INTS, ThreadPool, type ThreadHandle } from './threads';

export interface XnorWasmOptions {
  /** The compiled kernel module (its memory import shared iff `shared`). */
  module: WebAssembly.Module;
  shared: boolean;
  /** Threads in all (≥ 1); more than 1 needs `shared` and `spawn`. */
  threads: number;
  spawn?: () => ThreadHandle;
}

export interface XnorModel {
  plan: ModelPlan;
  /** Runs one tile: planar RGB in, planar RGB ×scale out. */
  run(lr: RgbImage): RgbImage;
}

export class XnorWasmEngine {
  readonly threads: number;
  private readonly heap: Heap;
  private readonly kernels: Kernels;
  private readonly dispatch: Dispatcher;

  private constructor(heap: Heap, kernels: Kernels, dispatch: Dispatcher) {
    this.heap = heap;
    this.kernels = kernels;
    this.dispatch = dispatch;
    this.threads = dispatch.threads;
  }

  static async create(o: XnorWasmOptions): Promise<XnorWasmEngine> {
    const pages = Math.ceil(WEIGHTS_END / 65536) + 64;
    const memory = o.shared ? new WebAssembly.Memory({ initial: pages, maximum: SHARED_MAX_PAGES, shared: true }) : new WebAssembly.Memory({ initial: pages });
    const instance = await WebAssembly.instantiate(o.module, { env: { memory } });
    const kernels = bindKernels(instance.exports);
    const heap = new Heap(memory);
    if (CONTROL_INTS * 4 > 1024) throw new Error('thread control block overlaps the weights');
    const threads = o.shared && o.spawn ? Math.max(1, o.threads) : 1;
    const workers = Array.from({ length: threads - 1 }, () => o.spawn!());
    const dispatch = threads > 1 ? await ThreadPool.start(kernels, memory, 0, workers, o.module) : singleThread(kernels);
    return new XnorWasmEngine(heap, kernels, dispatch);
  }

  /** Reads and compiles a bitsr .onnx file; throws UnsupportedGraphError naming a node it refuses. */
  load(bytes: Uint8Array): XnorModel {
    return this.loadPlan(readPlan(bytes));
  }

  /** Compiles a plan already read (benchmarks run transformed plans through the same engine). */
  loadPlan(plan: ModelPlan): XnorModel {
    const exec = new XnorExecutor(plan, schedule(plan), this.heap, this.kernels, this.dispatch);
    return { plan, run: (lr) => exec.run(lr) };
  }

  release(): void {
    this.dispatch.release();
  }
}
