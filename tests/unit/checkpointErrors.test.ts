/**
 * training/engine/checkpoint.ts: read errors name the file and the parameter (old base64 files and
 * the header + .f32 format); old files convert exactly; one data file per distinct content; stale
 * temp files are cleaned.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { loadCheckpoint, removeStaleTmpFiles, saveCheckpoint, type Checkpoint } from '../../training/engine/checkpoint';
import { initParams } from '../../training/engine/forward';
import { train } from '../../training/train/trainer';
import { parseTrainConfig } from '../../training/train/config';
import { saveLegacyCheckpoint } from '../helpers/legacyCheckpoint';
import { makeTrainDir } from '../helpers/trainData';

const net = parseNetConfig({ scale: 2, channels: 8, blocks: 1, block: 'basic' });
const graph = buildGraph(net);

function makeCk(seed = 1, step = 3): Checkpoint {
  const params = initParams(graph, seed);
  const arrays = Object.fromEntries(Object.entries(params).flatMap(([k, v]) => [[`m.${k}`, v.map((x) => x / 3)], [`v.${k}`, v.map((x) => x * x)]]));
  return { version: 1, net, train: { lr: 1e-3 }, stats: { mean: [0.1, 0.2, 0.3], std: [1, 1, 1] }, step, params, optimizer: { arrays, scalars: { t: step } }, rng: [7], info: { history: [{ step, psnr: 30 }] } };
}

/** Writes a checkpoint.json into dir: the current format, or the old base64 one (`legacy`). */
function writeCk(dir: string, legacy = false): string {
  const path = join(dir, 'checkpoint.json');
  (legacy ? saveLegacyCheckpoint : saveCheckpoint)(path, makeCk());
  return path;
}

/** Every array of `b` holds the same bits as `a`'s (NaN payloads and -0 included). */
function expectSameArrays(a: Record<string, Float32Array>, b: Record<string, Float32Array>): void {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const k of Object.keys(a)) expect(Buffer.from(b[k].buffer, b[k].byteOffset, b[k].byteLength).equals(Buffer.from(a[k].buffer, a[k].byteOffset, a[k].byteLength)), k).toBe(true);
}

const f32Files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.f32')).sort();

/** Rewrites the saved JSON through `edit`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- edits reach into arbitrary fields on purpose
function damage(path: string, edit: (raw: any) => void): void {
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  edit(raw);
  writeFileSync(path, JSON.stringify(raw));
}

describe('checkpoint read errors', () => {
  const name = graph.params[0].name;
  const size = graph.params[0].shape.reduce((a, b) => a * b, 1);

  it('a good checkpoint round-trips', () => {
    for (const legacy of [false, true]) {
      const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')), legacy);
      const ck = loadCheckpoint(path);
      expect(ck.step).toBe(3);
      expect(ck.params[name].length).toBe(size);
    }
  });

  it('(old format) a truncated array names the parameter, the file and the expected size', () => {
    const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')), true);
    damage(path, (r) => (r.params[name] = 'AAAA'));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: parameter '${name}' is damaged: expected ${size} float32 values, got 3 bytes`);
  });

  it('(old format) bad base64, a non-string, and a damaged optimizer array are named too', () => {
    const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')), true);
    const good = readFileSync(path, 'utf8');
    damage(path, (r) => (r.params[name] = r.params[name].slice(0, -4) + '!!!!'));
    expect(() => loadCheckpoint(path)).toThrow(new RegExp(`parameter '${name.replace(/\./g, '\\.')}' is damaged: not valid base64`));
    writeFileSync(path, good);
    damage(path, (r) => (r.params[name] = 12));
    expect(() => loadCheckpoint(path)).toThrow(/is damaged: expected a base64 string, got number/);
    writeFileSync(path, good);
    damage(path, (r) => (r.optimizer.arrays[`v.${name}`] = r.optimizer.arrays[`v.${name}`].slice(0, 8)));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: optimizer array 'v.${name}' is damaged: expected ${size} float32 values, got 6 bytes`);
  });

  it('damaged fields and network config name the file', () => {
    const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')));
    const good = readFileSync(path, 'utf8');
    damage(path, (r) => (r.step = -1));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: field 'step' is damaged`);
    writeFileSync(path, good);
    damage(path, (r) => (r.stats.mean = [0, 0]));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: field 'stats' is damaged`);
    writeFileSync(path, good);
    damage(path, (r) => (r.net.scale = 7));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: invalid network config: scale must be 2, 3 or 4`);
  });
});

describe('header + .f32 format', () => {
  const name = graph.params[0].name;
  const size = graph.params[0].shape.reduce((a, b) => a * b, 1);

  it('writes a small header and one raw float32 file, and reads back every bit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-ck-'));
    const ck = makeCk();
    ck.params[name][0] = -0;
    ck.params[name][1] = 1.4e-45; // a denormal
    ck.optimizer.arrays[`v.${name}`][2] = Math.fround(Math.PI);
    saveCheckpoint(join(dir, 'checkpoint.json'), ck);
    const header = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
    expect(header.version).toBe(2);
    expect(header.params[0]).toEqual({ name, shape: graph.params[0].shape, offset: 0 });
    const [f32] = f32Files(dir);
    expect(header.data.file).toBe(f32);
    const floats = [...Object.values(ck.params), ...Object.values(ck.optimizer.arrays)].reduce((n, a) => n + a.length, 0);
    expect(readFileSync(join(dir, f32)).byteLength).toBe(floats * 4);
    const back = loadCheckpoint(dir);
    expectSameArrays(ck.params, back.params);
    expectSameArrays(ck.optimizer.arrays, back.optimizer.arrays);
    expect(back).toMatchObject({ version: 1, step: 3, rng: [7], train: { lr: 1e-3 }, stats: ck.stats, info: ck.info, optimizer: { scalars: { t: 3 } } });
    expect('data' in back).toBe(false);
  });

  it('old format -> new format -> read back: identical arrays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-ck-'));
    const path = writeCk(dir, true);
    const old = loadCheckpoint(path);
    saveCheckpoint(path, old);
    expect(JSON.parse(readFileSync(path, 'utf8')).version).toBe(2);
    const back = loadCheckpoint(path);
    const orig = makeCk();
    expectSameArrays(orig.params, back.params);
    expectSameArrays(orig.optimizer.arrays, back.optimizer.arrays);
    expect({ ...back, params: 0, optimizer: 0 }).toEqual({ ...old, params: 0, optimizer: 0 });
  });

  it('a truncated .f32 names the file and the first parameter that does not fit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-ck-'));
    writeCk(dir);
    const f32 = join(dir, f32Files(dir)[0]);
    truncateSync(f32, size * 4 - 8);
    expect(() => loadCheckpoint(dir)).toThrow(`${f32}: parameter '${name}' is damaged: expected ${size} float32 values at byte 0, but the file has only ${size * 4 - 8} bytes (truncated?)`);
    // Truncated inside the optimizer arrays: the optimizer array is named.
    writeCk(dir);
    const total = readFileSync(f32).byteLength;
    truncateSync(f32, total - 4);
    expect(() => loadCheckpoint(dir)).toThrow(new RegExp(`${f32.replace(/[.\\/]/g, '\\$&')}: optimizer array 'v\\.[^']+' is damaged: .* but the file has only ${total - 4} bytes`));
  });

  it('a changed byte, a missing data file and a damaged table are named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-ck-'));
    const path = writeCk(dir);
    const f32 = join(dir, f32Files(dir)[0]);
    const good = readFileSync(f32);
    const flipped = Buffer.from(good);
    flipped[100] ^= 1;
    writeFileSync(f32, flipped);
    expect(() => loadCheckpoint(dir)).toThrow(`${f32}: content does not match the checksum in ${path} (damaged)`);
    writeFileSync(f32, Buffer.concat([good, Buffer.alloc(4)]));
    expect(() => loadCheckpoint(dir)).toThrow(`${f32}: expected ${good.byteLength} bytes, got ${good.byteLength + 4}`);
    writeFileSync(f32, good);
    const header = readFileSync(path, 'utf8');
    damage(path, (r) => (r.params[0].shape = [1, 2]));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: parameter '${name}' is damaged: expected ${size} float32 values, the table says 2`);
    writeFileSync(path, header);
    damage(path, (r) => (r.params[1].offset = -4));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: table entry parameter '${graph.params[1].name}' is damaged`);
    writeFileSync(path, header);
    rmSync(f32);
    expect(() => loadCheckpoint(path)).toThrow(`${path}: data file ${f32} not found (it must stay beside checkpoint.json)`);
  });

  it('best == latest share one data file; a file no header names is removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-ck-'));
    saveCheckpoint(join(dir, 'best.json'), makeCk(1, 5));
    saveCheckpoint(join(dir, 'checkpoint.json'), makeCk(1, 5));
    expect(f32Files(dir)).toHaveLength(1);
    const shared = f32Files(dir)[0];
    // The run moves on: latest gets its own file, best keeps the shared one.
    saveCheckpoint(join(dir, 'checkpoint.json'), makeCk(2, 6));
    expect(f32Files(dir)).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'best.json'), 'utf8')).data.file).toBe(shared);
    expectSameArrays(makeCk(1).params, loadCheckpoint(join(dir, 'best.json')).params);
    // A better validation at the latest step: the old best's file goes.
    saveCheckpoint(join(dir, 'best.json'), makeCk(2, 6));
    expect(f32Files(dir)).toEqual([JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')).data.file]);
    expect(existsSync(join(dir, shared))).toBe(false);
    // A copied header keeps its data file alive.
    copyFileSync(join(dir, 'best.json'), join(dir, 'best-step6.json'));
    saveCheckpoint(join(dir, 'checkpoint.json'), makeCk(3, 7));
    saveCheckpoint(join(dir, 'best.json'), makeCk(3, 7));
    expect(f32Files(dir)).toHaveLength(2);
    expect(loadCheckpoint(join(dir, 'best-step6.json')).step).toBe(6);
  });

  it('resume is exact from either format: weights and Adam moments come back bit for bit', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bitsr-run-'));
    const data = makeTrainDir(2, 32);
    const config = parseTrainConfig({ net: { scale: 2, channels: 8, blocks: 1 }, patch: 8, batch: 2, steps: 10, valEvery: 1000, ckptEvery: 1000 });
    const opts = { config, data: [data], out, workers: 1, quiet: true, cacheDir: join(out, 'cache') };
    await train({ ...opts, stopAfter: 2 });
    const saved = loadCheckpoint(out);
    expect(saved.step).toBe(2);
    expect(Object.values(saved.optimizer.arrays).some((a) => a.some((x) => x !== 0))).toBe(true);
    for (const legacy of [false, true]) {
      if (legacy) saveLegacyCheckpoint(join(out, 'checkpoint.json'), saved);
      // Resume and stop at once: the trainer reads the checkpoint into its buffers and writes them out again.
      await train({ ...opts, resume: true, stopAfter: 0 });
      const again = loadCheckpoint(out);
      expect(again.step).toBe(2);
      expectSameArrays(saved.params, again.params);
      expectSameArrays(saved.optimizer.arrays, again.optimizer.arrays);
    }
  });

  it('the shipped checkpoints read, each with one data file, or two when best is not the latest', () => {
    const dirs = readdirSync('models/checkpoints');
    expect(dirs).toEqual(expect.arrayContaining(['x2', 'x3', 'x4']));
    for (const s of dirs) {
      const dir = join('models/checkpoints', s);
      const latest = loadCheckpoint(dir);
      const best = loadCheckpoint(join(dir, 'best.json'));
      expect(latest.step).toBeGreaterThan(0);
      expect(best.step).toBeLessThanOrEqual(latest.step);
      expect(f32Files(dir)).toHaveLength(best.step === latest.step ? 1 : 2);
      expect(readdirSync(dir).filter((f) => f.endsWith('.json')).sort()).toEqual(['best.json', 'checkpoint.json']);
    }
  });
});

describe('stale temp files of interrupted writes', () => {
  it('removeStaleTmpFiles removes only <name>.json.tmp-<pid> and <name>.f32.tmp-<pid> files of that dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-tmp-'));
    mkdirSync(join(dir, 'sub'));
    for (const f of ['checkpoint.json.tmp-123', 'best.json.tmp-9', 'tensors-0123456789abcdef.f32.tmp-9', 'log.jsonl', 'notes.tmp-1', 'checkpoint.json.tmp-x', 'sub/checkpoint.json.tmp-5']) writeFileSync(join(dir, f), '');
    expect(removeStaleTmpFiles(dir).sort()).toEqual(['best.json.tmp-9', 'checkpoint.json.tmp-123', 'tensors-0123456789abcdef.f32.tmp-9']);
    expect(readdirSync(dir).sort()).toEqual(['checkpoint.json.tmp-x', 'log.jsonl', 'notes.tmp-1', 'sub']);
    expect(existsSync(join(dir, 'sub/checkpoint.json.tmp-5'))).toBe(true);
    expect(removeStaleTmpFiles(join(dir, 'nope'))).toEqual([]);
  });

  it('train() removes them at start, and --resume without a checkpoint is an error (not a fresh start)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'bitsr-run-'));
    writeFileSync(join(out, 'checkpoint.json.tmp-4242'), '{"partial":');
    const config = parseTrainConfig({ net: { scale: 2, channels: 8, blocks: 1 }, patch: 8, batch: 2, steps: 2 });
    await expect(train({ config, data: [out], out, resume: true, quiet: true })).rejects.toThrow(/--resume: no checkpoint to resume from \(.*checkpoint\.json does not exist\)/);
    expect(existsSync(join(out, 'checkpoint.json.tmp-4242'))).toBe(false);
  });
});
