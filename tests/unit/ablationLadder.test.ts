/** The ablation table's arithmetic (training/cli/ablate.ts `ladder`): rung gains, the paper's sign, seed noise. */
import { describe, expect, it } from 'vitest';
import { ladder } from '../../training/cli/ablate';

const done = (psnr: Record<string, number>) => new Map(Object.entries(psnr).map(([id, p]) => [id, { id, name: id, steps: 10, psnr: p, seconds: 1 }]));

describe('ablation ladder', () => {
  it('gain over the row below, sign against the paper, beyond the largest seed spread', () => {
    const t = ladder(done({ bn: 26.0, btm: 26.5, mrb: 26.7, distill: 26.65, 'btm-seed2': 26.45, anchor: 27.0, 'anchor-seed2': 27.08 }));
    expect(t.noise).toBeCloseTo(0.08, 10);
    const row = (id: string) => t.rows.find((r) => r.id === id)!;
    expect(row('btm')).toMatchObject({ over: 'bn', beyondNoise: true });
    expect(row('btm').gain).toBeCloseTo(0.5, 10);
    expect(row('mrb')).toMatchObject({ over: 'btm', paperGain: 0.1, signMatchesPaper: true, beyondNoise: true });
    expect(row('distill')).toMatchObject({ signMatchesPaper: false, beyondNoise: false });
    // A rung whose lower row is missing has no gain; rows not run are left out.
    expect(row('anchor')).toMatchObject({ over: 'rprelu', gain: null, beyondNoise: null });
    expect(t.rows.some((r) => r.id === 'teacher')).toBe(false);
  });

  it('no second seed, no noise figure', () => {
    const t = ladder(done({ btm: 26.5, mrb: 26.4 }));
    expect(t.noise).toBeNull();
    expect(t.rows.find((r) => r.id === 'mrb')).toMatchObject({ signMatchesPaper: false, beyondNoise: null });
  });
});
