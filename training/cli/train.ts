/** npm run train -- --config <json> --data <dir>[,<dir>] --val <dir> --out <run dir> [--resume] [--steps N] [--workers N] [--init-from <ckpt>] [--override <json>] */
import { availableParallelism } from 'node:os';
import { parseOverride, readTrainConfig } from '../train/config';
import { train } from '../train/trainer';
import { int, parseArgs, runCli, str } from './args';

const USAGE = `usage: npm run train -- --config <json> --data <dir>[,<dir>] --out <run dir> [--val <dir>] [--resume] [--steps N] [--workers N] [--init-from <checkpoint>]
  Trains a bitsr network (config: training/configs/*.json). Writes <out>/checkpoint.json (every
  ckptEvery steps and on Ctrl-C), <out>/best.json (best validation PSNR) and <out>/log.jsonl.
  --resume continues exactly from <out>/checkpoint.json. --workers defaults to the core count. --init-from starts from another run's weights where
  names and shapes match (e.g. an x3/x4 net from the x2 trunk; the tail differs and stays fresh).
  --override merges recipe fields into the config, also on --resume (e.g. '{"lr":6e-4,"lrBinaryScale":0.33}');
  the network itself cannot be overridden.`;

await runCli(USAGE, async () => {
  const a = parseArgs(process.argv.slice(2), { flags: ['resume', 'quiet'], options: ['config', 'data', 'val', 'out', 'steps', 'workers', 'init-from', 'override'] });
  const config = readTrainConfig(str(a, 'config'));
  const r = await train({
    config,
    data: str(a, 'data').split(',').filter(Boolean),
    val: typeof a.val === 'string' ? a.val : undefined,
    out: str(a, 'out'),
    resume: a.resume === true,
    steps: a.steps ? int(a, 'steps') : undefined,
    workers: a.workers ? int(a, 'workers') : Math.min(availableParallelism(), config.batch),
    quiet: a.quiet === true,
    initFrom: typeof a['init-from'] === 'string' ? a['init-from'] : undefined,
    override: typeof a.override === 'string' ? parseOverride(a.override) : undefined,
  });
  console.log(JSON.stringify({ step: r.step, lastLoss: r.lastLoss, bestPsnr: r.bestPsnr, skipped: r.skipped }));
});
