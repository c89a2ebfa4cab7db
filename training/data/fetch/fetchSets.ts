import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { loadCatalogue, resolveSets, type Catalogue, type PartSpec } from './catalogue.js';
import { download, sha256File } from './download.js';
import { DataError, explain } from './errors.js';
import { extractArchive, underPrefix } from './extract.js';
import { LOCK_NAME, readLock, writeLock } from './lock.js';
import { createProgress, formatBytes, type ProgressSink } from './progress.js';
import { verifyImages } from './verify.js';

export interface FetchOptions {
  dest: string;
  /** Set names (case-insensitive); default: the catalogue's defaultSets. */
  sets?: string[];
  /** Fetch every archive as `<baseUrl>/<archive name>` instead of its catalogue URL. */
  baseUrl?: string;
  /** Also fetch the bicubic LR parts. */
  withLr?: boolean;
  /** Catalogue object or JSON path; default $BITSR_DATA_CATALOGUE or training/data/checksums.json. */
  catalogue?: Catalogue | string;
  /** Remove downloaded archives once their sets are in place. */
  deleteArchives?: boolean;
  retries?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  /** Where progress and status lines go (default process.stderr); false silences them. */
  stderr?: ProgressSink | false;
}

export interface FetchReport {
  fetched: string[];
  skipped: string[];
}

interface VerifiedArchive {
  name: string;
  path: string;
  sha256: string;
  size: number;
  url: string;
  /** Checked against a published checksum (otherwise content checks decode every PNG). */
  published: boolean;
}

/** Archives live here, so an interrupted or repeated run finds its `.part` and finished files. */
export const DOWNLOADS_DIR = 'downloads';

export async function fetchSets(opts: FetchOptions): Promise<FetchReport> {
  const cat = loadCatalogue(opts.catalogue);
  const names = resolveSets(cat, opts.sets);
  if (opts.baseUrl !== undefined && !/^https?:\/\/[^/]/.test(opts.baseUrl)) throw new DataError(`--base-url must be an http(s) URL, got "${opts.baseUrl}"`);
  const sink = opts.stderr === undefined ? process.stderr : opts.stderr;
  // On a TTY, erase any half-drawn progress bar first; it redraws on its next update.
  const log = (line: string): void => { if (sink) sink.write(`${sink.isTTY ? '\r\x1b[K' : ''}${line}\n`); };
  const dest = resolve(opts.dest);
  const archivesDir = join(dest, DOWNLOADS_DIR);
  try {
    await mkdir(archivesDir, { recursive: true });
  } catch (err) {
    throw explain(err, dest);
  }
  const lock = await readLock(dest);
  const report: FetchReport = { fetched: [], skipped: [] };

  // One download + hash per archive per run, shared by the sets that use it (benchmark.tar).
  const archives = new Map<string, Promise<VerifiedArchive>>();
  const ensure = (name: string): Promise<VerifiedArchive> => {
    let p = archives.get(name);
    if (!p) archives.set(name, (p = ensureArchive(name)));
    return p;
  };

  async function ensureArchive(name: string): Promise<VerifiedArchive> {
    const spec = cat.archives[name]!;
    const url = opts.baseUrl ? `${opts.baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(name)}` : spec.url;
    const path = join(archivesDir, name);
    if (await exists(path)) {
      log(`${name}: already downloaded`);
    } else {
      log(`${name}: downloading ${url}${spec.size ? ` (${formatBytes(spec.size)})` : ''}`);
      const progress = createProgress(name, sink);
      await download(url, path, { expectedSize: spec.size, retries: opts.retries, retryDelayMs: opts.retryDelayMs, timeoutMs: opts.timeoutMs, progress, log });
      progress.finish('downloaded');
    }
    const hashing = createProgress(`${name} sha256`, sink, true);
    const sha256 = await sha256File(path, hashing);
    hashing.clear();
    const pinned = lock.archives[name];
    const expected = spec.sha256 ?? pinned?.sha256;
    if (expected && sha256 !== expected) {
      // Deleted so the next run downloads afresh instead of tripping over the same bad file.
      await rm(path, { force: true });
      const source = spec.sha256 ? 'the catalogue' : `${LOCK_NAME} (first fetched ${pinned?.fetchedAt ?? '?'}; delete that entry if the file legitimately changed upstream)`;
      throw new DataError(`checksum mismatch for ${name}: sha256 ${sha256}, expected ${expected} from ${source}; the file was deleted and nothing was unpacked`);
    }
    log(`${name}: sha256 ${spec.sha256 ? 'matches the catalogue' : pinned ? `matches ${LOCK_NAME}` : `${sha256} (no published checksum; checking contents)`}`);
    return { name, path, sha256, size: (await stat(path)).size, url, published: spec.sha256 !== undefined };
  }

  for (const name of names) {
    const set = cat.sets[name]!;
    const wanted = set.parts.filter((p) => opts.withLr || !p.lr);
    const done = new Set(lock.sets[name]?.parts ?? []);
    const missing: PartSpec[] = [];
    for (const p of wanted) if (!done.has(p.to) || !(await exists(join(dest, set.dir, p.to)))) missing.push(p);
    if (missing.length === 0) {
      log(`${name}: already complete in ${join(dest, set.dir)}, skipped`);
      report.skipped.push(name);
      continue;
    }
    await fetchParts(name, set.dir, set.images, missing);
    report.fetched.push(name);
  }

  /**
   * Unpacks into <dest>/.<dir>.tmp-<pid>, verifies, then renames each part folder into place,
   * so <dest>/<dir>/<part> is either complete or absent, and records it in the lock file.
   */
  async function fetchParts(name: string, dir: string, images: number, parts: PartSpec[]): Promise<void> {
    const tmp = join(dest, `.${dir}.tmp-${process.pid}`);
    // Leftovers of runs killed mid-unpack (Ctrl-C skips `finally`); one run per dest is assumed.
    for (const stale of await readdir(dest)) if (stale.startsWith(`.${dir}.tmp-`)) await rm(join(dest, stale), { recursive: true, force: true });
    try {
      const used: VerifiedArchive[] = [];
      for (const p of parts) {
        const a = await ensure(p.archive);
        const out = join(tmp, p.to);
        await mkdir(out, { recursive: true });
        log(`${name}: unpacking ${a.name} -> ${join(dir, p.to)}`);
        await extractArchive(a.path, underPrefix(a.path, p.from, out));
        await verifyImages(out, images, !a.published, `${join(dir, p.to)} (from ${a.name})`);
        used.push(a);
      }
      for (const p of parts) {
        const final = join(dest, dir, p.to);
        await rm(final, { recursive: true, force: true }); // a stale, unrecorded copy
        await mkdir(dirname(final), { recursive: true });
        await rename(join(tmp, p.to), final);
      }
      const now = new Date().toISOString();
      for (const a of used) lock.archives[a.name] = { sha256: a.sha256, size: a.size, url: a.url, fetchedAt: lock.archives[a.name]?.fetchedAt ?? now };
      const prev = lock.sets[name]?.parts ?? [];
      lock.sets[name] = { dir, parts: [...new Set([...prev, ...parts.map((p) => p.to)])], completedAt: now };
      await writeLock(dest, lock);
      log(`${name}: ready in ${join(dest, dir)} (${images} images per part)`);
    } catch (err) {
      throw explain(err, join(dest, dir));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  if (opts.deleteArchives) {
    for (const p of archives.values()) await rm((await p).path, { force: true });
  }
  return report;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
