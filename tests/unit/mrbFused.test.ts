/** The fused MRB (training/engine/mrbBlock.ts) against the op-by-op block and network. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf, initTf } from '../../training/engine/tf';
import { binarize, binaryConv2d, prelu } from '../../training/engine/layers';
import { mrbBlock, mrbBlockApplies, type MrbAct, type MrbParams } from '../../training/engine/mrbBlock';
import { MRB_BRANCHES } from '../../training/engine/kernels/mrbBlock';
import { forward, fusedBlockRuns, initParams, toTensors } from '../../training/engine/forward';
import { buildGraph } from '../../src/model/graph';
import { DEFAULT_NET, parseNetConfig, type Estimator, type NetConfig } from '../../src/model/config';
import { mulberry } from '../helpers/synthetic';

type T4 = tf.Tensor4D;
const rand = (shape: number[], seed: number, scale = 1) => {
  const r = mulberry(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape);
};
/** max |a − b| over max |b|: the gradients' sums run in another order (tables, not multiply-adds). */
const relDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(tf.max(tf.abs(b)).dataSync()[0], 1e-30);

const vec = (t: tf.Tensor) => tf.reshape(t, [1, 1, 1, -1]);
/** PReLU, or RPReLU (Eq. 6) as forward.ts runs it: prelu(x − θ, a) + δ. */
const act = (x: tf.Tensor, a: MrbAct) => (a.theta && a.delta ? tf.add(prelu(tf.sub(x, vec(a.theta)), vec(a.slope)), vec(a.delta)) : prelu(x, vec(a.slope)));

/** The MRB op by op, as forward.ts runs it unfused. */
function opByOp(h: T4, p: MrbParams, estAct: Estimator, estWeight: Estimator): T4 {
  const s = binarize(h, estAct) as T4;
  const cat = tf.concat(MRB_BRANCHES.map(([, , dil], i) => binaryConv2d(s, p.branches[i], dil, estWeight, true)), 3);
  const c = binaryConv2d(binarize(act(cat, p.actM), estAct) as T4, p.conv, 1, estWeight, true);
  return tf.add(h, act(c, p.actC)) as T4;
}

function params(C: number, rp: boolean, seed: number): MrbParams {
  const a = (k: number): MrbAct => {
    const slope = rand([C], seed + k, 0.5);
    return rp ? { slope, theta: rand([C], seed + k + 1, 0.3), delta: rand([C], seed + k + 2, 0.3) } : { slope };
  };
  return {
    branches: MRB_BRANCHES.map(([kh, kw], i) => rand([kh, kw, C, C / 4], seed + 10 + i) as T4),
    conv: rand([3, 3, C, C], seed + 20) as T4,
    actM: a(30),
    actC: a(40),
  };
}
const flat = (p: MrbParams): tf.Tensor[] => [...p.branches, p.conv, ...[p.actM, p.actC].flatMap((a) => [a.slope, ...(a.theta && a.delta ? [a.theta, a.delta] : [])])];
function unflat(p: MrbParams, t: tf.Tensor[]): MrbParams {
  const rp = p.actM.theta !== undefined;
  const a = (o: number): MrbAct => (rp ? { slope: t[o], theta: t[o + 1], delta: t[o + 2] } : { slope: t[o] });
  return { branches: t.slice(0, 4) as T4[], conv: t[4] as T4, actM: a(5), actC: a(rp ? 8 : 6) };
}

describe('fused MRB (wasm) equals the op-by-op block', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });
  afterAll(async () => {
    await initTf('cpu');
  });
  const cases: Array<[number, boolean, Estimator, Estimator, number]> = [
    [32, false, 'approxsign', 'ste', 24],
    [32, true, 'sharp', 'approxsign', 16],
    [64, false, 'ste', 'ste', 16],
    [64, true, 'approxsign', 'sharp', 8],
  ];
  for (const [C, rp, estAct, estWeight, width] of cases) {
    it(`C ${C}, ${rp ? 'RPReLU' : 'PReLU'}, ${estAct}/${estWeight}, width ${width}: forward exactly, every gradient to 1e-5`, () => {
      // h has exact zeros and −0 (sign +1); the skip path goes through the loss.
      const h = tf.mul(tf.round(tf.mul(rand([2, 6, width, C], 81), 3)), 0.5) as T4;
      const p = params(C, rp, 100 + C);
      const dy = rand([2, 6, width, C], 84);
      expect(mrbBlockApplies(h.shape, p)).toBe(true);
      const fused = mrbBlock(h, p, estAct, estWeight);
      expect(Array.from(fused.dataSync())).toEqual(Array.from(opByOp(h, p, estAct, estWeight).dataSync()));
      const loss = (f: typeof opByOp) => (...x: tf.Tensor[]) => tf.sum(tf.mul(f(x[0] as T4, unflat(p, x.slice(1)), estAct, estWeight), dy));
      const got = tf.grads(loss(mrbBlock))([h, ...flat(p)]);
      const ref = tf.grads(loss(opByOp))([h, ...flat(p)]);
      expect(got.length).toBe(ref.length);
      got.forEach((g, k) => {
        expect(g.shape).toEqual(ref[k].shape);
        expect(relDiff(g, ref[k]), `gradient ${k}`).toBeLessThan(1e-5);
      });
      const poisoned = tf.concat([tf.fill([1, 6, width, C], NaN), tf.slice(h, [1], [1])]) as T4;
      expect(Number.isNaN(mrbBlock(poisoned, p, estAct, estWeight).dataSync()[0])).toBe(true);
    });
  }
});

/** A small network's parameters, with θ, δ and the slopes random (their init is constant). */
function netParams(cfg: NetConfig, seed: number) {
  const g = buildGraph(cfg);
  const arrays = initParams(g, seed);
  const r = mulberry(seed);
  for (const p of g.params) if (p.group === 'act') arrays[p.name] = arrays[p.name].map(() => (r() * 2 - 1) * 0.3);
  return { g, params: toTensors(g, arrays) };
}
const stats = { mean: [0.4, 0.45, 0.5] as [number, number, number], std: [0.2, 0.25, 0.3] as [number, number, number] };

describe('a small MRB network (wasm): fused blocks equal the op-by-op graph', () => {
  beforeAll(async () => {
    await initTf('wasm');
  });
  afterAll(async () => {
    await initTf('cpu');
  });
  for (const [C, activation] of [[32, 'prelu'], [32, 'rprelu'], [64, 'prelu'], [64, 'rprelu']] as const) {
    it(`C ${C}, ${activation}: output exactly, every parameter's gradient to 1e-5`, () => {
      const cfg = parseNetConfig({ ...DEFAULT_NET, scale: 2, channels: C, blocks: 2, block: 'mrb', activation, anchor: true });
      const { g, params } = netParams(cfg, 7 + C);
      const x = tf.mul(tf.add(rand([2, 6, 16, 3], 91), 1), 0.5) as T4;
      const dy = rand([2, 12, 32, 3], 92);
      const run = (fuse: boolean) => {
        const before = fusedBlockRuns.mrb;
        const names = Object.keys(params);
        const f = (...t: tf.Tensor[]) => tf.sum(tf.mul(forward(g, Object.fromEntries(names.map((n, i) => [n, t[i]])), stats, x, { fuse }).out, dy));
        const out = forward(g, params, stats, x, { fuse }).out;
        const grads = tf.grads(f)(names.map((n) => params[n]));
        return { out, grads, fused: fusedBlockRuns.mrb - before };
      };
      const fused = run(true);
      const ref = run(false);
      expect(fused.fused).toBe(2 * cfg.blocks); // the forward and the gradient's forward, every block
      expect(ref.fused).toBe(0);
      expect(Array.from(fused.out.dataSync())).toEqual(Array.from(ref.out.dataSync()));
      fused.grads.forEach((gr, k) => expect(relDiff(gr, ref.grads[k]), g.params[k].name).toBeLessThan(1e-5));
    });
  }
});

describe('where the fused MRB does not apply, the op-by-op graph runs', () => {
  const fusedIn = (cfg: Partial<NetConfig>, width = 16) => {
    const { g, params } = netParams(parseNetConfig({ ...DEFAULT_NET, scale: 2, channels: 32, blocks: 2, block: 'mrb', ...cfg }), 3);
    const x = tf.mul(tf.add(rand([2, 6, width, 3], 93), 1), 0.5) as T4;
    const before = { ...fusedBlockRuns };
    const out = forward(g, params, stats, x).out;
    expect(Number.isFinite(tf.sum(out).dataSync()[0])).toBe(true);
    return { mrb: fusedBlockRuns.mrb - before.mrb, basic: fusedBlockRuns.basic - before.basic };
  };
  it('wasm: C not 32 or 64, width not a multiple of 8, batchNorm, relu; fused where it applies', async () => {
    await initTf('wasm');
    try {
      expect(fusedIn({})).toEqual({ mrb: 2, basic: 0 });
      expect(fusedIn({ activation: 'rprelu' })).toEqual({ mrb: 2, basic: 0 });
      expect(fusedIn({ channels: 48 })).toEqual({ mrb: 0, basic: 0 });
      expect(fusedIn({ channels: 128 })).toEqual({ mrb: 0, basic: 0 });
      expect(fusedIn({}, 12)).toEqual({ mrb: 0, basic: 0 });
      expect(fusedIn({ batchNorm: true })).toEqual({ mrb: 0, basic: 0 });
      expect(fusedIn({ activation: 'relu' })).toEqual({ mrb: 0, basic: 0 });
      expect(fusedIn({ block: 'basic' })).toEqual({ mrb: 0, basic: 2 });
    } finally {
      await initTf('cpu');
    }
  });
  it('cpu backend: never fused', async () => {
    await initTf('cpu');
    expect(fusedIn({})).toEqual({ mrb: 0, basic: 0 });
    expect(fusedIn({ activation: 'rprelu', channels: 64 })).toEqual({ mrb: 0, basic: 0 });
  });
});
