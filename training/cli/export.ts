/**
 * npm run export -- --checkpoint <run dir|file> --out <file.onnx> [--eval-json <file>[,<file>...]]
 * npm run export -- --info <file.onnx>
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative } from 'node:path';
import { buildGraph } from '../../src/model/graph';
import { exportOnnx } from '../../src/model/onnxExport';
import { formatModelInfo, onnxModelInfo } from '../../src/model/onnxInfo';
import { loadCheckpoint } from '../engine/checkpoint';
import { parseArgs, runCli, str, UsageError } from './args';

const USAGE = `usage: npm run export -- --checkpoint <run dir|checkpoint.json> --out <file.onnx> [--eval-json <file>[,<file>...]]
       npm run export -- --info <file.onnx>
  Writes a self-contained ONNX model (opset 18, bit-packed binary weights) with its provenance
  in metadata; --eval-json embeds results of 'npm run eval -- --json'. --info prints the size
  breakdown, parameter count and OPs (FLOPs + BOPs/64, 320x180 LR input).`;

/** --eval-json may be repeated or comma-separated; parseArgs keeps only the last, so collect them first. */
function takeRepeated(argv: string[], key: string): { rest: string[]; values: string[] } {
  const rest: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${key}`) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`--${key} needs a value`);
      values.push(v);
    } else if (argv[i].startsWith(`--${key}=`)) values.push(argv[i].slice(key.length + 3));
    else rest.push(argv[i]);
  }
  return { rest, values: values.flatMap((v) => v.split(',')).filter(Boolean) };
}

function readEval(path: string, scale: number): unknown {
  if (!existsSync(path)) throw new Error(`eval results not found: ${path}`);
  let r: { scale?: number; sets?: Array<Record<string, unknown>> };
  try {
    r = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`eval results ${path} are not JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(r?.sets)) throw new Error(`${path} is not an 'npm run eval -- --json' file (no sets)`);
  if (r.scale !== scale) throw new Error(`eval results ${path} are for x${r.scale}, the model is x${scale}`);
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

await runCli(USAGE, async () => {
  const { rest, values: evalFiles } = takeRepeated(process.argv.slice(2), 'eval-json');
  const args = parseArgs(rest, { options: ['checkpoint', 'out', 'info'] });
  if (typeof args.info === 'string') {
    if (!existsSync(args.info)) throw new Error(`model file not found: ${args.info}`);
    try {
      console.log(formatModelInfo(onnxModelInfo(readFileSync(args.info))));
    } catch (e) {
      throw new Error(`cannot read model ${args.info}: ${(e as Error).message}`);
    }
    return;
  }
  const ck = loadCheckpoint(str(args, 'checkpoint'));
  const out = str(args, 'out');
  const cfg = ck.net;
  if (cfg.batchNorm) throw new Error('refusing to export: this network uses batchNorm (the ablation baseline); BTM models have none');
  const evals = evalFiles.map((f) => readEval(f, cfg.scale)).flat();
  // Training data provenance as the trainer records it (info.data: dirs, info.images, info.val),
  // with paths made relative to the repo so the file does not carry this machine's layout.
  const rel = (p: unknown) => (typeof p === 'string' && isAbsolute(p) ? relative(process.cwd(), p) || '.' : p);
  const dirs = Array.isArray(ck.info.data) ? ck.info.data.map(rel) : rel(ck.info.data ?? null);
  const data = { dirs, images: ck.info.images ?? null, val: rel(ck.info.val ?? null) };
  const bytes = exportOnnx(buildGraph(cfg), ck.params, ck.stats, {
    steps: String(ck.step),
    data: JSON.stringify(data),
    ...(evals.length ? { eval: JSON.stringify(evals) } : {}),
    commit: gitCommit(),
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`wrote ${out}`);
  console.log(formatModelInfo(onnxModelInfo(bytes)));
});
