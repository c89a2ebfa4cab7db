/**
 * Shared e2e helper: builds the site once (cached by a hash of its inputs) with a temp models dir
 * of small random models, serves it with `vite preview` on a free 127.0.0.1 port, and launches
 * Debian Chromium through playwright-core. Tests skip, with the reason printed, when
 * /usr/bin/chromium is missing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { randomModelBytes, writeRandomModels } from '../helpers/models';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = process.env.BITSR_CHROMIUM ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const chromiumSkipReason = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium); e2e tests SKIPPED`;
if (!hasChromium) console.warn(`[bitsr e2e] ${chromiumSkipReason}`);

const BASE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan,WebGPU', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-vulkan=swiftshader', '--disable-vulkan-surface', '--ignore-gpu-blocklist'];

function hashInputs(): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
    else h.update(p).update(readFileSync(p));
  };
  for (const p of ['src', 'public', 'index.html', 'vite.config.ts', 'build', 'tests/helpers/models.ts', 'package-lock.json']) walk(join(ROOT, p));
  return h.digest('hex').slice(0, 16);
}

export interface Site {
  dir: string;
  modelsDir: string;
}

/**
 * vite build into a temp dir, reused while src/, public/, the config and the models are unchanged.
 * `tiers`: the random models plus a random full-tier x2 (bitsr-x2-full.onnx: wider MRB trunk).
 */
export function buildSite(opts: { tiers?: boolean } = {}): Site {
  const key = hashInputs();
  const base = join(tmpdir(), `bitsr-e2e-${key}${opts.tiers ? '-tiers' : ''}`);
  const dir = join(base, 'site');
  const modelsDir = join(base, 'models');
  if (existsSync(join(base, 'ok'))) return { dir, modelsDir };
  rmSync(base, { recursive: true, force: true });
  writeRandomModels(modelsDir);
  if (opts.tiers) writeFileSync(join(modelsDir, 'bitsr-x2-full.onnx'), randomModelBytes({ scale: 2, channels: 16, blocks: 2, block: 'mrb', name: 'random-x2-full' }, 202));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', dir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, BITSR_MODELS_DIR: modelsDir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stdout}\n${r.stderr}`);
  writeFileSync(join(base, 'ok'), key);
  return { dir, modelsDir };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export interface Served {
  url: string;
  stop(): Promise<void>;
}

/** `configFile`: another vite config (the benchmark page's bench/vite.config.ts); default the app's. */
export async function serve(site: Pick<Site, 'dir'>, opts: { configFile?: string } = {}): Promise<Served> {
  const port = await freePort();
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'node_modules/vite/bin/vite.js'),
      'preview',
      ...(opts.configFile ? ['--config', opts.configFile] : []),
      '--outDir',
      site.dir,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--strictPort',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = `http://127.0.0.1:${port}/`;
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      /* not up yet */
    }
    if (proc.exitCode !== null) throw new Error('vite preview exited');
    if (Date.now() - t0 > 30_000) throw new Error('vite preview did not start in 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Requests to any origin other than the site's (the privacy check). */
  foreignRequests: string[];
  console: string[];
  close(): Promise<void>;
}

export async function launch(siteUrl: string, opts: { webgpu?: boolean; extraArgs?: string[] } = {}): Promise<Browser> {
  const userDir = mkdtempSync(join(tmpdir(), 'bitsr-chromium-'));
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS, ...(opts.webgpu ? WEBGPU_ARGS : []), ...(opts.extraArgs ?? [])],
    acceptDownloads: true,
  });
  const origin = new URL(siteUrl).origin;
  const foreignRequests: string[] = [];
  const consoleLines: string[] = [];
  context.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) foreignRequests.push(u);
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
  return {
    context,
    page,
    foreignRequests,
    console: consoleLines,
    close: async () => {
      await context.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/** Drop a file on the page's drop zone, as a user dragging from the desktop would. */
export async function dropFile(page: Page, name: string, bytes: Buffer, type: string): Promise<void> {
  const dt = await page.evaluateHandle(
    ({ b64, name, type }) => {
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const d = new DataTransfer();
      d.items.add(new File([bin], name, { type }));
      return d;
    },
    { b64: bytes.toString('base64'), name, type },
  );
  await page.getByTestId('drop-zone').dispatchEvent('dragover', { dataTransfer: dt });
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dt });
}

/** Wait for the three PSNR values (bitsr) and return them, with bicubic and SSIM. */
export async function readMetrics(page: Page, timeout = 120_000): Promise<Record<number, { sr: number; bicubic: number; ssim: number }>> {
  const out: Record<number, { sr: number; bicubic: number; ssim: number }> = {};
  for (const s of [2, 3, 4]) {
    const sr = page.getByTestId(`psnr-sr-x${s}`);
    await sr.waitFor({ timeout });
    out[s] = {
      sr: Number(await sr.textContent()),
      bicubic: Number(await page.getByTestId(`psnr-bicubic-x${s}`).textContent()),
      ssim: Number(await page.getByTestId(`ssim-sr-x${s}`).textContent()),
    };
  }
  return out;
}

/** The fixture every browser suite starts with: build the site, serve it, launch Chromium. */
export async function openApp(opts: { webgpu?: boolean; tiers?: boolean } = {}): Promise<{ site: Site; srv: Served; b: Browser }> {
  const site = buildSite({ tiers: opts.tiers });
  const srv = await serve(site);
  const b = await launch(srv.url, opts);
  return { site, srv, b };
}

export async function closeApp(b: Browser | undefined, srv: Served | undefined): Promise<void> {
  await b?.close();
  await srv?.stop();
}
