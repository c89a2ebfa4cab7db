/**
 * e2e (wasm, 32-px tiles): while a scale runs its card shows the result so far and a live PSNR
 * over the tiles done (labelled as partial); when the scale finishes the card shows the normal
 * result, whose PSNR is the Node pipeline's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPng } from '../helpers/images';
import { chromiumSkipReason, closeApp, hasChromium, openApp, type Browser, type Served, type Site } from './harness';
import { referenceMetrics } from './reference';

interface Seen {
  live: string;
  label: string;
  finalShown: boolean;
  canvas: [number, number] | null;
}

describe.skipIf(!hasChromium)('live results while a scale runs', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ site, srv, b } = await openApp());
    await b.page.goto(`${srv.url}?ep=wasm&tile=32`);
  });
  afterAll(() => closeApp(b, srv));

  it('Evaluate 256×256: psnr-live-x2 shows a number while x2 runs, then psnr-sr-x2 equals the reference (±0.05 dB)', async () => {
    await expect.poll(() => b.page.getByTestId('ep-badge').textContent(), { timeout: 30_000 }).toContain('forced by ?ep=wasm');
    const path = generatedPng(256, 256, 'live');
    const ref = await referenceMetrics(path, site.modelsDir);
    await b.page.getByTestId('mode-evaluate').click();
    // Record every state of the live PSNR as the DOM changes, so no short-lived one is missed.
    await b.page.evaluate(() => {
      const w = window as unknown as { __live: Seen[] };
      w.__live = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="psnr-live-x2"]');
        if (!el) return;
        const c = document.querySelector<HTMLCanvasElement>('[data-testid="live-canvas-x2"]');
        w.__live.push({
          live: el.textContent ?? '',
          label: el.parentElement?.textContent ?? '',
          finalShown: document.querySelector('[data-testid="psnr-sr-x2"]') !== null,
          canvas: c ? [c.width, c.height] : null,
        });
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await b.page.getByTestId('image-input').setInputFiles({ name: 'live.png', mimeType: 'image/png', buffer: readFileSync(path) });
    const sr = b.page.getByTestId('psnr-sr-x2');
    await sr.waitFor({ timeout: 120_000 });
    const seen = await b.page.evaluate(() => (window as unknown as { __live: Seen[] }).__live);
    expect(seen.length, 'psnr-live-x2 never appeared').toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.live).toMatch(/^\d+\.\d\d$|^∞$/);
      expect(s.label).toMatch(/dB( · SSIM [01]\.\d{4} \(within finished tiles\))? \(so far, \d+\/\d+ tiles/);
      expect(s.finalShown).toBe(false);
      expect(s.canvas).toEqual([256, 256]);
    }
    // A live SSIM shows once a finished tile holds a whole 11×11 window.
    expect(seen.some((s) => /SSIM [01]\.\d{4}/.test(s.label)), 'no live SSIM').toBe(true);
    // The live card is gone and the final PSNR is the Node pipeline's.
    expect(await b.page.getByTestId('psnr-live-x2').count()).toBe(0);
    const got = Number(await sr.textContent());
    expect(Math.abs(got - ref[2].psnr), `x2 PSNR ${got} vs ${ref[2].psnr}`).toBeLessThanOrEqual(0.05);
    // The last live value before the switch (all tiles in) is the final one, as shown.
    const last = seen[seen.length - 1];
    if (/\((so far, )(\d+)\/\2 tiles/.test(last.label)) expect(Number(last.live)).toBeCloseTo(got, 2);
    await b.page.getByTestId('psnr-sr-x4').waitFor({ timeout: 120_000 });
  });
});

if (!hasChromium) console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
