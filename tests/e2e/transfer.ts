/**
 * What a first visit downloads: a counting HTTP proxy in front of the served site sees every
 * response the browser receives from the origin (page, inference worker, ORT's threads and the
 * service worker's precache alike) and adds up the bytes it forwards: status line, headers and
 * body as sent (vite preview gzips the JavaScript, CSS and HTML, not the .wasm and .onnx files,
 * so those count compressed, as on the wire). A fresh Chromium profile has an empty HTTP cache
 * and no service worker, so nothing is served locally. Used by offlineEngines.test.ts and
 * bench/transfer.ts.
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { launch } from './harness';
import { generatedPng } from '../helpers/images';

export interface FileTransfer {
  /** Site path (no query). */
  path: string;
  requests: number;
  bytes: number;
}

export interface CountingProxy {
  url: string;
  /** Bytes forwarded so far, all responses. */
  total(): number;
  files(): FileTransfer[];
  /** Waits until no response has been in flight for `quietMs`. */
  idle(quietMs?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const headerBytes = (status: number, message: string, headers: IncomingHttpHeaders) =>
  `HTTP/1.1 ${status} ${message}\r\n`.length +
  Object.entries(headers).reduce((s, [k, v]) => s + [v ?? ''].flat().reduce((t, x) => t + k.length + 4 + String(x).length, 0), 0) +
  2;

/** A proxy on a free 127.0.0.1 port that forwards to `target` (an http://host:port/ URL) and counts. */
export async function countingProxy(target: string): Promise<CountingProxy> {
  const up = new URL(target);
  const byPath = new Map<string, FileTransfer>();
  let inFlight = 0;
  let lastActivity = Date.now();
  const server = createServer((req, res) => {
    inFlight++;
    lastActivity = Date.now();
    const path = (req.url ?? '/').split('?')[0];
    const entry = byPath.get(path) ?? { path, requests: 0, bytes: 0 };
    byPath.set(path, entry);
    entry.requests++;
    const done = () => {
      inFlight--;
      lastActivity = Date.now();
    };
    const upstream = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (ur) => {
      const status = ur.statusCode ?? 502;
      entry.bytes += headerBytes(status, ur.statusMessage ?? '', ur.headers);
      res.writeHead(status, ur.statusMessage, ur.headers);
      ur.on('data', (c: Buffer) => {
        entry.bytes += c.length;
        lastActivity = Date.now();
      });
      ur.pipe(res);
      ur.on('end', done);
      ur.on('error', done);
    });
    upstream.on('error', () => {
      done();
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    total: () => [...byPath.values()].reduce((s, f) => s + f.bytes, 0),
    files: () => [...byPath.values()].sort((a, b) => b.bytes - a.bytes).map((f) => ({ ...f })),
    async idle(quietMs = 1500, timeoutMs = 120_000) {
      const t0 = Date.now();
      while (inFlight > 0 || Date.now() - lastActivity < quietMs) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`the site was still transferring after ${timeoutMs} ms (${inFlight} responses in flight)`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface FirstVisit {
  /** The page's query, e.g. ?engine=xnor-wasm. */
  query: string;
  /** The engine badge after the image ran: its data-engine / data-ep attribute and its text. */
  badge: { engine: string; ep: string; text: string };
  /** Bytes until the app is loaded, its service worker installed and the network quiet. */
  loadBytes: number;
  /** loadBytes plus what running one small image (all three scales) fetched. */
  bytes: number;
  files: FileTransfer[];
}

/**
 * A fresh profile opens `${siteUrl}${query}`, waits for the service worker (precache complete),
 * then runs a 64×48 image through the engine; counts the origin's bytes at both points.
 */
export async function firstVisit(siteUrl: string, query: string): Promise<FirstVisit> {
  const proxy = await countingProxy(siteUrl);
  const b = await launch(proxy.url);
  try {
    await b.page.goto(`${proxy.url}${query}`);
    // skipWaiting + clientsClaim: a controller means the install (the whole precache) finished.
    await b.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 120_000 });
    await proxy.idle();
    const loadBytes = proxy.total();
    await b.page.getByTestId('image-input').setInputFiles(generatedPng(64, 48, 'first-visit'));
    for (const s of [2, 3, 4]) await b.page.getByTestId(`psnr-sr-x${s}`).waitFor({ timeout: 180_000 });
    await proxy.idle();
    const badge = b.page.getByTestId('ep-badge');
    return {
      query,
      badge: {
        engine: (await badge.getAttribute('data-engine')) ?? '',
        ep: (await badge.getAttribute('data-ep')) ?? '',
        text: ((await badge.textContent()) ?? '').trim(),
      },
      loadBytes,
      bytes: proxy.total(),
      files: proxy.files(),
    };
  } finally {
    await b.close();
    await proxy.stop();
  }
}
