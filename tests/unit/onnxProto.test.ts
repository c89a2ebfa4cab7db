import { describe, expect, it } from 'vitest';
import { unpackBits } from '../../src/core/bitpack';
import { DEFAULT_NET, parseNetConfig } from '../../src/model/config';
import { buildGraph, paramCount } from '../../src/model/graph';
import { exportOnnx, packBinaryWeight } from '../../src/model/onnxExport';
import { importOnnx } from '../../src/model/onnxImport';
import { onnxModelInfo } from '../../src/model/onnxInfo';
import { readOnnxMetadata } from '../../src/model/onnxMetadata';
import { DataType, decodeModel, encodeModel, floatTensor, int64Tensor, tensorFloats, uint8Tensor, type ModelProto } from '../../src/model/onnxProto';
import { mulberry } from '../helpers/synthetic';

const model: ModelProto = {
  irVersion: 8,
  opsetImports: [{ domain: '', version: 18 }],
  producerName: 'test',
  producerVersion: '1',
  graph: {
    name: 'g',
    nodes: [
      {
        opType: 'Conv',
        inputs: ['x', 'w'],
        outputs: ['y'],
        attrs: [
          { name: 'pads', ints: [0, 4, 0, 4] },
          { name: 'group', i: 3 },
          { name: 'mode', s: 'CRD' },
          { name: 'alpha', f: 0.5 },
          { name: 'scales', floats: [1.5, -2] },
          { name: 'value', t: floatTensor('v', [2], [1, 2]) },
        ],
      },
    ],
    initializers: [floatTensor('w', [1, 1, 1, 2], [0.25, -3]), uint8Tensor('b', [3, 1], Uint8Array.of(0, 128, 255)), int64Tensor('e', [2], [-(2 ** 53), 7])],
    inputs: [{ name: 'x', elemType: DataType.FLOAT, shape: [1, 3, 'H', 'W'] }],
    outputs: [{ name: 'y', elemType: DataType.FLOAT, shape: [1, 3, '4*H', '4*W'] }],
  },
  metadata: { scale: '4', config: '{"a":"ü"}' },
};

describe('onnxProto', () => {
  it('round-trips the subset (attributes of every kind, negative int64, dim_param, metadata)', () => {
    const bytes = encodeModel(model);
    expect(decodeModel(bytes)).toEqual(model);
    expect(readOnnxMetadata(bytes)).toEqual(model.metadata);
    const e = decodeModel(bytes).graph.initializers[2];
    expect(Array.from(new BigInt64Array(e.raw.slice().buffer))).toEqual([-(2n ** 53n), 7n]);
  });

  it('every truncation of a model is an error, never a partial model', () => {
    const bytes = encodeModel(model);
    for (let n = 0; n < bytes.length; n++) expect(() => decodeModel(bytes.subarray(0, n)), `cut at ${n}`).toThrow(/truncated|not an ONNX model|corrupt/);
  });

  it('rejects garbage', () => {
    expect(() => decodeModel(new TextEncoder().encode('<!DOCTYPE html><html>'))).toThrow();
  });
});

describe('bit-packed binary weights', () => {
  it('packs sign(W) in OIHW order, MSB first, with alpha = mean|W| per output channel', () => {
    const [kh, kw, cin, cout] = [1, 5, 3, 2];
    const r = mulberry(4);
    const w = Float32Array.from({ length: kh * kw * cin * cout }, () => r() - 0.5);
    w[0] = 0; // sign(0) = +1
    const { bits, alpha } = packBinaryWeight(w, kh, kw, cin, cout);
    expect(bits.length).toBe(Math.ceil(30 / 8));
    const signs = unpackBits(bits, 30);
    for (let o = 0; o < cout; o++) {
      let sum = 0;
      for (let i = 0; i < cin; i++)
        for (let x = 0; x < kw; x++) {
          const v = w[(x * cin + i) * cout + o];
          sum += Math.abs(v);
          expect(signs[(o * cin + i) * kw + x]).toBe(v >= 0 ? 1 : -1);
        }
      expect(alpha[o]).toBeCloseTo(sum / 15, 6);
    }
  });

  it('info and import read an exported model back', () => {
    const g = buildGraph(parseNetConfig({ ...DEFAULT_NET, channels: 4, blocks: 1, scale: 2 }));
    const r = mulberry(9);
    const params = Object.fromEntries(g.params.map((p) => [p.name, Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => r() - 0.5)]));
    const bytes = exportOnnx(g, params, { mean: [0.4, 0.5, 0.6], std: [0.2, 0.2, 0.3] });
    const info = onnxModelInfo(bytes);
    expect(info.params).toBe(paramCount(g));
    expect(info.bytes.binary + info.bytes.fp + info.bytes.act + info.bytes.overhead).toBe(bytes.length);
    for (const t of info.binaryTensors) expect(t.bytes).toBe(Math.ceil(t.weights / 8));
    const back = importOnnx(bytes);
    expect(back.stats.mean).toEqual(Array.from(Float32Array.from([0.4, 0.5, 0.6])));
    expect(back.params['head.w']).toEqual(params['head.w']);
    expect(back.params['b0.c.slope']).toEqual(params['b0.c.slope']);
    const w = params['b0.c.w'];
    const wb = back.params['b0.c.w'];
    for (let k = 0; k < w.length; k++) expect(Math.sign(wb[k])).toBe(w[k] >= 0 ? 1 : -1);
    expect(() => onnxModelInfo(bytes.subarray(0, bytes.length - 10))).toThrow(/not a valid ONNX file/);
    const fp = decodeModel(bytes).graph.initializers.find((t) => t.name === 'data.std')!;
    expect(Array.from(tensorFloats(fp))).toEqual(Array.from(Float32Array.from([0.2, 0.2, 0.3])));
  });
});
