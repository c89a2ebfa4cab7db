/**
 * A tiny protobuf encoder/decoder for the subset of onnx.proto bitsr writes and reads
 * (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto,
 * StringStringEntryProto). Pure TS with no dependencies, so the app can parse models too.
 * Field numbers are from onnx/onnx.proto (stable since IR version 3).
 */

export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;

export interface TensorProto {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian payload (TensorProto.raw_data). */
  raw: Uint8Array;
}

export type AttrValue = number | string | number[] | TensorProto;
/** Attribute values: `int` for integers, `float` for floats (numbers alone are ambiguous). */
export type Attr = { name: string } & ({ i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] } | { t: TensorProto });

export interface NodeProto {
  opType: string;
  inputs: string[];
  outputs: string[];
  attrs: Attr[];
  name?: string;
  domain?: string;
}

/** A tensor's shape: numbers are fixed sizes, strings are symbolic (dim_param). */
export interface ValueInfo {
  name: string;
  elemType: number;
  shape: (number | string)[];
}

export interface ModelProto {
  irVersion: number;
  opsetImports: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: {
    name: string;
    nodes: NodeProto[];
    initializers: TensorProto[];
    inputs: ValueInfo[];
    outputs: ValueInfo[];
  };
  metadata: Record<string, string>;
}

// ---------------------------------------------------------------- encoding

const te = new TextEncoder();

/** Growable byte sink with the protobuf primitives. Messages are encoded bottom-up into bytes. */
class Writer {
  private buf = new Uint8Array(256);
  private n = 0;
  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  varint(v: number | bigint): this {
    // Negative int64 values are 10-byte two's complement varints.
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.n++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.n++] = Number(x);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, te.encode(s));
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.n, v, true);
    this.n += 4;
    return this;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

function encodeTensor(t: TensorProto): Uint8Array {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType).string(8, t.name).bytes(9, t.raw);
  return w.finish();
}

function encodeAttr(a: Attr): Uint8Array {
  const w = new Writer().string(1, a.name);
  // AttributeProto: f=2, i=3, s=4, t=5, floats=7, ints=8, type=20 (FLOAT=1 INT=2 STRING=3 TENSOR=4 FLOATS=6 INTS=7).
  if ('i' in a) w.int(3, a.i).int(20, 2);
  else if ('f' in a) w.float(2, a.f).int(20, 1);
  else if ('s' in a) w.string(4, a.s).int(20, 3);
  else if ('t' in a) w.bytes(5, encodeTensor(a.t)).int(20, 4);
  else if ('ints' in a) {
    for (const v of a.ints) w.int(8, v);
    w.int(20, 7);
  } else {
    for (const v of a.floats) w.float(7, v);
    w.int(20, 6);
  }
  return w.finish();
}

function encodeNode(n: NodeProto): Uint8Array {
  const w = new Writer();
  for (const s of n.inputs) w.string(1, s);
  for (const s of n.outputs) w.string(2, s);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attrs) w.bytes(5, encodeAttr(a));
  if (n.domain) w.string(7, n.domain);
  return w.finish();
}

function encodeValueInfo(v: ValueInfo): Uint8Array {
  // ValueInfoProto{name=1, type=2} > TypeProto{tensor_type=1} > Tensor{elem_type=1, shape=2} > TensorShapeProto{dim=1} > Dimension{dim_value=1, dim_param=2}
  const shape = new Writer();
  for (const d of v.shape) shape.bytes(1, typeof d === 'number' ? new Writer().int(1, d).finish() : new Writer().string(2, d).finish());
  const tensor = new Writer().int(1, v.elemType).bytes(2, shape.finish()).finish();
  const type = new Writer().bytes(1, tensor).finish();
  return new Writer().string(1, v.name).bytes(2, type).finish();
}

export function encodeModel(m: ModelProto): Uint8Array {
  const g = new Writer();
  for (const n of m.graph.nodes) g.bytes(1, encodeNode(n));
  g.string(2, m.graph.name);
  for (const t of m.graph.initializers) g.bytes(5, encodeTensor(t));
  for (const v of m.graph.inputs) g.bytes(11, encodeValueInfo(v));
  for (const v of m.graph.outputs) g.bytes(12, encodeValueInfo(v));
  const w = new Writer().int(1, m.irVersion).string(2, m.producerName).string(3, m.producerVersion);
  for (const o of m.opsetImports) w.bytes(8, new Writer().string(1, o.domain).int(2, o.version).finish());
  // metadata before the graph: a file truncated inside the graph still names itself.
  for (const [k, v] of Object.entries(m.metadata)) w.bytes(14, new Writer().string(1, k).string(2, v).finish());
  w.bytes(7, g.finish());
  return w.finish();
}

// ---------------------------------------------------------------- decoding

type Field = { field: number; wire: number; v: bigint | Uint8Array | number };

/** One varint at b[p]: its value and the position after it. */
function readVarint(b: Uint8Array, p: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    if (p >= b.length) throw new Error('truncated protobuf');
    const x = b[p++];
    v |= BigInt(x & 0x7f) << shift;
    if (x < 0x80) return [v, p];
    shift += 7n;
    if (shift > 70n) throw new Error('corrupt protobuf (varint too long)');
  }
}

/** Splits one message into its fields; throws on truncation or invalid wire types. */
function fields(b: Uint8Array): Field[] {
  const out: Field[] = [];
  let p = 0;
  const varint = (): bigint => {
    const [v, next] = readVarint(b, p);
    p = next;
    return v;
  };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  while (p < b.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (field === 0) throw new Error('corrupt protobuf (field 0)');
    if (wire === 0) out.push({ field, wire, v: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (p + len > b.length) throw new Error('truncated protobuf');
      out.push({ field, wire, v: b.subarray(p, p + len) });
      p += len;
    } else if (wire === 5) {
      if (p + 4 > b.length) throw new Error('truncated protobuf');
      out.push({ field, wire, v: dv.getFloat32(p, true) });
      p += 4;
    } else if (wire === 1) {
      if (p + 8 > b.length) throw new Error('truncated protobuf');
      out.push({ field, wire, v: dv.getFloat64(p, true) });
      p += 8;
    } else throw new Error(`corrupt protobuf (wire type ${wire})`);
  }
  return out;
}

const td = new TextDecoder();
const str = (f: Field) => td.decode(f.v as Uint8Array);
const toInt = (v: bigint) => Number(BigInt.asIntN(64, v));
const int = (f: Field) => toInt(f.v as bigint);
/** Repeated integers arrive either one per field or packed in one length-delimited field. */
function ints(fs: Field[], field: number): number[] {
  const out: number[] = [];
  for (const f of fs) {
    if (f.field !== field) continue;
    if (f.wire === 0) out.push(int(f));
    else {
      const u = f.v as Uint8Array;
      for (let p = 0; p < u.length; ) {
        const [v, next] = readVarint(u, p);
        out.push(toInt(v));
        p = next;
      }
    }
  }
  return out;
}
/** Repeated floats, one per field or packed. */
function floats(fs: Field[], field: number): number[] {
  const out: number[] = [];
  for (const f of fs) {
    if (f.field !== field) continue;
    if (f.wire === 5) out.push(f.v as number);
    else if (f.wire === 2) {
      const u = f.v as Uint8Array;
      const dv = new DataView(u.buffer, u.byteOffset, u.byteLength);
      for (let i = 0; i + 4 <= u.length; i += 4) out.push(dv.getFloat32(i, true));
    }
  }
  return out;
}

export function decodeTensor(b: Uint8Array): TensorProto {
  const fs = fields(b);
  const t: TensorProto = { name: '', dataType: 0, dims: ints(fs, 1), raw: new Uint8Array(0) };
  for (const f of fs) {
    if (f.field === 2) t.dataType = int(f);
    else if (f.field === 8) t.name = str(f);
    else if (f.field === 9) t.raw = f.v as Uint8Array;
  }
  // float_data (field 4): other writers (ORT's optimizer) may store small constants this way.
  const fd = floats(fs, 4);
  if (fd.length && t.raw.length === 0) t.raw = new Uint8Array(new Float32Array(fd).buffer);
  return t;
}

function decodeAttr(b: Uint8Array): Attr {
  const fs = fields(b);
  const name = str(fs.find((f) => f.field === 1) ?? { field: 1, wire: 2, v: new Uint8Array() });
  const type = fs.find((f) => f.field === 20);
  const get = (n: number) => fs.find((f) => f.field === n);
  switch (type ? int(type) : 0) {
    case 1:
      return { name, f: (get(2)?.v as number) ?? 0 };
    case 2:
      return { name, i: get(3) ? int(get(3)!) : 0 };
    case 3:
      return { name, s: get(4) ? str(get(4)!) : '' };
    case 4:
      return { name, t: decodeTensor((get(5)?.v as Uint8Array) ?? new Uint8Array()) };
    case 6:
      return { name, floats: floats(fs, 7) };
    default:
      return { name, ints: ints(fs, 8) };
  }
}

function decodeNode(b: Uint8Array): NodeProto {
  const n: NodeProto = { opType: '', inputs: [], outputs: [], attrs: [] };
  for (const f of fields(b)) {
    if (f.field === 1) n.inputs.push(str(f));
    else if (f.field === 2) n.outputs.push(str(f));
    else if (f.field === 3) n.name = str(f);
    else if (f.field === 4) n.opType = str(f);
    else if (f.field === 5) n.attrs.push(decodeAttr(f.v as Uint8Array));
    else if (f.field === 7) n.domain = str(f);
  }
  return n;
}

function decodeValueInfo(b: Uint8Array): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, shape: [] };
  for (const f of fields(b)) {
    if (f.field === 1) v.name = str(f);
    else if (f.field === 2) {
      const tensor = fields(f.v as Uint8Array).find((g) => g.field === 1);
      if (!tensor) continue;
      for (const g of fields(tensor.v as Uint8Array)) {
        if (g.field === 1) v.elemType = int(g);
        else if (g.field === 2)
          for (const dim of fields(g.v as Uint8Array)) {
            const d = fields(dim.v as Uint8Array)[0];
            v.shape.push(!d ? '?' : d.field === 1 ? int(d) : str(d));
          }
      }
    }
  }
  return v;
}

export function decodeModel(bytes: Uint8Array): ModelProto {
  const m: ModelProto = {
    irVersion: 0,
    opsetImports: [],
    producerName: '',
    producerVersion: '',
    graph: { name: '', nodes: [], initializers: [], inputs: [], outputs: [] },
    metadata: {},
  };
  let sawGraph = false;
  for (const f of fields(bytes)) {
    if (f.field === 1 && f.wire === 0) m.irVersion = int(f);
    else if (f.field === 2 && f.wire === 2) m.producerName = str(f);
    else if (f.field === 3 && f.wire === 2) m.producerVersion = str(f);
    else if (f.field === 8 && f.wire === 2) {
      const fs = fields(f.v as Uint8Array);
      const d = fs.find((g) => g.field === 1);
      const v = fs.find((g) => g.field === 2);
      m.opsetImports.push({ domain: d ? str(d) : '', version: v ? int(v) : 0 });
    } else if (f.field === 14 && f.wire === 2) {
      let k = '';
      let v = '';
      for (const g of fields(f.v as Uint8Array)) {
        if (g.field === 1) k = str(g);
        else if (g.field === 2) v = str(g);
      }
      m.metadata[k] = v;
    } else if (f.field === 7 && f.wire === 2) {
      sawGraph = true;
      const g = m.graph;
      for (const h of fields(f.v as Uint8Array)) {
        if (h.wire !== 2) continue;
        const u = h.v as Uint8Array;
        if (h.field === 1) g.nodes.push(decodeNode(u));
        else if (h.field === 2) g.name = str(h);
        else if (h.field === 5) g.initializers.push(decodeTensor(u));
        else if (h.field === 11) g.inputs.push(decodeValueInfo(u));
        else if (h.field === 12) g.outputs.push(decodeValueInfo(u));
      }
    }
  }
  if (!sawGraph || m.irVersion === 0) throw new Error('not an ONNX model (no graph or IR version)');
  return m;
}

// ---------------------------------------------------------------- tensor helpers

export function floatTensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  const a = Float32Array.from(data);
  if (a.length !== dims.reduce((x, y) => x * y, 1)) throw new Error(`tensor ${name}: ${a.length} values for shape [${dims}]`);
  return { name, dataType: DataType.FLOAT, dims, raw: new Uint8Array(a.buffer) };
}

export function int64Tensor(name: string, dims: number[], data: (number | bigint)[]): TensorProto {
  const a = BigInt64Array.from(data.map((v) => BigInt(v)));
  return { name, dataType: DataType.INT64, dims, raw: new Uint8Array(a.buffer) };
}

export function uint8Tensor(name: string, dims: number[], data: Uint8Array): TensorProto {
  return { name, dataType: DataType.UINT8, dims, raw: data.slice() };
}

/**
 * Payload as float32 (copy; raw_data is little-endian, as are all platforms we run on). The copy is
 * made with the Uint8Array constructor: a Node Buffer's slice() is a view, not a copy.
 */
export function tensorFloats(t: TensorProto): Float32Array {
  if (t.dataType !== DataType.FLOAT) throw new Error(`tensor ${t.name} is not float`);
  return new Float32Array(new Uint8Array(t.raw).buffer);
}
