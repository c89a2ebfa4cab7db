/**
 * The binary engine (WebAssembly kernels, one thread and a pool of two) against the plan's plain-loop
 * meaning (reference.ts), which tests/unit/xnorPlan.test.ts shows equal to onnxruntime. Binary convs
 * are exact integer sums in both, so outputs agree to float rounding, given a margin from sign ties
 * (see xnorPlan.test.ts): inputs whose binarization inputs come within 1e-6 of 0 are skipped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetConfig } from '../../src/model/config';
import { readPlan } from '../../src/engine/xnor/plan';
import { schedule } from '../../src/engine/xnor/schedule';
import type { XnorWasmEngine } from '../../src/engine/xnor/wasmEngine';
import { createNodeXnorEngine } from '../../training/eval/xnorModel';
import { randomModelBytes, shippedModels } from '../helpers/models';
import { randomImage } from '../helpers/synthetic';
import { referenceWithMargin, SIGN_MARGIN } from '../helpers/xnorParity';

const engines: XnorWasmEngine[] = [];
afterAll(() => engines.forEach((e) => e.release()));

async function expectMatches(bytes: Uint8Array, sizes: [number, number][], threads: number, fma?: boolean): Promise<void> {
  const engine = await createNodeXnorEngine(threads, fma);
  engines.push(engine);
  expect(engine.threads).toBe(threads);
  const model = engine.load(bytes);
  const plan = readPlan(bytes);
  let tested = 0;
  for (let seed = 1; seed < 40 && tested < sizes.length; seed++) {
    const [w, h] = sizes[tested];
    const img = randomImage(w, h, seed);
    const { ref, margin } = referenceWithMargin(plan, img);
    if (margin < SIGN_MARGIN) continue;
    const got = model.run(img);
    expect([got.width, got.height]).toEqual([ref.width, ref.height]);
    let err = 0;
    for (let i = 0; i < ref.data.length; i++) err = Math.max(err, Math.abs(got.data[i] - ref.data[i]));
    expect(err, `${w}x${h} seed ${seed}`).toBeLessThanOrEqual(1e-5);
    tested++;
  }
  expect(tested, 'inputs with a sign margin found').toBe(sizes.length);
}

describe('binary engine (wasm) vs the reference', () => {
  const dir = shippedModels(process.cwd());
  it.skipIf(!dir)('shipped models, 1 and 2 threads, fused path only', async () => {
    for (const s of [2, 3, 4]) {
      const bytes = new Uint8Array(readFileSync(join(dir!, `bitsr-x${s}.onnx`)));
      // Every binary conv of a shipped model runs fused (no general steps but the global skip add).
      const steps = schedule(readPlan(bytes)).steps;
      expect(steps.filter((x) => x.kind === 'general').map((x) => x.kind === 'general' && x.op.op)).toEqual(['add']);
      expect(steps.filter((x) => x.kind === 'binconv' && x.sgn).length).toBe(7);
      for (const threads of [1, 2]) await expectMatches(bytes, [[23, 17], [5, 3]], threads);
      // The plain-SIMD build (no relaxed SIMD: the browsers without it) gives the same results.
      await expectMatches(bytes, [[23, 17]], 1, false);
    }
  });

  // The full tier (wider MRB trunk, RPReLU), where shipped: every binary conv on packed signs (the
  // branches writing their concat slices), and the only separate steps RPReLU and add, one kernel
  // call each (RPReLU is not fused into the conv: at C 64 a 128² tile measured within noise of the
  // fused PReLU model, one thread, beside a training run).
  const full = dir ? readdirSync(dir).filter((f) => /^bitsr-x[234]-full\.onnx$/.test(f)) : [];
  it.skipIf(!full.length)(`shipped full-tier models (${full.join(', ') || 'none in models/'}), 1 and 2 threads`, async () => {
    for (const f of full) {
      const bytes = new Uint8Array(readFileSync(join(dir!, f)));
      const plan = readPlan(bytes);
      const steps = schedule(plan).steps;
      expect(new Set(steps.flatMap((x) => (x.kind === 'general' ? [x.op.op] : []))), f).toEqual(new Set(['add', 'rprelu']));
      expect(steps.filter((x) => x.kind === 'binconv').length, f).toBe(plan.ops.filter((o) => o.op === 'binconv').length);
      for (const threads of [1, 2]) await expectMatches(bytes, [[23, 17], [5, 3]], threads);
    }
  });

  const cases: [string, Partial<NetConfig>][] = [
    ['basic C64 x3', { channels: 64, scale: 3 }],
    ['mrb C32 x4', { channels: 32, block: 'mrb', scale: 4 }],
    ['mrb C64 rprelu x2', { channels: 64, block: 'mrb', activation: 'rprelu', scale: 2 }],
    ['basic C32 relu, no anchor (general steps)', { channels: 32, activation: 'relu', anchor: false }],
    ['vdsr basic C32 x2 (HR-size convs)', { channels: 32, variant: 'vdsr', scale: 2 }],
    ['mrb C8 (not whole words: general binary path)', { channels: 8, block: 'mrb' }],
  ];
  it.each(cases)('%s', async (_n, over) => {
    const bytes = randomModelBytes(over, 21);
    await expectMatches(bytes, [[17, 9], [1, 1], [2, 5]], 1);
    await expectMatches(bytes, [[17, 9]], 2);
  });
});
