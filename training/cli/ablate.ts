/**
 * npm run ablate -- --data <dir>[,<dir>] --val <dir> --steps N [--scale 4] [--workers N] [--out runs/ablate]
 * Re-runs the paper's ablation (docs/method.md) at a small fixed budget: every variant gets the same
 * steps, data, seed and recipe; the table reports the best Set5 (validation) PSNR of each.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_NET, type NetConfig } from '../../src/model/config';
import { parseTrainConfig } from '../train/config';
import { train } from '../train/trainer';
import { existingDir, isMain, list, oneOf, optStr, positiveInt, runCli, str, UsageError, writableDir, writableFilePath, type Args } from './args';

const USAGE = `usage: npm run ablate -- --data <dir>[,<dir>] --val <dir> --steps N [--scale 2|3|4] [--channels C] [--blocks B] [--workers 1|2|4|8] [--out runs/ablate] [--json out.json]
  Trains every variant of the paper's ablation for N steps (batch 16; --workers splits it, at
  least 2 patches each for the BatchNorm row) and prints the best validation PSNR of each.`;

interface Variant {
  name: string;
  net: Partial<NetConfig>;
  distill?: boolean;
}

// Paper's ablation ladder (VDSR x2 in the paper; here the LR-space net at the chosen scale).
// The anchor skip is bitsr's addition, so it is off for the paper's rows and added last.
const VARIANTS: Variant[] = [
  { name: 'with BN (no BTM)', net: { block: 'basic', batchNorm: true, btm: false, activation: 'prelu' } },
  { name: 'no BN, no BTM', net: { block: 'basic', batchNorm: false, btm: false, activation: 'relu' } },
  { name: 'BTM', net: { block: 'basic' } },
  { name: '+MRB', net: { block: 'mrb' } },
  { name: '+distillation', net: { block: 'mrb' }, distill: true },
  { name: '+regulable activation', net: { block: 'mrb', activation: 'rprelu' }, distill: true },
  { name: '+anchor (bitsr)', net: { block: 'mrb', activation: 'rprelu', anchor: true }, distill: true },
];

export const ABLATE_SPEC = { options: ['data', 'val', 'steps', 'scale', 'channels', 'blocks', 'workers', 'out', 'json'] };
const BATCH = 16;

/** All of ablate's argument checks, before the first of its eight trainings. */
export function validateAblateArgs(a: Args) {
  const data = list(a, 'data').map((d) => existingDir('--data', d));
  const val = existingDir('--val', str(a, 'val'));
  const steps = positiveInt(a, 'steps');
  const scale = oneOf(a, 'scale', [2, 3, 4] as const, 4);
  const channels = positiveInt(a, 'channels', 32);
  if (channels % 4 !== 0) throw new UsageError(`--channels must be a multiple of 4 (got ${channels})`);
  const blocks = positiveInt(a, 'blocks', 8);
  const workers = oneOf(a, 'workers', [1, 2, 4, 8] as const, Math.min(2, availableParallelism()) as 1 | 2);
  const out = writableDir('--out', str(a, 'out', 'runs/ablate'));
  const json = optStr(a, 'json');
  if (json !== undefined) writableFilePath('--json', json);
  return { data, val, steps, scale, channels, blocks, workers, out, json };
}

async function main(a: Args): Promise<void> {
  const { data, val, steps, scale, channels, blocks, workers, out, json } = validateAblateArgs(a);
  const base: NetConfig = { ...DEFAULT_NET, scale, channels, blocks, anchor: false };
  const recipe = { patch: 24, batch: BATCH, steps, lr: 2e-4, schedule: 'cosine', valEvery: steps, ckptEvery: steps, logEvery: 20, seed: 1 };
  const t0 = Date.now();

  // The distillation teacher: the full-precision MRB twin, trained at the same budget.
  const teacherDir = join(out, 'teacher-fp');
  const needTeacher = VARIANTS.some((v) => v.distill);
  const rows: Array<{ variant: string; psnr: number | null; seconds: number }> = [];
  if (needTeacher) {
    const t = Date.now();
    const r = await train({ config: parseTrainConfig({ ...recipe, net: { ...base, block: 'mrb', binary: false } }), data, val, out: teacherDir, workers, quiet: true });
    rows.push({ variant: 'full-precision teacher (reference)', psnr: r.bestPsnr, seconds: (Date.now() - t) / 1000 });
    console.error(`teacher: ${r.bestPsnr?.toFixed(2)} dB`);
  }
  for (const [i, v] of VARIANTS.entries()) {
    const t = Date.now();
    const config = parseTrainConfig({ ...recipe, net: { ...base, ...v.net }, ...(v.distill ? { distill: { teacher: teacherDir } } : {}) });
    const r = await train({ config, data, val, out: join(out, `v${i}`), workers, quiet: true });
    rows.push({ variant: v.name, psnr: r.bestPsnr, seconds: (Date.now() - t) / 1000 });
    console.error(`${v.name}: ${r.bestPsnr?.toFixed(2)} dB`);
  }
  console.log(`ablation x${scale}, C${base.channels} B${base.blocks}, ${steps} steps each (batch 16, LR patch 24), ${workers} workers, ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  console.log('| variant | Set5 PSNR (dB) | wall s |');
  console.log('|---|---|---|');
  for (const r of rows) console.log(`| ${r.variant} | ${r.psnr === null ? '-' : r.psnr.toFixed(2)} | ${r.seconds.toFixed(0)} |`);
  if (json !== undefined) writeFileSync(json, JSON.stringify({ scale, steps, workers, rows }, null, 2) + '\n');
}

if (isMain(import.meta.url)) await runCli(USAGE, ABLATE_SPEC, main);
