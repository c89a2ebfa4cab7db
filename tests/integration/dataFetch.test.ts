import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../training/cli/data.js';
import type { Catalogue } from '../../training/data/fetch/catalogue.js';
import { DataError } from '../../training/data/fetch/errors.js';
import { extractArchive, underPrefix } from '../../training/data/fetch/extract.js';
import { fetchSets, type FetchOptions } from '../../training/data/fetch/fetchSets.js';
import { makePng, makeTar, makeZip, sha256, type Entries } from '../helpers/dataFetchArchives.js';
import { startServer, type TestServer } from '../helpers/dataFetchServer.js';

const SET5 = ['baby', 'bird', 'butterfly', 'head', 'woman'];
const SET14 = ['barbara', 'comic'];

function benchmarkTar(opts: { set5?: string[]; badPng?: boolean } = {}): Buffer {
  const e: Entries = {};
  (opts.set5 ?? SET5).forEach((n, i) => {
    e[`benchmark/Set5/HR/${n}.png`] = makePng(i);
    e[`benchmark/Set5/LR_bicubic/X2/${n}x2.png`] = makePng(i + 50, 2, 2);
  });
  SET14.forEach((n, i) => { e[`benchmark/Set14/HR/${n}.png`] = makePng(i + 100); });
  if (opts.badPng) e['benchmark/Set5/HR/woman.png'] = Buffer.from('not a png at all');
  return makeTar(e);
}

// The DIV2K stand-in mimics the real archive layout, in zip64 form.
const div2kZip = makeZip(Object.fromEntries(['0001', '0002', '0003'].map((n, i) => [`DIV2K_train_HR/${n}.png`, makePng(i + 200, 6, 5)])), { zip64: true });

/** Same shape as training/data/checksums.json, scaled down; DIV2K has a "published" checksum. */
function catalogue(div2kSha = sha256(div2kZip)): Catalogue {
  const bench = (dir: string, images: number) => ({
    dir, images,
    parts: [
      { to: 'HR', archive: 'benchmark.tar', from: `benchmark/${dir}/HR/` },
      { to: 'LR_bicubic/X2', archive: 'benchmark.tar', from: `benchmark/${dir}/LR_bicubic/X2/`, lr: true },
    ],
  });
  return {
    defaultSets: ['div2k', 'set5', 'set14'],
    archives: {
      'DIV2K_train_HR.zip': { url: 'https://invalid.example/DIV2K_train_HR.zip', size: div2kZip.length, sha256: div2kSha },
      'benchmark.tar': { url: 'https://invalid.example/benchmark.tar' },
    },
    sets: {
      div2k: { dir: 'DIV2K', images: 3, parts: [{ to: 'HR', archive: 'DIV2K_train_HR.zip', from: 'DIV2K_train_HR/' }] },
      set5: bench('Set5', 5),
      set14: bench('Set14', 2),
    },
  };
}

let dest: string;
let server: TestServer;
let logText: string;
const sink = () => new Writable({ write(chunk, _enc, cb) { logText += String(chunk); cb(); } });

beforeEach(async () => {
  dest = await mkdtemp(join(tmpdir(), 'bitsr-data-'));
  server = await startServer({ 'benchmark.tar': benchmarkTar(), 'DIV2K_train_HR.zip': div2kZip });
  logText = '';
});
afterEach(async () => {
  await server.close();
  rmSync(dest, { recursive: true, force: true });
});

const opts = (o: Partial<FetchOptions> = {}): FetchOptions =>
  ({ dest, baseUrl: server.url, catalogue: catalogue(), stderr: sink(), retryDelayMs: 5, ...o });

const pngs = (dir: string) => readdirSync(join(dest, dir)).sort();
const leftovers = () => readdirSync(dest).filter((n) => n.includes('.tmp-'));
const lock = () => JSON.parse(readFileSync(join(dest, 'bitsr-data.lock.json'), 'utf8'));

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('data fetch (library)', () => {
  it('downloads, verifies and unpacks into <dest>/<Set>/HR, then skips finished sets', async () => {
    const report = await fetchSets(opts());
    expect(report.fetched).toEqual(['div2k', 'set5', 'set14']);
    expect(pngs('DIV2K/HR')).toEqual(['0001.png', '0002.png', '0003.png']);
    expect(pngs('Set5/HR')).toEqual(SET5.map((n) => `${n}.png`));
    expect(pngs('Set14/HR')).toEqual(['barbara.png', 'comic.png']);
    expect(PNG.sync.read(readFileSync(join(dest, 'Set5/HR/baby.png'))).width).toBe(4);
    expect(existsSync(join(dest, 'Set5/LR_bicubic'))).toBe(false); // LR only with withLr
    expect(leftovers()).toEqual([]);
    // benchmark.tar is shared by Set5 and Set14 but fetched once.
    expect(server.requests.map((r) => r.path).sort()).toEqual(['/DIV2K_train_HR.zip', '/benchmark.tar']);
    const l = lock();
    expect(l.archives['benchmark.tar'].sha256).toBe(sha256(server.files['benchmark.tar']!));
    expect(l.sets.set5.parts).toEqual(['HR']);
    expect(logText).toContain('matches the catalogue');

    mkdirSync(join(dest, '.Set5.tmp-99999/HR'), { recursive: true }); // from a killed run
    rmSync(join(dest, 'Set5'), { recursive: true });
    await fetchSets(opts({ sets: ['set5'] }));
    expect(leftovers()).toEqual([]);
    expect(server.requests).toHaveLength(2); // archive reused from downloads/

    const again = await fetchSets(opts());
    expect(again).toEqual({ fetched: [], skipped: ['div2k', 'set5', 'set14'] });
    expect(server.requests).toHaveLength(2); // no new request

    // --with-lr later adds only the LR parts, from the archive already on disk.
    await fetchSets(opts({ sets: ['Set5'], withLr: true }));
    expect(pngs('Set5/LR_bicubic/X2')).toEqual(SET5.map((n) => `${n}x2.png`));
    expect(server.requests).toHaveLength(2);
    expect(lock().sets.set5.parts).toEqual(['HR', 'LR_bicubic/X2']);
  });

  it('resumes a download cut mid-file with a Range request, across runs and within one', async () => {
    const size = server.files['DIV2K_train_HR.zip']!.length;
    server.cutOnce = { file: 'DIV2K_train_HR.zip', bytes: 300 };
    const err = await rejection(fetchSets(opts({ sets: ['div2k'], retries: 0 })));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/interrupted.*run again to resume/);
    expect(readFileSync(join(dest, 'downloads/DIV2K_train_HR.zip.part'))).toHaveLength(300);
    expect(existsSync(join(dest, 'DIV2K'))).toBe(false);

    await fetchSets(opts({ sets: ['div2k'] }));
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=300-']);
    expect(pngs('DIV2K/HR')).toHaveLength(3);
    expect(lock().archives['DIV2K_train_HR.zip'].size).toBe(size);

    // Within one run: the retry resumes by itself.
    server.requests.length = 0;
    server.cutOnce = { file: 'benchmark.tar', bytes: 1000 };
    await fetchSets(opts({ sets: ['set5'] }));
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=1000-']);
    expect(logText).toContain('resuming from');
    expect(pngs('Set5/HR')).toHaveLength(5);
  });

  it('restarts from zero when the server ignores Range (200 instead of 206)', async () => {
    mkdirSync(join(dest, 'downloads'), { recursive: true });
    writeFileSync(join(dest, 'downloads/DIV2K_train_HR.zip.part'), Buffer.alloc(100, 0xee)); // junk
    server.ignoreRange = true;
    await fetchSets(opts({ sets: ['div2k'] }));
    expect(server.requests[0]!.range).toBe('bytes=100-');
    expect(pngs('DIV2K/HR')).toHaveLength(3);
  });

  it('refuses a checksum mismatch, naming the file, and unpacks nothing', async () => {
    const err = await rejection(fetchSets(opts({ catalogue: catalogue('0'.repeat(64)), sets: ['div2k'] })));
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/^checksum mismatch for DIV2K_train_HR\.zip: .*nothing was unpacked/);
    expect(existsSync(join(dest, 'DIV2K'))).toBe(false);
    expect(existsSync(join(dest, 'downloads/DIV2K_train_HR.zip'))).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('flags an unpublished archive that differs from the one pinned in the lock file', async () => {
    await fetchSets(opts({ sets: ['set5'] }));
    rmSync(join(dest, 'downloads'), { recursive: true });
    rmSync(join(dest, 'Set5'), { recursive: true });
    server.files['benchmark.tar'] = benchmarkTar({ set5: ['a', 'b', 'c', 'd', 'e'] });
    const err = await rejection(fetchSets(opts({ sets: ['set5'] })));
    expect(err.message).toMatch(/^checksum mismatch for benchmark\.tar: .*bitsr-data\.lock\.json/);
    expect(existsSync(join(dest, 'Set5'))).toBe(false);
  });

  it('rejects wrong content: missing images, undecodable PNGs, corrupt archives', async () => {
    server.files['benchmark.tar'] = benchmarkTar({ set5: SET5.slice(0, 4) });
    let err = await rejection(fetchSets(opts({ sets: ['set5'] })));
    expect(err.message).toBe('Set5/HR (from benchmark.tar): found 4 PNG images, expected 5');
    expect(existsSync(join(dest, 'Set5'))).toBe(false);
    expect(leftovers()).toEqual([]);

    rmSync(join(dest, 'downloads'), { recursive: true });
    server.files['benchmark.tar'] = benchmarkTar({ badPng: true });
    err = await rejection(fetchSets(opts({ sets: ['set5'] })));
    expect(err.message).toMatch(/^Set5\/HR \(from benchmark\.tar\): woman\.png is not a valid PNG/);

    rmSync(join(dest, 'downloads'), { recursive: true });
    const tar = benchmarkTar();
    tar[10] = 0x41; // a byte of the first header's name field, covered by its checksum
    server.files['benchmark.tar'] = tar;
    err = await rejection(fetchSets(opts({ sets: ['set5'] })));
    expect(err.message).toMatch(/^corrupted archive benchmark\.tar: bad tar header checksum/);
    expect(existsSync(join(dest, 'Set5'))).toBe(false);
  });

  it('gives one-line errors for HTTP errors and unreachable hosts; follows redirects', async () => {
    delete server.files['benchmark.tar'];
    let err = await rejection(fetchSets(opts({ sets: ['set5'] })));
    expect(err.message).toBe(`HTTP 404 Not Found for ${server.url}/benchmark.tar`);

    err = await rejection(fetchSets(opts({ sets: ['set5'], baseUrl: 'http://127.0.0.1:1' })));
    expect(err.message).toMatch(/^network error \(ECONNREFUSED\) fetching http:\/\/127\.0\.0\.1:1\/benchmark\.tar/);

    err = await rejection(fetchSets(opts({ sets: ['set5', 'set99'] })));
    expect(err.message).toMatch(/^unknown set "set99"/);

    await fetchSets(opts({ sets: ['div2k'], baseUrl: `${server.url}/moved` }));
    expect(server.requests.slice(-2).map((r) => r.path)).toEqual(['/moved/DIV2K_train_HR.zip', '/DIV2K_train_HR.zip']);
    expect(pngs('DIV2K/HR')).toHaveLength(3);
  });
  // /dev/full fails every write with ENOSPC: a symlinked part file simulates a full disk.
  it.runIf(existsSync('/dev/full'))('reports a full disk (ENOSPC) as one line naming the file', async () => {
    mkdirSync(join(dest, 'downloads'), { recursive: true });
    symlinkSync('/dev/full', join(dest, 'downloads/benchmark.tar.part'));
    const err = await rejection(fetchSets(opts({ sets: ['set5'] })));
    expect(err.message).toMatch(/^disk full \(ENOSPC\) while writing .*benchmark\.tar\.part/);
  });
});

describe('archive readers', () => {
  it('reads stored and deflated zips (plain and zip64) and tars with long names (prefix and pax)', async () => {
    const long = `benchmark/${'d'.repeat(120)}/`;
    const entries: Entries = { 'x/a.png': makePng(1), 'x/sub/b.png': makePng(2), [`${long}c.png`]: makePng(3), 'y/skip.png': makePng(4) };
    const archives = {
      'stored.zip': makeZip(entries, { store: true }),
      'deflate64.zip': makeZip(entries, { zip64: true }),
      'prefix.tar': makeTar(entries),
      'pax.tar': makeTar(entries, { pax: true }),
    };
    for (const [name, buf] of Object.entries(archives)) {
      const file = join(dest, name);
      writeFileSync(file, buf);
      const out = join(dest, `out-${name}`);
      expect(await extractArchive(file, underPrefix(file, 'x/', out)), name).toBe(2);
      expect(readFileSync(join(out, 'sub/b.png')).equals(entries['x/sub/b.png']!), name).toBe(true);
      const out2 = join(dest, `long-${name}`);
      expect(await extractArchive(file, underPrefix(file, long, out2)), name).toBe(1);
      expect(readFileSync(join(out2, 'c.png')).equals(entries[`${long}c.png`]!), name).toBe(true);
    }
  });

  it('refuses path traversal, truncated zips and bad CRCs', async () => {
    const evil = join(dest, 'evil.tar');
    writeFileSync(evil, makeTar({ 'x/../../escape.png': makePng(1) }));
    await expect(extractArchive(evil, underPrefix(evil, 'x/', join(dest, 'o1')))).rejects.toThrow(/unsafe member path/);

    const zip = makeZip({ 'x/a.png': makePng(1) });
    const cut = join(dest, 'cut.zip');
    writeFileSync(cut, zip.subarray(0, zip.length - 30));
    await expect(extractArchive(cut, underPrefix(cut, 'x/', join(dest, 'o2')))).rejects.toThrow(/^corrupted archive cut\.zip/);

    const stored = makeZip({ 'x/a.png': makePng(1) }, { store: true });
    stored[30 + 'x/a.png'.length + 1] = 0x00; // after the local header + name: the 'P' of the PNG signature
    const bad = join(dest, 'bad.zip');
    writeFileSync(bad, stored);
    await expect(extractArchive(bad, underPrefix(bad, 'x/', join(dest, 'o3')))).rejects.toThrow(/CRC mismatch in x\/a\.png/);
  });
});

describe('data fetch (CLI)', () => {
  it('fetches through `tsx training/cli/data.ts` with --base-url and --catalogue', async () => {
    const cat = join(dest, 'catalogue.json');
    writeFileSync(cat, JSON.stringify(catalogue()));
    const root = resolve(import.meta.dirname, '../..');
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'training/cli/data.ts', '--dest', join(dest, 'data'), '--sets', 'set5,set14', '--base-url', server.url, '--catalogue', cat, '--delete-archives'],
      { cwd: root },
    );
    expect(stderr).toContain('done: 2 fetched');
    expect(readdirSync(join(dest, 'data/Set5/HR'))).toHaveLength(5);
    expect(readdirSync(join(dest, 'data/Set14/HR'))).toHaveLength(2);
    expect(readdirSync(join(dest, 'data/downloads'))).toEqual([]);
  }, 60_000);

  it('prints expected errors as one line with a non-zero exit code, and --help', async () => {
    let err = '', out = '';
    const errSink = new Writable({ write(c, _e, cb) { err += String(c); cb(); } });
    const outSink = new Writable({ write(c, _e, cb) { out += String(c); cb(); } });
    process.env.BITSR_DATA_CATALOGUE = join(dest, 'catalogue.json');
    writeFileSync(process.env.BITSR_DATA_CATALOGUE, JSON.stringify(catalogue('0'.repeat(64))));
    try {
      expect(await main(['--dest', dest, '--sets', 'div2k', '--base-url', server.url], errSink, outSink)).toBe(1);
      expect(err.trim().split('\n').at(-1)).toMatch(/^error: checksum mismatch for DIV2K_train_HR\.zip/);
      expect(err).not.toMatch(/\n\s+at /); // no stack trace

      err = '';
      expect(await main(['--dest', dest, '--sets', 'set5,nope'], errSink, outSink)).toBe(1);
      expect(err).toBe('error: unknown set "nope" (known: div2k, set5, set14)\n');
      err = '';
      expect(await main(['--sets', 'set5'], errSink, outSink)).toBe(1);
      expect(err).toMatch(/^error: --dest <dir> is required/);

      expect(await main(['--help'], errSink, outSink)).toBe(0);
      expect(out).toMatch(/^Usage: npm run data -- --dest <dir>/);
      expect(out).toContain('--base-url');
    } finally {
      delete process.env.BITSR_DATA_CATALOGUE;
    }
  });
});
