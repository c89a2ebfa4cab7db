/**
 * The binary engine's prebuilt kernels and what the service worker keeps for offline use:
 * kernels/*.wasm (build/kernelsPlugin.ts) served as application/wasm by vite preview, the dev
 * server and the worker, a missing one a 404; the precache holds kernels and models but not
 * ONNX Runtime's ~27 MB wasm, which a runtime cache keeps once an ORT engine has run online, so
 * an offline reload still runs on it; and what a first visit downloads (tests/e2e/transfer.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleKernels } from '../../build/kernelsPlugin';
import { KERNEL_VARIANTS, kernelFileName } from '../../src/kernels/module';
import { KERNELS } from '../../src/kernels/spec';
import { generatedPng } from '../helpers/images';
import { buildSite, closeApp, hasChromium, launch, readMetrics, ROOT, serve, type Browser, type Served, type Site } from './harness';
import { firstVisit } from './transfer';

const FILES = KERNEL_VARIANTS.map(kernelFileName);
const PLAIN = kernelFileName({ fma: false, shared: false });
/** First-visit budget of the binary engine (app, worker, models, kernels, one image run). */
const BINARY_FIRST_VISIT_BYTES = 2 * 1024 * 1024;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function expectKernelServed(base: string, file: string, bytes: Uint8Array): Promise<void> {
  const r = await fetch(new URL(`kernels/${file}`, base));
  expect(r.status, file).toBe(200);
  expect(r.headers.get('content-type'), file).toBe('application/wasm');
  expect(r.headers.get('cross-origin-embedder-policy'), file).toBe('require-corp');
  expect(Buffer.from(await r.arrayBuffer()).equals(Buffer.from(bytes)), `${file}: the assembled bytes`).toBe(true);
}

async function expectKernel404(base: string, path: string): Promise<void> {
  const r = await fetch(new URL(path, base));
  const body = await r.text();
  expect(r.status, path).toBe(404);
  expect(r.headers.get('content-type') ?? '', path).not.toMatch(/html/);
  expect(body, path).not.toMatch(/<html|<!doctype/i);
}

let expected: Map<string, Uint8Array>;
beforeAll(async () => {
  expected = await assembleKernels();
});

describe('kernels/*.wasm in the build, vite preview and the dev server', () => {
  let site: Site;
  let srv: Served | undefined;
  let dev: ViteDevServer | undefined;
  let devBase = '';
  beforeAll(async () => {
    site = buildSite();
    srv = await serve(site);
    const port = await freePort();
    dev = await createServer({
      configFile: join(ROOT, 'vite.config.ts'),
      root: ROOT,
      logLevel: 'silent',
      clearScreen: false,
      server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    await dev.listen();
    devBase = `http://127.0.0.1:${port}/`;
  });
  afterAll(async () => {
    await dev?.close();
    await srv?.stop();
  });

  it('the build holds every variant, byte for byte what wabt assembles from kernelModuleWat', () => {
    expect(readdirSync(join(site.dir, 'kernels')).sort()).toEqual([...FILES].sort());
    for (const f of FILES) expect(readFileSync(join(site.dir, 'kernels', f)).equals(Buffer.from(expected.get(f)!)), f).toBe(true);
  });

  it('no WAT assembler ships: no wabt and no WAT text in the built JavaScript', () => {
    const js = readdirSync(join(site.dir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    for (const f of js) {
      const text = readFileSync(join(site.dir, 'assets', f), 'utf8');
      expect(text, f).not.toMatch(/parseWat|wabt/);
      expect(text, f).not.toContain('(import "env" "memory"');
    }
  });

  it('vite preview serves all four as application/wasm, isolated; a missing one is a 404', async () => {
    for (const f of FILES) await expectKernelServed(srv!.url, f, expected.get(f)!);
    for (const p of ['kernels/nope.wasm', 'kernels/', 'kernels/..%2Findex.html']) await expectKernel404(srv!.url, p);
  });

  it('the dev server assembles and serves them the same way; a missing one is a 404', async () => {
    for (const f of FILES) await expectKernelServed(devBase, f, expected.get(f)!);
    await expectKernel404(devBase, 'kernels/nope.wasm');
  });
});

describe.skipIf(!hasChromium)('in Chromium: kernels, precache, ORT runtime cache, offline', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    site = buildSite();
    srv = await serve(site);
    b = await launch(srv.url);
    await b.page.goto(`${srv.url}?ep=wasm`);
    await b.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 120_000 });
  });
  afterAll(async () => {
    await b?.context.setOffline(false);
    await closeApp(b, srv);
  });

  const cacheUrls = () =>
    b.page.evaluate(async () => {
      const out: Record<string, string[]> = {};
      for (const k of await caches.keys()) out[k] = (await (await caches.open(k)).keys()).map((r) => new URL(r.url).pathname);
      return out;
    });

  it('the page validates and instantiates the kernels; the exports are the spec kernels', async () => {
    const r = await b.page.evaluate(async (files) => {
      const out: Record<string, { status: number; type: string; valid: boolean }> = {};
      for (const f of files) {
        const res = await fetch(`kernels/${f}`);
        out[f] = { status: res.status, type: res.headers.get('content-type') ?? '', valid: WebAssembly.validate(await res.arrayBuffer()) };
      }
      // The plain variant, compiled from its response as the engine would, on a fresh memory.
      const { instance } = await WebAssembly.instantiateStreaming(fetch(`kernels/${files[0]}`), { env: { memory: new WebAssembly.Memory({ initial: 1 }) } });
      return { out, exports: Object.keys(instance.exports).sort(), isolated: crossOriginIsolated };
    }, [PLAIN, ...FILES.filter((f) => f !== PLAIN)]);
    expect(r.exports).toEqual(Object.keys(KERNELS).sort());
    for (const f of FILES) {
      expect(r.out[f].status, f).toBe(200);
      expect(r.out[f].type, f).toBe('application/wasm');
    }
    expect(r.out[PLAIN].valid).toBe(true);
    // This Chromium has relaxed SIMD and, cross-origin isolated, shared memories: all four validate.
    expect(r.isolated).toBe(true);
    for (const f of FILES) expect(r.out[f].valid, f).toBe(true);
  });

  it('the service worker 404s a missing kernel and does not answer its navigation with the app', async () => {
    const missing = await b.page.evaluate(async () => {
      const res = await fetch('kernels/nope.wasm');
      return { status: res.status, body: (await res.text()).slice(0, 200) };
    });
    expect(missing.status).toBe(404);
    expect(missing.body).not.toMatch(/<html|<!doctype/i);
    const p = await b.context.newPage();
    try {
      const r = await p.goto(`${srv.url}kernels/nope.wasm`);
      expect(r?.status()).toBe(404);
      expect(await p.content()).not.toMatch(/id="root"/);
    } finally {
      await p.close();
    }
  });

  it('the precache holds the kernels and the models, and nothing from ort/', async () => {
    const caches = await cacheUrls();
    const precache = Object.entries(caches).filter(([k]) => k.startsWith('workbox-precache'));
    expect(precache.length, Object.keys(caches).join(', ')).toBe(1);
    const urls = precache[0][1];
    for (const f of FILES) expect(urls, f).toContain(`/kernels/${f}`);
    for (const s of [2, 3, 4]) expect(urls).toContain(`/models/bitsr-x${s}.onnx`);
    expect(urls).toContain('/models/index.json');
    expect(urls.filter((u) => u.includes('/ort/'))).toEqual([]);
    // Nothing has run yet: no ORT file in any cache.
    expect(Object.values(caches).flat().filter((u) => u.includes('/ort/'))).toEqual([]);
  });

  it('?ep=wasm: an image runs online, ORT is kept in the runtime cache, and runs again after an offline reload', async () => {
    const img = generatedPng(64, 48, 'offline-engines');
    await b.page.getByTestId('image-input').setInputFiles(img);
    const online = await readMetrics(b.page);
    await expect.poll(() => b.page.getByTestId('ep-badge').getAttribute('data-ep')).toBe('wasm');
    await expect
      .poll(async () => Object.entries(await cacheUrls()).filter(([k]) => k.startsWith('bitsr-ort-')).flatMap(([, u]) => u).sort(), { timeout: 60_000 })
      .toEqual(['/ort/ort-wasm-simd-threaded.asyncify.mjs', '/ort/ort-wasm-simd-threaded.asyncify.wasm']);

    await b.context.setOffline(true);
    await b.page.reload();
    expect(await b.page.evaluate(() => navigator.onLine)).toBe(false);
    expect(await b.page.evaluate(() => crossOriginIsolated)).toBe(true);
    await b.page.getByTestId('image-input').setInputFiles(img);
    const offline = await readMetrics(b.page);
    await expect.poll(() => b.page.getByTestId('ep-badge').getAttribute('data-ep')).toBe('wasm');
    for (const s of [2, 3, 4]) expect(offline[s].sr, `x${s}: same result offline`).toBeCloseTo(online[s].sr, 6);
    expect(b.foreignRequests).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('first visit: bytes downloaded', () => {
  let site: Site;
  let srv: Served;
  beforeAll(async () => {
    site = buildSite();
    srv = await serve(site);
  });
  afterAll(() => srv?.stop());

  it('?engine=xnor-wasm: app, precache and one image within 2 MB on the binary engine', async () => {
    const v = await firstVisit(srv.url, '?engine=xnor-wasm');
    console.log(`[bitsr e2e] first visit ?engine=xnor-wasm: ${v.bytes} bytes (${v.loadBytes} before the image); engine badge: ${v.badge.engine || v.badge.ep} "${v.badge.text}"`);
    console.log(`[bitsr e2e]   largest: ${v.files.slice(0, 6).map((f) => `${f.path} ${f.bytes}`).join(', ')}`);
    // The precache fetched the kernels (the proxy saw them). Whether the image itself fetches
    // anything depends on whether the service worker's precache finished first, so only the total
    // is asserted.
    expect(v.files.find((f) => f.path.endsWith(`/kernels/${PLAIN}`))?.bytes ?? 0).toBeGreaterThan(expected.get(PLAIN)!.length);
    expect(v.badge.engine).toBe('xnor-wasm');
    expect(v.files.filter((f) => f.path.includes('/ort/') && f.path.endsWith('.wasm'))).toEqual([]);
    expect(v.bytes).toBeLessThanOrEqual(BINARY_FIRST_VISIT_BYTES);
  });
});
