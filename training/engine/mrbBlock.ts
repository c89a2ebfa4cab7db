/**
 * The whole MRB (docs/method.md, Blocks) as one tfjs op with its own backward:
 *   out = h + act_c(conv3×3(sign m)),  m = act_m(concat(branch_i(sign h))),
 * branches 1×5 d1, 1×5 d2, 5×1 d1, 5×1 d2 (C → C/4 each), every conv binary (sign W · α), act PReLU or
 * RPReLU (Eq. 6). The forward is one kernel (both convs by XNOR, the activations and the skip in their
 * stores), the backward another (sign-pattern tables for both input gradients, the four branches' in
 * one pass; sign-pattern weight gradients). It gives the op-by-op graph's values (tests/unit/mrbFused)
 * without that graph's ~40 ops per block, its concat and split, or the tape's gradient sums.
 */
import type { Estimator } from '../../src/model/config';
import { mrbBackward, mrbForward, mrbKernelsApply, type MrbAct } from './kernels/mrbBlock';
import { tf } from './tf';

export type { MrbAct } from './kernels/mrbBlock';
type T4 = tf.Tensor4D;

/** The MRB's parameters: the four branch kernels (HWIO, graph order), the 3×3 kernel, the two activations. */
export interface MrbParams {
  branches: T4[];
  conv: T4;
  actM: MrbAct;
  actC: MrbAct;
}

/** Whether mrbBlock runs h: the wasm kernels (C 32 or 64, W a multiple of 8) and both activations of one kind. */
export function mrbBlockApplies(hShape: number[], p: MrbParams): boolean {
  const rp = (a: MrbAct) => a.theta !== undefined && a.delta !== undefined;
  return mrbKernelsApply(hShape) && rp(p.actM) === rp(p.actC) && p.conv.shape.join() === `3,3,${hShape[3]},${hShape[3]}`;
}

const cache = new Map<string, (...x: tf.Tensor[]) => T4>();

/** The fused MRB on h (see mrbBlockApplies; other shapes and backends run the op-by-op graph). */
export function mrbBlock(h: T4, p: MrbParams, estAct: Estimator, estWeight: Estimator): T4 {
  const rp = p.actM.theta !== undefined;
  const key = `${estAct}/${estWeight}/${rp}`;
  let f = cache.get(key);
  if (!f) {
    f = tf.customGrad((...args: unknown[]) => {
      const save = args.pop() as tf.GradSaveFunc;
      const [hh, w0, w1, w2, w3, wc, slopeM, slopeC, thetaM, deltaM, thetaC, deltaC] = args as tf.Tensor[];
      const w = [w0, w1, w2, w3] as T4[];
      const actM: MrbAct = rp ? { slope: slopeM, theta: thetaM, delta: deltaM } : { slope: slopeM };
      const actC: MrbAct = rp ? { slope: slopeC, theta: thetaC, delta: deltaC } : { slope: slopeC };
      const [y, tcat, m, tc, alpha] = mrbForward(hh as T4, w, wc as T4, actM, actC);
      save([hh, w0, w1, w2, w3, wc, slopeM, slopeC, tcat, m, tc, alpha]);
      return {
        value: y as T4,
        gradFunc: (dy: tf.Tensor, s: tf.Tensor[]) => {
          const [sh, s0, s1, s2, s3, swc, ssm, ssc, stcat, sm, stc, salpha] = s;
          return mrbBackward(dy as T4, { h: sh as T4, w: [s0, s1, s2, s3] as T4[], wc: swc as T4, slopeM: ssm, slopeC: ssc, tcat: stcat, m: sm, tc: stc, alpha: salpha }, rp, estAct, estWeight);
        },
      };
    }) as (...x: tf.Tensor[]) => T4;
    cache.set(key, f);
  }
  const acts = rp ? [p.actM.slope, p.actC.slope, p.actM.theta!, p.actM.delta!, p.actC.theta!, p.actC.delta!] : [p.actM.slope, p.actC.slope];
  return f(h, ...p.branches, p.conv, ...acts);
}
