/** The XNOR/popcount binary conv of an exactly ±1 input (wasm only; SIMD bodies in src/kernels/wat/xnor.ts). */
import type { SimdKernels } from '../simdKernels';
import type { tf } from '../tf';
import { type Info, type WasmBackend, registerWasm, run, wasmSimd } from './registry';

const XNOR = 'BitsrXnorConv';

/**
 * The XNOR conv of ±1 input x into `out`; with `block`, also out2 = res + prelu(out, slope) (a basic
 * block's output).
 */
export function xnorInto(b: WasmBackend, k: SimdKernels, ptr: (t: Info) => number, x: Info, w: Info, alpha: Info, dil: number, out: Info, block?: { res: Info; slope: Info; out2: Info }): void {
  const [N, H, W, cin] = x.shape;
  const [kh, kw, , cout] = w.shape;
  const words = cin / 32;
  const aBytes = N * H * W * words * 4;
  const wBytes = kh * kw * words * cout * 4;
  const scratch = b.wasm._malloc(aBytes + wBytes + cout * 4 + 16);
  try {
    const a = scratch;
    const wb = scratch + aBytes;
    const acc = wb + wBytes;
    if (k.packSigns(ptr(x), a, N * H * W * words)) {
      // NaN in, NaN out (the NaN guard must see it)
      b.typedArrayFromHeap(out).fill(NaN);
      if (block) b.typedArrayFromHeap(block.out2).fill(NaN);
      return;
    }
    // sign(W) bits, [kh, kw, words, cout]: bit c of word q = input channel 32q + c is negative.
    k.weightBits(ptr(w), wb, kh * kw, cin, cout);
    // Cout a multiple of 32: accumulators in registers (src/kernels/wat/xnor.ts xnorConv32).
    (cout % 32 ? k.xnorConv : k.xnorConv32)(a, wb, ptr(alpha), ptr(out), acc, N, H, W, words, cout, kh, kw, dil, block ? ptr(block.res) : 0, block ? ptr(block.slope) : 0, block ? ptr(block.out2) : 0);
  } finally {
    b.wasm._free(scratch);
  }
}

export function registerXnorKernels(): void {
  // Binary conv of an exactly ±1 input by XNOR/popcount (wasm only; see xnorConvApplies).
  registerWasm(XNOR, (b, k, inputs, attrs, ptr) => {
    const x = inputs.x as Info;
    const out = b.makeOutput([...x.shape.slice(0, 3), (inputs.w as Info).shape[3]], 'float32');
    xnorInto(b, k, ptr, x, inputs.w as Info, inputs.alpha as Info, (attrs as { dil: number }).dil, out);
    return out;
  });
}

/** Whether xnorConv runs this shape: wasm backend, Cin a multiple of 32, Cout of 4, ≤ 31 tap-words. */
export function xnorConvApplies(xShape: number[], wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return wasmSimd() && xShape[3] === cin && cin % 32 === 0 && cout % 4 === 0 && kh * kw * (cin / 32) <= 31;
}

/**
 * conv(x, sign W) · α for x exactly ±1, 'same' zero padding, by XNOR and popcount: the float
 * conv's exact integer sums, ~16× fewer operations. α: [1,1,1,Cout] (or [Cout]).
 */
export function xnorConv(x: tf.Tensor4D, w: tf.Tensor4D, alpha: tf.Tensor, dil: number): tf.Tensor4D {
  return run(XNOR, { x, w, alpha }, { dil }) as tf.Tensor4D;
}
