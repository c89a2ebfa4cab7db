/**
 * The metadata_props of a bitsr ONNX model: every value a string. exportOnnx writes the model's
 * keys, the export CLI (training/cli/export.ts) adds provenance; the app, the build's model list,
 * `--info` and the importer read them through the parsers here.
 */
import { parseNetConfig, type NetConfig } from './config';

/** The keys exportOnnx writes into every model (a type, not an interface: it is a Record<string, string>). */
export type ModelMetadata = {
  /** The upscaling factor, an integer. */
  scale: string;
  /** JSON of the NetConfig the graph is built from. */
  config: string;
  /** JSON arrays: the training data's per-channel mean and std (the input normalization). */
  mean: string;
  std: string;
  /** Parameter count. */
  params: string;
  /** Paper-style OPs at the reference LR size (onnxExport.ts OPS_LR_SIZE). */
  ops: string;
  /** Pixels of context each output pixel depends on, per side: the tiler's overlap. */
  receptiveRadius: string;
};

/** What the export CLI adds: training steps, JSON of the data provenance and evaluations, the git commit. */
export type ProvenanceMetadata = {
  steps?: string;
  data?: string;
  eval?: string;
  commit?: string;
};

/** The keys `--info` prints after the model's own. */
export const PROVENANCE_KEYS = ['steps', 'data', 'commit', 'eval'] as const satisfies readonly (keyof ProvenanceMetadata)[];

/** A model's metadata_props as read from the file: the typed keys where present, plus any other. */
export type MetadataProps = Partial<ModelMetadata> & ProvenanceMetadata & Record<string, string | undefined>;

/** The tiler's overlap when a model does not say its receptive radius. */
export const DEFAULT_RECEPTIVE_RADIUS = 32;
/** The channel count assumed when a model's config cannot be read. */
export const DEFAULT_CHANNELS = 32;

/** The receptive radius (the tiler's overlap), or DEFAULT_RECEPTIVE_RADIUS when missing or invalid. */
export function receptiveRadiusOf(m: MetadataProps): number {
  const r = Number(m.receptiveRadius);
  return Number.isFinite(r) && r >= 0 ? r : DEFAULT_RECEPTIVE_RADIUS;
}

/** config.channels, or DEFAULT_CHANNELS when the config is missing, not JSON, or has none. */
export function channelsOf(m: MetadataProps): number {
  try {
    const c = (JSON.parse(m.config as string) as { channels?: unknown } | null)?.channels;
    return typeof c === 'number' ? c : DEFAULT_CHANNELS;
  } catch {
    return DEFAULT_CHANNELS;
  }
}

/** The model's NetConfig; throws "not a bitsr model" when the metadata has none. */
export function netConfigOf(m: MetadataProps): NetConfig {
  if (!m.config) throw new Error('not a bitsr model (no config metadata)');
  return parseNetConfig(JSON.parse(m.config));
}

