/**
 * npm run ablate -- --data <dir>[,<dir>] --val <dir> --steps N [--scale 4] [--jobs N] [--rows id,…] [--out runs/ablate]
 * Re-runs the paper's ablation (docs/method.md) at a fixed budget: every variant gets the same
 * steps, data, seed and recipe, and two rows get a second seed so the table shows the seed noise.
 *
 * Each row is its own training process (`--row <id>`), so rows run side by side (`--jobs`) without
 * sharing a tfjs engine. A row is resumable: it checkpoints every 500 steps and writes
 * `<out>/<id>/result.json` when done; a re-run skips finished rows and resumes the others, so a
 * ladder longer than one sitting is finished by running the same command again.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_NET, type NetConfig } from '../../src/model/config';
import { parseTrainConfig } from '../train/config';
import { train } from '../train/trainer';
import { existingDir, isMain, list, oneOf, optStr, positiveInt, runCli, str, UsageError, writableDir, writableFilePath, type Args } from './args';

export interface AblationRow {
  id: string;
  name: string;
  net: Partial<NetConfig>;
  distill?: boolean;
  seed?: number;
  /** The row this one is a rung over (its PSNR difference is the rung's gain). */
  over?: string;
  /** The paper's gain for this rung (VDSR x2, Set5, dB). */
  paper?: number;
  /** A second seed of this row. */
  seedOf?: string;
}

// The paper's ladder (VDSR x2 in the paper; here the LR-space net at the chosen scale). The anchor
// skip is bitsr's addition, so it is off for the paper's rows and added last.
export const ROWS: AblationRow[] = [
  { id: 'teacher', name: 'full-precision MRB teacher (reference)', net: { block: 'mrb', binary: false } },
  { id: 'bn', name: 'with BN (no BTM)', net: { block: 'basic', batchNorm: true, btm: false, activation: 'prelu' } },
  { id: 'nobn', name: 'no BN, no BTM', net: { block: 'basic', batchNorm: false, btm: false, activation: 'relu' } },
  { id: 'btm', name: 'BTM', net: { block: 'basic' }, over: 'bn' },
  { id: 'mrb', name: '+MRB', net: { block: 'mrb' }, over: 'btm', paper: 0.1 },
  { id: 'distill', name: '+distillation', net: { block: 'mrb' }, distill: true, over: 'mrb', paper: 0.05 },
  { id: 'rprelu', name: '+regulable activation', net: { block: 'mrb', activation: 'rprelu' }, distill: true, over: 'distill', paper: 0.03 },
  { id: 'anchor', name: '+anchor (bitsr)', net: { block: 'mrb', activation: 'rprelu', anchor: true }, distill: true, over: 'rprelu' },
  { id: 'btm-seed2', name: 'BTM, seed 2', net: { block: 'basic' }, seed: 2, seedOf: 'btm' },
  { id: 'anchor-seed2', name: '+anchor (bitsr), seed 2', net: { block: 'mrb', activation: 'rprelu', anchor: true }, distill: true, seed: 2, seedOf: 'anchor' },
];
const ROW_IDS = ROWS.map((r) => r.id);

const USAGE = `usage: npm run ablate -- --data <dir>[,<dir>] --val <dir> --steps N [--scale 2|3|4] [--channels C] [--blocks B]
    [--workers 1|2|4|8] [--jobs N] [--rows id,…] [--out runs/ablate] [--json out.json]
  Trains every row of the paper's ablation for N steps (batch 16; --workers splits a row's batch,
  at least 2 patches each for the BatchNorm row; --jobs rows run at once, default: cores ÷ workers)
  and prints each row's validation PSNR at the last step, the step to the row above and the seed
  noise. Finished rows are kept in --out and skipped when the command is run again.
  Rows: ${ROW_IDS.join(', ')}.`;

export const ABLATE_SPEC = { options: ['data', 'val', 'steps', 'scale', 'channels', 'blocks', 'workers', 'jobs', 'rows', 'out', 'json', 'row'] };
const BATCH = 16;
const CKPT_EVERY = 500;

/** All of ablate's argument checks, before the first training. */
export function validateAblateArgs(a: Args) {
  const data = list(a, 'data').map((d) => existingDir('--data', d));
  const val = existingDir('--val', str(a, 'val'));
  const steps = positiveInt(a, 'steps');
  const scale = oneOf(a, 'scale', [2, 3, 4] as const, 4);
  const channels = positiveInt(a, 'channels', 32);
  if (channels % 4 !== 0) throw new UsageError(`--channels must be a multiple of 4 (got ${channels})`);
  const blocks = positiveInt(a, 'blocks', 8);
  const workers = oneOf(a, 'workers', [1, 2, 4, 8] as const, 1);
  const jobs = positiveInt(a, 'jobs', Math.max(1, Math.floor(availableParallelism() / workers)));
  const rows = list(a, 'rows', ROW_IDS.join(','));
  for (const r of rows) if (!ROW_IDS.includes(r)) throw new UsageError(`--rows: unknown row '${r}' (rows: ${ROW_IDS.join(', ')})`);
  // Distillation rows need the teacher's weights: it runs first whenever they do.
  if (rows.some((r) => ROWS.find((x) => x.id === r)!.distill) && !rows.includes('teacher')) rows.unshift('teacher');
  const row = optStr(a, 'row');
  if (row !== undefined && !ROW_IDS.includes(row)) throw new UsageError(`--row: unknown row '${row}' (rows: ${ROW_IDS.join(', ')})`);
  const out = writableDir('--out', str(a, 'out', 'runs/ablate'));
  const json = optStr(a, 'json');
  if (json !== undefined) writableFilePath('--json', json);
  return { data, val, steps, scale, channels, blocks, workers, jobs, rows, row, out, json };
}
type Opts = ReturnType<typeof validateAblateArgs>;

interface RowResult {
  id: string;
  name: string;
  steps: number;
  psnr: number | null;
  seconds: number;
}

const resultPath = (o: Opts, id: string) => join(o.out, id, 'result.json');

function readResult(o: Opts, id: string): RowResult | undefined {
  const p = resultPath(o, id);
  if (!existsSync(p)) return undefined;
  const r = JSON.parse(readFileSync(p, 'utf8')) as RowResult;
  return r.steps === o.steps ? r : undefined;
}

/** One row, in this process: fresh, or resumed from its last checkpoint. */
async function runRow(o: Opts, id: string): Promise<void> {
  const v = ROWS.find((r) => r.id === id)!;
  const base: NetConfig = { ...DEFAULT_NET, scale: o.scale, channels: o.channels, blocks: o.blocks, anchor: false };
  const recipe = { patch: 24, batch: BATCH, steps: o.steps, lr: 2e-4, schedule: 'cosine', valEvery: o.steps, ckptEvery: CKPT_EVERY, logEvery: 100, seed: v.seed ?? 1 };
  const dir = join(o.out, id);
  const config = parseTrainConfig({ ...recipe, net: { ...base, ...v.net }, ...(v.distill ? { distill: { teacher: join(o.out, 'teacher') } } : {}) });
  const resume = existsSync(join(dir, 'checkpoint.json'));
  // Wall time over every sitting of the row, saved as it goes (a killed sitting keeps its share).
  const elapsedPath = join(dir, 'elapsed.json');
  const before = resume && existsSync(elapsedPath) ? (JSON.parse(readFileSync(elapsedPath, 'utf8')) as { seconds: number }).seconds : 0;
  const t = Date.now();
  const seconds = () => before + (Date.now() - t) / 1000;
  const r = await train({
    config, data: o.data, val: o.val, out: dir, workers: o.workers, quiet: true, resume, steps: o.steps,
    afterStep: (step) => {
      if (step % 100 === 0) writeFileSync(elapsedPath, JSON.stringify({ seconds: seconds() }) + '\n');
    },
  });
  const result: RowResult = { id, name: v.name, steps: o.steps, psnr: r.history.find((h) => h.step === o.steps)?.psnr ?? r.bestPsnr, seconds: seconds() };
  writeFileSync(resultPath(o, id), JSON.stringify(result, null, 2) + '\n');
}

/** Runs `--row id` in a child process (its own tfjs engine and workers). */
function spawnRow(argv: string[], id: string): Promise<void> {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), ...argv.filter((x) => x !== '--'), '--row', id];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`row ${id} failed (exit ${code})`))));
  });
}

/** The table: each row's PSNR, each rung's step over the row below it, and the seed noise. */
export function ladder(results: Map<string, RowResult>) {
  const psnr = (id: string) => results.get(id)?.psnr ?? null;
  const spreads = ROWS.filter((r) => r.seedOf).flatMap((r) => {
    const a = psnr(r.id);
    const b = psnr(r.seedOf!);
    return a !== null && b !== null ? [Math.abs(a - b)] : [];
  });
  const noise = spreads.length ? Math.max(...spreads) : null;
  const rows = ROWS.filter((r) => results.has(r.id)).map((r) => {
    const p = psnr(r.id);
    const below = r.over ? psnr(r.over) : null;
    const gain = p !== null && below !== null ? p - below : null;
    return {
      id: r.id,
      name: r.name,
      psnr: p,
      seconds: results.get(r.id)!.seconds,
      ...(r.over ? { over: r.over, gain } : {}),
      ...(r.paper !== undefined ? { paperGain: r.paper, signMatchesPaper: gain === null ? null : Math.sign(gain) === Math.sign(r.paper) } : {}),
      ...(r.over ? { beyondNoise: gain === null || noise === null ? null : Math.abs(gain) > noise } : {}),
    };
  });
  return { noise, rows };
}

async function main(a: Args): Promise<void> {
  const o = validateAblateArgs(a);
  if (o.row) return runRow(o, o.row);
  const t0 = Date.now();
  const results = new Map<string, RowResult>();
  for (const id of ROW_IDS) {
    const r = readResult(o, id);
    if (r) results.set(id, r);
  }
  const pending = o.rows.filter((id) => !results.has(id));
  const say = (s: string) => console.error(`[ablate] ${s}`);
  say(`${results.size} rows done in ${o.out}; to run: ${pending.join(', ') || 'none'} (${o.jobs} at once)`);
  // A small pool: a distillation row waits for the teacher.
  const running = new Map<string, Promise<void>>();
  const ready = (id: string) => !ROWS.find((r) => r.id === id)!.distill || results.has('teacher');
  while (pending.length || running.size) {
    const next = running.size < o.jobs ? pending.findIndex(ready) : -1;
    if (next >= 0) {
      const id = pending.splice(next, 1)[0];
      say(`row ${id} …`);
      running.set(
        id,
        spawnRow(process.argv.slice(2), id).then(() => {
          running.delete(id);
          const r = readResult(o, id);
          if (!r) throw new Error(`row ${id} wrote no result`);
          results.set(id, r);
          say(`row ${id}: ${r.psnr?.toFixed(3)} dB, ${r.seconds.toFixed(0)} s`);
        }),
      );
      continue;
    }
    if (!running.size) throw new Error(`rows ${pending.join(', ')} cannot start: the teacher row has no result`);
    await Promise.race(running.values());
  }
  const t = ladder(results);
  console.log(`ablation x${o.scale}, C${o.channels} B${o.blocks}, ${o.steps} steps each (batch 16, LR patch 24, cosine 2e-4), Set5 PSNR at the last step; this run ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  console.log(`seed noise (largest |seed 1 − seed 2| over the seeded rows): ${t.noise === null ? '-' : t.noise.toFixed(3)} dB`);
  console.log('| row | Set5 PSNR (dB) | gain over | paper gain (x2) | sign as paper | beyond noise | wall s |');
  console.log('|---|---|---|---|---|---|---|');
  const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? '-' : x.toFixed(d));
  const yn = (x: boolean | null | undefined) => (x === null || x === undefined ? '-' : x ? 'yes' : 'no');
  for (const r of t.rows) {
    const gain = 'gain' in r ? `${f(r.gain)} (${r.over})` : '-';
    console.log(`| ${r.name} | ${f(r.psnr)} | ${gain} | ${'paperGain' in r ? `+${r.paperGain}` : '-'} | ${'signMatchesPaper' in r ? yn(r.signMatchesPaper) : '-'} | ${'beyondNoise' in r ? yn(r.beyondNoise) : '-'} | ${r.seconds.toFixed(0)} |`);
  }
  if (o.json !== undefined) writeFileSync(o.json, JSON.stringify({ scale: o.scale, channels: o.channels, blocks: o.blocks, steps: o.steps, workers: o.workers, ...t }, null, 2) + '\n');
}

if (isMain(import.meta.url)) await runCli(USAGE, ABLATE_SPEC, main);
