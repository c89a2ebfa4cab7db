/**
 * `npm run bench:infer -- [--json out.json] [--images <dir>] [--models <dir> | --random-models]
 *   [--tier lite|full|both] [--scales 2,3,4] [--limit N] [--webgpu-images N] [--peer-budget-s S] [--no-webgpu]`
 *
 * One headless Chromium run (the docs/browser.md flags) on the bench page (bench/, its own Vite build, so
 * the peers never enter the app bundle): bitsr through the app's engine on wasm (threads) and
 * WebGPU, UpscalerJS esrgan-slim / esrgan-medium on their fastest tfjs backend here (probed), and
 * canvas drawImage 'high' as a floor. Images: Set14 HR, LR = core makeLr. Prints the JSON report.
 * `--tier both` runs the lite and the full model of each scale in the same run (rows `bitsr` and
 * `bitsr-full`), so one report holds a latency row per shipped model and engine.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { buildRatios, buildRow, validateReport, type BenchReport, type RowInput, type Sample } from './rows';
import { createImage } from '../src/core/image';
import { encodePng, readImage } from '../training/io/imageIO';
import { existingDir, isMain, list, optional, optStr, parseArgs as parseCli, positiveInt, positiveNumber, str, UsageError, writableFilePath } from '../training/cli/args';
import { CHROMIUM, hasChromium, launch, ROOT, serve } from '../tests/e2e/harness';
import { shippedModels, writeRandomModels } from '../tests/helpers/models';
import type { Tier } from '../src/engine/tiers';

interface Args {
  json?: string;
  images: string;
  models?: string;
  randomModels: boolean;
  /** Which models of each scale run: bitsr-xS.onnx (lite), bitsr-xS-full.onnx (full), or both. */
  tiers: Tier[];
  scales: number[];
  limit?: number;
  webgpuImages: number;
  webgpu: boolean;
  peerBudgetS: number;
}

export const USAGE = `usage: npm run bench:infer -- [--json out.json] [--images <dir>] [--models <dir> | --random-models]
    [--tier lite|full|both] [--scales 2,3,4] [--limit N] [--webgpu-images N] [--peer-budget-s S] [--no-webgpu]
  In-browser inference benchmark (headless Chromium): bitsr on wasm and WebGPU against UpscalerJS
  and canvas on the HR images of --images (default: Set14), printing a JSON report.
  --tier picks the model of each scale: lite (bitsr-xS.onnx, the default), full (bitsr-xS-full.onnx)
  or both, in one run.`;

/** The command line, checked before Chromium or the bench build starts; null for --help. */
export function parseArgs(argv: string[]): Args | null {
  if (argv.includes('--help') || argv.includes('-h')) return null;
  const o = parseCli(
    argv.filter((x) => x !== '--'),
    { flags: ['random-models', 'no-webgpu'], options: ['json', 'images', 'models', 'tier', 'scales', 'limit', 'webgpu-images', 'peer-budget-s'] },
  );
  if (o.models !== undefined && o['random-models']) throw new UsageError('use --models <dir> or --random-models, not both');
  const tier = str(o, 'tier', 'lite');
  if (tier !== 'lite' && tier !== 'full' && tier !== 'both') throw new UsageError(`--tier must be lite, full or both (got '${tier}')`);
  if (tier !== 'lite' && o['random-models']) throw new UsageError(`--tier ${tier} needs trained models: random models have no full tier`);
  const scales = list(o, 'scales', '2,3,4').map((x) => Number(x));
  if (scales.some((x) => ![2, 3, 4].includes(x)) || new Set(scales).size !== scales.length) throw new UsageError(`--scales must be distinct values from 2, 3, 4 (got '${o.scales}')`);
  const json = optStr(o, 'json');
  if (json !== undefined) writableFilePath('--json', json);
  const models = optStr(o, 'models');
  return {
    json,
    images: resolve(existingDir('--images', str(o, 'images', resolve(ROOT, '../shared/data/benchmark/Set14')))),
    models: models === undefined ? undefined : resolve(existingDir('--models', models)),
    randomModels: o['random-models'] === true,
    tiers: tier === 'both' ? ['lite', 'full'] : [tier],
    scales,
    limit: optional(o, 'limit', positiveInt),
    webgpuImages: positiveInt(o, 'webgpu-images', 2),
    webgpu: o['no-webgpu'] !== true,
    peerBudgetS: positiveNumber(o, 'peer-budget-s', 60),
  };
}

function imageFiles(dir: string): string[] {
  const d = existsSync(join(dir, 'HR')) ? join(dir, 'HR') : dir;
  if (!existsSync(d)) throw new Error(`images dir ${d} not found (--images <dir>)`);
  return readdirSync(d)
    .filter((f) => /\.png$/i.test(f))
    .sort()
    .map((f) => join(d, f));
}

/** The file of a scale's model in a tier. */
const modelFile = (s: number, t: Tier) => `bitsr-x${s}${t === 'full' ? '-full' : ''}.onnx`;
/** A tier's rows: `bitsr` for lite (as in every earlier report), `bitsr-full` for full. */
const methodOf = (t: Tier) => (t === 'full' ? 'bitsr-full' : 'bitsr');

/** The models dir for this run: the requested scales and tiers, under their own names (the app's manifest reads the tier). */
function modelsFor(a: Args): { dir: string; source: string; kind: string } {
  let src: string | null;
  let kind: string;
  if (a.models) {
    src = a.models;
    kind = `--models ${a.models}`;
  } else if (a.randomModels) {
    src = join(tmpdir(), 'bitsr-bench-random-models');
    writeRandomModels(src);
    kind = 'random weights (tests/helpers/models.ts: 8 channels, 2 blocks), NOT trained';
  } else {
    src = shippedModels(ROOT);
    if (!src) {
      throw new Error(
        `models/ does not hold bitsr-x2/x3/x4.onnx (trained models not shipped yet). ` +
          `Pass --models <dir>, or --random-models to benchmark random-weight models (speed only; PSNR meaningless).`,
      );
    }
    kind = 'shipped models/ (trained)';
  }
  const dir = join(tmpdir(), `bitsr-bench-models-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  for (const t of a.tiers) {
    for (const s of a.scales) {
      const f = join(src, modelFile(s, t));
      if (!existsSync(f)) throw new Error(`${f} missing${t === 'full' ? ' (the full tier runs each scale\'s bitsr-xS-full.onnx)' : ''}`);
      copyFileSync(f, join(dir, modelFile(s, t)));
    }
  }
  if (a.tiers.includes('full')) kind += a.tiers.length > 1 ? ', lite and full tiers (bitsr-xS.onnx, bitsr-xS-full.onnx)' : ', full tier (bitsr-xS-full.onnx)';
  return { dir, source: src, kind };
}

function buildBench(modelsDir: string): string {
  const h = createHash('sha256');
  // Every source the bench page bundles (src/ recursively, the build plugins): a change rebuilds.
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(ROOT.length + 1))
    .sort();
  for (const p of ['bench/main.ts', 'bench/index.html', 'bench/vite.config.ts', 'build/sitePlugin.ts', 'build/kernelsPlugin.ts', 'build/modelManifest.ts', 'package-lock.json', ...sources]) {
    h.update(p).update(readFileSync(join(ROOT, p)));
  }
  for (const f of readdirSync(modelsDir).sort()) h.update(f).update(readFileSync(join(modelsDir, f)));
  const out = join(tmpdir(), `bitsr-bench-site-${h.digest('hex').slice(0, 16)}`);
  if (existsSync(join(out, 'index.html'))) return out;
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', join(ROOT, 'bench/vite.config.ts'), '--outDir', out, '--logLevel', 'warn'], {
    cwd: ROOT,
    env: { ...process.env, BITSR_MODELS_DIR: modelsDir },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bench build failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

function dirBytes(d: string): number {
  return readdirSync(d).reduce((s, f) => s + statSync(join(d, f)).size, 0);
}

const say = (s: string) => process.stderr.write(`[bench] ${s}\n`);

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (!a) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (!hasChromium) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const t0 = Date.now();
  let files = imageFiles(a.images);
  if (a.limit) files = files.slice(0, a.limit);
  const images = files.map((f) => ({ name: basename(f), b64: readFileSync(f).toString('base64') }));
  const sizes = new Map(files.map((f) => [basename(f), readImage(f)] as const));
  const models = modelsFor(a);
  say(`models: ${models.kind}; images: ${images.length} from ${a.images}; scales ${a.scales}`);
  const site = buildBench(models.dir);
  say(`site built in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const srv = await serve({ dir: site }, { configFile: join(ROOT, 'bench/vite.config.ts') });
  const b = await launch(srv.url, { webgpu: true, extraArgs: ['--enable-precise-memory-info'] });
  const inputs: RowInput[] = [];
  const extra: Record<string, unknown> = {};
  const bitsrBytes = (s: number, t: Tier) => statSync(join(models.dir, modelFile(s, t))).size;
  const page = b.page;
  const open = async () => {
    await page.goto(`${srv.url}index.html`);
    await page.waitForFunction(() => (window as unknown as { __bench?: { ready: boolean } }).__bench?.ready === true, null, { timeout: 60_000 });
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = <T>(fn: string, arg: unknown): Promise<T> => page.evaluate(([f, x]) => (window as any).__bench[f as string](x), [fn, arg] as const) as Promise<T>;
  type PageSample = Sample & { scale: number; overheadMs?: number; model?: { file: string; tier: Tier } };
  // The worker names the model each scale ran: a row must hold only its tier's file.
  const checkModels = (samples: PageSample[], t: Tier, what: string) => {
    const wrong = samples.filter((x) => x.model?.file !== modelFile(x.scale, t));
    if (wrong.length) throw new Error(`${what}: asked for the ${t} tier, the worker ran ${[...new Set(wrong.map((x) => x.model?.file ?? 'an unnamed model'))].join(', ')}`);
  };
  try {
    // ---- bitsr on the CPU: the binary engine and onnxruntime-web, each at 2 threads and at 1 ----
    type Cpu = { samples: PageSample[]; walls: unknown[]; warmupMs: number; ep: { engine: string; threads: number; reason: string; placement: string } | null; errors: string[]; crossOriginIsolated: boolean; heapPeak: number | null };
    const cpuRuns = a.tiers.flatMap((t) => ([['xnor-wasm', 2], ['ort-wasm', 2], ['xnor-wasm', 1], ['ort-wasm', 1]] as const).map(([e, n]) => [t, e, n] as const));
    for (const [tier, engine, threads] of cpuRuns) {
      await open();
      say(`bitsr ${tier} ${engine}, ${threads} thread(s) …`);
      const r = await call<Cpu>('bitsr', { engine, threads, tier, images, warmup: images[0], budgetMs: 600_000 });
      if (!r.crossOriginIsolated) throw new Error('bench page is not crossOriginIsolated: wasm threads would be off');
      if (r.ep?.engine !== engine || r.ep.threads !== threads) throw new Error(`asked for ${engine} with ${threads} threads, the page ran ${r.ep?.engine} with ${r.ep?.threads}: ${r.errors.join('; ')}`);
      checkModels(r.samples, tier, `bitsr ${engine}-${threads}t`);
      for (const s of a.scales) {
        inputs.push({
          method: methodOf(tier),
          backend: `${engine}-${threads}t`,
          scale: s,
          samples: r.samples.filter((x) => x.scale === s),
          modelBytes: bitsrBytes(s, tier),
          peakJsHeapBytes: r.heapPeak,
          heapScope: 'page main thread (the inference worker and the engine heaps are not included)',
          notes: [`${engine === 'xnor-wasm' ? 'binary engine (XNOR/popcount wasm SIMD)' : 'onnxruntime-web wasm EP'}, ${threads} thread(s), crossOriginIsolated`, `app worker path (src/engine), Evaluate mode, tile ${384}`, models.kind],
        });
      }
      extra[`${methodOf(tier)}:${engine}-${threads}t`] = { warmupMs: r.warmupMs, walls: r.walls, ep: r.ep, errors: r.errors, overheadMsPerScale: r.samples.map((x) => ({ image: x.image, scale: x.scale, inferMs: x.ms, scaleWallMs: x.scaleWallMs, workerOtherMs: x.overheadMs })) };
    }

    // ---- bitsr, WebGPU (SwiftShader): few small images ----
    if (a.webgpu) {
      const small = [...images].sort((p, q) => sizes.get(p.name)!.width * sizes.get(p.name)!.height - sizes.get(q.name)!.width * sizes.get(q.name)!.height).slice(0, a.webgpuImages);
      for (const [tier, engine] of a.tiers.flatMap((t) => (['ort-webgpu', 'xnor-webgpu'] as const).map((e) => [t, e] as const))) {
        await open();
        say(`bitsr ${tier} ${engine} on ${small.map((x) => x.name)} …`);
        const gpu = await call<{ samples: PageSample[]; warmupMs: number; skipped: number; ep: { engine: string; ep: string; reason: string; placement: string; allNodesOnEp: boolean | null } | null; errors: string[]; heapPeak: number | null }>('bitsr', {
          engine,
          tier,
          images: small,
          warmup: small[0],
          budgetMs: 120_000,
        });
        checkModels(gpu.samples, tier, `bitsr ${engine}`);
        for (const s of a.scales) {
          inputs.push({
            method: methodOf(tier),
            backend: gpu.ep?.engine === engine ? engine : `${engine}->${gpu.ep?.engine}`,
            scale: s,
            samples: gpu.samples.filter((x) => x.scale === s),
            modelBytes: bitsrBytes(s, tier),
            peakJsHeapBytes: gpu.heapPeak,
            heapScope: 'page main thread (worker excluded)',
            notes: [`WebGPU on SwiftShader (software): limited to the ${a.webgpuImages} smallest images; images: ${gpu.samples.filter((x) => x.scale === s).length}`, `placement: ${gpu.ep?.placement ?? '?'}`, `warm-up (model + shaders, 1 image) ${Math.round(gpu.warmupMs)} ms`],
          });
        }
        extra[`${methodOf(tier)}:${engine}`] = { warmupMs: gpu.warmupMs, ep: gpu.ep, errors: gpu.errors, skipped: gpu.skipped };
      }
    }

    // ---- peers: probe the tfjs backend on one image, then run everything on the faster ----
    // Probe on a 96×96 centre crop of the first image: enough to rank the backends, cheap enough
    // that the slow ones (webgl on SwiftShader, cpu) finish.
    const first = sizes.get(images[0].name)!;
    const side = Math.min(96, first.width, first.height);
    const crop = createImage(side, side);
    const ox = (first.width - side) >> 1;
    const oy = (first.height - side) >> 1;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) crop.data[c * side * side + y * side + x] = first.data[c * first.width * first.height + (y + oy) * first.width + x + ox];
    const probeImg = { name: `${images[0].name}-crop${side}`, b64: encodePng(crop).toString('base64') };
    const probe: Record<string, number | string> = {};
    for (const be of ['wasm', 'webgl', 'cpu']) {
      await open();
      say(`probe tfjs ${be} (esrgan-slim x2, ${probeImg.name}) …`);
      try {
        const r = await Promise.race([
          call<{ samples: PageSample[]; backend: string; warmupMs: number | null }>('peer', { model: 'esrgan-slim', backend: be, scale: 2, images: [probeImg], budgetMs: 1 }),
          new Promise<never>((_, rej) => setTimeout(() => rej(new Error('probe timeout 60 s')), 60_000)),
        ]);
        probe[be] = r.samples[0]?.ms ?? NaN;
      } catch (e) {
        probe[be] = `failed: ${String((e as Error).message).split('\n')[0]}`;
      }
      say(`  ${be}: ${probe[be]}`);
    }
    const peerBackend = Object.entries(probe)
      .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
      .sort((p, q) => (p[1] as number) - (q[1] as number))[0]?.[0];
    if (!peerBackend) throw new Error(`no tfjs backend worked: ${JSON.stringify(probe)}`);
    extra.peerBackendProbe = { model: 'esrgan-slim', scale: 2, image: probeImg.name, ms: probe, chosen: peerBackend };
    for (const model of ['esrgan-slim', 'esrgan-medium']) {
      for (const s of a.scales) {
        await open();
        say(`${model} x${s} on tfjs ${peerBackend} …`);
        const r = await call<{ samples: PageSample[]; warmupMs: number | null; skipped: number; backend: string; heapPeak: number | null }>('peer', { model, backend: peerBackend, scale: s, images, budgetMs: a.peerBudgetS * 1000 });
        const d = join(ROOT, 'node_modules/@upscalerjs', model, 'models', `x${s}`);
        inputs.push({
          method: `upscalerjs-${model}`,
          backend: `tfjs-${r.backend}`,
          scale: s,
          samples: r.samples,
          modelBytes: dirBytes(d),
          peakJsHeapBytes: r.heapPeak,
          heapScope: 'page main thread (tfjs runs here)',
          notes: [`fastest tfjs backend here (probe ms on a ${side}px crop: ${JSON.stringify(probe)})`, ...(r.backend === 'wasm' ? ['tfjs wasm single-threaded SIMD: its threaded build fails when bundled'] : []), ...(r.skipped ? [`time budget ${a.peerBudgetS} s: ${r.skipped} of ${images.length} images not run; images: ${r.samples.length}`] : [])],
        });
      }
    }

    // ---- canvas floor ----
    await open();
    for (const s of a.scales) {
      const r = await call<{ samples: PageSample[]; heapPeak: number | null }>('canvas', { scale: s, images });
      inputs.push({ method: 'canvas-drawImage-high', backend: 'canvas2d', scale: s, samples: r.samples, modelBytes: 0, peakJsHeapBytes: r.heapPeak, heapScope: 'page main thread', notes: ["imageSmoothingQuality 'high'"] });
    }
    // ---- where the app's per-image time goes besides inference (same core code, main thread) ----
    extra.coreOverheadsMs = await call('overheads', { images: images.slice(0, 3), scale: a.scales[0] });

    const browserVersion = b.context.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent));
    const report: BenchReport = {
      schema: 'bitsr-bench-infer/1',
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cores: cpus().length, browser: browserVersion, gpu: 'none (WebGPU/WebGL on SwiftShader, software)' },
      config: { images: a.images, imageCount: images.length, scales: a.scales, tier: a.tiers.length > 1 ? 'both' : a.tiers[0], models: models.kind, modelsSource: models.source, webgpuImages: a.webgpuImages, peerBudgetS: a.peerBudgetS, peerBackend },
      rows: inputs.map(buildRow),
      // Each tier's binary engine against every other row, at 2 threads and at 1 (equal threads: ORT's row of the same count).
      ratios: a.tiers.flatMap((t) => [...buildRatios(inputs, methodOf(t), 'xnor-wasm-2t'), ...buildRatios(inputs, methodOf(t), 'xnor-wasm-1t')]),
      ...extra,
      totalSeconds: Math.round((Date.now() - t0) / 1000),
    };
    const methods: Array<[string, string | null]> = [
      ...cpuRuns.map(([t, e, n]): [string, string] => [methodOf(t), `${e}-${n}t`]),
      ['upscalerjs-esrgan-slim', null],
      ['upscalerjs-esrgan-medium', null],
      ['canvas-drawImage-high', null],
    ];
    if (a.webgpu) for (const t of a.tiers) methods.push([methodOf(t), 'ort-webgpu'], [methodOf(t), 'xnor-webgpu']);
    validateReport(report, { scales: a.scales, methods, base: [methodOf(a.tiers[0]), 'xnor-wasm-2t'] });
    const text = JSON.stringify(report, null, 1);
    if (a.json) writeFileSync(a.json, text + '\n');
    process.stdout.write(text + '\n');
  } catch (e) {
    say(`page console (last 30):\n${b.console.slice(-30).join('\n')}`);
    throw e;
  } finally {
    await b.close();
    await srv.stop();
  }
}

if (isMain(import.meta.url)) {
  main().catch((e) => {
    // A bad command line is one line plus the usage; anything else keeps its stack (a benchmark bug).
    if (e instanceof UsageError) process.stderr.write(`error: ${e.message}\n${USAGE}\n`);
    else process.stderr.write(`bench:infer failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
