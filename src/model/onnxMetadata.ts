/** Pure-TS reader of an ONNX file's metadata_props (shared by the eval CLI and the app). */
/** Reads metadata_props straight from the protobuf (ORT does not expose custom metadata props everywhere). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  // ModelProto.metadata_props = field 14 (StringStringEntryProto: key = 1, value = 2).
  const out: Record<string, string> = {};
  const td = new TextDecoder();
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= bytes.length) throw new Error('truncated protobuf');
      const b = bytes[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (p < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const len = varint();
      const end = p + len;
      if (end > bytes.length) throw new Error('truncated protobuf');
      if (field === 14) {
        let k = '';
        let v = '';
        let q = p;
        while (q < end) {
          const save = p;
          p = q;
          const kk = varint();
          const l = varint();
          const s = td.decode(bytes.subarray(p, p + l));
          if (kk >> 3 === 1) k = s;
          else if (kk >> 3 === 2) v = s;
          q = p + l;
          p = save;
        }
        out[k] = v;
      }
      p = end;
    } else throw new Error(`not an ONNX model (bad protobuf wire type ${wire})`);
  }
  return out;
}

