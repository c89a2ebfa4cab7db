/**
 * Accessibility (axe-core, keyboard) and display edge cases of the app: no serious or critical axe
 * violation on the empty page and on a result page; "Open image…" and the mode radio group work
 * from the keyboard; identical images show ∞ (never "Infinity" or "NaN"); tiny images keep a sane
 * layout; the footer states the size limits of both modes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, closeApp, hasChromium, openApp, readMetrics, ROOT, type Browser, type Served } from './harness';
import { generatedPng } from '../helpers/images';

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ content: readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
  }
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
}

function expectNoSeriousViolations(where: string, vs: Violation[]): void {
  for (const v of vs) console.log(`[a11y ${where}] ${v.impact}: ${v.id} (${v.help}) at ${v.nodes.join(', ')}`);
  const bad = vs.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, JSON.stringify(bad, null, 1)).toEqual([]);
}

/** A w×h PNG of one colour (all black by default). */
function flatPng(w: number, h: number, name: string, rgb: [number, number, number] = [0, 0, 0]): string {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) png.data.set([...rgb, 255], 4 * i);
  const file = join(tmpdir(), `bitsr-a11y-${name}-${w}x${h}.png`);
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

/** Wait for this image's x4 card to show its output size and a timing. */
async function waitX4(page: Page, w: number, h: number): Promise<void> {
  const size = `${w}×${h}`;
  await expect
    .poll(() => page.locator('section[aria-label="x4"]').textContent(), { timeout: 60_000 })
    .toMatch(new RegExp(`${size}[\\s\\S]*\\d+ ms|\\d+ ms[\\s\\S]*${size}`));
}

describe.skipIf(!hasChromium)('accessibility and display edge cases', () => {
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ srv, b } = await openApp());
    await b.page.goto(`${srv.url}?ep=wasm`);
    await b.page.getByTestId('mode-evaluate').waitFor();
  });
  afterAll(() => closeApp(b, srv));

  it('the empty page has no serious or critical axe violation', async () => {
    expectNoSeriousViolations('empty page', await axeViolations(b.page));
  });

  it('"Open image…" is a button in the Tab order that opens the file picker', async () => {
    const open = b.page.getByRole('button', { name: 'Open image…' });
    expect(await open.evaluate((e) => e.tagName)).toBe('BUTTON');
    // Tab from the start of the page until it has focus.
    await b.page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await b.page.keyboard.press('Tab');
      reached = await open.evaluate((e) => e === document.activeElement);
    }
    expect(reached, 'Open image… reached with Tab').toBe(true);
    const chooserEvent = b.page.waitForEvent('filechooser', { timeout: 10_000 });
    // Playwright turns file-chooser interception on asynchronously; one round trip makes sure it
    // is on before the key press (else the first picker opens unseen).
    await b.page.evaluate(() => undefined);
    await b.page.keyboard.press('Enter');
    const chooser = await chooserEvent;
    // Several files form a batch.
    expect(chooser.isMultiple()).toBe(true);
    await chooser.setFiles([]);
  });

  it('the mode radio group: one Tab stop, arrow keys move and select', async () => {
    const evaluate = b.page.getByTestId('mode-evaluate');
    const upscale = b.page.getByTestId('mode-upscale');
    expect(await b.page.getByRole('radiogroup', { name: 'mode' }).count()).toBe(1);
    await evaluate.click();
    expect([await evaluate.getAttribute('tabindex'), await upscale.getAttribute('tabindex')]).toEqual(['0', '-1']);
    await evaluate.focus();
    await b.page.keyboard.press('ArrowRight');
    expect(await upscale.getAttribute('aria-checked')).toBe('true');
    expect(await evaluate.getAttribute('aria-checked')).toBe('false');
    expect(await upscale.evaluate((e) => e === document.activeElement)).toBe(true);
    expect([await evaluate.getAttribute('tabindex'), await upscale.getAttribute('tabindex')]).toEqual(['-1', '0']);
    await b.page.keyboard.press('ArrowRight'); // wraps
    expect(await evaluate.getAttribute('aria-checked')).toBe('true');
    await b.page.keyboard.press('ArrowUp');
    expect(await upscale.getAttribute('aria-checked')).toBe('true');
    await b.page.keyboard.press('Home');
    expect(await evaluate.getAttribute('aria-checked')).toBe('true');
    expect(await evaluate.evaluate((e) => e === document.activeElement)).toBe(true);
  });

  it('the footer states the size limits of both modes', async () => {
    const text = (await b.page.getByTestId('limits').textContent()) ?? '';
    expect(text).toMatch(/Evaluate: input up to 4096×4096/);
    expect(text).toMatch(/Upscale: each output up to 16\.8 MP/);
    for (const s of ['2048² at x2', '1365² at x3', '1024² at x4']) expect(text).toContain(s);
  });

  it('a result page (Evaluate of a small image) has no serious or critical axe violation', async () => {
    await b.page.getByTestId('mode-evaluate').click();
    await b.page.getByTestId('image-input').setInputFiles(generatedPng(48, 40, 'a11y'));
    await readMetrics(b.page);
    expectNoSeriousViolations('result page', await axeViolations(b.page));
  });

  it('an identical image (all black: bicubic is exact) shows ∞, never "Infinity" or "NaN"', async () => {
    await b.page.getByTestId('mode-evaluate').click();
    await b.page.getByTestId('image-input').setInputFiles(flatPng(48, 48, 'black'));
    await expect.poll(() => b.page.getByTestId('psnr-bicubic-x4').textContent().catch(() => ''), { timeout: 60_000 }).toBe('∞');
    await waitX4(b.page, 48, 48);
    for (const s of [2, 3, 4]) expect(await b.page.getByTestId(`psnr-bicubic-x${s}`).textContent()).toBe('∞');
    const text = (await b.page.locator('body').textContent()) ?? '';
    expect(text).not.toMatch(/Infinity|NaN/);
    expect(text).toContain('(identical)');
  });

  it('tiny images (1×1, 1×100, 100×1, 2×2) keep a sane layout', async () => {
    await b.page.getByTestId('mode-upscale').click();
    const viewport = b.page.viewportSize()!;
    for (const [w, h] of [
      [1, 100],
      [100, 1],
      [1, 1],
      [2, 2],
    ]) {
      await b.page.getByTestId('image-input').setInputFiles(generatedPng(w, h, 'tiny'));
      await waitX4(b.page, 4 * w, 4 * h);
      const layout = await b.page.evaluate(() => ({
        pageHeight: document.documentElement.scrollHeight,
        pageWidth: document.documentElement.scrollWidth,
        boxes: [...document.querySelectorAll('.compare')].map((e) => e.getBoundingClientRect()).map((r) => ({ w: r.width, h: r.height })),
      }));
      const at = `${w}×${h}: ${JSON.stringify(layout)}`;
      expect(layout.boxes.length, at).toBe(3);
      for (const box of layout.boxes) {
        expect(box.h, at).toBeLessThanOrEqual(Math.min(0.7 * viewport.height, 640) + 1);
        expect(box.w, at).toBeLessThanOrEqual(viewport.width);
      }
      expect(layout.pageHeight, at).toBeLessThan(2000);
      expect(layout.pageWidth, at).toBeLessThanOrEqual(viewport.width);
      expect(await b.page.getByTestId('error').count(), at).toBe(0);
    }
    await b.page.getByTestId('mode-evaluate').click();
  });
});

it.runIf(!hasChromium)('e2e accessibility tests', (ctx) => {
  console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
  ctx.skip(chromiumSkipReason);
});
