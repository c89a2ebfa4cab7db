/**
 * The fused basic binary block (wasm only; SIMD bodies in src/kernels/wat/binaryBlock.ts and src/kernels/wat/xnor.ts): its
 * forward by XNOR, its backward by sign-pattern tables, and the binary conv's weight gradient.
 */
import type { Estimator } from '../../../src/model/config';
import type { tf } from '../tf';
import { EST_CODE, type Info, registerWasm, run, wasmSimd } from './registry';
import { xnorInto } from './xnor';

const BLOCK = 'BitsrBinaryBlock';
const BLOCK_DX = 'BitsrBinaryBlockDx';
const BIN_DW = 'BitsrBinaryConvWeightGrad';

export function registerBinaryBlockKernels(): void {
  // A basic binary block's forward, [y, c]: c = conv(sign h, sign W)·α by XNOR, y = h + prelu(c, slope).
  registerWasm(BLOCK, (b, k, inputs, _attrs, ptr) => {
    const h = inputs.h as Info;
    const c = b.makeOutput(h.shape, 'float32');
    const y = b.makeOutput(h.shape, 'float32');
    xnorInto(b, k, ptr, h, inputs.w as Info, inputs.alpha as Info, 1, c, { res: h, slope: inputs.slope as Info, out2: y });
    return [y, c];
  });

  registerWasm(BIN_DW, (b, k, inputs, attrs, ptr) => {
    const x = inputs.x as Info;
    const dy = inputs.dy as Info;
    const [N, H, W, cin] = x.shape;
    const cout = dy.shape[3];
    const words = cin / 32;
    const { kh, kw, dil } = attrs as { kh: number; kw: number; dil: number };
    const out = b.makeOutput([kh, kw, cin, cout], 'float32');
    const aBytes = N * H * W * words * 4;
    const scratch = b.wasm._malloc(aBytes + words * 4 * 256 * cout * 4 + 128);
    try {
      if (k.packSigns(ptr(x), scratch, N * H * W * words)) b.typedArrayFromHeap(out).fill(NaN); // the NaN guard must see it
      else k.binWeightGrad(scratch, ptr(dy), ptr(out), scratch + aBytes, N, H, W, words, cout, kh, kw, dil);
    } finally {
      b.wasm._free(scratch);
    }
    return out;
  });

  // The basic block's backward through PReLU and the binary conv's input: [dh, dc, dslope].
  registerWasm(BLOCK_DX, (b, k, inputs, attrs, ptr) => {
    const dy = inputs.dy as Info;
    const w = inputs.w as Info;
    const [N, H, W, cout] = dy.shape;
    const [kh, kw, cin] = w.shape;
    const est = (attrs as { est: number }).est;
    const dh = b.makeOutput([N, H, W, cin], 'float32');
    const dc = b.makeOutput(dy.shape, 'float32');
    const dslope = b.makeOutput([cout], 'float32');
    const eBytes = (cout / 4) * 16 * (H + kh - 1) * (W + kw - 1) * 4;
    const scratch = b.wasm._malloc(eBytes + cin * kh * kw * (cout / 4) * 4);
    try {
      k.binaryBlockDx(ptr(dy), ptr(w), ptr(inputs.alpha as Info), ptr(dy), ptr(inputs.h as Info), ptr(dh), scratch, scratch + eBytes, N, H, W, cin, cout, kh, kw, 1, est, ptr(inputs.c as Info), ptr(inputs.slope as Info), ptr(dc), ptr(dslope));
    } finally {
      b.wasm._free(scratch);
    }
    return [dh, dc, dslope];
  });
}

/** [h + prelu(c, slope), c] with c = conv(sign h, sign W)·α, 3×3 'same': a basic block's forward (wasm). */
export function binaryBlockForward(h: tf.Tensor4D, w: tf.Tensor4D, alpha: tf.Tensor, slope: tf.Tensor): [tf.Tensor4D, tf.Tensor4D] {
  return run(BLOCK, { h, w, alpha, slope }) as unknown as [tf.Tensor4D, tf.Tensor4D];
}

/** Whether binaryConvWeightGrad runs this shape: wasm backend, Cin a multiple of 32, Cout of 8. */
export function binaryConvWeightGradApplies(xShape: number[], wShape: number[]): boolean {
  const [, , cin, cout] = wShape;
  return wasmSimd() && xShape[3] === cin && cin % 32 === 0 && cout % 8 === 0;
}

/**
 * dW (HWIO) of a stride-1 'same' conv whose input x is exactly ±1 (a BinAct output): the float
 * kernel's sums, grouped by the input's sign patterns (src/kernels/wat/binaryBlock.ts binWeightGrad), ~3× faster.
 */
export function binaryConvWeightGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dil: number): tf.Tensor4D {
  return run(BIN_DW, { x, dy }, { kh, kw, dil }) as tf.Tensor4D;
}

/**
 * A basic block's backward from its output gradient dy, in one pass over the table build: dc = the
 * PReLU backward at c (the conv output), dslope, and dh = dy + (conv input gradient of dc)·est'(h).
 */
export function binaryBlockBackward(dy: tf.Tensor4D, c: tf.Tensor4D, slope: tf.Tensor, w: tf.Tensor4D, alpha: tf.Tensor, h: tf.Tensor4D, est: Estimator): [tf.Tensor4D, tf.Tensor4D, tf.Tensor] {
  return run(BLOCK_DX, { dy, c, slope, w, alpha, h }, { est: EST_CODE[est] }) as unknown as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
}

/** Whether binaryBlockBackward runs: wasm, W a multiple of 8, channels of 4, odd kernel. */
export function binaryBlockBackwardApplies(xShape: number[], wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return wasmSimd() && xShape[2] % 8 === 0 && cin % 4 === 0 && cout % 4 === 0 && kh % 2 === 1 && kw % 2 === 1;
}
