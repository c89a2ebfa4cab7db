/** training/engine/checkpoint.ts: read errors name the file and the parameter; stale temp files are cleaned. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetConfig } from '../../src/model/config';
import { buildGraph } from '../../src/model/graph';
import { loadCheckpoint, removeStaleTmpFiles, saveCheckpoint, type Checkpoint } from '../../training/engine/checkpoint';
import { initParams } from '../../training/engine/forward';
import { train } from '../../training/train/trainer';
import { parseTrainConfig } from '../../training/train/config';

const net = parseNetConfig({ scale: 2, channels: 8, blocks: 1, block: 'basic' });
const graph = buildGraph(net);

function writeCk(dir: string): string {
  const params = initParams(graph, 1);
  const arrays = Object.fromEntries(Object.entries(params).flatMap(([k, v]) => [[`m.${k}`, v], [`v.${k}`, v]]));
  const ck: Checkpoint = { version: 1, net, train: {}, stats: { mean: [0, 0, 0], std: [1, 1, 1] }, step: 3, params, optimizer: { arrays, scalars: { t: 3 } }, rng: [7], info: {} };
  const path = join(dir, 'checkpoint.json');
  saveCheckpoint(path, ck);
  return path;
}

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
    const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')));
    const ck = loadCheckpoint(path);
    expect(ck.step).toBe(3);
    expect(ck.params[name].length).toBe(size);
  });

  it('a truncated array names the parameter, the file and the expected size', () => {
    const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')));
    damage(path, (r) => (r.params[name] = 'AAAA'));
    expect(() => loadCheckpoint(path)).toThrow(`${path}: parameter '${name}' is damaged: expected ${size} float32 values, got 3 bytes`);
  });

  it('bad base64, a non-string, and a damaged optimizer array are named too', () => {
    const path = writeCk(mkdtempSync(join(tmpdir(), 'bitsr-ck-')));
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

describe('stale temp files of interrupted writes', () => {
  it('removeStaleTmpFiles removes only <name>.json.tmp-<pid> files of that dir', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-tmp-'));
    mkdirSync(join(dir, 'sub'));
    for (const f of ['checkpoint.json.tmp-123', 'best.json.tmp-9', 'log.jsonl', 'notes.tmp-1', 'checkpoint.json.tmp-x', 'sub/checkpoint.json.tmp-5']) writeFileSync(join(dir, f), '');
    expect(removeStaleTmpFiles(dir).sort()).toEqual(['best.json.tmp-9', 'checkpoint.json.tmp-123']);
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
