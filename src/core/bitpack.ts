/**
 * Bit packing of ±1 tensors, 8 values per byte.
 *
 * Bit order (documented, relied on by the ONNX unpack subgraph): value i goes to byte i >> 3,
 * at bit 7 - (i & 7), i.e. most-significant bit first (numpy.packbits' default 'big' order).
 * A set bit means +1, a clear bit -1. The sign convention is sign(0) = +1, so values >= 0 pack
 * as 1. The last byte is zero-padded.
 */
export function packBits(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(Math.ceil(values.length / 8));
  for (let i = 0; i < values.length; i++) {
    if (values[i] >= 0) out[i >> 3] |= 0x80 >> (i & 7);
  }
  return out;
}

/** Unpack `count` values as ±1. */
export function unpackBits(bytes: Uint8Array, count: number): Float32Array {
  if (bytes.length * 8 < count) throw new Error(`packed buffer holds ${bytes.length * 8} bits, ${count} requested`);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[i >> 3] >> (7 - (i & 7))) & 1 ? 1 : -1;
  return out;
}

/** sign with sign(0) = +1: the one binarization convention of the project. */
export function binarize(x: number): 1 | -1 {
  return x >= 0 ? 1 : -1;
}
