/**
 * The inverse of onnxExport: an exported model back to NetGraph parameters (HWIO), so a shipped
 * file can be checked against the tfjs forward. Binary weights come back as sign·alpha, which
 * binarizes to the same signs and the same alpha (up to float rounding of mean|W|).
 */
import { unpackBits } from '../core/bitpack';
import { buildGraph, type NetGraph } from './graph';
import { netConfigOf } from './metadata';
import { decodeModel, tensorFloats } from './onnxProto';

export interface ImportedModel {
  graph: NetGraph;
  params: Record<string, Float32Array>;
  stats: { mean: [number, number, number]; std: [number, number, number] };
  metadata: Record<string, string>;
}

function oihwToHwio(w: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) out[((y * kw + x) * cin + i) * cout + o] = w[((o * cin + i) * kh + y) * kw + x];
  return out;
}

export function importOnnx(bytes: Uint8Array): ImportedModel {
  const m = decodeModel(bytes);
  const graph = buildGraph(netConfigOf(m.metadata));
  const inits = new Map(m.graph.initializers.map((t) => [t.name, t]));
  const need = (name: string) => {
    const t = inits.get(name);
    if (!t) throw new Error(`model has no initializer ${name}`);
    return t;
  };
  const params: Record<string, Float32Array> = {};
  for (const o of graph.ops) {
    if (o.op !== 'conv') continue;
    const n = o.kh * o.kw * o.cin * o.cout;
    let oihw: Float32Array;
    if (o.binary) {
      const signs = unpackBits(need(`${o.w}.bits`).raw, n);
      const alpha = tensorFloats(need(`${o.w}.alpha`));
      oihw = signs.map((s, k) => s * alpha[Math.floor(k / (n / o.cout))]);
    } else oihw = tensorFloats(need(o.w));
    params[o.w] = oihwToHwio(oihw, o.kh, o.kw, o.cin, o.cout);
    if (o.b) params[o.b] = tensorFloats(need(o.b));
  }
  for (const p of graph.params) if (!params[p.name]) params[p.name] = tensorFloats(need(p.name)); // per-channel [C,1,1]
  const three = (k: string) => Array.from(tensorFloats(need(k))) as [number, number, number];
  return { graph, params, stats: { mean: three('data.mean'), std: three('data.std') }, metadata: m.metadata };
}
