/**
 * The binary engine's plan reader: every bitsr graph the exporter writes is read into plan ops whose
 * plain-loop meaning (engine/xnor/reference.ts) equals onnxruntime's output, and anything else is
 * refused with an error naming the node.
 *
 * Parity needs a margin from sign ties: two runtimes sum a conv in different orders (~1e-7 apart),
 * so a pre-sign value within that of 0 may binarize differently and the flip propagates. Inputs are
 * chosen so that every binarization input stays at least 1e-6 from 0, as the export parity test does.
 * Exact zeros are exempt: they come from integer sums of ±1 (the MRB's second binarization), which
 * every runtime computes exactly, and sign(0) = +1 everywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/core/image';
import type { NetConfig } from '../../src/model/config';
import { decodeModel, encodeModel } from '../../src/model/onnxProto';
import { readPlan, UnsupportedGraphError } from '../../src/engine/xnor/plan';
import { randomModelBytes, shippedModels } from '../helpers/models';
import { randomImage } from '../helpers/synthetic';
import { referenceWithMargin, SIGN_MARGIN } from '../helpers/xnorParity';

async function runOrt(bytes: Uint8Array, img: RgbImage): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await s.run({ lr: new ort.Tensor('float32', img.data, [1, 3, img.height, img.width]) });
  await s.release();
  return out.sr.data as Float32Array;
}

/** Max |reference − ORT| over an input with a sign margin; null when this input has none. */
async function parity(bytes: Uint8Array, img: RgbImage): Promise<number | null> {
  const plan = readPlan(bytes);
  const { ref, margin } = referenceWithMargin(plan, img);
  if (margin < SIGN_MARGIN) return null;
  const got = await runOrt(bytes, img);
  expect(ref.data.length).toBe(got.length);
  let err = 0;
  for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - ref.data[i]));
  return err;
}

async function expectParity(bytes: Uint8Array, sizes: [number, number][]): Promise<void> {
  let tested = 0;
  for (let seed = 1; seed < 40 && tested < sizes.length; seed++) {
    const [w, h] = sizes[tested];
    const e = await parity(bytes, randomImage(w, h, seed));
    if (e === null) continue;
    expect(e).toBeLessThanOrEqual(1e-4);
    tested++;
  }
  expect(tested, 'inputs with a sign margin found').toBe(sizes.length);
}

describe('plan reader', () => {
  const dir = shippedModels(process.cwd());
  it.skipIf(!dir)('reads the shipped models, and their plans equal onnxruntime', async () => {
    for (const s of [2, 3, 4]) {
      const bytes = new Uint8Array(readFileSync(join(dir!, `bitsr-x${s}.onnx`)));
      const plan = readPlan(bytes);
      expect(plan.scale).toBe(s);
      expect(plan.ops.filter((o) => o.op === 'binconv').length).toBe(8);
      await expectParity(bytes, [[13, 9]]);
    }
  });

  const cases: [string, Partial<NetConfig>][] = [
    ['basic C32 x2', { channels: 32, scale: 2 }],
    ['mrb C32 x4', { channels: 32, block: 'mrb', scale: 4 }],
    ['mrb C64 rprelu x3', { channels: 64, block: 'mrb', activation: 'rprelu', scale: 3 }],
    ['basic C8 relu, no anchor', { channels: 8, activation: 'relu', anchor: false }],
    ['vdsr mrb C8 x2', { channels: 8, variant: 'vdsr', block: 'mrb', scale: 2 }],
    ['mrb C4 (pad bits in the packed weights)', { channels: 4, block: 'mrb' }],
  ];
  it.each(cases)('%s: equals onnxruntime', async (_n, over) => {
    await expectParity(randomModelBytes(over, 11), [[9, 7], [4, 5]]);
  });

  const mutate = (f: (m: ReturnType<typeof decodeModel>) => void): Uint8Array => {
    const m = decodeModel(randomModelBytes({ channels: 32 }, 5));
    f(m);
    return encodeModel(m);
  };
  it('refuses an unknown operator, naming the node', () => {
    const bytes = mutate((m) => {
      const k = m.graph.nodes.findIndex((n) => n.opType === 'PRelu');
      m.graph.nodes[k] = { ...m.graph.nodes[k], opType: 'Sigmoid', inputs: [m.graph.nodes[k].inputs[0]] };
    });
    expect(() => readPlan(bytes)).toThrow(UnsupportedGraphError);
    expect(() => readPlan(bytes)).toThrow(/node \d+ \(Sigmoid -> _t\d+\): operator Sigmoid/);
  });
  it('refuses a strided conv and a binary conv without its alpha', () => {
    const strided = mutate((m) => {
      const n = m.graph.nodes.find((x) => x.opType === 'Conv')!;
      n.attrs.push({ name: 'strides', ints: [2, 2] });
    });
    expect(() => readPlan(strided)).toThrow(/\(Conv -> _t\d+\): stride other than 1/);
    const noAlpha = mutate((m) => {
      const k = m.graph.nodes.findIndex((n) => n.opType === 'Mul');
      const mul = m.graph.nodes[k];
      for (const n of m.graph.nodes) n.inputs = n.inputs.map((v) => (v === mul.outputs[0] ? mul.inputs[1] : v));
      m.graph.nodes.splice(k, 1);
    });
    expect(() => readPlan(noAlpha)).toThrow(/not scaled by Mul\(alpha, conv\)/);
  });
  it('refuses bytes that are not ONNX and a model without the data statistics', () => {
    expect(() => readPlan(new Uint8Array([1, 2, 3, 4, 5]))).toThrow(UnsupportedGraphError);
    const noStats = mutate((m) => {
      m.graph.initializers = m.graph.initializers.filter((t) => t.name !== 'data.std');
    });
    expect(() => readPlan(noStats)).toThrow(/data\.std/);
  });
});
