/**
 * Weight packers for the inference float kernels (src/kernels/wat/inferFloat.ts): pure functions
 * from the ONNX initializers (OIHW) or the training layout (HWIO) to what `convRows` reads.
 *
 * Packed conv layout: output channels in blocks of 8 (the last block zero-padded),
 * [ceil(cout/8)][kh][kw][cin][8]: one block's taps are contiguous, so the kernel streams 32 bytes
 * per input channel. The bias is padded to the same ceil(cout/8)·8 floats.
 */

/** Output channels as convRows stores its weights and bias: cout rounded up to a multiple of 8. */
export function floatConvPaddedCout(cout: number): number {
  return Math.ceil(cout / 8) * 8;
}

function packWith(get: (o: number, c: number, i: number, j: number) => number, cout: number, cin: number, kh: number, kw: number): Float32Array {
  if (!(kh % 2 === 1 && kw % 2 === 1)) throw new Error(`convRows needs odd kernel sizes, got ${kh}x${kw}`);
  const out = new Float32Array(floatConvPaddedCout(cout) * kh * kw * cin);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let c = 0; c < cin; c++) out[((((o >> 3) * kh + i) * kw + j) * cin + c) * 8 + (o & 7)] = get(o, c, i, j);
  return out;
}

function checkLength(w: Float32Array, cout: number, cin: number, kh: number, kw: number): void {
  if (w.length !== cout * cin * kh * kw) throw new Error(`conv weight has ${w.length} values, expected ${cout}x${cin}x${kh}x${kw}`);
}

/** ONNX Conv weight [cout, cin, kh, kw] -> convRows layout (see the file comment). */
export function packFloatConvWeights(oihw: Float32Array, cout: number, cin: number, kh: number, kw: number): Float32Array {
  checkLength(oihw, cout, cin, kh, kw);
  return packWith((o, c, i, j) => oihw[((o * cin + c) * kh + i) * kw + j], cout, cin, kh, kw);
}

/** Training-layout weight [kh, kw, cin, cout] (NetGraph params, importOnnx) -> convRows layout. */
export function packFloatConvWeightsHwio(hwio: Float32Array, cout: number, cin: number, kh: number, kw: number): Float32Array {
  checkLength(hwio, cout, cin, kh, kw);
  return packWith((o, c, i, j) => hwio[((i * kw + j) * cin + c) * cout + o], cout, cin, kh, kw);
}

/** Bias [cout] (or none: zeros) -> floatConvPaddedCout(cout) floats. */
export function packFloatConvBias(bias: Float32Array | undefined, cout: number): Float32Array {
  if (bias && bias.length !== cout) throw new Error(`conv bias has ${bias.length} values, expected ${cout}`);
  const out = new Float32Array(floatConvPaddedCout(cout));
  if (bias) out.set(bias);
  return out;
}
