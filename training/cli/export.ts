/**
 * npm run export -- --checkpoint <run dir|file> --out <file.onnx> [--eval-json <file>[,<file>...]]
 * npm run export -- --info <file.onnx>
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { buildGraph } from '../../src/model/graph';
import { type ProvenanceMetadata } from '../../src/model/metadata';
import { exportOnnx } from '../../src/model/onnxExport';
import { formatModelInfo, onnxModelInfo } from '../../src/model/onnxInfo';
import { loadCheckpoint } from '../engine/checkpoint';
import { existingFile, existingPath, isMain, list, optStr, runCli, str, UsageError, writableFilePath, type Args } from './args';

const USAGE = `usage: npm run export -- --checkpoint <run dir|checkpoint.json> --out <file.onnx> [--eval-json <file>[,<file>...]]
       npm run export -- --info <file.onnx>
  Writes a self-contained ONNX model (opset 18, bit-packed binary weights) with its provenance
  in metadata; --eval-json embeds results of 'npm run eval -- --json'. --info prints the size
  breakdown, parameter count and OPs (FLOPs + BOPs/64, 320x180 LR input).`;

function readEval(path: string, scale: number): unknown {
  if (!existsSync(path)) throw new Error(`eval results not found: ${path}`);
  let r: { scale?: number; sets?: Array<Record<string, unknown>>; failures?: unknown[] };
  try {
    r = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`eval results ${path} are not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(r?.sets)) throw new Error(`${path} is not an 'npm run eval -- --json' file (no sets)`);
  if (r.scale !== scale) throw new Error(`eval results ${path} are for x${r.scale}, the model is x${scale}`);
  // A partial evaluation must not travel inside a model as if it were the whole benchmark.
  if (Array.isArray(r.failures) && r.failures.length) throw new Error(`eval results ${path} are incomplete (${r.failures.length} failures); fix the images and evaluate again`);
  // Per-set summaries only: per-image rows would bloat the model file.
  return r.sets.map(({ name, images, psnr, ssim }) => ({ name, images, psnr, ssim }));
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export const EXPORT_SPEC = { options: ['checkpoint', 'out', 'info'], repeated: ['eval-json'] };

/** All of export's argument checks, before the checkpoint is read. */
export function validateExportArgs(a: Args): { info: string } | { checkpoint: string; out: string; evalFiles: string[] } {
  const info = optStr(a, 'info');
  if (info !== undefined) {
    const extra = ['checkpoint', 'out', 'eval-json'].filter((k) => a[k] !== undefined);
    if (extra.length) throw new UsageError(`--info cannot be combined with ${extra.map((k) => `--${k}`).join(', ')}`);
    return { info: existingFile('--info', info) };
  }
  const checkpoint = existingPath('--checkpoint', str(a, 'checkpoint'));
  const out = writableFilePath('--out', str(a, 'out'));
  const evalFiles = a['eval-json'] === undefined ? [] : list(a, 'eval-json').map((f) => existingFile('--eval-json', f));
  return { checkpoint, out, evalFiles };
}

async function main(a: Args): Promise<void> {
  const v = validateExportArgs(a);
  if ('info' in v) {
    try {
      console.log(formatModelInfo(onnxModelInfo(readFileSync(v.info))));
    } catch (e) {
      throw new Error(`cannot read model ${v.info}: ${(e as Error).message}`);
    }
    return;
  }
  const { out, evalFiles } = v;
  const ck = loadCheckpoint(v.checkpoint);
  const cfg = ck.net;
  if (cfg.batchNorm) throw new Error('refusing to export: this network uses batchNorm (the ablation baseline); BTM models have none');
  const graph = buildGraph(cfg);
  const missing = graph.params.filter((p) => !ck.params[p.name]).map((p) => p.name);
  if (missing.length) throw new Error(`checkpoint ${v.checkpoint} lacks parameter${missing.length > 1 ? 's' : ''} ${missing.map((n) => `'${n}'`).join(', ')}`);
  const evals = evalFiles.map((f) => readEval(f, cfg.scale)).flat();
  // Training data provenance as the trainer records it (info.data: dirs, info.images, info.val),
  // with paths made relative to the repo so the file does not carry this machine's layout.
  const rel = (p: unknown) => (typeof p === 'string' && isAbsolute(p) ? relative(process.cwd(), p) || '.' : p);
  const dirs = Array.isArray(ck.info.data) ? ck.info.data.map(rel) : rel(ck.info.data ?? null);
  const data = { dirs, images: ck.info.images ?? null, val: rel(ck.info.val ?? null) };
  const provenance: ProvenanceMetadata = {
    steps: String(ck.step),
    data: JSON.stringify(data),
    ...(evals.length ? { eval: JSON.stringify(evals) } : {}),
    commit: gitCommit(),
  };
  const bytes = exportOnnx(graph, ck.params, ck.stats, provenance);
  writeFileSync(out, bytes);
  console.log(`wrote ${out}`);
  console.log(formatModelInfo(onnxModelInfo(bytes)));
}

if (isMain(import.meta.url)) await runCli(USAGE, EXPORT_SPEC, main);
