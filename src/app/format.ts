/** Pure display formatting for the scale cards (no React), unit-tested in tests/unit/format.test.ts. */

/** Milliseconds: one decimal under 10 ms, whole ms above; `group` adds thousands separators. */
export function fmtMs(ms: number, group = false): string {
  if (ms < 9.95) return `${ms.toFixed(1)} ms`;
  const n = Math.round(ms);
  return `${group ? n.toLocaleString('en-US') : String(n)} ms`;
}

/** Output megapixels per second: two significant digits ("2.1", "0.52", "0.0043") or a whole number from 10. */
export function fmtMps(mps: number): string {
  if (mps >= 9.95) return Math.round(mps).toLocaleString('en-US');
  // d decimals give two significant digits from 0.995·10^(1−d) up (what rounds to 10^(1−d)).
  for (let d = 1; d < 6; d++) if (mps >= 0.995 * 10 ** (1 - d)) return mps.toFixed(d);
  return mps.toFixed(6);
}

/**
 * A scale's inference time and its output rate: "412 ms · 2.1 MP/s" for `pixels` output pixels in
 * `ms`; the ms alone when the rate means nothing (a 0 ms reading); "—" without a time.
 */
export function fmtInference(ms: number | undefined, pixels: number): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms === 0 || !(pixels > 0)) return fmtMs(ms);
  return `${fmtMs(ms)} · ${fmtMps(pixels / 1e6 / (ms / 1000))} MP/s`;
}

/** Model start-up for a scale ("engine start 1,350 ms"); null when none was spent. */
export function fmtStartup(ms: number | undefined): string | null {
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? `engine start ${fmtMs(ms, true)}` : null;
}
