/**
 * eval with bad images: failures are named per file and the rest is still measured; and the CLIs'
 * --help / bad-option behaviour as a user sees it (a few spawned processes, the rest in-process
 * in tests/unit/cliValidation.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bicubicUpscaler, evaluateSet, minImageSide, sizeProblem } from '../../training/eval/evaluate';
import { encodePng, writePng } from '../../training/io/imageIO';
import { randomImage, smoothImage } from '../helpers/synthetic';

const tmp = mkdtempSync(join(tmpdir(), 'bitsr-evalcli-'));

const exec = (cmd: string, args: string[]) =>
  promisify(execFile)(cmd, args, { encoding: 'utf8' }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );
const tsx = (args: string[]) => exec('npx', ['tsx', ...args]);

/** A set with two good images, a truncated PNG, a non-image with a .png name and one image too small for x4. */
function badSet(name: string): string {
  const dir = join(tmp, name, 'HR');
  writePng(join(dir, 'a.png'), smoothImage(40, 36));
  writePng(join(dir, 'b.png'), randomImage(24, 28, 2));
  const png = encodePng(randomImage(32, 32, 3));
  writeFileSync(join(dir, 'broken.png'), png.subarray(0, png.length >> 1));
  writeFileSync(join(dir, 'notes.png'), 'not an image');
  writePng(join(dir, 'tiny.png'), randomImage(19, 40, 4));
  return join(tmp, name);
}

describe('evaluateSet with bad images', () => {
  it('names each failure by file, measures the rest', async () => {
    const r = await evaluateSet(badSet('Set5'), 4, bicubicUpscaler(4));
    expect(r.images).toBe(2);
    expect(r.perImage.map((x) => x.name)).toEqual(['a', 'b']);
    expect(Number.isFinite(r.psnr)).toBe(true);
    expect(r.failures.map((f) => f.file)).toEqual(['broken.png', 'notes.png', 'tiny.png']);
    for (const f of r.failures) expect(f.set).toBe('Set5');
    expect(r.failures[0].error).toMatch(/^cannot decode/);
    expect(r.failures[0].error).not.toContain(tmp); // the set/file name says where
    expect(r.failures[1].error).toMatch(/^cannot decode/);
    expect(r.failures[2].error).toBe(
      'too small: image is 19×40; Evaluate at x4 needs at least 20×20 pixels (cropped to a multiple of 4, 4 px shaved per border, 11×11 SSIM window)',
    );
  });

  it('the minimum side is exact: min passes the protocol, min - 1 is reported', async () => {
    expect([2, 3, 4].map(minImageSide)).toEqual([16, 18, 20]);
    for (const s of [2, 3, 4]) {
      const m = minImageSide(s);
      const dir = join(tmp, `min${s}`);
      writePng(join(dir, 'ok.png'), randomImage(m, m + 1, s));
      writePng(join(dir, 'small.png'), randomImage(m + 5, m - 1, s));
      const r = await evaluateSet(dir, s, bicubicUpscaler(s));
      expect(r.perImage.map((x) => x.name), `x${s}`).toEqual(['ok']);
      expect(r.failures.map((f) => f.file)).toEqual(['small.png']);
      expect(sizeProblem(m, m, s)).toBeNull();
    }
  });
});

describe('CLIs as a user runs them', () => {
  it('eval: reports failures, prints the table, writes --json with a failures list, exits 1 at the end', async () => {
    const set5 = badSet('Set5cli');
    const set14 = join(tmp, 'Set14');
    writePng(join(set14, 'c.png'), smoothImage(32, 32));
    const empty = join(tmp, 'Empty');
    mkdirSync(empty);
    const json = join(tmp, 'eval.json');
    const r = await tsx(['training/cli/eval.ts', '--model', 'bicubic', '--scale', '4', '--sets', `${set5},${empty},${set14}`, '--json', json]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Set5cli\s+2\s+\d+\.\d\d\s+0\.\d{4}\s+\(3 failed\)/);
    expect(r.out).toMatch(/Set14\s+1\s+\d+\.\d\d/);
    expect(r.err).toContain('Set5cli/broken.png: cannot decode');
    expect(r.err).toContain('Set5cli/tiny.png: too small: image is 19×40');
    expect(r.err).toMatch(/Empty: no images/);
    expect(r.err.trim().split('\n').at(-1)).toMatch(/^error: 4 failures \(listed above\) \(x4 needs sides of at least 20 px\); .*eval\.json has what was measured$/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.sets.map((s: { name: string; images: number }) => [s.name, s.images])).toEqual([['Set5cli', 2], ['Set14', 1]]);
    expect(out.failures.map((f: { set: string; file: string | null }) => `${f.set}/${f.file}`)).toEqual(['Set5cli/broken.png', 'Set5cli/notes.png', 'Set5cli/tiny.png', 'Empty/null']);
  });

  it('--help exits 0 with the usage; bad options are one line plus the usage, no stack', async () => {
    const [tableHelp, benchHelp, bogus, threads] = [
      await tsx(['training/cli/resultsTable.ts', '--help']),
      await tsx(['bench/infer.ts', '--help']),
      await tsx(['training/cli/export.ts', '--checkpint', 'x']),
      await tsx(['training/cli/eval.ts', '--model', 'bicubic', '--scale', '2', '--sets', tmp, '--threads', '-3']),
    ];
    expect(tableHelp).toMatchObject({ code: 0, err: '' });
    expect(tableHelp.out).toMatch(/^usage: npm run results:table/);
    expect(benchHelp.code).toBe(0);
    expect(benchHelp.out).toMatch(/^usage: npm run bench:infer --/);
    expect(bogus.code).toBe(1);
    expect(bogus.err).toMatch(/^error: unknown option --checkpint; did you mean --checkpoint\?\nusage: npm run export --/);
    expect(threads.code).toBe(1);
    expect(threads.err).toMatch(/^error: --threads must be a positive integer \(got '-3'\)\n/);
  });

  it('release:models: no arguments is a clean usage (exit 2), --help exits 0', async () => {
    const none = await exec('bash', ['training/release.sh']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^error: missing <runs root>\nusage: npm run release:models -- <runs root> \[benchmark root\]\n/);
    const help = await exec('bash', ['training/release.sh', '--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    expect(help.out).toMatch(/^usage: npm run release:models --/);
    const bad = await exec('bash', ['training/release.sh', join(tmp, 'nope')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error: runs root .*nope: directory not found/);
  });

  it('release:models: a runs root with only one tier passes the checks and reaches the export', async () => {
    const bench = join(tmp, 'release-bench');
    for (const set of ['Set5', 'Set14', 'B100']) mkdirSync(join(bench, set), { recursive: true });
    for (const run of ['lite-only/x2', 'full-only/x4-full']) {
      mkdirSync(join(tmp, run), { recursive: true });
      writeFileSync(join(tmp, run, 'best.json'), '{'); // corrupt: the export is where it stops
    }
    for (const root of ['lite-only', 'full-only']) {
      const r = await exec('bash', ['training/release.sh', join(tmp, root), bench]);
      expect(r.code, root).not.toBe(0);
      expect(r.err, root).not.toMatch(/to release/);
      expect(r.err, root).toMatch(/corrupt checkpoint .*best\.json/);
    }
  });
});
