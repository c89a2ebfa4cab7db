/** Speed tiers (src/engine/tiers.ts): which model a scale runs, and the budget `auto` holds the full model to. */
import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../src/engine/protocol';
import { FULL_TIER_BUDGET_MS, pickTier, predictedMegapixelMs, probeTileMs, tierOf, TIER_PROBE_RUNS, TIER_PROBE_SIDE } from '../../src/engine/tiers';

const entry = (scale: number, tier: 'lite' | 'full'): ModelEntry => ({ file: `bitsr-x${scale}${tier === 'full' ? '-full' : ''}.onnx`, scale, tier, bytes: 1, metadata: {} });

describe('speed tiers', () => {
  it('a file is full by its metadata, else by -full in its name, else lite', () => {
    expect(tierOf('bitsr-x2.onnx', {})).toBe('lite');
    expect(tierOf('bitsr-x2-full.onnx', {})).toBe('full');
    expect(tierOf('bitsr-x2.onnx', { tier: 'full' })).toBe('full');
    expect(tierOf('bitsr-x2-full.onnx', { tier: 'lite' })).toBe('lite');
    expect(tierOf('bitsr-x2.onnx', { tier: 'huge' })).toBe('lite');
  });

  it('one tier installed: that one, whatever the choice', () => {
    for (const choice of ['auto', 'lite', 'full'] as const) {
      expect(pickTier([entry(2, 'lite')], 2, choice)?.entry.tier).toBe('lite');
      expect(pickTier([entry(2, 'full')], 2, choice)?.entry.tier).toBe('full');
    }
    expect(pickTier([entry(3, 'lite')], 2, 'auto')).toBeUndefined();
  });

  it('both installed: the choice; auto needs the probe, then full only within the budget', () => {
    const both = [entry(4, 'lite'), entry(4, 'full'), entry(2, 'lite')];
    expect(pickTier(both, 4, 'lite')?.entry.tier).toBe('lite');
    expect(pickTier(both, 4, 'full')).toMatchObject({ entry: { tier: 'full' }, reason: 'full chosen' });
    expect(pickTier(both, 4, 'auto')).toBeUndefined();
    // At x4 a megapixel is 62,500 LR pixels: the probe tile's rate times that.
    const atBudget = (FULL_TIER_BUDGET_MS * TIER_PROBE_SIDE * TIER_PROBE_SIDE) / 62_500;
    expect(predictedMegapixelMs(atBudget, 4)).toBeCloseTo(FULL_TIER_BUDGET_MS, 9);
    expect(pickTier(both, 4, 'auto', atBudget * 0.9)?.entry.tier).toBe('full');
    const slow = pickTier(both, 4, 'auto', atBudget * 1.1)!;
    expect(slow.entry.tier).toBe('lite');
    expect(slow.reason).toMatch(/auto: the full model would take ~1100 ms per output megapixel here, over the 1000 ms budget/);
  });

  it('the probe: one warm-up run, then the fastest of the timed runs (a slow one does not decide)', async () => {
    // A fake clock: each run advances it by the next duration; the warm-up is the slowest of all.
    const durations = [500, 40, 90, 35];
    let t = 0;
    let calls = 0;
    const run = async () => {
      t += durations[calls++];
    };
    expect(await probeTileMs(run, 3, () => t)).toBe(35);
    expect(calls).toBe(1 + 3);
    expect(TIER_PROBE_RUNS).toBe(3);
  });
});
