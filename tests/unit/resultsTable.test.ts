/** training/cli/resultsTable.ts: the results rows and floors verdicts, lite and full tier. */
import { describe, expect, it } from 'vitest';
import { resultsText, type EvalJson } from '../../training/cli/resultsTable';

const ev = (p: [number, number, number]): EvalJson => ({ sets: ['Set5', 'Set14', 'B100'].map((name, i) => ({ name, psnr: p[i], ssim: 0.9 })) });

describe('results:table', () => {
  it('adds a full-tier row with its gain over the lite model, and judges it by its own floors', () => {
    const files: Record<string, EvalJson> = {
      'bicubic-x4.json': ev([28.42, 25.99, 25.96]),
      'bitsr-x4.json': ev([30.36, 27.38, 26.89]),
      'bitsr-x4-full.json': ev([30.7, 27.55, 27.0]),
    };
    const { table, distance } = resultsText((f) => files[f]);
    expect(table).toContain('| x4 | **bitsr-x4** | **30.36 / 0.9000** (+1.94) | **27.38 / 0.9000** (+1.39) | **26.89 / 0.9000** (+0.93) |');
    expect(table).toContain('| x4 | **bitsr-x4-full** | **30.70 / 0.9000** (+0.34) | **27.55 / 0.9000** (+0.17) | **27.00 / 0.9000** (+0.11) |');
    // Lite floors 29.9 / 26.95 / 26.55 are met; the full tier's Set14 floor (27.58) is 0.03 away.
    expect(distance).toMatch(/x4 meets all of its floors\./);
    expect(distance).toMatch(/Still short of the floors, dB needed: x4-full \+0\.00 \/ \+0\.03 \/ \+0\.00\./);
    expect(distance).toMatch(/x4-full −0\.36 \/ −0\.30 \/ −0\.07 dB/);
  });

  it('leaves out scales without files and reports nothing when there is no file at all', () => {
    const { table } = resultsText((f) => (f === 'bitsr-x2-full.json' ? ev([36.95, 32.6, 31.45]) : undefined));
    expect(table.filter((r) => r.startsWith('| x'))).toEqual([
      '| x2 | bicubic | - | - | - |',
      '| x2 | **bitsr-x2-full** | **36.95 / 0.9000** | **32.60 / 0.9000** | **31.45 / 0.9000** |',
      '| x2 | VDSR-BTM (paper) | 37.06 | 32.72 | 31.53 |',
      '| x2 | VDSR-IBTM (paper) | 37.24 | 32.82 | 31.60 |',
    ]);
    expect(resultsText(() => undefined)).toEqual({ table: expect.any(Array), distance: '' });
  });
});
