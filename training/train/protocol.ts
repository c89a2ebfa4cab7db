/** Messages between the training coordinator and its worker threads. */
import type { NetConfig } from '../../src/model/config';
import type { DataStats } from '../engine/checkpoint';
import type { AdamRange } from './adam';
import type { TrainConfig } from './config';
import type { PatchRef, SharedDataset } from './data';

export interface ParamSlot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

export interface WorkerInit {
  id: number;
  train: TrainConfig;
  stats: DataStats;
  dataset: SharedDataset;
  /** Current weights, written by the coordinator before each step. */
  params: SharedArrayBuffer;
  /** This worker's gradient output (same layout as params). */
  grads: SharedArrayBuffer;
  /** Every worker's gradient output, by worker id (the update sums them over this worker's slice). */
  allGrads: SharedArrayBuffer[];
  /** Adam's first and second moments (same layout as params), and its constants. */
  moments: { m: SharedArrayBuffer; v: SharedArrayBuffer };
  adam: { beta1: number; beta2: number; eps: number };
  layout: ParamSlot[];
  teacher?: { net: NetConfig; stats: DataStats; params: Record<string, Float32Array> };
}

/** What the coordinator asks of a worker; each request travels with an id its reply carries back. */
export type WorkerRequest =
  | { type: 'step'; refs: PatchRef[]; poison?: boolean }
  /**
   * The optimizer step for params[slice[0], slice[1]): sum the workers' gradients there (into worker
   * 0's buffer) and apply Adam step t to the parts of `ranges` inside the slice. Each worker gets a
   * disjoint slice, so the update runs on all cores and never on the coordinator's event loop.
   */
  | { type: 'update'; t: number; slice: [number, number]; ranges: AdamRange[]; gradScale: number }
  | { type: 'infer'; images: Array<{ width: number; height: number; data: Float32Array }> }
  | { type: 'stop' };

export type ToWorker = WorkerRequest & { id: number };

export type WorkerReply =
  /** ms: the worker's own time for the step (weights, batch, forward/backward, gradient copy). */
  /** batchStats: BatchNorm's batch statistics of the shard, by running-statistic parameter name. */
  | { type: 'stepped'; loss: number; finite: boolean; ms: number; batchStats?: Record<string, Float32Array> }
  | { type: 'updated'; ms: number }
  | { type: 'inferred'; images: Array<{ width: number; height: number; data: Float32Array }> }
  | { type: 'error'; message: string };

/** ready.teacher: what runs the distillation teacher's forward in this worker, and why where it is not ORT. */
export interface TeacherEngine {
  engine: 'ort' | 'tfjs';
  reason?: string;
}

export type FromWorker = { type: 'ready'; teacher?: TeacherEngine } | (WorkerReply & { id: number });
