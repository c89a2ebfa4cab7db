/**
 * How the site serves models and ORT files, in `vite preview` (what `npm start` runs), in the dev
 * server and through the service worker: the right Content-Type, COOP/COEP on every answer, and a
 * 404 (never the SPA's index.html with 200) for a missing /models/* or /ort/* path.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSite, closeApp, hasChromium, launch, ROOT, serve, type Browser, type Served, type Site } from './harness';

const ORT_WASM = 'ort-wasm-simd-threaded.asyncify.wasm';
const ORT_MJS = 'ort-wasm-simd-threaded.asyncify.mjs';

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

function expectIsolated(r: Response, what: string): void {
  expect(r.headers.get('cross-origin-opener-policy'), `${what}: COOP`).toBe('same-origin');
  expect(r.headers.get('cross-origin-embedder-policy'), `${what}: COEP`).toBe('require-corp');
}

async function expect404(base: string, path: string): Promise<void> {
  const r = await fetch(new URL(path, base));
  const body = await r.text();
  expect(r.status, `${path}: status`).toBe(404);
  expect(r.headers.get('content-type') ?? '', `${path}: content type`).not.toMatch(/html/);
  expect(body, `${path}: body`).not.toMatch(/<html|<!doctype/i);
  expectIsolated(r, path);
}

/** The rules both servers follow; `modelsDir` holds the .onnx files the server was built or started with. */
function servingRules(getBase: () => string, getModelsDir: () => string): void {
  it('models/index.json is application/json and lists the models', async () => {
    const r = await fetch(new URL('models/index.json', getBase()));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
    expectIsolated(r, 'models/index.json');
    const list = (await r.json()) as { models: { file: string }[] };
    expect(list.models.map((m) => m.file)).toEqual(['bitsr-x2.onnx', 'bitsr-x3.onnx', 'bitsr-x4.onnx']);
  });

  it('a model is application/octet-stream, byte for byte', async () => {
    const r = await fetch(new URL('models/bitsr-x2.onnx', getBase()));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/octet-stream');
    expectIsolated(r, 'models/bitsr-x2.onnx');
    expect(Buffer.from(await r.arrayBuffer()).equals(readFileSync(join(getModelsDir(), 'bitsr-x2.onnx')))).toBe(true);
  });

  it('the ORT wasm is application/wasm and its loader JavaScript', async () => {
    const w = await fetch(new URL(`ort/${ORT_WASM}`, getBase()));
    expect(w.status).toBe(200);
    expect(w.headers.get('content-type')).toBe('application/wasm');
    expectIsolated(w, ORT_WASM);
    expect((await w.arrayBuffer()).byteLength).toBe(statSync(join(ROOT, 'node_modules/onnxruntime-web/dist', ORT_WASM)).size);
    const m = await fetch(new URL(`ort/${ORT_MJS}`, getBase()));
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/javascript\b/);
    await m.arrayBuffer();
  });

  it('missing /models/* and /ort/* paths are 404, not the app', async () => {
    for (const p of ['models/missing.onnx', 'ort/missing.wasm', 'models/missing.json', 'models/', 'ort/', 'models/..%2Findex.html']) await expect404(getBase(), p);
  });

  it('other paths still fall back to the app (SPA), isolated', async () => {
    const r = await fetch(new URL('some/page', getBase()));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html\b/);
    expectIsolated(r, 'some/page');
    expect(await r.text()).toMatch(/id="root"/);
  });
}

describe('vite preview (npm start) serves models and ORT files', () => {
  let site: Site;
  let srv: Served | undefined;
  beforeAll(async () => {
    site = buildSite();
    srv = await serve(site);
  });
  afterAll(() => srv?.stop());

  servingRules(
    () => srv!.url,
    () => site.modelsDir,
  );

  describe.skipIf(!hasChromium)('through the service worker', () => {
    let b: Browser | undefined;
    beforeAll(async () => {
      b = await launch(srv!.url);
      await b.page.goto(srv!.url);
      await b.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 60_000 });
      // Installed: the precache (models included) is complete.
      await b.page.waitForFunction(
        async () => {
          const urls = (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat();
          return urls.some((u) => u.includes('bitsr-x2.onnx'));
        },
        null,
        { timeout: 120_000, polling: 500 },
      );
    });
    afterAll(async () => {
      await b?.context.setOffline(false);
      await closeApp(b, undefined);
    });

    const pageFetch = (path: string) =>
      b!.page.evaluate(async (p) => {
        try {
          const r = await fetch(p);
          return { status: r.status, type: r.headers.get('content-type') ?? '', body: (await r.text()).slice(0, 200), error: '' };
        } catch (e) {
          return { status: 0, type: '', body: '', error: String(e) };
        }
      }, path);

    it('from the controlled page, a missing model is a 404 and a present one is octet-stream', async () => {
      expect(await b!.page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
      const missing = await pageFetch('models/missing.onnx');
      expect(missing.status).toBe(404);
      expect(missing.type).not.toMatch(/html/);
      expect(missing.body).not.toMatch(/<html|<!doctype/i);
      const ort = await pageFetch('ort/missing.wasm');
      expect(ort.status).toBe(404);
      const model = await pageFetch('models/bitsr-x2.onnx');
      expect(model.status).toBe(200);
      expect(model.type).toBe('application/octet-stream');
      const list = await pageFetch('models/index.json');
      expect(list.type).toMatch(/^application\/json\b/);
    });

    it('navigating to a missing model is not answered with the app (navigation fallback)', async () => {
      const p = await b!.context.newPage();
      try {
        // The worker answers this page's navigations: the app comes from the precache...
        const app = await p.goto(srv!.url);
        expect(app?.status()).toBe(200);
        expect(app?.fromServiceWorker()).toBe(true);
        // ...but a model path goes to the server, which 404s.
        const r = await p.goto(`${srv!.url}models/missing.onnx`);
        expect(r?.status()).toBe(404);
        expect(await p.content()).not.toMatch(/id="root"/);
      } finally {
        await p.close();
      }
    });

    it('offline, a present model comes from the precache and a missing one fails (no HTML)', async () => {
      await b!.context.setOffline(true);
      try {
        const model = await pageFetch('models/bitsr-x3.onnx');
        expect(model.status).toBe(200);
        expect(model.type).toBe('application/octet-stream');
        const missing = await pageFetch('models/missing.onnx');
        expect(missing.status).not.toBe(200);
        expect(missing.body).not.toMatch(/<html|<!doctype/i);
      } finally {
        await b!.context.setOffline(false);
      }
    });
  });
});

describe('dev server (vite) serves models and ORT files', () => {
  let site: Site;
  let server: ViteDevServer | undefined;
  let base = '';
  beforeAll(async () => {
    site = buildSite(); // only for its models dir of small random models
    const port = await freePort();
    const before = process.env.BITSR_MODELS_DIR;
    process.env.BITSR_MODELS_DIR = site.modelsDir; // read when the config is loaded
    try {
      server = await createServer({
        configFile: join(ROOT, 'vite.config.ts'),
        root: ROOT,
        logLevel: 'silent',
        clearScreen: false,
        server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
        optimizeDeps: { noDiscovery: true, include: [] },
      });
    } finally {
      if (before === undefined) delete process.env.BITSR_MODELS_DIR;
      else process.env.BITSR_MODELS_DIR = before;
    }
    await server.listen();
    base = `http://127.0.0.1:${port}/`;
  });
  afterAll(() => server?.close());

  servingRules(
    () => base,
    () => site.modelsDir,
  );
});
