/** Messages between the UI thread and the inference worker (src/engine/worker.ts). */
import type { MetadataProps } from '../model/metadata';
import type { EngineName, Measurement } from './engines';
import type { Tier, TierChoice } from './tiers';

export type EpName = 'webgpu' | 'wasm';
export type Mode = 'evaluate' | 'upscale';
export type Scale = 2 | 3 | 4;
export const SCALES: readonly Scale[] = [2, 3, 4];

/** One model of models/index.json (build/modelManifest.ts writes it): its file and metadata_props. */
export interface ModelEntry {
  file: string;
  scale: number;
  /** Speed tier (tiers.ts): lite (the C32 baseline) or full (wider). */
  tier: Tier;
  bytes: number;
  metadata: MetadataProps;
}

/** What the badge shows: the engine actually in use, why, its threads, and where the nodes run. */
export interface EpInfo {
  engine: EngineName;
  /** Where the engine computes. */
  ep: EpName;
  reason: string;
  threads: number;
  /** null until a session exists; true when every node runs on `ep`. */
  allNodesOnEp: boolean | null;
  placement: string;
  /** Largest tile (input pixels per side) the engine will run at once. */
  maxTile: number;
}

export interface MetricPair {
  psnr: number;
  ssim: number;
}

/** One tile core of a 'partial' message. */
export interface LiveTile {
  x: number;
  y: number;
  w: number;
  h: number;
  rw: number;
  rh: number;
  rgba: ArrayBuffer;
}

export type ToWorker =
  /** `force`: the engine named by the URL (?engine=, or ?ep=), `forcedBy` the parameter as written. */
  | {
      type: 'init';
      force?: EngineName;
      forcedBy?: string;
      tile?: number;
      threads?: number;
      base: string;
      /** The engine measured fastest on this device earlier (the app keeps it in localStorage). */
      cached?: Measurement;
      /** Measure xnor-wasm against ort-wasm even without a GPU (`?measure=cpu`; tests). */
      measureCpu?: boolean;
      /** Full-tier probe measurements from earlier visits (tiers.ts), by key. */
      tierProbes?: Record<string, number>;
    }
  /** `scales`: the scales to run (a non-empty subset of SCALES), fixed for the job like its mode. */
  | { type: 'process'; job: number; file: Blob; mode: Mode; scales: Scale[]; tier: TierChoice }
  | { type: 'cancel'; job: number };

export type FromWorker =
  | { type: 'ep'; info: EpInfo }
  /** The engines were measured on this device: the app caches the result for the next visit. */
  | { type: 'measured'; measurement: Measurement }
  | { type: 'models'; models: ModelEntry[] }
  /** A full-tier model was measured on this device's engine: the app caches it for the next visit. */
  | { type: 'tierMeasured'; key: string; ms: number }
  /** The file decoded: the job owns the results from now on (earlier results are replaced). */
  | { type: 'decoded'; job: number; mode: Mode; scales: Scale[]; width: number; height: number; grayscale: boolean; alpha: boolean; source: Blob }
  | { type: 'progress'; job: number; done: number; total: number }
  /**
   * Live result (throttled, the scale's last tile always sent): the SR tile cores finished since
   * the previous 'partial', each at its place in output pixels (x, y, w, h) as RGBA `rgba`
   * (ImageData-ready, transferred) of `rw`×`rh` pixels (subsampled so the whole image would be at
   * most PREVIEW_MAX_SIDE); Evaluate: the PSNR over the `done` tiles so far (no running SSIM).
   */
  | { type: 'partial'; job: number; scale: Scale; done: number; total: number; width: number; height: number; tiles: LiveTile[]; psnr?: number; ssim?: number }
  | {
      type: 'scale';
      job: number;
      scale: Scale;
      /** PNGs: bitsr output, bicubic output, and (evaluate) the mod-cropped ground truth. */
      sr?: Blob;
      bicubic: Blob;
      gt?: Blob;
      /** Smaller PNGs for the compare view, for images larger than encode.ts PREVIEW_MAX_SIDE. */
      previews?: { sr?: Blob; bicubic?: Blob; gt?: Blob };
      width: number;
      height: number;
      /** Inference alone (the tiled model runs), ms. */
      ms?: number;
      /** The whole scale in the worker (LR, bicubic, inference, live view, metrics, encoding), ms. */
      wallMs: number;
      /** Fetching the model and creating its session, ms: present only when this job created it. */
      startupMs?: number;
      /** The model that ran (its tier, and why it was chosen). */
      model?: { file: string; tier: Tier; reason: string };
      metrics?: { sr?: MetricPair; bicubic: MetricPair };
      error?: string;
    }
  /** A scale that is not run for this image, with the limit that stopped it. */
  | { type: 'skipped'; job: number; scale: Scale; message: string }
  | { type: 'error'; job?: number; message: string }
  | { type: 'done'; job: number; cancelled: boolean };
