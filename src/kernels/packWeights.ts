/**
 * Weight packing for the inference kernels (pure TypeScript, run once per model load).
 *
 * xnorConvRows' binary weight layout (u32 words), built by packBinaryConvWeights:
 *   [taps = kh·kw (t = i·kw + j)][words = cin/32][nvec = ceil(cout/4)][12 u32]
 * where the 12 words of vector v hold output channels o = 4v..4v+3 three times:
 *   0..3   sign word: bit c set iff weight (o, 32k + c, i, j) is −1 (the input's packSigns
 *          convention, so a set bit of a XOR w is a product of −1)
 *   4..7   the same word & 0x0f0f0f0f (low nibble of each byte)
 *   8..11  (word >>> 4) & 0x0f0f0f0f (high nibble of each byte)
 * The plain build counts with i8x16.popcnt on the sign word; the relaxed-SIMD build looks the two
 * nibbles up with one byte shuffle each and never has to split the weights per pixel.
 * Channels o ≥ cout (padding to a multiple of 4) are zero; the kernel never stores them.
 * Then, for the table path (see src/kernels/wat/inferBinaryTables.ts), the weights' nibbles as
 * byte indices: [taps][words][ngroups = ceil(cout/16)][q = 0..7][16 bytes], where byte l is
 * nibble q (bits 4q..4q+3) of channel 16·group + l's sign word (0 for padding channels).
 */

/** u32 words of packBinaryConvWeights' output. */
export function binaryConvWeightWords(cout: number, cin: number, kh: number, kw: number): number {
  return kh * kw * (cin / 32) * (Math.ceil(cout / 4) * 12 + Math.ceil(cout / 16) * 32);
}

/**
 * Bytes of per-thread scratch for xnorConvRows' table path (pass them to xnorScratch once per
 * instance): a header and 2·pad + 1 rows of 128 bytes per input pixel and word.
 */
export function xnorScratchBytes(W: number, words: number, kh: number, dil: number): number {
  return 64 + (dil * (kh - 1) + 1) * W * words * 128;
}

/**
 * Packs a binary conv's ONNX initializer (OIHW order flattened, most significant bit first within
 * each byte, bit 1 = +1 weight, 0 = −1; see src/core/bitpack.ts) into xnorConvRows' layout.
 */
export function packBinaryConvWeights(bitsOIHW: Uint8Array, cout: number, cin: number, kh: number, kw: number): Uint32Array {
  if (!(cout >= 1 && cin >= 32 && cin % 32 === 0 && kh >= 1 && kw >= 1)) throw new Error(`binary conv ${cout}x${cin}x${kh}x${kw}: cin must be a positive multiple of 32`);
  const n = cout * cin * kh * kw;
  if (bitsOIHW.length * 8 < n) throw new Error(`binary conv weight holds ${bitsOIHW.length * 8} bits, ${n} needed`);
  const words = cin / 32;
  const nvec = Math.ceil(cout / 4);
  const out = new Uint32Array(binaryConvWeightWords(cout, cin, kh, kw));
  const ngroups = Math.ceil(cout / 16);
  const tables = new Uint8Array(out.buffer, kh * kw * words * nvec * 48);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let k = 0; k < words; k++)
        for (let o = 0; o < cout; o++) {
          let word = 0;
          for (let c = 0; c < 32; c++) {
            const e = ((o * cin + 32 * k + c) * kh + i) * kw + j;
            if (!((bitsOIHW[e >> 3] >> (7 - (e & 7))) & 1)) word |= 1 << c;
          }
          const base = (((i * kw + j) * words + k) * nvec + (o >> 2)) * 12 + (o & 3);
          out[base] = word >>> 0;
          out[base + 4] = word & 0x0f0f0f0f;
          out[base + 8] = (word >>> 4) & 0x0f0f0f0f;
          const tbase = (((i * kw + j) * words + k) * ngroups + (o >> 4)) * 128 + (o & 15);
          for (let q = 0; q < 8; q++) tables[tbase + 16 * q] = (word >>> (4 * q)) & 15;
        }
  return out;
}
