/** training/train/config.ts: strict config and --override validation; every shipped config and checkpoint recipe passes. */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOverride, parseTrainConfig, readTrainConfig } from '../../training/train/config';

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? jsonFiles(p) : f.endsWith('.json') ? [p] : [];
  });
}

const base = { net: { scale: 2, channels: 8, blocks: 2 }, patch: 8, batch: 4, steps: 6 };

describe('training config', () => {
  it('every file in training/configs/ (recursively) validates', () => {
    const files = jsonFiles('training/configs');
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(() => readTrainConfig(f), f).not.toThrow();
  });

  it("the shipped checkpoints' recipes validate (what --resume parses)", () => {
    const dirs = readdirSync('models/checkpoints');
    expect(dirs).toEqual(expect.arrayContaining(['x2', 'x3', 'x4']));
    for (const s of dirs) {
      const ck = JSON.parse(readFileSync(`models/checkpoints/${s}/checkpoint.json`, 'utf8'));
      expect(() => parseTrainConfig({ ...ck.train, net: ck.net }), s).not.toThrow();
    }
  });

  it('unknown fields, at any level, name the nearest known one', () => {
    expect(() => parseTrainConfig({ ...base, ckptEvry: 3 })).toThrow("unknown field 'ckptEvry' in config; did you mean 'ckptEvery'?");
    expect(() => parseTrainConfig({ ...base, net: { chanels: 8 } })).toThrow("unknown field 'net.chanels' in config; did you mean 'net.channels'?");
    expect(() => parseTrainConfig({ ...base, distill: { teacher: 'x', lamda: 1 } })).toThrow("unknown field 'distill.lamda' in config; did you mean 'distill.lambda'?");
    expect(() => parseTrainConfig({ ...base, qqqqqqqq: 1 })).toThrow(/unknown field 'qqqqqqqq' in config \(known: .*ckptEvery/);
    // Not fooled by Object.prototype's names.
    expect(() => parseTrainConfig({ ...base, toString: 1 })).toThrow(/unknown field 'toString'/);
  });

  it('types, ranges and enumerations', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ schedule: 'linear' }, /'schedule' must be one of "cosine", "step" \(got "linear"\)/],
      [{ beta1: 5 }, /'beta1' must be a number in \[0, 1\) \(got 5\)/],
      [{ beta2: 1 }, /'beta2' must be a number in \[0, 1\)/],
      [{ seed: 'abc' }, /'seed' must be an integer \(got "abc"\)/],
      [{ patch: 2.5 }, /'patch' must be a positive integer \(got 2.5\)/],
      [{ steps: 0 }, /'steps' must be a positive integer/],
      [{ lr: -1 }, /'lr' must be a positive number/],
      [{ warmupSteps: -1 }, /'warmupSteps' must be a non-negative integer/],
      [{ injectNanAtSteps: [1, 'x'] }, /'injectNanAtSteps' must be an array/],
      [{ distill: 'runs/t' }, /'distill' must be an object/],
      [{ distill: {} }, /'distill.teacher' must be a checkpoint path/],
      [{ net: { scale: 5 } }, /'net.scale' must be one of 2, 3, 4/],
      [{ net: { anchor: 'yes' } }, /'net.anchor' must be true or false/],
      [{ net: { channels: 6 } }, /'net.channels' must be a positive multiple of 4/],
      [{ net: [] }, /'net' must be an object/],
    ];
    for (const [over, re] of bad) expect(() => parseTrainConfig({ ...base, ...over }), JSON.stringify(over)).toThrow(re);
    expect(() => parseTrainConfig([])).toThrow(/must be a JSON object/);
    expect(parseTrainConfig({ ...base, schedule: 'step', seed: -3, distill: { teacher: 't' } })).toMatchObject({ schedule: 'step', seed: -3, distill: { teacher: 't', lambda: 0.4, teacherEngine: 'auto' } });
    expect(() => parseTrainConfig({ ...base, distill: { teacher: 't', teacherEngine: 'gpu' } })).toThrow(/teacherEngine/);
  });

  it('readTrainConfig names the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-cfg-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ ...base, ckptEvry: 3 }));
    expect(() => readTrainConfig(f)).toThrow(`${f}: unknown field 'ckptEvry' in config; did you mean 'ckptEvery'?`);
    writeFileSync(f, '{');
    expect(() => readTrainConfig(f)).toThrow(/cannot read config .*bad\.json/);
  });

  it('--override: the same checks, recipe fields only', () => {
    expect(parseOverride('{"lr":6e-4,"scheduleStart":6000}')).toEqual({ lr: 6e-4, scheduleStart: 6000 });
    expect(() => parseOverride('{"lrr":1}')).toThrow('--override: unknown training field "lrr"; did you mean "lr"?');
    expect(() => parseOverride('{"beta1":5}')).toThrow(/invalid --override: 'beta1' must be a number in \[0, 1\)/);
    expect(() => parseOverride('{"schedule":"linear"}')).toThrow(/"cosine", "step"/);
    expect(() => parseOverride('{"distill":{"teacher":"t","gama":1}}')).toThrow(/unknown field 'distill.gama' in --override; did you mean 'distill.gamma'\?/);
    expect(() => parseOverride('{"net":{}}')).toThrow(/cannot change the network/);
    expect(() => parseOverride('[1]')).toThrow(/must be a JSON object/);
  });
});
