/**
 * Reads a bitsr .onnx file (the shipped file, no second format) into the binary engine's plan: a
 * list of network ops over named values, with the weights taken straight from the initializers
 * (binary convs keep their bit-packed uint8 signs). Every node must belong to a pattern that
 * src/model/onnxExport.ts writes: normalize, float conv, binact, binary conv (the unpack subgraph
 * plus Mul by alpha), PReLU, RPReLU, ReLU, concat, add, pixel shuffle, the MATLAB-bicubic anchor,
 * add mean and the final clip. Anything else is refused with an error naming the node, so the
 * engine never runs a graph it does not understand. Pure TS: the browser engines and Node share it.
 */
import { unpackBits } from '../../core/bitpack';
import { bicubicKernel } from '../../model/bicubicKernel';
import { decodeModel, DataType, tensorFloats, type Attr, type NodeProto, type TensorProto } from '../../model/onnxProto';

export type PlanOp =
  | { op: 'normalize'; in: string; out: string }
  | { op: 'center'; in: string; out: string }
  | { op: 'addmean'; in: string; out: string }
  | { op: 'clip'; in: string; out: string }
  /** Float conv, stride 1, 'same' zero padding; weights OIHW as in the file. */
  | { op: 'conv'; in: string; out: string; w: Float32Array; b?: Float32Array; kh: number; kw: number; dil: number; cin: number; cout: number }
  /** Binary conv of a binact value: alpha[o]·Σ ±1·±1; bits: the file's OIHW MSB-first signs (1 = +1). */
  | { op: 'binconv'; in: string; out: string; bits: Uint8Array; alpha: Float32Array; kh: number; kw: number; dil: number; cin: number; cout: number }
  | { op: 'binact'; in: string; out: string }
  | { op: 'prelu'; in: string; out: string; slope: Float32Array }
  | { op: 'rprelu'; in: string; out: string; theta: Float32Array; slope: Float32Array; delta: Float32Array }
  | { op: 'relu'; in: string; out: string }
  | { op: 'concat'; ins: string[]; out: string }
  | { op: 'add'; ins: [string, string]; out: string }
  | { op: 'pixelshuffle'; in: string; out: string; scale: number }
  /** MATLAB bicubic ×scale (symmetric padding), as core/imresize. */
  | { op: 'bicubic'; in: string; out: string; scale: number };

export interface ModelPlan {
  ops: PlanOp[];
  /** Channels of every value (the input 'lr' has 3). */
  channels: Map<string, number>;
  /** Spatial factor of every value relative to the input (1, or the scale after an upscaling op). */
  factor: Map<string, number>;
  scale: number;
  mean: Float32Array;
  std: Float32Array;
  metadata: Record<string, string>;
}

/** A node refused by the plan reader; the message names the node and why. */
export class UnsupportedGraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedGraphError';
  }
}

const INPUT = 'lr';
const OUTPUT = 'sr';

function attr(n: NodeProto, name: string): Attr | undefined {
  return n.attrs.find((a) => a.name === name);
}
function attrInt(n: NodeProto, name: string, dflt?: number): number | undefined {
  const a = attr(n, name);
  return a && 'i' in a ? a.i : dflt;
}
function attrInts(n: NodeProto, name: string): number[] | undefined {
  const a = attr(n, name);
  return a && 'ints' in a ? a.ints : undefined;
}
function attrStr(n: NodeProto, name: string): string | undefined {
  const a = attr(n, name);
  return a && 's' in a ? a.s : undefined;
}

export function readPlan(bytes: Uint8Array): ModelPlan {
  let model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new UnsupportedGraphError(`not an ONNX model (${(e as Error).message})`);
  }
  const g = model.graph;
  const inits = new Map<string, TensorProto>(g.initializers.map((t) => [t.name, t]));
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  g.nodes.forEach((n, i) => {
    for (const o of n.outputs) producer.set(o, i);
    for (const v of n.inputs) consumers.set(v, [...(consumers.get(v) ?? []), i]);
  });
  const label = (i: number) => {
    const n = g.nodes[i];
    return `node ${i} (${n.opType}${n.name ? ` '${n.name}'` : ''} -> ${n.outputs.join(', ')})`;
  };
  const refuse = (i: number, why: string): never => {
    throw new UnsupportedGraphError(`unsupported graph: ${label(i)}: ${why}`);
  };
  if (!g.inputs.some((v) => v.name === INPUT) || !g.outputs.some((v) => v.name === OUTPUT)) {
    throw new UnsupportedGraphError(`unsupported graph: the model must have input '${INPUT}' and output '${OUTPUT}'`);
  }
  for (const [i, n] of g.nodes.entries()) if (n.domain) refuse(i, `custom domain '${n.domain}'`);

  const floats = (name: string, at: number, count?: number): Float32Array => {
    const t = inits.get(name);
    if (!t || t.dataType !== DataType.FLOAT) refuse(at, `expected a float initializer, got '${name}'`);
    const f = tensorFloats(t!);
    if (count !== undefined && f.length !== count) refuse(at, `initializer '${name}' has ${f.length} values, expected ${count}`);
    return f;
  };
  const scalar = (name: string, at: number): number => {
    const f = floats(name, at);
    if (f.length !== 1) refuse(at, `'${name}' is not a scalar`);
    return f[0];
  };
  const isInit = (name: string) => inits.has(name);
  const stat = (name: string) => {
    const t = inits.get(name);
    const f = t && t.dataType === DataType.FLOAT ? tensorFloats(t) : undefined;
    if (!f || f.length !== 3) throw new UnsupportedGraphError(`unsupported graph: no 3-channel float initializer '${name}' (not a bitsr model)`);
    return f;
  };
  const mean = stat('data.mean');
  const std = stat('data.std');

  const channels = new Map<string, number>([[INPUT, 3]]);
  const factor = new Map<string, number>([[INPUT, 1]]);
  const ops: PlanOp[] = [];
  const done = new Set<number>();
  const dyn = (i: number, v: string): string => {
    if (!channels.has(v)) refuse(i, `input '${v}' is not a value the engine computed`);
    return v;
  };
  const only = (v: string): number | undefined => {
    const c = consumers.get(v);
    return c && c.length === 1 ? c[0] : undefined;
  };
  const emit = (op: PlanOp, c: number, f: number) => {
    ops.push(op);
    channels.set(op.out, c);
    factor.set(op.out, f);
  };
  /** The constant subgraph nodes (all inputs initializers or other constant nodes) are consumed by the conv that uses them. */
  const unpackedBits = (at: number, wName: string, count: number): Uint8Array => {
    // Reshape([Slice(Reshape(]Where(Cast(BitwiseAnd(BitShift(bits, shifts), 1)), 1, -1)[, [-1]), 0, n)], shape)
    const chain: number[] = [];
    const step = (v: string, op: string): NodeProto => {
      const p = producer.get(v);
      if (p === undefined || g.nodes[p].opType !== op) refuse(at, `the binary weight '${wName}' is not the unpack pattern (expected ${op})`);
      chain.push(p!);
      return g.nodes[p!];
    };
    let n = step(wName, 'Reshape');
    if (producer.get(n.inputs[0]) !== undefined && g.nodes[producer.get(n.inputs[0])!].opType === 'Slice') {
      n = step(n.inputs[0], 'Slice');
      n = step(n.inputs[0], 'Reshape');
    }
    const where = step(n.inputs[0], 'Where');
    if (scalar(where.inputs[1], at) !== 1 || scalar(where.inputs[2], at) !== -1) refuse(at, 'the unpack Where must give +1 / -1');
    const cast = step(where.inputs[0], 'Cast');
    if (attrInt(cast, 'to') !== DataType.BOOL) refuse(at, 'the unpack Cast must be to bool');
    const and = step(cast.inputs[0], 'BitwiseAnd');
    const shift = step(and.inputs[0], 'BitShift');
    if (attrStr(shift, 'direction') !== 'RIGHT') refuse(at, 'the unpack BitShift must shift right');
    const bits = inits.get(shift.inputs[0]);
    const shifts = inits.get(shift.inputs[1]);
    const one = inits.get(and.inputs[1]);
    if (!bits || bits.dataType !== DataType.UINT8) refuse(at, 'the packed weight is not a uint8 initializer');
    if (!shifts || shifts.raw.join() !== '7,6,5,4,3,2,1,0') refuse(at, 'the unpack shifts must be 7..0 (MSB first)');
    if (!one || one.raw.length !== 1 || one.raw[0] !== 1) refuse(at, 'the unpack mask must be 1');
    if (bits!.raw.length !== Math.ceil(count / 8)) refuse(at, `the packed weight holds ${bits!.raw.length} bytes, expected ${Math.ceil(count / 8)}`);
    for (const c of chain) {
      for (const o of g.nodes[c].outputs) if ((consumers.get(o) ?? []).some((k) => !chain.includes(k) && k !== at)) refuse(c, 'an unpack node has another reader');
      done.add(c);
    }
    return bits!.raw;
  };
  const convGeometry = (i: number, n: NodeProto, cin: number, wDims: number[]) => {
    const [cout, wc, kh, kw] = wDims;
    if (wDims.length !== 4 || wc !== cin) refuse(i, `weight shape [${wDims}] does not take ${cin} input channels`);
    if ((attrInt(n, 'group', 1) ?? 1) !== 1) refuse(i, 'grouped conv');
    const strides = attrInts(n, 'strides');
    if (strides && strides.some((s) => s !== 1)) refuse(i, 'stride other than 1');
    const dils = attrInts(n, 'dilations') ?? [1, 1];
    if (dils[0] !== dils[1]) refuse(i, 'unequal dilations');
    const dil = dils[0];
    const pads = attrInts(n, 'pads') ?? [0, 0, 0, 0];
    const ph = (dil * (kh - 1)) / 2;
    const pw = (dil * (kw - 1)) / 2;
    if (kh % 2 === 0 || kw % 2 === 0 || pads.join() !== [ph, pw, ph, pw].join()) refuse(i, `only odd kernels with 'same' padding are supported (pads ${pads})`);
    if (attrStr(n, 'auto_pad') && attrStr(n, 'auto_pad') !== 'NOTSET') refuse(i, 'auto_pad');
    return { cout, kh, kw, dil };
  };

  // Nodes over initializers only (the binary weights' unpack subgraphs) are read by the conv that
  // uses them; one that no conv claims is refused after the walk.
  const constNodes = new Set<number>();
  const constValues = new Set(inits.keys());
  g.nodes.forEach((n, i) => {
    if (n.inputs.every((v) => v === '' || constValues.has(v))) {
      constNodes.add(i);
      n.outputs.forEach((o) => constValues.add(o));
    }
  });
  for (let i = 0; i < g.nodes.length; i++) {
    if (done.has(i) || constNodes.has(i)) continue;
    const n = g.nodes[i];
    const out = n.outputs[0];
    const next = only(out);
    const nn = next !== undefined ? g.nodes[next] : undefined;
    switch (n.opType) {
      case 'Sub': {
        if (n.inputs[1] === 'data.mean') {
          const x = dyn(i, n.inputs[0]);
          if (nn?.opType === 'Div' && nn.inputs[1] === 'data.std') {
            done.add(next!);
            emit({ op: 'normalize', in: x, out: nn.outputs[0] }, 3, factor.get(x)!);
          } else emit({ op: 'center', in: x, out }, 3, factor.get(x)!);
        } else if (isInit(n.inputs[1]) && nn?.opType === 'PRelu') {
          // RPReLU: Add(PRelu(Sub(x, theta), slope), delta)
          const x = dyn(i, n.inputs[0]);
          const c = channels.get(x)!;
          const add = only(nn.outputs[0]);
          if (add === undefined || g.nodes[add].opType !== 'Add' || !isInit(g.nodes[add].inputs[1])) refuse(i, 'a Sub by a constant that is not RPReLU');
          done.add(next!);
          done.add(add!);
          emit({ op: 'rprelu', in: x, out: g.nodes[add!].outputs[0], theta: floats(n.inputs[1], i, c), slope: floats(nn.inputs[1], next!, c), delta: floats(g.nodes[add!].inputs[1], add!, c) }, c, factor.get(x)!);
        } else refuse(i, 'Sub of something other than the data mean or an RPReLU shift');
        break;
      }
      case 'Add': {
        if (n.inputs[1] === 'data.mean') {
          const x = dyn(i, n.inputs[0]);
          emit({ op: 'addmean', in: x, out }, channels.get(x)!, factor.get(x)!);
          break;
        }
        const [a, b] = n.inputs.map((v) => dyn(i, v));
        if (n.inputs.length !== 2) refuse(i, 'Add of more than two values');
        if (channels.get(a) !== channels.get(b) || factor.get(a) !== factor.get(b)) refuse(i, `Add of values of different shapes ('${a}', '${b}')`);
        emit({ op: 'add', ins: [a, b], out }, channels.get(a)!, factor.get(a)!);
        break;
      }
      case 'GreaterOrEqual': {
        const x = dyn(i, n.inputs[0]);
        if (scalar(n.inputs[1], i) !== 0 || nn?.opType !== 'Where' || nn.inputs[0] !== out || scalar(nn.inputs[1], next!) !== 1 || scalar(nn.inputs[2], next!) !== -1) {
          refuse(i, 'a comparison that is not the binarization Where(x >= 0, 1, -1)');
        }
        done.add(next!);
        emit({ op: 'binact', in: x, out: nn!.outputs[0] }, channels.get(x)!, factor.get(x)!);
        break;
      }
      case 'Conv': {
        const x = dyn(i, n.inputs[0]);
        const cin = channels.get(x)!;
        const wName = n.inputs[1];
        const w = inits.get(wName);
        if (w) {
          if (w.dataType !== DataType.FLOAT) refuse(i, 'conv weight is not float');
          if ((attrInt(n, 'group', 1) ?? 1) === 3 && cin === 3) {
            refuse(i, 'grouped conv outside the bicubic pattern');
          }
          const { cout, kh, kw, dil } = convGeometry(i, n, cin, w.dims);
          const b = n.inputs[2] ? floats(n.inputs[2], i, cout) : undefined;
          emit({ op: 'conv', in: x, out, w: floats(wName, i), kh, kw, dil, cin, cout, ...(b ? { b } : {}) }, cout, factor.get(x)!);
          break;
        }
        // Binary: Mul(alpha, Conv(x, unpack(bits))) on a binarized input.
        const shapeNode = producer.get(wName);
        const shape = shapeNode !== undefined ? inits.get(g.nodes[shapeNode].inputs[1]) : undefined;
        if (!shape || shape.dataType !== DataType.INT64) refuse(i, 'conv weight is neither an initializer nor the unpack pattern');
        const dims = Array.from(new BigInt64Array(new Uint8Array(shape!.raw).buffer), Number);
        const { cout, kh, kw, dil } = convGeometry(i, n, cin, dims);
        const bits = unpackedBits(i, wName, cout * cin * kh * kw);
        if (!ops.some((o) => o.op === 'binact' && o.out === x)) refuse(i, 'a binary conv whose input is not binarized');
        if (n.inputs[2]) refuse(i, 'binary conv with a bias');
        if (nn?.opType !== 'Mul' || nn.inputs[1] !== out) refuse(i, 'a binary conv not scaled by Mul(alpha, conv)');
        done.add(next!);
        const alpha = floats(nn!.inputs[0], next!, cout);
        emit({ op: 'binconv', in: x, out: nn!.outputs[0], bits, alpha, kh, kw, dil, cin, cout }, cout, factor.get(x)!);
        break;
      }
      case 'PRelu': {
        const x = dyn(i, n.inputs[0]);
        emit({ op: 'prelu', in: x, out, slope: floats(n.inputs[1], i, channels.get(x)!) }, channels.get(x)!, factor.get(x)!);
        break;
      }
      case 'Relu': {
        const x = dyn(i, n.inputs[0]);
        emit({ op: 'relu', in: x, out }, channels.get(x)!, factor.get(x)!);
        break;
      }
      case 'Concat': {
        if (attrInt(n, 'axis') !== 1) refuse(i, 'concat along an axis other than channels');
        const ins = n.inputs.map((v) => dyn(i, v));
        if (new Set(ins.map((v) => factor.get(v))).size !== 1) refuse(i, 'concat of values of different sizes');
        emit({ op: 'concat', ins, out }, ins.reduce((s, v) => s + channels.get(v)!, 0), factor.get(ins[0])!);
        break;
      }
      case 'DepthToSpace': {
        const x = dyn(i, n.inputs[0]);
        const s = attrInt(n, 'blocksize')!;
        if (attrStr(n, 'mode') !== 'CRD') refuse(i, 'DepthToSpace mode other than CRD');
        if (channels.get(x)! % (s * s)) refuse(i, `${channels.get(x)} channels do not split into ${s}×${s} blocks`);
        emit({ op: 'pixelshuffle', in: x, out, scale: s }, channels.get(x)! / (s * s), factor.get(x)! * s);
        break;
      }
      case 'Slice': {
        // The anchor: symmetric pad 2 by Slices + Concat per axis, a 5×5 depthwise conv to s² phases, DepthToSpace CRD.
        const x = dyn(i, n.inputs[0]);
        const { s, out: up } = bicubicPattern(i, x);
        emit({ op: 'bicubic', in: x, out: up, scale: s }, channels.get(x)!, factor.get(x)! * s);
        break;
      }
      case 'Clip': {
        const x = dyn(i, n.inputs[0]);
        if (out !== OUTPUT || scalar(n.inputs[1], i) !== 0 || scalar(n.inputs[2], i) !== 1) refuse(i, 'a clip other than the final clip to [0, 1]');
        emit({ op: 'clip', in: x, out }, channels.get(x)!, factor.get(x)!);
        break;
      }
      default:
        refuse(i, `operator ${n.opType} is not part of a bitsr network`);
    }
  }
  for (const i of constNodes) if (!done.has(i)) refuse(i, 'a constant computation that is not a binary weight unpack');
  if (!channels.has(OUTPUT)) throw new UnsupportedGraphError(`unsupported graph: nothing computes the output '${OUTPUT}'`);
  const scale = factor.get(OUTPUT)!;
  if (channels.get(OUTPUT) !== 3) throw new UnsupportedGraphError(`unsupported graph: the output has ${channels.get(OUTPUT)} channels, not 3`);
  return { ops, channels, factor, scale, mean, std, metadata: model.metadata };

  // ---- the bicubic anchor pattern, starting at the first Slice (node i) over value x
  function bicubicPattern(i: number, x: string): { s: number; out: string } {
    let cur = x;
    let at = i;
    for (const axis of [2, 3]) {
      const cat = g.nodes.findIndex((m, k) => k >= at && m.opType === 'Concat' && m.inputs.includes(cur));
      if (cat < 0) refuse(i, 'a Slice outside the bicubic padding pattern');
      const c = g.nodes[cat];
      if (attrInt(c, 'axis') !== axis || c.inputs.length !== 5 || c.inputs[2] !== cur) refuse(cat, 'not the symmetric padding of the bicubic anchor');
      const want = [[1, 2], [0, 1], null, [-1, 2 ** 31 - 1], [-2, -1]];
      c.inputs.forEach((v, k) => {
        const w = want[k];
        if (!w) return;
        const p = producer.get(v);
        if (p === undefined || g.nodes[p].opType !== 'Slice' || g.nodes[p].inputs[0] !== cur) refuse(cat, 'not the symmetric padding of the bicubic anchor');
        const sl = g.nodes[p!];
        const int64 = (name: string) => {
          const t = inits.get(name);
          return t ? Array.from(new BigInt64Array(new Uint8Array(t.raw).buffer), Number) : [];
        };
        if (int64(sl.inputs[1])[0] !== w[0] || int64(sl.inputs[2])[0] !== w[1] || int64(sl.inputs[3])[0] !== axis || sl.inputs.length !== 4) refuse(p!, 'not the symmetric padding of the bicubic anchor');
        done.add(p!);
      });
      done.add(cat);
      cur = c.outputs[0];
      at = cat;
    }
    const convAt = only(cur);
    const conv = convAt !== undefined ? g.nodes[convAt] : undefined;
    if (!conv || conv.opType !== 'Conv' || attrInt(conv, 'group') !== 3) refuse(at, 'the bicubic padding does not feed the depthwise phase conv');
    const k = inits.get(conv!.inputs[1]);
    const s = k ? Math.round(Math.sqrt(k.dims[0] / 3)) : 0;
    if (!k || k.dims.join() !== [3 * s * s, 1, 5, 5].join() || conv!.inputs.length !== 2 || (attrInts(conv!, 'pads') ?? [0, 0, 0, 0]).some((p) => p !== 0)) refuse(convAt!, 'not the bicubic phase conv');
    const want = bicubicKernel(s);
    const got = tensorFloats(k!);
    for (let c = 0; c < 3; c++)
      for (let q = 0; q < s * s; q++)
        for (let t = 0; t < 25; t++) if (Math.abs(got[(c * s * s + q) * 25 + t] - want[t * s * s + q]) > 1e-6) refuse(convAt!, 'phase conv weights are not MATLAB bicubic');
    done.add(convAt!);
    const d2s = only(conv!.outputs[0]);
    if (d2s === undefined || g.nodes[d2s].opType !== 'DepthToSpace' || attrInt(g.nodes[d2s], 'blocksize') !== s || attrStr(g.nodes[d2s], 'mode') !== 'CRD') refuse(convAt!, 'the bicubic phases are not shuffled by DepthToSpace CRD');
    done.add(d2s!);
    return { s, out: g.nodes[d2s!].outputs[0] };
  }
}

/** The binary conv's weights as ±1 floats, OIHW (for the reference path and tests). */
export function binconvSigns(op: Extract<PlanOp, { op: 'binconv' }>): Float32Array {
  return unpackBits(op.bits, op.cout * op.cin * op.kh * op.kw);
}
