/**
 * e2e (wasm): the inspect dialog. Desktop: keys zoom to 8 device px per image pixel (pixelated),
 * arrows pan, the divider drags on the image, switching scale keeps the region, the difference map
 * draws non-zero canvases, no serious axe violation with the dialog open, Escape closes. Mobile
 * (360×640, touch): a tap opens it and a two-finger pinch (CDP touch events) zooms in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, CHROMIUM, closeApp, hasChromium, openApp, readMetrics, ROOT, type Browser, type Served } from './harness';
import { generatedPng } from '../helpers/images';

const W = 192;
const H = 144; // divisible by 2, 3 and 4: every scale's output is W×H in Evaluate

interface StageState {
  z: number;
  cx: number;
  cy: number;
  devicePx: number;
}

async function stageState(page: Page): Promise<StageState> {
  return page.getByTestId('inspect-stage').evaluate((e) => {
    const d = (e as HTMLElement).dataset;
    return { z: Number(d.zoom), cx: Number(d.cx), cy: Number(d.cy), devicePx: Number(d.devicePx) };
  });
}

async function evaluateImage(page: Page): Promise<void> {
  await page.getByTestId('mode-evaluate').click();
  await page.getByTestId('image-input').setInputFiles(generatedPng(W, H, 'inspect'));
  await readMetrics(page);
}

describe.skipIf(!hasChromium)('inspect view', () => {
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ srv, b } = await openApp());
    await b.page.goto(`${srv.url}?ep=wasm`);
    await evaluateImage(b.page);
  });
  afterAll(() => closeApp(b, srv));

  it('desktop: keys zoom to 8×, arrows pan, divider drags, scale switch keeps the region, diff map, Escape', async () => {
    const page = b.page;
    await page.getByTestId('inspect-x2').click();
    const dialog = page.getByTestId('inspect');
    await dialog.waitFor();
    expect(await dialog.getAttribute('role')).toBe('dialog');
    expect(await dialog.getAttribute('aria-modal')).toBe('true');
    expect(await dialog.evaluate((e) => e.contains(document.activeElement))).toBe(true);
    const fit = await stageState(page);
    expect(fit.z).toBe(1);
    expect(fit.devicePx).toBeLessThan(8);

    for (let i = 0; i < 12; i++) await page.keyboard.press('+');
    const zoomed = await stageState(page);
    expect(zoomed.devicePx).toBeCloseTo(8, 3);
    const img = await page.getByTestId('inspect-after').evaluate((e) => {
      const im = e as HTMLImageElement;
      const r = im.getBoundingClientRect();
      return { devicePx: (r.width * devicePixelRatio) / im.naturalWidth, naturalWidth: im.naturalWidth, rendering: getComputedStyle(im).imageRendering, alt: im.alt };
    });
    expect(img.naturalWidth).toBe(W); // the full-size image
    expect(img.devicePx).toBeCloseTo(8, 2);
    expect(img.rendering).toBe('pixelated');
    expect(img.alt).toBe('bitsr x2');

    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    const panned = await stageState(page);
    expect(panned.cx).toBeGreaterThan(zoomed.cx);
    expect(panned.cy).toBeGreaterThan(zoomed.cy);
    expect(panned.z).toBe(zoomed.z);

    const divider = page.getByTestId('inspect-divider');
    expect(await divider.getAttribute('role')).toBe('slider');
    expect(await divider.getAttribute('aria-valuenow')).toBe('50');
    const stage = (await page.getByTestId('inspect-stage').boundingBox())!;
    const handle = (await divider.boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(stage.x + stage.width * 0.25, handle.y + handle.height / 2, { steps: 5 });
    await page.mouse.up();
    const dragged = Number(await divider.getAttribute('aria-valuenow'));
    expect(dragged).toBeGreaterThanOrEqual(23);
    expect(dragged).toBeLessThanOrEqual(27);
    // Dragging the divider does not pan the image.
    expect(await stageState(page)).toEqual(panned);
    await divider.focus();
    await page.keyboard.press('ArrowRight');
    expect(Number(await divider.getAttribute('aria-valuenow'))).toBe(dragged + 1);
    expect(await stageState(page)).toEqual(panned); // the slider's arrows do not pan

    await page.getByTestId('inspect-scale-x4').click();
    await expect.poll(() => page.getByTestId('inspect-after').getAttribute('alt')).toBe('bitsr x4');
    const x4 = await stageState(page);
    expect(x4.z).toBeCloseTo(panned.z, 6);
    expect(x4.cx).toBeCloseTo(panned.cx, 6);
    expect(x4.cy).toBeCloseTo(panned.cy, 6);
    expect(await page.getByTestId('inspect-scale-x4').getAttribute('aria-pressed')).toBe('true');

    await page.getByTestId('inspect-diff').click();
    const canvases = page.getByTestId('inspect-diff-canvas');
    await expect.poll(() => canvases.count(), { timeout: 15_000 }).toBe(2);
    const sums = await canvases.evaluateAll((cs) =>
      cs.map((c) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        let s = 0;
        for (let i = 0; i < d.length; i += 4) s += d[i] + d[i + 1] + d[i + 2];
        return { s, w: cv.width, h: cv.height, rendering: getComputedStyle(cv).imageRendering };
      }),
    );
    for (const c of sums) {
      expect(c.s).toBeGreaterThan(0);
      expect([c.w, c.h]).toEqual([W, H]);
      expect(c.rendering).toBe('pixelated');
    }
    expect(await dialog.textContent()).toMatch(/amplified ×4/);

    // axe with the dialog open: no serious or critical violation.
    await page.addScriptTag({ content: readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
      const r = await axe.run(document, { resultTypes: ['violations'] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
    });
    for (const v of violations) console.log(`[a11y inspect] ${v.impact}: ${v.id} at ${v.nodes.join(', ')}`);
    expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);

    await page.getByTestId('inspect-zoom').click(); // focus back inside the dialog, off the slider
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await page.getByTestId('inspect-x2').evaluate((e) => e === document.activeElement)).toBe(true);
  });

  it('mobile (360×640, touch): tap opens it, a two-finger pinch zooms in', async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    try {
      const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true });
      const page = await ctx.newPage();
      await page.goto(`${srv.url}?ep=wasm`);
      await evaluateImage(page);
      await page.getByTestId('inspect-x2').tap();
      await page.getByTestId('inspect').waitFor();
      const before = await stageState(page);
      expect(before.z).toBe(1);
      const box = (await page.getByTestId('inspect-stage').boundingBox())!;
      // Centred on the stage, so one finger lands on the divider's handle: a second finger still pinches.
      const x = box.x + box.width / 2;
      const y = box.y + box.height * 0.75;
      const cdp = await ctx.newCDPSession(page);
      const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', d: number) =>
        cdp.send('Input.dispatchTouchEvent', {
          type,
          touchPoints:
            type === 'touchEnd'
              ? []
              : [
                  { x: x - d, y, id: 1 },
                  { x: x + d, y, id: 2 },
                ],
        });
      await touch('touchStart', 20);
      for (let d = 25; d <= 60; d += 5) await touch('touchMove', d);
      await touch('touchEnd', 0);
      await expect.poll(async () => (await stageState(page)).z).toBeGreaterThan(1.2);
      const after = await stageState(page);
      expect(after.devicePx).toBeGreaterThan(before.devicePx);
      expect(after.devicePx).toBeLessThanOrEqual(8 + 1e-9);
    } finally {
      await browser.close();
    }
  });
});

it.runIf(!hasChromium)('e2e inspect tests', (ctx) => {
  console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
  ctx.skip(chromiumSkipReason);
});
