/**
 * `tsx bench/transfer.ts -- [--engines xnor-wasm,ort-wasm] [--models <dir>] [--json out.json]`
 *
 * What a first visit downloads, per engine: the app is built with the given models (default: the
 * shipped ones) and served by `vite preview` behind a counting proxy (tests/e2e/transfer.ts); a
 * fresh Chromium profile opens ?engine=<name>, waits for the service worker's precache, then runs
 * one 64×48 image. Prints a JSON array, one entry per engine: the bytes at load and after the
 * image, the engine the page reported, and the bytes of every file.
 */
import { checkModelsAndJson } from './benchArgs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CHROMIUM, hasChromium, ROOT, serve } from '../tests/e2e/harness';
import { firstVisit } from '../tests/e2e/transfer';

const USAGE = `usage: tsx bench/transfer.ts -- [--engines xnor-wasm,ort-wasm] [--models <dir>] [--json out.json]
  Bytes a first visit downloads (fresh profile, service worker precache, one 64x48 image) for each
  ?engine=<name>, with the shipped models in models/ unless --models is given. Prints JSON.`;

interface Args {
  engines: string[];
  models: string;
  json?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { engines: ['xnor-wasm', 'ort-wasm'], models: resolve(ROOT, 'models') };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined || x.startsWith('--')) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--engines') {
      a.engines = v().split(',').filter(Boolean);
      if (!a.engines.length || !a.engines.every((e) => /^[\w-]+$/.test(e))) throw new Error('--engines takes a comma-separated list of engine names');
    } else if (k === '--models') a.models = resolve(v());
    else if (k === '--json') a.json = resolve(v());
    else if (k === '--') continue;
    else throw new Error(`unknown argument ${k}`);
  }
  checkModelsAndJson(a.models, a.json);
  return a;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) return void console.log(USAGE);
  const a = parseArgs(process.argv.slice(2));
  if (!hasChromium) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const dir = mkdtempSync(join(tmpdir(), 'bitsr-bench-transfer-'));
  try {
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', join(dir, 'site'), '--emptyOutDir', '--logLevel', 'error'], {
      cwd: ROOT,
      env: { ...process.env, BITSR_MODELS_DIR: a.models },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`vite build failed:\n${r.stderr}`);
    const srv = await serve({ dir: join(dir, 'site') });
    const chromium = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const out = [];
    try {
      for (const engine of a.engines) {
        const v = await firstVisit(srv.url, `?engine=${engine}`);
        out.push({
          engine,
          bytes: v.bytes,
          loadBytes: v.loadBytes,
          // What the page said it ran: until ?engine= is wired, the default engine answers.
          reported: v.badge.engine || v.badge.ep,
          badge: v.badge.text,
          files: v.files.map((f) => ({ path: f.path, bytes: f.bytes, requests: f.requests })),
          models: a.models,
          chromium,
          date: new Date().toISOString(),
        });
      }
    } finally {
      await srv.stop();
    }
    const text = JSON.stringify(out, null, 1);
    console.log(text);
    if (a.json) writeFileSync(a.json, `${text}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  console.error(USAGE);
  process.exitCode = 1;
});
