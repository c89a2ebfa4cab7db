/** Messages between the training coordinator and its worker threads. */
import type { NetConfig } from '../../src/model/config';
import type { DataStats } from '../engine/checkpoint';
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
  layout: ParamSlot[];
  teacher?: { net: NetConfig; stats: DataStats; params: Record<string, Float32Array> };
}

/** What the coordinator asks of a worker; each request travels with an id its reply carries back. */
export type WorkerRequest =
  | { type: 'step'; refs: PatchRef[]; poison?: boolean }
  | { type: 'infer'; images: Array<{ width: number; height: number; data: Float32Array }> }
  | { type: 'stop' };

export type ToWorker = WorkerRequest & { id: number };

export type WorkerReply =
  /** ms: the worker's own time for the step (weights, batch, forward/backward, gradient copy). */
  /** batchStats: BatchNorm's batch statistics of the shard, by running-statistic parameter name. */
  | { type: 'stepped'; loss: number; finite: boolean; ms: number; batchStats?: Record<string, Float32Array> }
  | { type: 'inferred'; images: Array<{ width: number; height: number; data: Float32Array }> }
  | { type: 'error'; message: string };

export type FromWorker = { type: 'ready' } | (WorkerReply & { id: number });
