import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { rename, stat, truncate } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataError, explain } from './errors.js';
import { formatBytes, type Progress } from './progress.js';

export interface DownloadOptions {
  /** Published size; a server announcing another size is refused before any byte is stored. */
  expectedSize?: number;
  /** Extra attempts after a dropped connection; each resumes where the last stopped. */
  retries?: number;
  retryDelayMs?: number;
  /** Idle socket timeout. */
  timeoutMs?: number;
  progress?: Progress;
  log?: (line: string) => void;
}

/** A transfer that stopped early but can be resumed from the `.part` file. */
class Interrupted extends Error {}

const DISK_CODES = new Set(['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EDQUOT']);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads `url` to `file` via `<file>.part`, resuming with HTTP Range from the part's
 * size, both across attempts in this run and across runs. The part is renamed to `file`
 * only when the full length arrived, so an existing `file` means a finished download.
 */
export async function download(url: string, file: string, opts: DownloadOptions = {}): Promise<void> {
  const part = `${file}.part`;
  const retries = opts.retries ?? 5;
  for (let attempt = 0; ; attempt++) {
    try {
      await attemptDownload(url, part, opts);
      break;
    } catch (err) {
      const transient = err instanceof Interrupted || ['ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes((err as NodeJS.ErrnoException).code ?? '');
      if (!transient) throw explain(err, url);
      const have = await sizeOf(part);
      if (attempt >= retries) {
        throw new DataError(`download of ${url} interrupted (${(err as Error).message}); ${formatBytes(have)} kept in ${part}, run again to resume`);
      }
      opts.log?.(`${url}: ${(err as Error).message}; resuming from ${formatBytes(have)} (retry ${attempt + 1}/${retries})`);
      await sleep(Math.min((opts.retryDelayMs ?? 1000) * 2 ** attempt, 30_000));
    }
  }
  await rename(part, file);
}

async function attemptDownload(url: string, part: string, opts: DownloadOptions): Promise<void> {
  let have = await sizeOf(part);
  const expected = opts.expectedSize;
  if (expected !== undefined && have === expected) return;
  if (expected !== undefined && have > expected) { await truncate(part, 0); have = 0; }

  const res = await get(url, have > 0 ? { range: `bytes=${have}-` } : {}, opts.timeoutMs ?? 60_000);
  const status = res.statusCode ?? 0;
  const range = String(res.headers['content-range'] ?? '');
  let start: number, total: number | undefined;
  if (status === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(range);
    if (!m || Number(m[1]) !== have) {
      res.resume();
      await truncate(part, 0);
      throw new Interrupted(`server sent an unexpected range "${range}", restarting`);
    }
    start = have;
    total = m[2] === '*' ? undefined : Number(m[2]);
  } else if (status === 200) {
    // No Range support (or no part yet): whatever we had is discarded and the file restarts.
    start = 0;
    total = res.headers['content-length'] ? Number(res.headers['content-length']) : undefined;
  } else if (status === 416 && have > 0) {
    res.resume();
    // Asking past the end: the part is complete if the server says its total equals our size.
    if (Number(/\/(\d+)$/.exec(range)?.[1]) === have) return;
    await truncate(part, 0);
    throw new Interrupted('server refused the resume range, restarting');
  } else {
    res.resume();
    throw new DataError(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''} for ${url}`);
  }
  if (expected !== undefined && total !== undefined && total !== expected) {
    res.resume();
    throw new DataError(`${url} is ${total} bytes but the catalogue expects ${expected}; wrong file or mirror`);
  }

  // Synchronous writes from the 'data' handler: every byte the socket delivered is on disk
  // before a dropped connection can discard the stream's buffer, so a resume never
  // re-downloads (or loses) data. Chunks are small and disk is faster than the network.
  let fd: number;
  try {
    fd = openSync(part, start === 0 ? 'w' : 'a');
  } catch (err) {
    res.destroy();
    throw explain(err, part);
  }
  let done = start;
  opts.progress?.update(done, total);
  try {
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        try {
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
        } catch (err) {
          res.destroy();
          reject(DISK_CODES.has((err as NodeJS.ErrnoException).code ?? '') ? explain(err, part) : err);
          return;
        }
        done += chunk.length;
        opts.progress?.update(done, total);
      });
      res.on('error', () => reject(new Interrupted(`connection lost after ${formatBytes(done)}`)));
      res.on('end', resolve);
      res.on('close', resolve); // closed without 'end': the length check below catches it
    });
  } finally {
    closeSync(fd);
  }
  if (total !== undefined && done < total) throw new Interrupted(`connection closed after ${formatBytes(done)} of ${formatBytes(total)}`);
}

/** GET following redirects (real hosts move files between http/https and mirrors). */
function get(url: string, headers: Record<string, string>, timeoutMs: number, hops = 10): Promise<IncomingMessage> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
  if (!mod) return Promise.reject(new DataError(`unsupported URL ${url} (need http or https)`));
  return new Promise((resolve, reject) => {
    const req = mod.get(u, { headers: { 'user-agent': 'bitsr-data', ...headers } }, (res) => {
      const location = res.headers.location;
      if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return resolve(res);
      res.resume();
      if (hops === 0) return reject(new DataError(`too many redirects fetching ${url}`));
      resolve(get(new URL(location, u).href, headers, timeoutMs, hops - 1));
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no data for ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
  });
}

export async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

export async function sha256File(file: string, progress?: Progress): Promise<string> {
  const hash = createHash('sha256');
  const total = await sizeOf(file);
  let done = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    progress?.update(done, total);
  }
  return hash.digest('hex');
}
