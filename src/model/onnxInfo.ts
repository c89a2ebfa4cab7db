/**
 * What an exported bitsr model costs: file size by kind of payload, parameter count and the
 * paper's OPs. Pure TS (parses the ONNX file itself), for `npm run export -- --info` and the app.
 */
import type { NetConfig } from './config';
import { buildGraph, forwardMacs, paramCount, receptiveRadius, type ParamGroup } from './graph';
import { netConfigOf, PROVENANCE_KEYS } from './metadata';
import { OPS_LR_SIZE } from './onnxExport';
import { DataType, decodeModel } from './onnxProto';

export interface BinaryTensorInfo {
  name: string;
  weights: number;
  bytes: number;
}

export interface OnnxModelInfo {
  config: NetConfig;
  metadata: Record<string, string>;
  opset: number;
  fileBytes: number;
  /** Payload bytes by kind; overhead = file size - the three (graph, names, metadata, fixed constants). */
  bytes: { binary: number; fp: number; act: number; overhead: number };
  binaryTensors: BinaryTensorInfo[];
  binaryWeights: number;
  params: number;
  /** Paper OPs (FLOPs + BOPs/64) and the MACs behind them, for a 320x180 LR input. */
  ops: number;
  macs: { binary: number; fp: number };
  receptiveRadius: number;
  nodes: Record<string, number>;
}

/** Throws a one-line error for anything that is not a readable bitsr model. */
export function onnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  let m;
  try {
    m = decodeModel(bytes);
  } catch (e) {
    throw new Error(`not a valid ONNX file (${(e as Error).message})`);
  }
  const config = netConfigOf(m.metadata);
  const g = buildGraph(config);
  const groups = new Map<string, ParamGroup>(g.params.map((p) => [p.name, p.group]));
  const sizes = new Map(g.params.map((p) => [p.name, p.shape.reduce((a, b) => a * b, 1)]));
  const out = { binary: 0, fp: 0, act: 0, overhead: 0 };
  const binaryTensors: BinaryTensorInfo[] = [];
  for (const t of m.graph.initializers) {
    const n = t.raw.length;
    if (t.dataType === DataType.UINT8 && t.name.endsWith('.bits')) {
      const weights = sizes.get(t.name.slice(0, -'.bits'.length)) ?? 0;
      binaryTensors.push({ name: t.name, weights, bytes: n });
      out.binary += n;
    } else if (t.name.endsWith('.alpha') || groups.get(t.name) === 'act') out.act += n;
    else if (groups.get(t.name) === 'fp') out.fp += n;
    // anything else (data mean/std, bicubic kernel, unpack constants) counts as overhead
  }
  out.overhead = bytes.length - out.binary - out.fp - out.act;
  const nodes: Record<string, number> = {};
  for (const n of m.graph.nodes) nodes[n.opType] = (nodes[n.opType] ?? 0) + 1;
  const macs = forwardMacs(g, OPS_LR_SIZE.height, OPS_LR_SIZE.width);
  return {
    config,
    metadata: m.metadata,
    opset: m.opsetImports.find((o) => o.domain === '')?.version ?? 0,
    fileBytes: bytes.length,
    bytes: out,
    binaryTensors,
    binaryWeights: binaryTensors.reduce((s, t) => s + t.weights, 0),
    params: paramCount(g),
    ops: macs.fp + macs.binary / 64,
    macs,
    receptiveRadius: receptiveRadius(g),
    nodes,
  };
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const giga = (n: number) => `${(n / 1e9).toFixed(3)} G`;

export function formatModelInfo(i: OnnxModelInfo): string {
  const c = i.config;
  const packedOk = i.binaryTensors.every((t) => t.bytes === Math.ceil(t.weights / 8));
  const row = (label: string, n: number, note = '') => `  ${label.padEnd(34)}${fmtInt(n).padStart(10)} B${note ? `  ${note}` : ''}`;
  const lines = [
    `${c.name}: x${c.scale} ${c.variant} ${c.block}, ${c.channels} channels, ${c.blocks} blocks, ${c.binary ? 'binary' : 'full-precision'} trunk, ${c.activation}${c.anchor ? ', bicubic anchor' : ''} (opset ${i.opset})`,
    'size:',
    row(
      'binary weights (bit-packed)',
      i.bytes.binary,
      `${fmtInt(i.binaryWeights)} weights in ${i.binaryTensors.length} tensors, ${packedOk ? '1 bit each' : 'NOT 1 bit each'} (${(i.bytes.binary * 8 / Math.max(1, i.binaryWeights)).toFixed(3)} bits/weight incl. byte padding)`,
    ),
    row('full-precision weights', i.bytes.fp),
    row('alpha + PReLU/activation params', i.bytes.act),
    row('graph overhead', i.bytes.overhead, 'nodes, names, metadata, fixed constants'),
    row('file', i.fileBytes),
    `parameters: ${fmtInt(i.params)}`,
    `OPs for a ${OPS_LR_SIZE.width}x${OPS_LR_SIZE.height} LR input (FLOPs + BOPs/64, a MAC = 1 op): ${giga(i.ops)} (FLOPs ${giga(i.macs.fp)}, BOPs ${giga(i.macs.binary)})`,
    `receptive radius: ${i.receptiveRadius} LR px`,
  ];
  for (const k of PROVENANCE_KEYS) if (i.metadata[k]) lines.push(`${k}: ${i.metadata[k].length > 300 ? i.metadata[k].slice(0, 300) + '…' : i.metadata[k]}`);
  return lines.join('\n');
}
