/** npm run train -- --config <json> --data <dir>[,<dir>] --val <dir> --out <run dir> [--resume] [--steps N] [--workers N] [--init-from <ckpt>] [--override <json>] */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseOverride, readTrainConfig } from '../train/config';
import { train, type TrainOptions } from '../train/trainer';
import { existingDir, existingFile, existingPath, isMain, list, optional, optStr, positiveInt, runCli, str, UsageError, writableDir, type Args } from './args';

const USAGE = `usage: npm run train -- --config <json> --data <dir>[,<dir>] --out <run dir> [--val <dir>] [--resume] [--steps N] [--workers N] [--init-from <checkpoint>] [--override <json>] [--quiet]
  Trains a bitsr network (config: training/configs/*.json). Writes <out>/checkpoint.json (every
  ckptEvery steps and on Ctrl-C), <out>/best.json (best validation PSNR) and <out>/log.jsonl.
  --resume continues exactly from <out>/checkpoint.json. --workers defaults to the core count. --init-from starts from another run's weights where
  names and shapes match (e.g. an x3/x4 net from the x2 trunk; the tail differs and stays fresh).
  --override merges recipe fields into the config, also on --resume (e.g. '{"lr":6e-4,"lrBinaryScale":0.33}');
  the network itself cannot be overridden. --steps N (> 0) sets the run's total steps.`;

export const TRAIN_SPEC = { flags: ['resume', 'quiet'], options: ['config', 'data', 'val', 'out', 'steps', 'workers', 'init-from', 'override'] };

/** All of train's argument checks (the config strictly, paths, numbers), before any work. */
export function validateTrainArgs(a: Args, cores = availableParallelism()): TrainOptions {
  const config = readTrainConfig(existingFile('--config', str(a, 'config')));
  const data = list(a, 'data').map((d) => existingDir('--data', d));
  const val = optStr(a, 'val');
  if (val !== undefined) existingDir('--val', val);
  const out = writableDir('--out', str(a, 'out'));
  const steps = optional(a, 'steps', positiveInt);
  const workers = optional(a, 'workers', positiveInt);
  const override = optional(a, 'override', (x, k) => parseOverride(str(x, k)));
  const initFrom = optStr(a, 'init-from');
  if (initFrom !== undefined) existingPath('--init-from', initFrom);
  const resume = a.resume === true;
  if (resume && !existsSync(join(out, 'checkpoint.json'))) throw new UsageError(`--resume: ${join(out, 'checkpoint.json')} does not exist (nothing to resume; drop --resume to start a new run)`);
  // On --resume the checkpoint's batch applies (the trainer checks it there).
  const batch = override?.batch ?? config.batch;
  if (workers !== undefined && !resume && batch % workers !== 0) throw new UsageError(`--workers ${workers} must divide the batch (${batch})`);
  return {
    config,
    data,
    val,
    out,
    resume,
    steps,
    // The default: as many workers as cores that divide the batch evenly.
    workers: workers ?? defaultWorkers(cores, batch),
    quiet: a.quiet === true,
    initFrom,
    override,
  };
}

function defaultWorkers(cores: number, batch: number): number {
  for (let w = Math.min(cores, batch); w > 1; w--) if (batch % w === 0) return w;
  return 1;
}

if (isMain(import.meta.url)) {
  await runCli(USAGE, TRAIN_SPEC, async (a) => {
    const r = await train(validateTrainArgs(a));
    console.log(JSON.stringify({ step: r.step, lastLoss: r.lastLoss, bestPsnr: r.bestPsnr, skipped: r.skipped }));
  });
}
