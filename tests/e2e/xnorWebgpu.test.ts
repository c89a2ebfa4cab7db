/**
 * The binary engine's WebGPU kernels (src/engine/xnor/webgpu.ts) in headless Chromium on
 * SwiftShader, against the plain-loop reference (engine/xnor/reference.ts, which equals
 * onnxruntime: tests/unit/xnorPlan.test.ts). The engine is bundled by esbuild into a page served
 * from 127.0.0.1 (WebGPU needs a secure context); images and outputs travel as base64 float32.
 *
 * Inputs have a sign margin (tests/helpers/xnorParity.ts): every binarization input of the
 * reference is exactly 0 or at least 1e-6 from it, so a float conv summed in another order cannot
 * flip a sign. Binary convs must then be exact: the hand-built plans whose output is a binary conv
 * (alpha times XNOR-popcount sums) must match to the last bit. Images are small: SwiftShader is a
 * CPU implementation, 50-170x slower than wasm.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image';
import type { NetConfig } from '../../src/model/config';
import { readPlan, type ModelPlan } from '../../src/engine/xnor/plan';
import { randomModelBytes, shippedModels } from '../helpers/models';
import { maxAbsDiff, parityInputs } from '../helpers/xnorParity';
import { handPlan } from '../helpers/xnorPlans';
import { hasChromium, launch, ROOT, type Browser } from './harness';
import type { ModelSource, XnorGpuPage } from './xnorWebgpuPage';

/** Outputs are in [0, 1]; float convs summed in another order differ by a few ulps. */
const TOLERANCE = 1e-5;
const SIZES: [number, number][] = [
  [9, 7],
  [16, 12],
];

const b64 = (f: Float32Array) => Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
const floats = (s: string) => {
  const b = Buffer.from(s, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

async function pageScript(): Promise<string> {
  const r = await build({ entryPoints: [join(ROOT, 'tests/e2e/xnorWebgpuPage.ts')], bundle: true, format: 'iife', platform: 'browser', target: 'chrome120', write: false, logLevel: 'silent' });
  return r.outputFiles[0].text;
}

function servePage(script: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/engine.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>xnor-webgpu</title><script src="/engine.js"></script>');
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

describe.skipIf(!hasChromium)('binary engine on WebGPU (SwiftShader)', () => {
  let server: Server | undefined;
  let b: Browser | undefined;
  const call = <K extends keyof XnorGpuPage>(name: K, ...args: Parameters<XnorGpuPage[K]>): Promise<Awaited<ReturnType<XnorGpuPage[K]>>> =>
    b!.page.evaluate(({ name, args }) => (globalThis as unknown as { xnorGpu: Record<string, (...a: unknown[]) => unknown> }).xnorGpu[name](...args), { name, args }) as Promise<
      Awaited<ReturnType<XnorGpuPage[K]>>
    >;
  const run = async (key: string, img: RgbImage): Promise<RgbImage> => {
    const out = await call('run', key, img.width, img.height, b64(img.data));
    return { width: out.width, height: out.height, data: floats(out.data) };
  };
  /** Loads the model and returns the largest |GPU − reference| over inputs with a sign margin. */
  const parity = async (key: string, src: ModelSource, plan: ModelPlan, sizes = SIZES, firstSeed = 1): Promise<number> => {
    await call('load', key, src);
    let err = 0;
    for (const p of parityInputs(plan, sizes, firstSeed)) {
      const got = await run(key, p.img);
      expect([got.width, got.height]).toEqual([p.ref.width, p.ref.height]);
      err = Math.max(err, maxAbsDiff(got.data, p.ref.data));
    }
    console.info(`[xnor-webgpu] ${key}: max |gpu - reference| = ${err.toExponential(2)}`);
    return err;
  };

  beforeAll(async () => {
    const srv = await servePage(await pageScript());
    server = srv.server;
    b = await launch(srv.url, { webgpu: true });
    await b.page.goto(srv.url);
    const info = await call('init');
    expect(info, 'a WebGPU adapter (SwiftShader) in headless Chromium').not.toBeNull();
  });
  afterAll(async () => {
    if (b) expect(await call('errors'), 'uncaptured WebGPU errors').toEqual([]);
    await b?.close();
    await new Promise((r) => server?.close(r));
  });

  const dir = shippedModels(ROOT);
  it.skipIf(!dir).each([2, 3, 4])('shipped bitsr-x%i equals the reference', async (s) => {
    const bytes = new Uint8Array(readFileSync(join(dir!, `bitsr-x${s}.onnx`)));
    const err = await parity(`x${s}`, { onnx: Buffer.from(bytes).toString('base64') }, readPlan(bytes));
    expect(err).toBeLessThanOrEqual(TOLERANCE);
  });

  const random: [string, Partial<NetConfig>][] = [
    ['basic C32 x2', { channels: 32, scale: 2 }],
    ['basic C64 x3', { channels: 64, scale: 3 }],
    ['mrb C32 x4', { channels: 32, block: 'mrb', scale: 4 }],
    ['mrb C64 rprelu x3', { channels: 64, block: 'mrb', activation: 'rprelu', scale: 3 }],
    ['basic C32 relu, no anchor x2', { channels: 32, activation: 'relu', anchor: false, scale: 2 }],
    ['vdsr mrb C8 x2 (bicubic first, read twice)', { channels: 8, variant: 'vdsr', block: 'mrb', scale: 2 }],
    ['mrb C4 (pad bits)', { channels: 4, block: 'mrb' }],
  ];
  it.each(random)('random %s equals the reference', async (name, over) => {
    const bytes = randomModelBytes(over, 11);
    const err = await parity(name, { onnx: Buffer.from(bytes).toString('base64') }, readPlan(bytes));
    expect(err).toBeLessThanOrEqual(TOLERANCE);
  });

  it('binary convs are exact: alpha times the XNOR-popcount sums, single and MRB group', async () => {
    for (const kind of ['binconv', 'mrb'] as const) {
      const err = await parity(`hand-${kind}`, { hand: kind, seed: 3 }, handPlan(kind, 3));
      expect(err, kind).toBe(0);
    }
  });

  it('ops outside the fused patterns (concat of float convs, ±1 floats, x + x, bicubic read twice)', async () => {
    const err = await parity('hand-general', { hand: 'general', seed: 5 }, handPlan('general', 5));
    expect(err).toBeLessThanOrEqual(TOLERANCE);
  });

  it('tiles of several sizes share one model (buffers cached per size, evicted), concurrent runs queue', async () => {
    const bytes = randomModelBytes({ channels: 32, block: 'mrb', scale: 2 }, 21);
    const plan = readPlan(bytes);
    await call('load', 'sizes', { onnx: Buffer.from(bytes).toString('base64') });
    const inputs = parityInputs(plan, [[9, 7], [16, 12], [12, 16], [5, 6], [7, 9], [9, 7]], 50);
    for (const p of inputs) expect(maxAbsDiff((await run('sizes', p.img)).data, p.ref.data), `${p.img.width}x${p.img.height}`).toBeLessThanOrEqual(TOLERANCE);
    const outs = await call('runMany', 'sizes', inputs.slice(0, 3).map((p) => ({ w: p.img.width, h: p.img.height, data: b64(p.img.data) })));
    outs.forEach((o, i) => expect(maxAbsDiff(floats(o), inputs[i].ref.data)).toBeLessThanOrEqual(TOLERANCE));
    // Into a caller's (larger) array: the same numbers, in that array.
    const p = inputs[1];
    const got = await call('runInto', 'sizes', p.img.width, p.img.height, b64(p.img.data), p.ref.data.length + 100);
    expect(got.shared).toBe(true);
    expect(maxAbsDiff(floats(got.data), p.ref.data)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('errors name the problem: a short input, a released model', async () => {
    const bytes = randomModelBytes({ channels: 32, scale: 2 }, 31);
    await call('load', 'errs', { onnx: Buffer.from(bytes).toString('base64') });
    expect(await call('runError', 'errs', 4, 4, 10)).toMatch(/input holds 10 values, 48 needed for 4x4/);
    await expect(call('runInto', 'errs', 4, 4, b64(new Float32Array(48)), 100)).rejects.toThrow(/output array holds 100 values, 192 needed/);
    await call('release', 'errs');
    expect(await call('runError', 'errs', 4, 4, 48)).toMatch(/released/);
    expect(b!.foreignRequests).toEqual([]);
  });
});
