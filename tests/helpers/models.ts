/** Small randomly initialised bitsr models, exported with the real exporter (tests only). */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NET, parseNetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { exportOnnx } from '../../src/model/onnxExport';
import { mulberry } from './synthetic';
import { initParams } from '../../training/engine/forward';

export function writeRandomModels(dir: string, scales: number[] = [2, 3, 4]): string[] {
  mkdirSync(dir, { recursive: true });
  return scales.map((scale) => {
    const g = buildGraph(parseNetConfig({ ...DEFAULT_NET, name: `random-x${scale}`, scale, channels: 8, blocks: 2 }));
    const params = initParams(g, 100 + scale);
    // Init leaves activations/biases constant; perturb them so every op matters.
    const r = mulberry(scale);
    for (const p of g.params) if (p.group === 'act' || p.name.endsWith('.b')) params[p.name] = params[p.name].map((v) => v + (r() - 0.5) * 0.5);
    const bytes = exportOnnx(g, params, { mean: [0.45, 0.44, 0.4], std: [0.25, 0.24, 0.26] }, { note: 'random weights (tests)' });
    const file = join(dir, `bitsr-x${scale}.onnx`);
    writeFileSync(file, bytes);
    return file;
  });
}

/** The shipped models dir if it holds all three scales, else null. */
export function shippedModels(root: string): string | null {
  const dir = join(root, 'models');
  if (!existsSync(dir)) return null;
  const have = readdirSync(dir);
  return [2, 3, 4].every((s) => have.includes(`bitsr-x${s}.onnx`)) ? dir : null;
}

/** One random bitsr model (activations and biases perturbed so every op matters), exported. */
export function randomModelBytes(over: Partial<import('../../src/model/config').NetConfig>, seed: number): Uint8Array {
  const g = buildGraph(parseNetConfig({ ...DEFAULT_NET, channels: 8, blocks: 2, ...over }));
  const params = initParams(g, seed);
  const r = mulberry(seed + 1);
  for (const p of g.params) if (p.group === 'act' || p.name.endsWith('.b')) params[p.name] = params[p.name].map((v) => v + (r() - 0.5) * 0.5);
  return exportOnnx(g, params, { mean: [0.45, 0.44, 0.4], std: [0.25, 0.24, 0.26] }, { note: 'random weights (tests)' });
}
