/** Build-time helper (Node) shared by the app's and the bench page's Vite configs. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelEntry } from '../src/engine/protocol';
import type { MetadataProps } from '../src/model/metadata';
import { readOnnxMetadata } from '../src/model/onnxMetadata';
import { tierOf } from '../src/engine/tiers';

/** models/index.json: the .onnx files present in `dir` plus their metadata, so the app discovers what exists. */
export function modelManifest(dir: string): { models: ModelEntry[] } {
  const models: ModelEntry[] = [];
  if (!existsSync(dir)) return { models };
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.onnx')) continue;
    const bytes = readFileSync(join(dir, f));
    let metadata: MetadataProps = {};
    try {
      metadata = readOnnxMetadata(bytes);
    } catch {
      // A broken file is still listed: the app reports it when it fails to load.
    }
    models.push({ file: f, scale: Number(metadata.scale ?? /x(\d)/.exec(f)?.[1] ?? NaN), tier: tierOf(f, metadata), bytes: bytes.length, metadata });
  }
  return { models };
}
