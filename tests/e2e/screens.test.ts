/**
 * The app at phone, tablet and desktop sizes, before and after a result. Checks the layout holds
 * (nothing wider than the viewport, controls reachable) and writes the screenshots to
 * tests/e2e/__screenshots__/ so a reviewer can see the app without running it.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPng } from '../helpers/images';
import { closeApp, hasChromium, openApp, readMetrics, ROOT, type Browser, type Served } from './harness';

const OUT = join(ROOT, 'tests/e2e/__screenshots__');
const VIEWPORTS = [
  { name: 'phone', width: 360, height: 640 },
  { name: 'tablet', width: 768, height: 1024 },
  { name: 'desktop', width: 1440, height: 900 },
];

describe.skipIf(!hasChromium)('looks at three viewport sizes', () => {
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ srv, b } = await openApp());
    mkdirSync(OUT, { recursive: true });
  });
  afterAll(() => closeApp(b, srv));

  for (const v of VIEWPORTS) {
    it(`${v.name} ${v.width}×${v.height}: no horizontal overflow, before and after a result`, async () => {
      const p = b.page;
      await p.setViewportSize({ width: v.width, height: v.height });
      await p.goto(`${srv.url}?ep=wasm`);
      await p.getByTestId('mode-evaluate').click();
      const overflow = () => p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await expect.poll(() => p.getByTestId('ep-badge').textContent(), { timeout: 30_000 }).toMatch(/^ort-wasm/);
      await p.screenshot({ path: join(OUT, `${v.name}-empty.png`) });
      await p.getByTestId('image-input').setInputFiles({ name: 'pattern.png', mimeType: 'image/png', buffer: readFileSync(generatedPng(192, 144, 'screens')) });
      await readMetrics(p);
      expect(await overflow()).toBeLessThanOrEqual(0);
      for (const id of ['mode-upscale', 'download-x2', 'compare-slider']) expect(await p.getByTestId(id).isVisible()).toBe(true);
      await p.screenshot({ path: join(OUT, `${v.name}-result.png`), fullPage: true });
    });
  }
});
