/**
 * Copy kernels: zero padding and depth-to-space both ways (JS on either backend; tfjs-wasm's PadV2
 * is ~5× slower here), and a wasm Identity that shares the tensor's data instead of copying it.
 */
import { tf } from '../tf';
import { type Info, register, run } from './registry';

const PAD = 'BitsrPadSpatial';
const D2S = 'BitsrDepthToSpace';
const S2D = 'BitsrSpaceToDepth';

/** Copies between x [n, h, w, c·s²] and y [n, h·s, w·s, c] in DepthToSpace 'CRD' order, either way. */
function shuffle(x: Float32Array, y: Float32Array, [n, h, w, cs]: number[], s: number, toSpace: boolean): void {
  const c = cs / (s * s);
  const W = w * s;
  for (let k = 0; k < n * h; k++) for (let q = 0; q < w; q++) {
    const src = (k * w + q) * cs;
    for (let ch = 0; ch < c; ch++) for (let i = 0; i < s; i++) {
      const dst = ((k * s + i) * W + q * s) * c + ch;
      const from = src + ch * s * s + i * s;
      if (toSpace) for (let j = 0; j < s; j++) y[dst + j * c] = x[from + j];
      else for (let j = 0; j < s; j++) x[from + j] = y[dst + j * c];
    }
  }
}

export function registerCopyKernels(): void {
  // Zero padding of H and W of an NHWC tensor: row copies.
  register(PAD, ['x'], (i, a) => {
    const [n, h, w, c] = i[0].shape;
    const [t, b, l, r] = a.pads as number[];
    return [[n, h + t + b, w + l + r, c]];
  }, ([x], [y], attrs) => {
    const [n, h, w, c] = attrs.shape as number[];
    const [t, b, l, r] = attrs.pads as number[];
    const wp = w + l + r;
    const hp = h + t + b;
    y.fill(0);
    const row = w * c;
    for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) {
      const src = (k * h + i) * row;
      y.set(x.subarray(src, src + row), ((k * hp + i + t) * wp + l) * c);
    }
  });

  register(D2S, ['x'], (i, a) => {
    const [n, h, w, cs] = i[0].shape;
    const s = a.s as number;
    return [[n, h * s, w * s, cs / (s * s)]];
  }, ([x], [y], attrs) => shuffle(x, y, attrs.shape as number[], attrs.s as number, true));
  register(S2D, ['y'], (i, a) => {
    const [n, hs, ws, c] = i[0].shape;
    const s = a.s as number;
    return [[n, hs / s, ws / s, c * s * s]];
  }, ([y], [x], attrs) => shuffle(x, y, attrs.shape as number[], attrs.s as number, false));

  // tfjs clones every tensor a gradient saves (Identity); tfjs-wasm's Identity copies. Tensors are
  // immutable and the wasm backend reference-counts data, so a clone can share it, as tfjs-cpu's does.
  if (tf.getKernel('Identity', 'wasm')) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as Info;
      (backend as unknown as { incRef(id: unknown): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** Zero-pads H by (top, bottom) and W by (left, right). No gradient: used inside the custom ops. */
export function padSpatial(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  return run(PAD, { x }, { shape: x.shape, pads: [top, bottom, left, right] }) as tf.Tensor4D;
}

/** Depth-to-space ('CRD') as one copy; `spaceToDepth` is its inverse (and its gradient). */
export function depthToSpace(x: tf.Tensor4D, s: number): tf.Tensor4D {
  return run(D2S, { x }, { s, shape: x.shape }) as tf.Tensor4D;
}
export function spaceToDepth(y: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, hs, ws, c] = y.shape;
  return run(S2D, { y }, { s, shape: [n, hs / s, ws / s, c * s * s] }) as tf.Tensor4D;
}
