/** The scale cards' time formatting (src/app/format.ts) and the remembered settings (src/app/settings.ts). */
import { describe, expect, it } from 'vitest';
import { fmtInference, fmtMps, fmtMs, fmtStartup } from '../../src/app/format';
import { DEFAULT_SETTINGS, readSettings, toggleScale } from '../../src/app/settings';

describe('time and MP/s formatting', () => {
  it('inference: "<n> ms · <rate> MP/s" from output pixels and ms', () => {
    // 865,536 output pixels in 412 ms: 2.1 MP/s.
    expect(fmtInference(412, 1024 * 845.25)).toBe('412 ms · 2.1 MP/s');
    expect(fmtInference(1000, 1e6)).toBe('1000 ms · 1.0 MP/s');
    expect(fmtInference(40, 2048 * 2048)).toBe('40 ms · 105 MP/s');
    expect(fmtInference(250, 256 * 256)).toBe('250 ms · 0.26 MP/s');
    expect(fmtInference(3.24, 32 * 24)).toBe('3.2 ms · 0.24 MP/s');
    expect(fmtInference(1500, 64)).toBe('1500 ms · 0.000043 MP/s');
    // The text keeps "<n> ms" for anything reading it.
    expect(fmtInference(412, 1e6)).toMatch(/^\d+ ms/);
  });

  it('MP/s: two significant digits, whole numbers from 10, rounding across the boundaries', () => {
    expect([fmtMps(0.0512), fmtMps(0.512), fmtMps(5.12), fmtMps(51.2), fmtMps(1234.5)]).toEqual(['0.051', '0.51', '5.1', '51', '1,235']);
    expect([fmtMps(9.96), fmtMps(0.996), fmtMps(0.0996), fmtMps(0.00996)]).toEqual(['10', '1.0', '0.10', '0.010']);
    expect([fmtMps(0.0043), fmtMps(1e-9)]).toEqual(['0.0043', '0.000000']);
  });

  it('no time, a 0 ms reading or no pixels: no rate, never NaN or Infinity', () => {
    expect(fmtInference(undefined, 100)).toBe('—');
    expect(fmtInference(NaN, 100)).toBe('—');
    expect(fmtInference(0, 100)).toBe('0.0 ms');
    expect(fmtInference(12, 0)).toBe('12 ms');
  });

  it('ms: a decimal under 10 ms; start-up grouped, and only when some was spent', () => {
    expect([fmtMs(0.44), fmtMs(9.94), fmtMs(9.96), fmtMs(1766.4), fmtMs(1766.4, true)]).toEqual(['0.4 ms', '9.9 ms', '10 ms', '1766 ms', '1,766 ms']);
    expect(fmtStartup(1350.2)).toBe('engine start 1,350 ms');
    expect(fmtStartup(0)).toBeNull();
    expect(fmtStartup(undefined)).toBeNull();
  });
});

describe('remembered settings', () => {
  it('reads back valid settings; scales in SCALES order', () => {
    expect(readSettings({ mode: 'upscale', scales: [4, 2], compareWith: 'bicubic', tier: 'full' })).toEqual({ mode: 'upscale', scales: [2, 4], compareWith: 'bicubic', tier: 'full' });
    expect(readSettings({ mode: 'evaluate', scales: [3], compareWith: 'gt' })).toEqual({ mode: 'evaluate', scales: [3], compareWith: 'gt', tier: 'auto' });
  });

  it('bad or old values fall back to the defaults, field by field', () => {
    for (const bad of [undefined, null, 42, 'evaluate', [], {}]) expect(readSettings(bad)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ mode: 'train', scales: 'all', compareWith: 'sr', tier: 'huge' })).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({ scales: [], mode: 'evaluate' }).scales).toEqual([2, 3, 4]);
    expect(readSettings({ scales: [8, '2', 3.5] }).scales).toEqual([2, 3, 4]);
    expect(readSettings({ scales: [8, 3] }).scales).toEqual([3]);
    // Upscale has no ground truth to compare with.
    expect(readSettings({ mode: 'upscale', compareWith: 'gt' }).compareWith).toBe('bicubic');
    expect(readSettings({ mode: 'upscale' })).toEqual({ mode: 'upscale', scales: [2, 3, 4], compareWith: 'bicubic', tier: 'auto' });
  });

  it('toggling keeps a non-empty subset', () => {
    expect(toggleScale([2, 3, 4], 3)).toEqual([2, 4]);
    expect(toggleScale([2, 4], 3)).toEqual([2, 3, 4]);
    expect(toggleScale([4], 4)).toEqual([4]);
    expect(toggleScale([4], 2)).toEqual([2, 4]);
  });
});
