/** Custom gradients vs tfjs's reference gradients (cpu backend, tiny shapes), and the sign convention. */
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, initTf } from '../../training/engine/tf';
import { binarize, binaryBlock, binaryBlockApplies, binaryConv2d, conv2d, estimatorGrad, pixelShuffle, prelu, signForward, weightScale } from '../../training/engine/layers';
import type { Estimator } from '../../src/model/config';
import { simdKernels } from '../../training/engine/simdKernels';
import { binaryConvWeightGradApplies, convKernelApplies, convWeightGradApplies, padSpatial, signGradApplies, signScale, xnorConvApplies } from '../../training/engine/kernels';
import { mulberry } from '../helpers/synthetic';
import { buildGraph } from '../../src/model/graph';
import { DEFAULT_NET, parseNetConfig } from '../../src/model/config';
import { forward, initParams, toTensors } from '../../training/engine/forward';
import { spaceToDepth } from '../../training/engine/kernels';

const rand = (shape: number[], seed: number) => {
  const r = mulberry(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
};
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
/** Each array of `got` has its reference's length and every element within `tol`. */
const expectAllClose = (got: number[][], ref: number[][], tol: number) =>
  got.forEach((arr, k) => {
    expect(arr.length).toBe(ref[k].length);
    arr.forEach((v, i) => expect(Math.abs(v - ref[k][i])).toBeLessThan(tol));
  });

describe('custom layers (cpu backend reference)', () => {
  beforeAll(async () => {
    await initTf('cpu');
  });

  for (const [kh, kw, dil] of [[3, 3, 1], [1, 5, 1], [1, 5, 2], [5, 1, 2], [3, 3, 2]]) {
    it(`conv2d ${kh}x${kw} dilation ${dil}: forward and both gradients equal tf.conv2d's`, () => {
      const x = rand([2, 7, 6, 3], 1) as tf.Tensor4D;
      const w = rand([kh, kw, 3, 4], 2) as tf.Tensor4D;
      const dy = rand([2, 7, 6, 4], 3);
      // tfjs has no gradient for dilated conv2d, so the reference uses the equivalent undilated
      // kernel with zeros inserted, whose gradient we subsample back at the real taps.
      const ekh = dil * (kh - 1) + 1;
      const ekw = dil * (kw - 1) + 1;
      const wa = w.arraySync();
      const wd = tf.tensor4d(Array.from({ length: ekh }, (_, i) => Array.from({ length: ekw }, (_, j) =>
        i % dil === 0 && j % dil === 0 ? wa[i / dil][j / dil] : Array.from({ length: 3 }, () => [0, 0, 0, 0]))));
      const pads1: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [(ekh - 1) / 2, (ekh - 1) / 2], [(ekw - 1) / 2, (ekw - 1) / 2], [0, 0]];
      const ref = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, pads1, 'NHWC', 1), dy));
      const ours = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil), dy));
      expect(maxDiff(conv2d(x, w, dil), tf.conv2d(x, wd, 1, pads1, 'NHWC', 1))).toBeLessThan(1e-5);
      const [gx, gw] = tf.grads(ours)([x, w]);
      const [rx, rwd] = tf.grads(ref)([x, wd]);
      const rw = tf.stridedSlice(rwd, [0, 0, 0, 0], [ekh, ekw, 3, 4], [dil, dil, 1, 1]);
      expect(maxDiff(gx, rx)).toBeLessThan(1e-4);
      expect(maxDiff(gw, rw)).toBeLessThan(1e-4);
    });
  }

  for (const [kh, kw, dil, est] of [[3, 3, 1, 'approxsign'], [1, 5, 2, 'ste'], [5, 1, 1, 'sharp']] as Array<[number, number, number, Estimator]>) {
    it(`binary conv ${kh}x${kw} dilation ${dil} (${est}): forward and gradients equal the autograd of conv(x, sign W)·mean|W|`, () => {
      const x = rand([2, 6, 7, 5], 11) as tf.Tensor4D;
      const w = tf.concat([rand([kh, kw, 5, 3], 12), tf.zeros([kh, kw, 5, 1])], 3) as tf.Tensor4D; // one all-zero filter: α = 0
      const dy = rand([2, 6, 7, 4], 13);
      const ref = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.mul(conv2d(a as tf.Tensor4D, binarize(b, est) as tf.Tensor4D, dil), weightScale(b as tf.Tensor4D)), dy));
      const ours = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(binaryConv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil, est), dy));
      expect(maxDiff(binaryConv2d(x, w, dil, est), tf.mul(conv2d(x, binarize(w, est) as tf.Tensor4D, dil), weightScale(w)))).toBe(0);
      const [gx, gw] = tf.grads(ours)([x, w]);
      const [rx, rw] = tf.grads(ref)([x, w]);
      expect(maxDiff(gx, rx)).toBeLessThan(1e-4);
      expect(maxDiff(gw, rw)).toBeLessThan(1e-4);
    });
  }

  it('sign(0) = +1 exactly, and sign(-0) = +1; NaN stays NaN (for the NaN guard)', () => {
    expect(Array.from(signForward(tf.tensor([-2, -1e-20, -0, 0, 1e-20, 3])).dataSync())).toEqual([-1, -1, 1, 1, 1, 1]);
    expect(Number.isNaN(signForward(tf.tensor([NaN])).dataSync()[0])).toBe(true);
  });

  it('estimators have the documented derivatives', () => {
    const x = tf.tensor([-1.5, -0.75, -0.25, 0, 0.25, 0.75, 1.5]);
    expect(Array.from(estimatorGrad(x, 'ste').dataSync())).toEqual([0, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(estimatorGrad(x, 'approxsign').dataSync())).toEqual([0, 0.5, 1.5, 2, 1.5, 0.5, 0]);
    expect(Array.from(estimatorGrad(x, 'sharp').dataSync())).toEqual([0, 0, 2, 4, 2, 0, 0]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(binarize(t, 'approxsign')))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 0.5, 1.5, 2, 1.5, 0.5, 0]);
  });

  it('prelu forward and gradients equal tf.prelu\'s', () => {
    const x = tf.concat([rand([2, 3, 3, 4], 5), tf.zeros([1, 3, 3, 4])]);
    const a = tf.tensor4d([0.1, -0.2, 0.25, 0.7], [1, 1, 1, 4]);
    const dy = rand([3, 3, 3, 4], 6);
    const f = (op: typeof prelu) => (xx: tf.Tensor, aa: tf.Tensor) => tf.sum(tf.mul(op(xx, aa), dy));
    expect(maxDiff(prelu(x, a), tf.prelu(x, a))).toBe(0);
    const [gx, ga] = tf.grads(f(prelu))([x, a]);
    const [rx, ra] = tf.grads(f((xx, aa) => tf.prelu(xx, aa)))([x, a]);
    expect(maxDiff(gx, rx)).toBeLessThan(1e-6);
    expect(maxDiff(ga, ra)).toBeLessThan(1e-5);
  });

  it('pixel shuffle follows DepthToSpace CRD order', () => {
    const s = 2;
    const x = tf.tensor4d(Array.from({ length: 1 * 2 * 3 * 8 }, (_, i) => i), [1, 2, 3, 8]);
    const y = pixelShuffle(x, s);
    expect(y.shape).toEqual([1, 4, 6, 2]);
    const xa = x.arraySync()[0];
    const ya = y.arraySync()[0];
    for (let h = 0; h < 2; h++) for (let w = 0; w < 3; w++) for (let c = 0; c < 2; c++) for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++)
      expect(ya[h * s + i][w * s + j][c]).toBe(xa[h][w][c * 4 + i * 2 + j]);
  });
});

describe('fused kernels on the wasm backend (the one training runs on) equal the cpu reference', () => {
  it('sign, its estimators, prelu and the binary conv, forward and backward', async () => {
    const compute = () => {
      const x = rand([2, 5, 6, 8], 21) as tf.Tensor4D;
      const w = rand([3, 3, 8, 8], 22) as tf.Tensor4D;
      const a = tf.tensor4d([0.1, -0.2, 0.25, 0.7, 0, 1, 0.3, -0.5], [1, 1, 1, 8]);
      const dy = rand([2, 5, 6, 8], 23);
      const f = (xx: tf.Tensor, ww: tf.Tensor, aa: tf.Tensor) =>
        tf.sum(tf.mul(prelu(binaryConv2d(binarize(xx, 'approxsign') as tf.Tensor4D, ww as tf.Tensor4D, 1, 'ste'), aa), dy));
      const out = f(x, w, a).dataSync()[0];
      const grads = tf.grads(f)([x, w, a]).map((g) => Array.from(g.dataSync()));
      return { out, grads };
    };
    await initTf('cpu');
    const cpu = compute();
    await initTf('wasm');
    expect(simdKernels()).toBeDefined();
    const wasm = compute();
    await initTf('cpu');
    expect(Math.abs(wasm.out - cpu.out)).toBeLessThan(1e-3);
    cpu.grads.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(wasm.grads[k][i] - v)).toBeLessThan(1e-3)));
  });
});

describe('XNOR/popcount binary conv (wasm)', () => {
  for (const [kh, kw, dil, cin, cout] of [[3, 3, 1, 32, 32], [1, 5, 2, 32, 8], [5, 1, 1, 64, 12], [3, 3, 2, 32, 48]]) {
    it(`${kh}x${kw} dilation ${dil}, ${cin}->${cout}: exactly the float conv of the ±1 input, borders included`, async () => {
      await initTf('wasm');
      try {
        const x = signForward(rand([2, 5, 7, cin], 31)) as tf.Tensor4D;
        const w = tf.concat([rand([kh, kw, cin, cout - 4], 32), tf.zeros([kh, kw, cin, 4])], 3) as tf.Tensor4D;
        expect(xnorConvApplies(x.shape, w.shape)).toBe(true);
        const fast = binaryConv2d(x, w, dil, 'ste', true);
        const ref = binaryConv2d(x, w, dil, 'ste', false);
        expect(Array.from(fast.dataSync())).toEqual(Array.from(ref.dataSync()));
        const poisoned = tf.concat([tf.fill([1, 5, 7, cin], NaN), tf.slice(x, [1], [1])]) as tf.Tensor4D;
        expect(Number.isNaN(binaryConv2d(poisoned, w, dil, 'ste', true).dataSync()[0])).toBe(true);
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('sign-pattern weight gradient of the binary conv (wasm)', () => {
  for (const [kh, kw, dil, cin, cout] of [[3, 3, 1, 32, 32], [1, 5, 2, 32, 8], [5, 1, 1, 64, 16], [3, 3, 2, 32, 48]]) {
    it(`${kh}x${kw} dilation ${dil}, ${cin}->${cout}: equals the float kernel's gradient of the ±1 input, borders included`, async () => {
      await initTf('wasm');
      try {
        const x = signForward(rand([2, 5, 7, cin], 61)) as tf.Tensor4D;
        const w = rand([kh, kw, cin, cout], 62) as tf.Tensor4D;
        const dy = rand([2, 5, 7, cout], 63);
        expect(binaryConvWeightGradApplies(x.shape, w.shape)).toBe(true);
        const grads = (binaryInput: boolean) =>
          tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(binaryConv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil, 'approxsign', binaryInput), dy)))([x, w]).map((g) => Array.from(g.dataSync()));
        const [fx, fw] = grads(true);
        const [rx, rw] = grads(false);
        fx.forEach((v, i) => expect(Math.abs(v - rx[i])).toBeLessThan(1e-5));
        fw.forEach((v, i) => expect(Math.abs(v - rw[i])).toBeLessThan(1e-4));
        const poisoned = tf.concat([tf.fill([1, 5, 7, cin], NaN), tf.slice(x, [1], [1])]) as tf.Tensor4D;
        const gw = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(binaryConv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil, 'ste', true)))([poisoned, w])[1];
        expect(Number.isNaN(gw.dataSync()[0])).toBe(true);
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('fused basic block (wasm) equals the op-by-op block', () => {
  for (const [est, cin, width] of [['approxsign', 32, 8], ['ste', 64, 16], ['sharp', 32, 24]] as Array<[Estimator, number, number]>) {
    it(`${est}, ${cin} channels, width ${width}: forward exactly, gradients of h, W and the PReLU slope`, async () => {
      await initTf('wasm');
      try {
        // h has exact zeros and −0 (sign +1), and a skip path through the loss.
        const h = tf.mul(tf.round(tf.mul(rand([2, 5, width, cin], 81), 3)), 0.5) as tf.Tensor4D;
        const w = rand([3, 3, cin, cin], 82) as tf.Tensor4D;
        const slope = tf.mul(rand([cin], 83), 0.5);
        const dy = rand([2, 5, width, cin], 84);
        expect(binaryBlockApplies(h.shape, w.shape)).toBe(true);
        const ops = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.add(a, prelu(binaryConv2d(binarize(a, est) as tf.Tensor4D, b as tf.Tensor4D, 1, 'ste', true), tf.reshape(c, [1, 1, 1, -1]))) as tf.Tensor4D;
        const fused = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => binaryBlock(a as tf.Tensor4D, b as tf.Tensor4D, c, est, 'ste');
        expect(Array.from(fused(h, w, slope).dataSync())).toEqual(Array.from(ops(h, w, slope).dataSync()));
        const loss = (f: typeof ops) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), dy));
        const got = tf.grads(loss(fused))([h, w, slope]);
        const ref = tf.grads(loss(ops))([h, w, slope]);
        got.forEach((g, k) => {
          expect(g.shape).toEqual(ref[k].shape);
          expect(maxDiff(g, ref[k])).toBeLessThan(1e-4);
        });
        const poisoned = tf.concat([tf.fill([1, 5, width, cin], NaN), tf.slice(h, [1], [1])]) as tf.Tensor4D;
        expect(Number.isNaN(fused(poisoned, w, slope).dataSync()[0])).toBe(true);
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('copy kernels (wasm) equal the tfjs ops', () => {
  it('spatial zero padding and pixel shuffle, forward and gradient', async () => {
    const run = (useOurs: boolean) => {
      const x = rand([2, 5, 6, 48], 71) as tf.Tensor4D;
      const dy = rand([2, 20, 24, 3], 72);
      const ref = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [10, 6, 3, 4, 4]), [0, 3, 1, 4, 2]), [2, 20, 24, 3]);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(useOurs ? pixelShuffle(t as tf.Tensor4D, 4) : ref(t), dy));
      const pad = useOurs ? padSpatial(x, 1, 2, 0, 3) : tf.pad(x, [[0, 0], [1, 2], [0, 3], [0, 0]]);
      return [f(x), tf.grad(f)(x), pad].map((t) => Array.from(t.dataSync()));
    };
    await initTf('wasm');
    try {
      const ref = run(false);
      run(true).forEach((a, k) => expect(a).toEqual(ref[k]));
    } finally {
      await initTf('cpu');
    }
  });
});

describe('conv weight-gradient kernel (wasm SIMD)', () => {
  for (const [kh, kw, dil, cin, cout] of [[3, 3, 1, 32, 32], [1, 5, 2, 32, 8], [5, 1, 1, 12, 16], [3, 3, 2, 4, 48], [3, 3, 1, 3, 32]]) {
    it(`${kh}x${kw} dilation ${dil}, ${cin}->${cout}: equals the batch-as-channels conv on the cpu backend`, async () => {
      const grads = () => {
        const x = rand([2, 6, 7, cin], 41) as tf.Tensor4D;
        const w = rand([kh, kw, cin, cout], 42) as tf.Tensor4D;
        const dy = rand([2, 6, 7, cout], 43);
        return Array.from(tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil), dy)))([x, w])[1].dataSync());
      };
      await initTf('cpu');
      const ref = grads();
      await initTf('wasm');
      try {
        expect(convWeightGradApplies(Math.ceil(cin / 4) * 4, cout)).toBe(true);
        const got = grads();
        expect(got.length).toBe(ref.length);
        got.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-4));
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('sign-gradient conv backward (wasm): an output gradient of ±c everywhere', () => {
  for (const [kh, kw, dil, cin, cout] of [[3, 3, 1, 32, 48], [1, 5, 2, 16, 12], [5, 1, 1, 48, 8]]) {
    it(`${kh}x${kw} dilation ${dil}, ${cin}->${cout}: dX and dW equal the cpu reference, borders included`, async () => {
      const grads = () => {
        const x = rand([2, 5, 7, cin], 101) as tf.Tensor4D;
        const w = rand([kh, kw, cin, cout], 102) as tf.Tensor4D;
        const d = tf.mul(tf.sign(rand([2, 5, 7, cout], 103)), 0.125); // exactly ±c (no zeros: rand has none)
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil), d)))([x, w]).map((g) => Array.from(g.dataSync()));
      };
      await initTf('cpu');
      const ref = grads();
      await initTf('wasm');
      try {
        expect(signGradApplies([kh, kw, cin, cout])).toBe(true);
        expect(signScale(tf.mul(tf.sign(rand([2, 5, 7, cout], 103)), 0.125))).toBe(0.125);
        expect(signScale(rand([2, 5, 7, cout], 104))).toBe(0);
        const got = grads();
        got.forEach((g, k) => g.forEach((v, i) => expect(Math.abs(v - ref[k][i])).toBeLessThan(1e-4)));
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('conv with Cout not a multiple of 8 (the x3 tail, 27) on the SIMD kernels, channels padded inside the op', () => {
  for (const sign of [false, true]) {
    it(`${sign ? '±c' : 'real'} output gradient: forward, dX and dW equal the cpu reference`, async () => {
      const run = () => {
        const x = rand([2, 5, 8, 32], 111) as tf.Tensor4D;
        const w = rand([3, 3, 32, 27], 112) as tf.Tensor4D;
        const d = sign ? tf.mul(tf.sign(rand([2, 5, 8, 27], 113)), 0.25) : rand([2, 5, 8, 27], 113);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1), d));
        return [conv2d(x, w, 1), ...tf.grads(f)([x, w])].map((t) => Array.from(t.dataSync()));
      };
      await initTf('cpu');
      const ref = run();
      await initTf('wasm');
      try {
        expect(convKernelApplies(8, 32)).toBe(true);
        const got = run();
        expectAllClose(got, ref, 1e-4);
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('conv kernel (wasm SIMD): forward and dX', () => {
  for (const [kh, kw, dil, cin, cout] of [[3, 3, 1, 32, 32], [1, 5, 2, 32, 8], [5, 1, 1, 3, 32], [3, 3, 2, 48, 16]]) {
    it(`${kh}x${kw} dilation ${dil}, ${cin}->${cout}: equals tf.conv2d on the cpu backend`, async () => {
      const run = () => {
        const x = rand([2, 5, 8, cin], 51) as tf.Tensor4D;
        const w = rand([kh, kw, cin, cout], 52) as tf.Tensor4D;
        const dy = rand([2, 5, 8, cout], 53);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, dil), dy));
        return [conv2d(x, w, dil), tf.grads(f)([x, w])[0]].map((t) => Array.from(t.dataSync()));
      };
      await initTf('cpu');
      const ref = run();
      await initTf('wasm');
      try {
        expect(convKernelApplies(8, cout)).toBe(true);
        const got = run();
        expectAllClose(got, ref, 1e-4);
      } finally {
        await initTf('cpu');
      }
    });
  }
});

describe('forward with depthOutput (the training loss layout)', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`${backend}: equals spaceToDepth of the normal output, anchor and mean included; fused blocks on wasm`, async () => {
      await initTf(backend);
      try {
        for (const scale of [2, 4]) {
          const g = buildGraph(parseNetConfig({ ...DEFAULT_NET, scale, channels: 32, blocks: 2, block: 'basic', anchor: true }));
          const params = toTensors(g, initParams(g, 5));
          const stats = { mean: [0.4, 0.45, 0.5] as [number, number, number], std: [0.2, 0.25, 0.3] as [number, number, number] };
          const x = tf.mul(tf.add(rand([2, 8, 8, 3], 91), 1), 0.5) as tf.Tensor4D;
          const normal = forward(g, params, stats, x);
          const depth = forward(g, params, stats, x, { depthOutput: true });
          expect(normal.depthScale).toBe(1);
          expect(depth.depthScale).toBe(scale);
          expect(depth.out.shape).toEqual([2, 8, 8, 3 * scale * scale]);
          expect(Array.from(depth.out.dataSync())).toEqual(Array.from(spaceToDepth(normal.out, scale).dataSync()));
        }
      } finally {
        await initTf('cpu');
      }
    });
  }
});
