/** Each CLI's argument checks (validate*Args), run in-process: everything is rejected before any work starts. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ABLATE_SPEC, validateAblateArgs } from '../../training/cli/ablate';
import { parseArgs, type Args } from '../../training/cli/args';
import { validateBenchTrainArgs } from '../../training/cli/benchTrain';
import { EVAL_SPEC, validateEvalArgs } from '../../training/cli/eval';
import { EXPORT_SPEC, validateExportArgs } from '../../training/cli/export';
import { validateResultsArgs } from '../../training/cli/resultsTable';
import { TRAIN_SPEC, validateTrainArgs } from '../../training/cli/train';
import { writePng } from '../../training/io/imageIO';
import { parseArgs as parseBenchInfer } from '../../bench/infer';
import { randomImage } from '../helpers/synthetic';

const tmp = mkdtempSync(join(tmpdir(), 'bitsr-cliv-'));
const set = join(tmp, 'Set');
writePng(join(set, 'a.png'), randomImage(24, 24));
const model = join(tmp, 'm.onnx');
writeFileSync(model, 'not checked here');
const config = join(tmp, 'cfg.json');
writeFileSync(config, JSON.stringify({ net: { scale: 2, channels: 8, blocks: 1 }, patch: 8, batch: 4, steps: 4 }));
const run = join(tmp, 'run');
mkdirSync(run);

/** Expects `f` to throw a message matching `re` for each argv. */
function rejects(f: (a: Args) => unknown, spec: Parameters<typeof parseArgs>[1], cases: Array<[string[], RegExp | string]>): void {
  for (const [argv, re] of cases) expect(() => f(parseArgs(argv, spec)), argv.join(' ')).toThrow(re);
}

describe('eval', () => {
  const ok = ['--model', model, '--scale', '2', '--sets', set];
  it('accepts good arguments', () => {
    expect(validateEvalArgs(parseArgs([...ok, '--json', join(tmp, 'out.json'), '--threads', '2'], EVAL_SPEC))).toMatchObject({ scale: 2, threads: 2, sets: [set] });
    expect(validateEvalArgs(parseArgs(['--model', 'bicubic', '--scale', '4', '--sets', `${set},${set}`], EVAL_SPEC)).sets).toEqual([set, set]);
  });
  it('rejects bad values and paths before loading the model', () => {
    rejects(validateEvalArgs, EVAL_SPEC, [
      [[...ok, '--threads', '-3'], "--threads must be a positive integer (got '-3')"],
      [[...ok, '--json', tmp], /--json .*: is a directory, expected a file path/],
      [[...ok, '--json', join(tmp, 'nope', 'o.json')], /--json .*: directory .*nope does not exist/],
      [[...ok, '--save', join(model, 'x')], /--save .*m\.onnx is a file/],
      [['--model', model, '--scale', '5', '--sets', set], "--scale must be 2, 3 or 4 (got '5')"],
      [['--model', join(tmp, 'no.onnx'), '--scale', '2', '--sets', set], /--model .*no\.onnx: file not found/],
      [['--model', model, '--scale', '2', '--sets', `${set},${join(tmp, 'Set14')}`], /--sets .*Set14: directory not found/],
      [['--model', model, '--scale', '2'], '--sets is required'],
    ]);
  });
});

describe('train', () => {
  const ok = ['--config', config, '--data', set, '--out', join(tmp, 'newrun')];
  it('accepts good arguments; the default workers divide the batch', () => {
    const v = validateTrainArgs(parseArgs([...ok, '--steps', '3', '--override', '{"lr":1e-3}'], TRAIN_SPEC), 3);
    expect(v).toMatchObject({ steps: 3, override: { lr: 1e-3 }, workers: 2, resume: false });
  });
  it('rejects bad steps, workers, config, override, and --resume without a checkpoint', () => {
    rejects((a) => validateTrainArgs(a, 2), TRAIN_SPEC, [
      [[...ok, '--steps', '0'], "--steps must be a positive integer (got '0')"],
      [[...ok, '--steps', '-5'], "--steps must be a positive integer (got '-5')"],
      [[...ok, '--workers', '0'], /--workers must be a positive integer/],
      [[...ok, '--workers', '3'], '--workers 3 must divide the batch (4)'],
      [[...ok, '--override', '{"beta1":5}'], /invalid --override: 'beta1'/],
      [[...ok, '--override', '{"ckptEvry":5}'], /did you mean "ckptEvery"/],
      [['--config', config, '--data', set, '--out', run, '--resume'], /--resume: .*run\/checkpoint\.json does not exist/],
      [['--config', join(tmp, 'none.json'), '--data', set, '--out', run], /--config .*none\.json: file not found/],
      [['--config', config, '--data', join(tmp, 'nodata'), '--out', run], /--data .*nodata: directory not found/],
      [[...ok, '--val', join(tmp, 'noval')], /--val .*noval: directory not found/],
      [['--config', config, '--data', set, '--out', model], /--out .*: exists and is not a directory/],
      [[...ok, '--init-from', join(tmp, 'nock')], /--init-from .*nock: not found/],
    ]);
  });
});

describe('ablate, export, results:table, bench:train', () => {
  const ablateSpec = ABLATE_SPEC;
  it('ablate', () => {
    const ok = ['--data', set, '--val', set, '--steps', '10', '--out', join(tmp, 'abl')];
    expect(validateAblateArgs(parseArgs(ok, ablateSpec))).toMatchObject({ steps: 10, scale: 4, channels: 32 });
    rejects(validateAblateArgs, ablateSpec, [
      [[...ok.slice(0, 4), '--steps', '0'], /--steps must be a positive integer/],
      [[...ok, '--scale', '8'], /--scale must be 2, 3 or 4/],
      [[...ok, '--channels', '6'], /--channels must be a multiple of 4/],
      [[...ok, '--workers', '16'], /--workers must be 1, 2, 4 or 8/],
      [[...ok, '--json', tmp], /--json .*is a directory/],
      [[...ok, '--rows', 'btm,mbr'], /--rows: unknown row 'mbr'/],
      [[...ok, '--jobs', '0'], /--jobs must be a positive integer/],
    ]);
    // Distillation rows bring their teacher along.
    expect(validateAblateArgs(parseArgs([...ok, '--rows', 'distill'], ablateSpec)).rows).toEqual(['teacher', 'distill']);
  });
  it('export', () => {
    expect(validateExportArgs(parseArgs(['--info', model], EXPORT_SPEC))).toEqual({ info: model });
    rejects(validateExportArgs, EXPORT_SPEC, [
      [['--info', model, '--out', 'x.onnx'], '--info cannot be combined with --out'],
      [['--checkpoint', join(tmp, 'nock'), '--out', join(tmp, 'x.onnx')], /--checkpoint .*nock: not found/],
      [['--checkpoint', run, '--out', tmp], /--out .*is a directory/],
      [['--checkpoint', run, '--out', join(tmp, 'x.onnx'), '--eval-json', join(tmp, 'e.json')], /--eval-json .*e\.json: file not found/],
    ]);
  });
  it('results:table', () => {
    const spec = { options: ['dir', 'write'] };
    rejects(validateResultsArgs, spec, [
      [['--dir', join(tmp, 'noeval')], /--dir .*noeval: directory not found/],
      [['--dir', tmp, '--write', join(tmp, 'README.md')], /--write .*README\.md: file not found/],
    ]);
  });
  it('bench:train', () => {
    const spec = { flags: ['json', 'distill'], options: ['config', 'workers', 'steps', 'teacher-engine', 'rounds', 'vs'] };
    expect(validateBenchTrainArgs(parseArgs(['--config', config], spec), 2)).toMatchObject({ workers: 2, steps: 48, rounds: 2, teacherEngine: 'auto' });
    expect(validateBenchTrainArgs(parseArgs(['--config', config, '--distill', '--teacher-engine', 'tfjs', '--rounds', '3'], spec), 2)).toMatchObject({ rounds: 3, teacherEngine: 'tfjs' });
    expect(validateBenchTrainArgs(parseArgs(['--config', config, '--vs', config], spec), 2).vs).toMatchObject({ path: config });
    rejects((a) => validateBenchTrainArgs(a, 2), spec, [
      [['--config', config, '--distill', '--teacher-engine', 'gpu'], /--teacher-engine must be one of auto, ort, tfjs \(got gpu\)/],
      [['--config', config, '--rounds', '3'], /--rounds goes with --vs or --distill/],
      [['--config', config, '--teacher-engine', 'ort'], /--teacher-engine goes with --distill/],
      [['--config', config, '--distill', '--vs', config], /--vs and --distill are two different comparisons/],
      [['--config', config, '--vs', join(tmp, 'none.json')], /--vs .*none\.json: file not found/],
      [['--config', config, '--steps', '4'], /--steps must be at least 8/],
      [['--config', config, '--workers', '3'], /--workers 3 must divide the config's batch \(4\)/],
      [['--config', join(tmp, 'none.json')], /file not found/],
    ]);
  });
});

describe('bench:infer', () => {
  it('checks its arguments before Chromium starts; --help gives null', () => {
    expect(parseBenchInfer(['--help'])).toBeNull();
    expect(parseBenchInfer(['--', '--images', set, '--scales', '2,4', '--limit', '3'])).toMatchObject({ scales: [2, 4], limit: 3, webgpu: true, tiers: ['lite'] });
    expect(parseBenchInfer(['--images', set, '--tier', 'full'])).toMatchObject({ tiers: ['full'] });
    expect(parseBenchInfer(['--images', set, '--tier', 'both'])).toMatchObject({ tiers: ['lite', 'full'] });
    for (const [argv, re] of [
      [['--images', set, '--limit', '0'], /--limit must be a positive integer/],
      [['--images', set, '--scales', '2,5'], /--scales must be distinct values from 2, 3, 4/],
      [['--images', join(tmp, 'none')], /--images .*none: directory not found/],
      [['--images', set, '--models', set, '--random-models'], /not both/],
      [['--images', set, '--json', tmp], /--json .*is a directory/],
      [['--images', set, '--bogus'], /unknown option --bogus/],
      [['--images', set, '--tier', 'huge'], /--tier must be lite, full or both \(got 'huge'\)/],
      [['--images', set, '--tier', 'full', '--random-models'], /--tier full needs trained models/],
      [['--images', set, '--tier', 'both', '--random-models'], /--tier both needs trained models/],
    ] as Array<[string[], RegExp]>) expect(() => parseBenchInfer(argv), argv.join(' ')).toThrow(re);
  });
});
