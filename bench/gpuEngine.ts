/**
 * `npx tsx bench/gpuEngine.ts [--json] [--sizes 256,384] [--runs 10] [--models <dir>] [--ort] [--dawn <option>]...`
 *
 * The binary engine's WebGPU kernels (src/engine/xnor/webgpu.ts) on a real GPU from Node, no
 * browser: Dawn through the `webgpu` package (Vulkan on Linux). For each model in --models
 * (bitsr-x{2,3,4}.onnx and the full tier's bitsr-x{2,3,4}-full.onnx, those present) it first checks the output against the plain-loop reference on small
 * images (max abs error, inputs with a sign margin as in the parity tests), then times a random LR
 * tile per size: warm-up, then the median of `--runs` runs, each the whole tile (upload, every
 * kernel, readback), as the app would call it. Prints JSON with the adapter (vendor, architecture,
 * description). Exits 2 when no adapter is found, 1 when the output disagrees with the reference.
 *
 * With `--ort`, onnxruntime-node's WebGPU execution provider (the same native WebGPU EP that
 * onnxruntime-web compiles to wasm, here over Dawn in-process) runs the same .onnx files on the
 * same tiles, checked against the same reference and timed the same way (session.run: upload,
 * every node, CPU fallbacks included, readback): the nearest to ort-webgpu a GPU machine without
 * a browser can measure.
 *
 * Wall time per tile is mostly the host side: copying the mapped output out, and first touching a
 * fresh output array; `reusedOutput` times the same runs writing into one reused array (run's
 * `into`). Per-kernel GPU times come from timestamp queries when the adapter has them. Run it
 * twice on a fresh machine: the first process ran the x4 kernels 2-4x slower (clocks ramping up).
 *
 * Needs the Vulkan loader (libvulkan.so.1) and the GPU's ICD. On a bare NVIDIA machine
 * (driver 580, Ubuntu) Dawn also needed libglvnd (libGLX_nvidia.so.0 loads through it): the
 * Debian packages libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libgles2 libopengl0, unpacked
 * with `dpkg -x pkg.deb /` and `ldconfig`, were enough.
 *
 * Without a GPU, Chromium's SwiftShader Vulkan driver stands in (a CPU; timings not comparable;
 * this Dawn build with that driver crashed now and then while compiling):
 *   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json npx tsx bench/gpuEngine.ts --sizes 32
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { create, globals } from 'webgpu';
import { readPlan } from '../src/engine/xnor/plan';
import { createGpuModel } from '../src/engine/xnor/webgpu';
import { maxAbsDiff, parityInputs } from '../tests/helpers/xnorParity';
import { randomImage } from '../tests/helpers/synthetic';
import type { RgbImage } from '../src/core/image';

const USAGE = `usage: npx tsx bench/gpuEngine.ts [--json] [--sizes 256,384] [--runs 10] [--models <dir>] [--ort] [--dawn <option>]...`;
/** The reference runs in plain loops: validation images stay small. */
const CHECK_SIZES: [number, number][] = [
  [16, 12],
  [23, 17],
];
const TOLERANCE = 1e-4;

interface Args {
  json: boolean;
  sizes: number[];
  runs: number;
  models: string;
  ort: boolean;
  dawn: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = { json: false, sizes: [256, 384], runs: 10, models: resolve(process.cwd(), 'models'), ort: false, dawn: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined || x.startsWith('--')) throw new Error(`${k} needs a value\n${USAGE}`);
      return x;
    };
    if (k === '--json') a.json = true;
    else if (k === '--sizes') a.sizes = v().split(',').map(Number);
    else if (k === '--runs') a.runs = Number(v());
    else if (k === '--models') a.models = resolve(v());
    else if (k === '--ort') a.ort = true;
    else if (k === '--dawn') a.dawn.push(v());
    else throw new Error(`unknown argument ${k}\n${USAGE}`);
  }
  if (!a.sizes.length || a.sizes.some((s) => !Number.isInteger(s) || s < 8 || s > 1024)) throw new Error('--sizes: integers from 8 to 1024');
  if (!Number.isInteger(a.runs) || a.runs < 1) throw new Error('--runs: a positive integer');
  return a;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const log = (s: string) => (args.json ? process.stderr : process.stdout).write(`${s}\n`);
  Object.assign(globalThis, globals);
  // Unquantized timestamps for the per-kernel times (Dawn rounds them to 65.5 µs by default).
  const gpu = create(['disable-dawn-features=timestamp_quantization', ...args.dawn]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    process.stderr.write(
      'gpuEngine: no WebGPU adapter found (Dawn found no usable Vulkan device). Check that the Vulkan loader ' +
        '(libvulkan.so.1) and a GPU driver ICD are installed (vulkaninfo), or point VK_ICD_FILENAMES at the ICD json.\n',
    );
    return 2;
  }
  const info = adapter.info;
  const fallback = !!(info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const limits = adapter.limits;
  const timestamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    requiredFeatures: timestamps ? ['timestamp-query'] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(10, limits.maxStorageBuffersPerShaderStage),
    },
  });
  let uncaptured = '';
  device.addEventListener('uncapturederror', (e) => {
    uncaptured ||= (e as GPUUncapturedErrorEvent).error.message;
  });
  const adapterInfo = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, fallback };
  log(`adapter: ${JSON.stringify(adapterInfo)}`);

  const results: {
    model: string;
    scale: number;
    size: number;
    outSize: number;
    medianMs: number;
    minMs: number;
    maxMs: number;
    mpixOutPerSec: number;
    /** The same with the output written into one reused array (run's `into`): no fresh 12·s²·size² bytes per run. */
    reusedOutput: { medianMs: number; minMs: number; copyMs: number };
    /** Medians of where each run's wall time went: input write + encode + submit, GPU + readback mapping, copy out. */
    phasesMs: { encodeMs: number; waitMs: number; copyMs: number };
    /** GPU time of each kernel (timestamp queries, median of the runs), when the adapter has them. */
    kernelsMs?: { name: string; ms: number }[];
    kernelsTotalMs?: number;
    /** --ort: onnxruntime-node's WebGPU EP on the same tile. */
    ort?: { medianMs: number; minMs: number; mpixOutPerSec: number };
  }[] = [];
  const ortValidation: { model: string; scale: number; width: number; height: number; maxAbsErr: number }[] = [];
  const ortRun = args.ort ? await ortRunner() : undefined;
  const validation: { model: string; scale: number; width: number; height: number; seed: number; margin: number; maxAbsErr: number }[] = [];
  const compileMs: Record<string, number> = {};
  const files = readdirSync(args.models).filter((f) => /^bitsr-x[234](-full)?\.onnx$/.test(f)).sort();
  if (!files.length) throw new Error(`${args.models} holds no bitsr-x{2,3,4}[-full].onnx`);
  for (const file of files) {
    const name = file.replace(/\.onnx$/, '');
    const s = Number(name[7]);
    const plan = readPlan(new Uint8Array(readFileSync(join(args.models, file))));
    const model = createGpuModel(device, plan);
    const ortModel = ortRun ? await ortRun(join(args.models, file)) : undefined;
    if (ortModel) {
      for (const p of parityInputs(plan, CHECK_SIZES)) {
        const maxAbsErr = maxAbsDiff((await ortModel(p.img)).data, p.ref.data);
        ortValidation.push({ model: name, scale: s, width: p.img.width, height: p.img.height, maxAbsErr });
        log(`${name} ${p.img.width}x${p.img.height}: max |ort-webgpu - reference| = ${maxAbsErr.toExponential(2)}`);
      }
    }
    const t0 = performance.now();
    await model.ready();
    compileMs[name] = performance.now() - t0;
    for (const p of parityInputs(plan, CHECK_SIZES)) {
      const got = await model.run(p.img);
      const maxAbsErr = maxAbsDiff(got.data, p.ref.data);
      validation.push({ model: name, scale: s, width: p.img.width, height: p.img.height, seed: p.seed, margin: p.margin, maxAbsErr });
      log(`${name} ${p.img.width}x${p.img.height}: max |gpu - reference| = ${maxAbsErr.toExponential(2)}`);
    }
    for (const size of args.sizes) {
      const img = randomImage(size, size, 1000 + size);
      for (let i = 0; i < 3; i++) await model.run(img);
      const ms: number[] = [];
      const phases: NonNullable<typeof model.lastRun>[] = [];
      for (let i = 0; i < args.runs; i++) {
        const t = performance.now();
        await model.run(img);
        ms.push(performance.now() - t);
        phases.push(model.lastRun!);
      }
      const phasesMs = { encodeMs: median(phases.map((p) => p.encodeMs)), waitMs: median(phases.map((p) => p.waitMs)), copyMs: median(phases.map((p) => p.copyMs)) };
      const into = new Float32Array(3 * size * size * s * s);
      const msInto: number[] = [];
      const copyInto: number[] = [];
      for (let i = 0; i < args.runs + 1; i++) {
        const t = performance.now();
        await model.run(img, into);
        if (i === 0) continue; // the array's first touch
        msInto.push(performance.now() - t);
        copyInto.push(model.lastRun!.copyMs);
      }
      const reusedOutput = { medianMs: median(msInto), minMs: Math.min(...msInto), copyMs: median(copyInto) };
      const med = median(ms);
      const out = size * s;
      const r: (typeof results)[number] = { model: name, scale: s, size, outSize: out, medianMs: med, minMs: Math.min(...ms), maxMs: Math.max(...ms), mpixOutPerSec: (out * out) / 1e6 / (med / 1000), phasesMs, reusedOutput };
      if (timestamps) {
        const runs: { name: string; ms: number }[][] = [];
        for (let i = 0; i < Math.min(args.runs, 5); i++) runs.push(await model.profile(img));
        r.kernelsMs = runs[0].map((k, j) => ({ name: k.name, ms: median(runs.map((p) => p[j].ms)) }));
        r.kernelsTotalMs = r.kernelsMs.reduce((a, k) => a + k.ms, 0);
      }
      if (ortModel) {
        for (let i = 0; i < 3; i++) await ortModel(img);
        const t: number[] = [];
        for (let i = 0; i < args.runs; i++) {
          const t0 = performance.now();
          await ortModel(img);
          t.push(performance.now() - t0);
        }
        r.ort = { medianMs: median(t), minMs: Math.min(...t), mpixOutPerSec: (out * out) / 1e6 / (median(t) / 1000) };
        log(`${name} ${size}x${size}: ort-webgpu median ${r.ort.medianMs.toFixed(2)} ms (min ${r.ort.minMs.toFixed(2)}), ${r.ort.mpixOutPerSec.toFixed(1)} MP/s out`);
      }
      results.push(r);
      const p = phasesMs;
      log(
        `${name} ${size}x${size} -> ${out}x${out}: median ${med.toFixed(2)} ms (min ${r.minMs.toFixed(2)}), ${r.mpixOutPerSec.toFixed(1)} MP/s out; ` +
          `encode ${p.encodeMs.toFixed(2)} + wait ${p.waitMs.toFixed(2)} + copy ${p.copyMs.toFixed(2)} ms${r.kernelsTotalMs !== undefined ? `; kernels ${r.kernelsTotalMs.toFixed(3)} ms GPU` : ''}; ` +
          `into a reused array: median ${reusedOutput.medianMs.toFixed(2)} ms (copy ${reusedOutput.copyMs.toFixed(2)})`,
      );
    }
    model.release();
  }
  const ok = !uncaptured && validation.every((v) => v.maxAbsErr <= TOLERANCE) && ortValidation.every((v) => v.maxAbsErr <= TOLERANCE);
  const report = {
    bench: 'xnor-webgpu',
    adapter: adapterInfo,
    dawnOptions: args.dawn,
    node: process.version,
    runs: args.runs,
    timing: 'wall clock per tile: upload, all kernels, readback (awaited mapAsync)',
    compileMs,
    validation: { tolerance: TOLERANCE, ok, cases: validation, ...(ortValidation.length ? { ort: ortValidation } : {}), ...(uncaptured ? { uncapturedError: uncaptured } : {}) },
    results,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  device.destroy();
  if (!ok) process.stderr.write(`gpuEngine: the GPU output disagrees with the reference (tolerance ${TOLERANCE})${uncaptured ? `; GPU error: ${uncaptured}` : ''}\n`);
  return ok ? 0 : 1;
}

/** --ort: a loader of onnxruntime-node WebGPU-EP sessions; each runs a planar RGB tile as the app's engine does. */
async function ortRunner(): Promise<(file: string) => Promise<(img: RgbImage) => Promise<RgbImage>>> {
  const ort = await import('onnxruntime-node');
  return async (file) => {
    const session = await ort.InferenceSession.create(file, { executionProviders: ['webgpu'] });
    const [input] = session.inputNames;
    const [output] = session.outputNames;
    return async (img) => {
      const r = await session.run({ [input]: new ort.Tensor('float32', img.data, [1, 3, img.height, img.width]) });
      const y = r[output];
      const [, , h, w] = y.dims as number[];
      return { width: w, height: h, data: y.data as Float32Array };
    };
  };
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`gpuEngine: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
