/** training/cli/args.ts: the parser, the validators and runCli (--help, one-line errors). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  editDistance,
  existingDir,
  existingFile,
  list,
  nearest,
  oneOf,
  optional,
  parseArgs,
  positiveInt,
  positiveNumber,
  runCli,
  str,
  UsageError,
  writableDir,
  writableFilePath,
} from '../../training/cli/args';

const tmp = mkdtempSync(join(tmpdir(), 'bitsr-args-'));
const file = join(tmp, 'a.txt');
writeFileSync(file, 'x');
mkdirSync(join(tmp, 'sub'));

describe('parseArgs', () => {
  const spec = { flags: ['resume'], options: ['threads', 'scale'], repeated: ['eval-json'] };

  it('options, inline values, flags, repeated options and -h', () => {
    expect(parseArgs(['--threads', '2', '--scale=4', '--resume'], spec)).toEqual({ threads: '2', scale: '4', resume: true });
    expect(parseArgs(['--eval-json', 'a.json', '--eval-json=b.json'], spec)).toEqual({ 'eval-json': 'a.json,b.json' });
    expect(parseArgs(['-h'], spec)).toEqual({ help: true });
    // A negative number is a value, not an option.
    expect(parseArgs(['--threads', '-3'], spec)).toEqual({ threads: '-3' });
  });

  it('unknown options suggest the nearest known one; missing values and stray words are errors', () => {
    expect(() => parseArgs(['--thread', '2'], spec)).toThrow(/^unknown option --thread; did you mean --threads\?$/);
    expect(() => parseArgs(['--zzzzzz'], spec)).toThrow(/^unknown option --zzzzzz$/);
    expect(() => parseArgs(['--threads'], spec)).toThrow(/--threads needs a value/);
    expect(() => parseArgs(['--threads', '--resume'], spec)).toThrow(/--threads needs a value/);
    expect(() => parseArgs(['--resume=yes'], spec)).toThrow(/--resume takes no value/);
    expect(() => parseArgs(['extra'], spec)).toThrow(UsageError);
  });
});

describe('value validators', () => {
  it('numbers: integers, ranges and what they must be', () => {
    expect(positiveInt({ n: '3' }, 'n')).toBe(3);
    expect(positiveInt({}, 'n', 7)).toBe(7);
    for (const bad of ['-3', '0', '2.5', 'abc', '', ' ', '1e400']) expect(() => positiveInt({ n: bad }, 'n'), bad).toThrow(/--n must be a positive integer/);
    expect(() => positiveInt({}, 'n')).toThrow(/--n is required/);
    expect(positiveNumber({ s: '0.5' }, 's')).toBe(0.5);
    expect(() => positiveNumber({ s: '0' }, 's')).toThrow(/positive number/);
    expect(optional({}, 'n', positiveInt)).toBeUndefined();
    expect(() => optional({ n: '-1' }, 'n', positiveInt)).toThrow(UsageError);
  });

  it('enumerations list the allowed values', () => {
    expect(oneOf({ scale: '3' }, 'scale', [2, 3, 4] as const)).toBe(3);
    expect(oneOf({}, 'scale', [2, 3, 4] as const, 4)).toBe(4);
    expect(() => oneOf({ scale: '5' }, 'scale', [2, 3, 4] as const)).toThrow(/^--scale must be 2, 3 or 4 \(got '5'\)$/);
    expect(() => oneOf({}, 'scale', [2, 3, 4] as const)).toThrow(/--scale is required \(2, 3 or 4\)/);
  });

  it('strings and lists', () => {
    expect(str({ a: 'x' }, 'a')).toBe('x');
    expect(() => str({ a: '' }, 'a')).toThrow(/must not be empty/);
    expect(list({ sets: 'a,,b' }, 'sets')).toEqual(['a', 'b']);
    expect(() => list({ sets: ',' }, 'sets')).toThrow(/at least one value/);
  });

  it('edit distance and the nearest name', () => {
    expect(editDistance('ckptEvry', 'ckptEvery')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearest('chanels', ['channels', 'blocks'])).toBe('channels');
    expect(nearest('lrr', ['lr', 'patch'])).toBe('lr');
    expect(nearest('xyz', ['lr', 'patch'])).toBeUndefined();
  });
});

describe('path validators', () => {
  it('inputs must exist and be of the right kind', () => {
    expect(existingDir('--sets', tmp)).toBe(tmp);
    expect(() => existingDir('--sets', join(tmp, 'nope'))).toThrow(/^--sets .*nope: directory not found$/);
    expect(() => existingDir('--sets', file)).toThrow(/not a directory/);
    expect(existingFile('--model', file)).toBe(file);
    expect(() => existingFile('--model', tmp)).toThrow(/not a file/);
    expect(() => existingFile('--model', join(tmp, 'x.onnx'))).toThrow(/file not found/);
  });

  it('an output file path: not a directory, in an existing directory', () => {
    expect(writableFilePath('--json', join(tmp, 'out.json'))).toBe(join(tmp, 'out.json'));
    expect(writableFilePath('--json', file)).toBe(file); // overwrite an existing file
    expect(() => writableFilePath('--json', tmp)).toThrow(/is a directory, expected a file path/);
    expect(() => writableFilePath('--json', join(tmp, 'nope', 'out.json'))).toThrow(/directory .*nope does not exist/);
    expect(() => writableFilePath('--json', join(file, 'out.json'))).toThrow(/a\.txt is not a directory/);
  });

  it('an output directory may be created, unless a file is in the way', () => {
    expect(writableDir('--out', join(tmp, 'new', 'run'))).toBe(join(tmp, 'new', 'run'));
    expect(writableDir('--out', join(tmp, 'sub'))).toBe(join(tmp, 'sub'));
    expect(() => writableDir('--out', file)).toThrow(/exists and is not a directory/);
    expect(() => writableDir('--out', join(file, 'run'))).toThrow(/a\.txt is a file/);
  });
});

describe('runCli', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
    vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
    return { out, err };
  };
  const spec = { options: ['n'] };

  it('--help and -h print the usage and do not run main (exit 0)', async () => {
    for (const argv of [['--help'], ['-h'], ['--bogus', '--help']]) {
      const { out } = capture();
      let ran = false;
      await runCli('usage: x', spec, () => void (ran = true), argv);
      expect(out).toEqual(['usage: x']);
      expect(ran).toBe(false);
      expect(process.exitCode).toBeUndefined();
      vi.restoreAllMocks();
    }
  });

  it('an unknown option: one error line, then the usage, exit 1; main never runs', async () => {
    const { err } = capture();
    let ran = false;
    await runCli('usage: x', spec, () => void (ran = true), ['--m', '1']);
    expect(err).toEqual(["error: unknown option --m; did you mean --n?", 'usage: x']);
    expect(ran).toBe(false);
    expect(process.exitCode).toBe(1);
  });

  it('a runtime error: one line, no usage, no stack', async () => {
    const { err } = capture();
    await runCli('usage: x', spec, () => {
      throw new Error('model is x2, but --scale is 4');
    }, []);
    expect(err).toEqual(['error: model is x2, but --scale is 4']);
    expect(process.exitCode).toBe(1);
  });
});
