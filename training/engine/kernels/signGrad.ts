/**
 * The conv backward for an output gradient of ±c (the tail's under the L1 loss), wasm only (SIMD
 * bodies in src/kernels/wat/signGrad.ts): the test for ±c, dW and dX.
 */
import type { tf } from '../tf';
import { type Info, registerWasm, run, size, wasmSimd } from './registry';

const SIGN_SCALE = 'BitsrSignScale';
const SIGN_DW = 'BitsrSignGradWeightGrad';
const SIGN_DX = 'BitsrSignGradInputGrad';

export function registerSignGradKernels(): void {
  registerWasm(SIGN_SCALE, (b, k, inputs, _attrs, ptr) => {
    const x = inputs.x as Info;
    const n = size(x.shape);
    const out = b.makeOutput([1], 'float32');
    b.typedArrayFromHeap(out)[0] = n % 4 ? 0 : k.signScale(ptr(x), n);
    return out;
  });
  registerWasm(SIGN_DW, (b, k, inputs, attrs, ptr) => {
    const x = inputs.x as Info;
    const dy = inputs.dy as Info;
    const [N, H, W, cin] = x.shape;
    const cout = dy.shape[3];
    const { kh, kw, dil, c } = attrs as { kh: number; kw: number; dil: number; c: number };
    const out = b.makeOutput([kh, kw, cin, cout], 'float32');
    const tab = b.wasm._malloc((cout / 4) * 16 * cin * 4 + cout);
    try {
      k.signGradWeightGrad(ptr(x), ptr(dy), ptr(out), tab, N, H, W, cin, cout, kh, kw, dil, c);
    } finally {
      b.wasm._free(tab);
    }
    return out;
  });
  registerWasm(SIGN_DX, (b, k, inputs, attrs, ptr) => {
    const dy = inputs.dy as Info;
    const w = inputs.w as Info;
    const [N, H, W, cout] = dy.shape;
    const [kh, kw, cin] = w.shape;
    const { dil, c } = attrs as { dil: number; c: number };
    const out = b.makeOutput([N, H, W, cin], 'float32');
    const wtBytes = kh * kw * (cout / 4) * 17 * cin * 4;
    const patBytes = N * (H + dil * (kh - 1)) * (W + dil * (kw - 1)) * (cout / 4);
    const scratch = b.wasm._malloc(wtBytes + patBytes + 16);
    try {
      k.signGradInputGrad(ptr(dy), ptr(w), ptr(out), scratch, scratch + wtBytes, N, H, W, cin, cout, kh, kw, dil, c);
    } finally {
      b.wasm._free(scratch);
    }
    return out;
  });
}

/**
 * c when every element of x is ±c (c > 0, finite), else 0: an output gradient that the sign
 * kernels below can take (the tail's under the L1 loss is ±1/N everywhere). wasm only.
 */
export function signScale(x: tf.Tensor): number {
  if (!wasmSimd()) return 0;
  const t = run(SIGN_SCALE, { x }) as tf.Tensor;
  const c = t.dataSync()[0];
  t.dispose();
  return c;
}

/** Whether the sign-gradient kernels run this conv: wasm, Cin a multiple of 16, Cout of 4, odd kernel. */
export function signGradApplies(wShape: number[]): boolean {
  const [kh, kw, cin, cout] = wShape;
  return wasmSimd() && cin % 16 === 0 && cout % 4 === 0 && kh % 2 === 1 && kw % 2 === 1;
}

/** dW of a stride-1 'same' conv whose output gradient is c·sign(dy) (signScale(dy) = c > 0). */
export function signGradWeightGrad(x: tf.Tensor4D, dy: tf.Tensor4D, kh: number, kw: number, dil: number, c: number): tf.Tensor4D {
  return run(SIGN_DW, { x, dy }, { kh, kw, dil, c }) as tf.Tensor4D;
}

/** dX of a stride-1 'same' conv with HWIO weights w whose output gradient is c·sign(dy). */
export function signGradInputGrad(dy: tf.Tensor4D, w: tf.Tensor4D, dil: number, c: number): tf.Tensor4D {
  return run(SIGN_DX, { dy, w }, { dil, c }) as tf.Tensor4D;
}
