/**
 * `npm run bench:memory -- [--size N] [--mode evaluate|upscale] [--engine xnor-wasm|ort-wasm] [--models <dir>] [--json out.json]`
 *
 * Peak memory of the whole browser while the app runs one image: the app is built with the given
 * models (default: the shipped ones), served by `vite preview`, and driven in headless Chromium
 * (wasm EP). Every 100 ms it sums the proportional set size (PSS, /proc/PID/smaps_rollup) of the
 * Chromium process tree, so shared pages are counted once. Prints a JSON report.
 */
import { checkModelsAndJson } from './benchArgs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHROMIUM, hasChromium, launch, ROOT, serve } from '../tests/e2e/harness';
import { generatedPng } from '../tests/helpers/images';

const USAGE = `usage: npm run bench:memory -- [--size N] [--mode evaluate|upscale] [--engine xnor-wasm|ort-wasm] [--models <dir>] [--json out.json]
  Peak PSS of the Chromium process tree while the app processes one generated N×N PNG
  (default 4096, Evaluate, the shipped models in models/). Prints JSON.`;

interface Args {
  size: number;
  mode: 'evaluate' | 'upscale';
  models: string;
  engine: 'xnor-wasm' | 'ort-wasm';
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { size: 4096, mode: 'evaluate', models: resolve(ROOT, 'models'), engine: 'ort-wasm' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined || x.startsWith('--')) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--size') {
      a.size = Number(v());
      if (!Number.isInteger(a.size) || a.size < 16 || a.size > 4096) throw new Error('--size must be an integer from 16 to 4096');
    } else if (k === '--mode') {
      const m = v();
      if (m !== 'evaluate' && m !== 'upscale') throw new Error('--mode must be evaluate or upscale');
      a.mode = m;
    } else if (k === '--engine') {
      const e = v();
      if (e !== 'xnor-wasm' && e !== 'ort-wasm') throw new Error('--engine must be xnor-wasm or ort-wasm');
      a.engine = e;
    } else if (k === '--models') a.models = resolve(v());
    else if (k === '--json') a.json = resolve(v());
    else if (k === '--') continue;
    else throw new Error(`unknown argument ${k}`);
  }
  checkModelsAndJson(a.models, a.json);
  return a;
}

/** pid → ppid for every process. */
function processTable(): Map<number, number> {
  const t = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      t.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited */
    }
  }
  return t;
}

/** The browser's main process (its command line has `token`) and all its descendants. */
function browserTree(token: string): number[] {
  const t = processTable();
  const roots = [...t.keys()].filter((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.includes(token) && t.get(p) !== undefined && !readFileSync(`/proc/${t.get(p)}/cmdline`, 'utf8').includes(token);
    } catch {
      return false;
    }
  });
  const out = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [p, pp] of t) {
      if (out.has(pp) && !out.has(p)) {
        out.add(p);
        grew = true;
      }
    }
  }
  return [...out];
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return void console.log(USAGE);
  const a = parseArgs(process.argv.slice(2));
  if (!hasChromium) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'bitsr-bench-memory-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', join(dir, 'site'), '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, BITSR_MODELS_DIR: a.models },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`vite build failed:\n${r.stderr}`);
  const image = generatedPng(a.size, a.size, 'bench-memory');
  const srv = await serve({ dir: join(dir, 'site') });
  // A switch Chromium ignores, so this browser's main process can be told from any other.
  const token = `--bitsr-bench-memory=${process.pid}-${Date.now()}`;
  const b = await launch(srv.url, { extraArgs: [token] });
  try {
    await b.page.goto(`${srv.url}?engine=${a.engine}`);
    await b.page.getByTestId(`mode-${a.mode}`).click();
    await b.page.waitForFunction((e) => document.querySelector('[data-testid=ep-badge]')?.getAttribute('data-engine') === e, a.engine, { timeout: 60_000 });
    const idleKb = browserTree(token).reduce((s, p) => s + pssKb(p), 0);
    let peakKb = idleKb;
    let peakByProcess: Record<string, number> = {};
    let peakAt = '';
    let phase = 'decoding';
    const timeline: Array<[number, number, string]> = [];
    const t0 = Date.now();
    // What the app shows (progress text, finished scales), read once a second, to place the peak.
    const phaser = setInterval(() => {
      b.page
        .evaluate(() => `${document.querySelector('.progress-row span, [data-testid=progress-text]')?.textContent ?? ''} · done ${document.querySelectorAll('[data-testid^="time-x"]').length}`)
        .then((p) => (phase = p))
        .catch(() => undefined);
    }, 1000);
    const timer = setInterval(() => {
      const pids = browserTree(token);
      const per = pids.map((p) => [p, pssKb(p)] as const);
      const sum = per.reduce((s, [, k]) => s + k, 0);
      const secs = Math.round((Date.now() - t0) / 100) / 10;
      if (!timeline.length || secs - timeline[timeline.length - 1][0] >= 5) timeline.push([secs, Math.round(sum / 1024), phase]);
      if (sum > peakKb) {
        peakKb = sum;
        peakAt = `${secs} s, ${phase}`;
        peakByProcess = Object.fromEntries(per.filter(([, k]) => k > 50_000).map(([p, k]) => [processType(p), Math.round(k / 1024)]));
      }
    }, 100);
    await b.page.getByTestId('image-input').setInputFiles(image);
    await b.page.waitForFunction(() => document.querySelectorAll('section[aria-label^="x"] [data-testid^="time-x"]').length === 3 && !!document.querySelector('[data-testid=cancel][disabled]'), null, { timeout: 600_000, polling: 500 });
    const seconds = (Date.now() - t0) / 1000;
    clearInterval(timer);
    clearInterval(phaser);
    const psnr = await b.page.evaluate(() => [2, 3, 4].map((s) => document.querySelector(`[data-testid=psnr-sr-x${s}]`)?.textContent ?? null));
    const report = {
      bench: 'memory',
      image: `${a.size}×${a.size} generated PNG`,
      mode: a.mode,
      models: a.models,
      engine: a.engine,
      peakPssMiB: Math.round(peakKb / 1024),
      idlePssMiB: Math.round(idleKb / 1024),
      peakByProcessMiB: peakByProcess,
      peakAt,
      timelineSecondsMiBPhase: timeline,
      seconds: Math.round(seconds * 10) / 10,
      psnrX234: psnr,
      cpu: cpus()[0]?.model ?? 'unknown',
      chromium: spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim(),
      date: new Date().toISOString(),
    };
    const text = JSON.stringify(report, null, 1);
    console.log(text);
    if (a.json) writeFileSync(a.json, `${text}\n`);
  } finally {
    await b.close();
    await srv.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function processType(pid: number): string {
  try {
    const m = /--type=([\w-]+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
    return `${m ? m[1] : 'browser'}:${pid}`;
  } catch {
    return String(pid);
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  console.error(USAGE);
  process.exitCode = 1;
});
