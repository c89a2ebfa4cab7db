/**
 * Speed tiers: a scale may ship a "lite" model (the C32 baseline) and a "full" one (wider, slower,
 * better). The user picks one, or `auto`: the full model when it fits a latency budget on the
 * engine in use, measured on this device (one 64² tile, as the engine choice is), else lite.
 */
import type { ModelEntry, Scale } from './protocol';

export type Tier = 'lite' | 'full';
export type TierChoice = 'auto' | Tier;
export const TIER_CHOICES: readonly TierChoice[] = ['auto', 'lite', 'full'];

/** The budget `auto` holds the full model to: a 1-megapixel output within this many ms. */
export const FULL_TIER_BUDGET_MS = 1000;
/** The measurement tile's side (LR pixels). */
export const TIER_PROBE_SIDE = 64;

/** A model file's tier: its metadata's `tier`, else `-full` in its name, else lite. */
export function tierOf(file: string, metadata: Record<string, string | undefined>): Tier {
  const t = metadata.tier;
  if (t === 'lite' || t === 'full') return t;
  return /-full\.onnx$/i.test(file) ? 'full' : 'lite';
}

/** Timed runs of the probe tile after its warm-up run; the fastest counts. */
export const TIER_PROBE_RUNS = 3;

/**
 * The probe tile's ms: one warm-up run, then the fastest of `runs` timed ones. The result is cached
 * for good, so a single run slowed by something else on the device (seen here: 484–753 ms per
 * output megapixel over 7 fresh visits beside a training job) must not decide the tier.
 */
export async function probeTileMs(run: () => Promise<unknown>, runs = TIER_PROBE_RUNS, now: () => number = () => performance.now()): Promise<number> {
  await run();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = now();
    await run();
    best = Math.min(best, now() - t0);
  }
  return best;
}

/** ms a 1-megapixel output at `scale` is predicted to take, from one probe tile's ms. */
export function predictedMegapixelMs(probeMs: number, scale: number): number {
  const lrPixels = 1e6 / (scale * scale);
  return (probeMs / (TIER_PROBE_SIDE * TIER_PROBE_SIDE)) * lrPixels;
}

export interface TierPick {
  entry: ModelEntry;
  /** Why this model: the user's choice, the only one installed, or the measured budget. */
  reason: string;
}

/**
 * The model of `scale` to run: `choice` when that tier is installed; for `auto` with both tiers,
 * full when `fullProbeMs` (its probe tile, measured here) predicts a megapixel within the budget.
 * `fullProbeMs` undefined with both tiers under `auto` means: measure first (returns undefined).
 */
export function pickTier(entries: ModelEntry[], scale: Scale, choice: TierChoice, fullProbeMs?: number): TierPick | undefined {
  const of = (t: Tier) => entries.find((m) => m.scale === scale && m.tier === t);
  const lite = of('lite');
  const full = of('full');
  if (!lite || !full) {
    const only = lite ?? full;
    return only && { entry: only, reason: `the only x${scale} model installed` };
  }
  if (choice !== 'auto') return { entry: choice === 'full' ? full : lite, reason: `${choice} chosen` };
  if (fullProbeMs === undefined) return undefined;
  const ms = predictedMegapixelMs(fullProbeMs, scale);
  const fits = ms <= FULL_TIER_BUDGET_MS;
  return {
    entry: fits ? full : lite,
    reason: `auto: the full model would take ~${Math.round(ms)} ms per output megapixel here, ${fits ? 'within' : 'over'} the ${FULL_TIER_BUDGET_MS} ms budget`,
  };
}
