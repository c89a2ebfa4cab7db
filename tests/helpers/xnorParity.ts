/**
 * Inputs on which two implementations of a bitsr plan must agree: two runtimes sum a float conv in
 * different orders (~1e-7 apart), so a binarization input within that of 0 may take either sign and
 * the flip propagates. An input qualifies when every binarization input of the reference is exactly
 * 0 (integer sums of ±1, computed exactly everywhere) or at least `minMargin` from 0, apart from the
 * inputs computed from binary sums alone (reference.ts fromBinarySums), which runtimes agree on.
 */
import type { RgbImage } from '../../src/core/image';
import type { ModelPlan } from '../../src/engine/xnor/plan';
import { runReference } from '../../src/engine/xnor/reference';
import { randomImage } from './synthetic';

export const SIGN_MARGIN = 1e-6;

/** The reference output and the smallest non-zero |binarization input|. */
export function referenceWithMargin(plan: ModelPlan, img: RgbImage): { ref: RgbImage; margin: number } {
  let margin = Infinity;
  const ref = runReference(plan, img, (x, exact) => {
    if (!exact) for (const v of x) if (v !== 0) margin = Math.min(margin, Math.abs(v));
  });
  return { ref, margin };
}

export interface ParityInput {
  seed: number;
  img: RgbImage;
  ref: RgbImage;
  margin: number;
}

/** One random image per size (w, h) with the sign margin, trying seeds from `firstSeed`. */
export function parityInputs(plan: ModelPlan, sizes: [number, number][], firstSeed = 1, maxTries = 40): ParityInput[] {
  const out: ParityInput[] = [];
  let seed = firstSeed;
  for (const [w, h] of sizes) {
    for (let tries = 0; ; tries++, seed++) {
      if (tries === maxTries) throw new Error(`no ${w}x${h} input with a sign margin of ${SIGN_MARGIN} in ${maxTries} seeds`);
      const img = randomImage(w, h, seed);
      const { ref, margin } = referenceWithMargin(plan, img);
      if (margin >= SIGN_MARGIN) {
        out.push({ seed: seed++, img, ref, margin });
        break;
      }
    }
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let e = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > e) e = d;
  }
  return e;
}
