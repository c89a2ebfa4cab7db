/**
 * The training workers as a pool: one worker_thread per WorkerInit, each with its own request
 * queue. Requests carry an id and replies echo it, so a worker may have several requests pending
 * (it answers them in order); a failed request rejects only its own promise, and a worker that
 * crashes or exits rejects everything still pending on it.
 */
import { Worker } from 'node:worker_threads';
import type { FromWorker, TeacherEngine, WorkerInit, WorkerReply, WorkerRequest } from './protocol';

/** The reply each request type gets. */
export type ReplyTo<T extends WorkerRequest['type']> = T extends 'step'
  ? Extract<WorkerReply, { type: 'stepped' }>
  : T extends 'update'
    ? Extract<WorkerReply, { type: 'updated' }>
    : T extends 'infer'
      ? Extract<WorkerReply, { type: 'inferred' }>
      : never;

interface Pending {
  resolve: (m: WorkerReply) => void;
  reject: (e: Error) => void;
}

class PoolWorker {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead?: Error;
  readonly ready: Promise<void>;
  /** What runs the distillation teacher here (from the worker's ready message). */
  teacher?: TeacherEngine;

  constructor(readonly w: Worker) {
    let readyOk!: () => void;
    let readyFail!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((readyOk = res), (readyFail = rej)));
    const failAll = (e: Error) => {
      this.dead ??= e;
      readyFail(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        this.teacher = m.teacher;
        return readyOk();
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.type === 'error') p.reject(new Error(`training worker failed: ${m.message}`));
      else p.resolve(m);
    });
    w.on('error', failAll);
    w.on('exit', (code) => failAll(new Error(`training worker exited (${code})`)));
  }

  /** Number of requests sent and not yet answered. */
  get queued(): number {
    return this.pending.size;
  }

  call<T extends WorkerRequest>(req: T): Promise<ReplyTo<T['type']>> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const p = new Promise<WorkerReply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.w.postMessage({ ...req, id });
    return p as Promise<ReplyTo<T['type']>>;
  }
}

export class WorkerPool {
  private constructor(private readonly workers: PoolWorker[]) {}

  /** Starts one worker per init and waits until all are ready. */
  static async start(inits: WorkerInit[]): Promise<WorkerPool> {
    const entry = new URL('./worker.ts', import.meta.url).href;
    const workers = inits.map((init) => new PoolWorker(new Worker(new URL('./workerBoot.mjs', import.meta.url), { workerData: { ...init, entry } })));
    const pool = new WorkerPool(workers);
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    return pool;
  }

  /** What runs the distillation teacher in each worker (undefined without one). */
  get teachers(): Array<TeacherEngine | undefined> {
    return this.workers.map((w) => w.teacher);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Queues a request on worker i. */
  call<T extends WorkerRequest>(i: number, req: T): Promise<ReplyTo<T['type']>> {
    return this.workers[i].call(req);
  }

  /** Requests still pending on worker i. */
  queued(i: number): number {
    return this.workers[i].queued;
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.w.terminate()));
  }
}
