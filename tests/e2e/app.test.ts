/**
 * e2e (wasm): Evaluate mode on baby.png matches the Node pipeline, slider, errors,
 * downloads, tiled inference, chosen scales remembered across a reload, offline reload, no
 * request leaves the origin.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, closeApp, openApp, dropFile, hasChromium, readMetrics, type Browser, type Served, type Site } from './harness';
import { babyPng, generatedPng } from '../helpers/images';
import { referenceMetrics } from './reference';

describe.skipIf(!hasChromium)('web app on wasm', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ site, srv, b } = await openApp());
    await b.page.goto(`${srv.url}?ep=wasm`);
  });
  afterAll(() => closeApp(b, srv));

  it('?ep=wasm: badge says wasm and why', async () => {
    const badge = b.page.getByTestId('ep-badge');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toContain('forced by ?ep=wasm');
    expect(await badge.textContent()).toMatch(/^ort-wasm/);
  });

  it('dropping baby.png in Evaluate mode shows PSNR for x2/x3/x4 equal to the Node pipeline (±0.05 dB)', async () => {
    const baby = babyPng();
    if (baby.generated) console.warn('[bitsr e2e] Set5 baby.png not found: using a generated 256x256 image');
    await b.page.getByTestId('mode-evaluate').click();
    const ref = await referenceMetrics(baby.path, site.modelsDir);
    await dropFile(b.page, 'baby.png', readFileSync(baby.path), 'image/png');
    const got = await readMetrics(b.page);
    for (const s of [2, 3, 4]) {
      expect(Math.abs(got[s].sr - ref[s].psnr), `x${s} PSNR ${got[s].sr} vs ${ref[s].psnr}`).toBeLessThanOrEqual(0.05);
      expect(Math.abs(got[s].ssim - ref[s].ssim)).toBeLessThanOrEqual(0.001);
      expect(got[s].bicubic).toBeGreaterThan(15);
    }
    await expect.poll(() => b.page.getByTestId('ep-badge').textContent()).toContain('every node on it');
  });

  it('the slider moves by drag and by keys', async () => {
    const slider = b.page.getByTestId('compare-slider');
    expect(await slider.getAttribute('role')).toBe('slider');
    const box = (await slider.boundingBox())!;
    await b.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await b.page.mouse.down();
    await b.page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2, { steps: 4 });
    await b.page.mouse.up();
    const dragged = Number(await slider.getAttribute('aria-valuenow'));
    expect(dragged).toBeGreaterThanOrEqual(17);
    expect(dragged).toBeLessThanOrEqual(23);
    await slider.focus();
    await b.page.keyboard.press('ArrowRight');
    expect(Number(await slider.getAttribute('aria-valuenow'))).toBe(dragged + 1);
    await b.page.keyboard.press('End');
    expect(await slider.getAttribute('aria-valuenow')).toBe('100');
    await b.page.keyboard.press('Home');
    expect(await slider.getAttribute('aria-valuenow')).toBe('0');
  });

  it('downloads a PNG per scale', async () => {
    const [dl] = await Promise.all([b.page.waitForEvent('download'), b.page.getByTestId('download-x2').click()]);
    expect(dl.suggestedFilename()).toMatch(/-x2-bitsr\.png$/);
    const bytes = readFileSync((await dl.path())!);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it('a corrupt file shows an error, keeps the results, and the next good image works', async () => {
    const before = await b.page.getByTestId('psnr-sr-x2').textContent();
    const good = readFileSync(generatedPng(40, 36, 'after-error'));
    await b.page.getByTestId('image-input').setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: good.subarray(0, 60) });
    await expect.poll(() => b.page.getByTestId('error').textContent().catch(() => ''), { timeout: 30_000 }).toMatch(/corrupt|truncated/);
    expect(await b.page.getByTestId('psnr-sr-x2').textContent()).toBe(before);
    await b.page.getByTestId('image-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect.poll(() => b.page.getByTestId('error').textContent().catch(() => ''), { timeout: 30_000 }).toMatch(/not an image/);
    await b.page.getByTestId('image-input').setInputFiles({ name: 'good.png', mimeType: 'image/png', buffer: good });
    await expect.poll(() => b.page.getByTestId('psnr-sr-x2').textContent(), { timeout: 60_000 }).not.toBe(before);
    await readMetrics(b.page);
    expect(await b.page.getByTestId('error').count()).toBe(0);
  });

  it('Upscale mode: the image is the LR input; x2/x3/x4 outputs with downloads, no metrics', async () => {
    await b.page.getByTestId('mode-upscale').click();
    await b.page.getByTestId('image-input').setInputFiles(generatedPng(30, 20, 'upscale'));
    // Poll for this image's x4 output (the previous test's timing may still be on screen).
    await expect.poll(() => b.page.locator('section[aria-label="x4"]').textContent(), { timeout: 60_000 }).toMatch(/120×80[\s\S]*\d+ ms|\d+ ms[\s\S]*120×80/);
    expect(await b.page.getByTestId('psnr-sr-x2').count()).toBe(0);
    expect(await b.page.getByTestId('download-x3').getAttribute('download')).toMatch(/-x3-bitsr\.png$/);
    await b.page.getByTestId('mode-evaluate').click();
  });

  it('Cancel at the first tile of a 16-tile job stops within one tile; results so far are kept and the app keeps working', async () => {
    // 2048² Upscale with 512 px tiles: x2 is 16 tiles (x3/x4 outputs would exceed 16.8 MP and are
    // skipped with a message). A tile of the test model takes ~100 ms, so the in-page click below
    // lands well inside the second tile.
    await b.page.goto(`${b.page.url().split('?')[0]}?ep=wasm&tile=512`);
    await b.page.getByTestId('mode-upscale').click();
    await b.page.evaluate(() => {
      const w = window as unknown as { __clicked?: boolean };
      new MutationObserver(() => {
        const m = /^(\d+)\/(\d+) tiles/.exec(document.querySelector('[data-testid=progress-text]')?.textContent ?? '');
        if (m && Number(m[1]) >= 1 && !w.__clicked) {
          w.__clicked = true;
          (document.querySelector('[data-testid=cancel]') as HTMLButtonElement).click();
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await b.page.getByTestId('image-input').setInputFiles(generatedPng(2048, 2048, 'cancel'));
    const bar = b.page.getByTestId('progress');
    expect(await bar.getAttribute('role')).toBe('progressbar');
    await expect.poll(() => b.page.evaluate(() => !!(window as unknown as { __clicked?: boolean }).__clicked), { timeout: 120_000 }).toBe(true);
    await expect.poll(() => b.page.getByTestId('cancel').isDisabled(), { timeout: 60_000 }).toBe(true);
    const [, done, total] = /^(\d+)\/(\d+) tiles/.exec((await b.page.getByTestId('progress-text').textContent()) ?? '')!.map(Number);
    expect(total).toBeGreaterThanOrEqual(16);
    expect(done, `${done}/${total} tiles ran after Cancel at the first`).toBeLessThanOrEqual(2);
    expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(100);
    await expect.poll(() => b.page.getByTestId('notice').textContent().catch(() => '')).toMatch(/Cancelled/);
    // No card is left on "waiting…": x2 was cancelled, x3/x4 name the output limit.
    expect(await b.page.getByTestId('pending-x2').textContent()).toMatch(/cancelled/);
    for (const s of [3, 4]) expect(await b.page.getByTestId(`skipped-x${s}`).textContent()).toMatch(/maximum is 16\.8 MP/);
    await b.page.getByTestId('image-input').setInputFiles(generatedPng(24, 16, 'after-cancel'));
    // This image's own x4 result (96×64), not a timing left on screen by an earlier run.
    await expect.poll(() => b.page.locator('section[aria-label="x4"]').textContent(), { timeout: 60_000 }).toMatch(/96×64[\s\S]*\d+ ms|\d+ ms[\s\S]*96×64/);
  });

  it('the mode is fixed when an image is submitted: switching before it decodes does not relabel it', async () => {
    await b.page.getByTestId('mode-evaluate').click();
    const b64 = readFileSync(generatedPng(200, 180, 'mode-switch')).toString('base64');
    // Drop and switch in one task: the worker cannot have decoded the image yet.
    await b.page.evaluate((b64) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'mode-switch.png', { type: 'image/png' }));
      const zone = document.querySelector('[data-testid=drop-zone]')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: d, bubbles: true, cancelable: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: d, bubbles: true, cancelable: true }));
      (document.querySelector('[data-testid=mode-upscale]') as HTMLElement).click();
    }, b64);
    const got = await readMetrics(b.page);
    for (const s of [2, 3, 4]) expect(got[s].sr).toBeGreaterThan(10);
    // Evaluate outputs are the mod-cropped input (200×180 at x2), not the input × scale.
    expect(await b.page.locator('section[aria-label="x2"]').textContent()).toMatch(/200×180/);
    await b.page.getByTestId('mode-evaluate').click();
  });

  it('chosen scales: only x2 runs (ms and MP/s); the choice survives a reload; engine start-up shown apart', async () => {
    const page = b.page;
    await page.getByTestId('mode-evaluate').click();
    await page.getByTestId('scale-toggle-x3').uncheck();
    await page.getByTestId('scale-toggle-x4').uncheck();
    // The last selected scale cannot be unchecked.
    expect(await page.getByTestId('scale-toggle-x2').isDisabled()).toBe(true);
    const img = generatedPng(64, 48, 'scales');
    await page.getByTestId('image-input').setInputFiles(img);
    // This image's cards: x3/x4 say "not selected" once it decoded, x2 gets its result.
    for (const s of [3, 4]) await expect.poll(() => page.getByTestId(`pending-x${s}`).textContent().catch(() => ''), { timeout: 60_000 }).toMatch(/not selected/);
    await expect.poll(() => page.locator('section[aria-label="x2"]').textContent(), { timeout: 60_000 }).toMatch(/64×48/);
    await expect.poll(() => page.getByTestId('cancel').isDisabled(), { timeout: 60_000 }).toBe(true);
    expect(Number(await page.getByTestId('psnr-sr-x2').textContent())).toBeGreaterThan(10);
    for (const s of [3, 4]) expect(await page.getByTestId(`psnr-sr-x${s}`).count()).toBe(0);
    expect(await page.getByTestId('time-x2').textContent()).toMatch(/^\d+(\.\d)? ms · [\d.,]+ MP\/s$/);
    // Progress counts the x2 tiles only (a 32×24 LR is one tile).
    expect(await page.getByTestId('progress-text').textContent()).toMatch(/^1\/1 tiles/);

    await page.reload();
    expect(await page.getByTestId('scale-toggle-x2').isChecked()).toBe(true);
    for (const s of [3, 4]) expect(await page.getByTestId(`scale-toggle-x${s}`).isChecked()).toBe(false);
    expect(await page.getByTestId('mode-evaluate').getAttribute('aria-checked')).toBe('true');
    // Only settings are stored.
    const stored = JSON.parse((await page.evaluate(() => localStorage.getItem('bitsr-settings'))) ?? '{}');
    expect(stored.state).toEqual({ mode: 'evaluate', scales: [2], compareWith: 'gt', tier: 'auto' });
    // A fresh worker: x2's session is created for this image, and its start-up is shown apart.
    await page.getByTestId('image-input').setInputFiles(img);
    await page.getByTestId('psnr-sr-x2').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('startup-x2').textContent()).toMatch(/^engine start [\d,.]+ ms$/);
    expect(await page.getByTestId('time-x2').textContent()).toMatch(/\d+ ms · [\d.,]+ MP\/s/);
    expect(await page.getByTestId('pending-x3').textContent()).toMatch(/not selected/);

    for (const s of [3, 4]) await page.getByTestId(`scale-toggle-x${s}`).check();
    for (const s of [2, 3, 4]) expect(await page.getByTestId(`scale-toggle-x${s}`).isChecked()).toBe(true);
    expect(await page.getByTestId('scale-toggle-x2').isDisabled()).toBe(false);
  });

  it('no request left the origin', () => {
    expect(b.foreignRequests).toEqual([]);
  });
});

describe.skipIf(!hasChromium)('binary engine (xnor-wasm)', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ site, srv, b } = await openApp());
  });
  afterAll(() => closeApp(b, srv));

  for (const [query, threads] of [['?engine=xnor-wasm', 2], ['?engine=xnor-wasm&tile=16', 2]] as const) {
    it(`${query}: the badge names the engine and its threads; PSNR equals the CLI's`, async () => {
      const requested: string[] = [];
      const log = (r: { url(): string }) => requested.push(r.url());
      b.context.on('request', log);
      await b.page.goto(`${srv.url}${query}`);
      const badge = b.page.getByTestId('ep-badge');
      await expect.poll(() => badge.getAttribute('data-engine'), { timeout: 30_000 }).toBe('xnor-wasm');
      expect(await badge.textContent()).toContain(`xnor-wasm · ${threads} threads — forced by ?engine=xnor-wasm`);
      await b.page.getByTestId('mode-evaluate').click();
      const img = generatedPng(72, 60, 'xnor');
      const ref = await referenceMetrics(img, site.modelsDir, 'xnor');
      await b.page.getByTestId('image-input').setInputFiles(img);
      const got = await readMetrics(b.page);
      for (const s of [2, 3, 4]) {
        expect(Math.abs(got[s].sr - ref[s].psnr), `x${s} PSNR ${got[s].sr} vs CLI ${ref[s].psnr}`).toBeLessThanOrEqual(0.005);
        expect(Math.abs(got[s].ssim - ref[s].ssim)).toBeLessThanOrEqual(0.0005);
      }
      // The binary engine never loads onnxruntime-web (the context sees the workers' requests too).
      b.context.off('request', log);
      expect(requested.filter((u) => u.includes('/ort/'))).toEqual([]);
      expect(requested.some((u) => /\/kernels\/bitsr-kernels.*\.wasm/.test(u))).toBe(true);
      expect(b.foreignRequests).toEqual([]);
    });
  }

  it('several candidates: measured once on the device, the choice cached for the next visit', async () => {
    // ?measure=cpu makes xnor-wasm and ort-wasm both candidates (on a GPU device: ort-webgpu and xnor-webgpu).
    await b.page.goto(`${srv.url}?measure=cpu`);
    await b.page.evaluate(() => localStorage.removeItem('bitsr.engineMeasurement'));
    await b.page.reload();
    const badge = b.page.getByTestId('ep-badge');
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toContain('measured fastest here (');
    const text = (await badge.textContent())!;
    expect(text).toMatch(/xnor-wasm [\d.]+ ms, ort-wasm [\d.]+ ms per 64² tile/);
    const saved = await b.page.evaluate(() => JSON.parse(localStorage.getItem('bitsr.engineMeasurement') ?? 'null'));
    expect(saved.engine).toBe(await badge.getAttribute('data-engine'));
    expect(Object.keys(saved.ms).sort()).toEqual(['ort-wasm', 'xnor-wasm']);
    // The next visit reads the cache instead of measuring again.
    await b.page.reload();
    await expect.poll(() => badge.textContent(), { timeout: 60_000 }).toContain('measured fastest here earlier');
    expect(await badge.getAttribute('data-engine')).toBe(saved.engine);
  });
});

describe.skipIf(!hasChromium)('offline (PWA) and tiled inference', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ site, srv, b } = await openApp());
  });
  afterAll(() => closeApp(b, srv));

  it('after the first visit, an offline reload runs an image (tiled: 16 px tiles) with the Node numbers', async () => {
    const url = `${srv.url}?tile=16`;
    await b.page.goto(url);
    // The service worker controls the page (clients.claim) and has precached wasm + models.
    await b.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 60_000 });
    await b.page.waitForFunction(
      async () => {
        const keys = (await Promise.all((await caches.keys()).map(async (k) => (await (await caches.open(k)).keys()).map((r) => r.url)))).flat();
        return keys.some((k) => k.includes('.wasm')) && keys.some((k) => k.includes('bitsr-x4.onnx'));
      },
      null,
      { timeout: 120_000, polling: 500 },
    );
    await b.context.setOffline(true);
    await b.page.reload();
    expect(await b.page.evaluate(() => crossOriginIsolated)).toBe(true);
    const img = generatedPng(64, 48, 'offline');
    const ref = await referenceMetrics(img, site.modelsDir);
    await b.page.getByTestId('image-input').setInputFiles(img);
    const got = await readMetrics(b.page);
    // LR at x2 is 32x24: 16 px tiles give several tiles; merged output must match untiled Node.
    for (const s of [2, 3, 4]) expect(Math.abs(got[s].sr - ref[s].psnr), `x${s}`).toBeLessThanOrEqual(0.05);
    expect(b.foreignRequests).toEqual([]);
  });
});

it.runIf(!hasChromium)('e2e browser tests', (ctx) => {
  console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
  ctx.skip(chromiumSkipReason);
});
