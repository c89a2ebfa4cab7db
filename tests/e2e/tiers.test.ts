/**
 * e2e (xnor-wasm): speed tiers. With a lite and a full x2 model installed, the model selector
 * appears; auto picks by the full model's measured speed here and says why; lite and full run the
 * model named; a scale with one model shows no tier.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatedPng } from '../helpers/images';
import { chromiumSkipReason, closeApp, hasChromium, openApp, type Browser, type Served } from './harness';

describe.skipIf(!hasChromium)('speed tiers (lite / full)', () => {
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ srv, b } = await openApp({ tiers: true }));
    await b.page.goto(`${srv.url}?engine=xnor-wasm`);
  });
  afterAll(() => closeApp(b, srv));

  const run = async (name: string) => {
    const card = b.page.getByTestId('model-x2');
    await b.page.getByTestId('image-input').setInputFiles({ name, mimeType: 'image/png', buffer: readFileSync(generatedPng(64, 48, 'tiers')) });
    await b.page.getByTestId('psnr-sr-x2').waitFor({ timeout: 120_000 });
    await b.page.getByTestId('psnr-sr-x4').waitFor({ timeout: 120_000 });
    return { tier: await card.getAttribute('data-tier'), text: (await card.textContent()) ?? '', why: (await card.getAttribute('title')) ?? '' };
  };

  it('auto follows the measured budget; lite and full run the model they name', async () => {
    await expect.poll(() => b.page.getByTestId('ep-badge').textContent(), { timeout: 30_000 }).toContain('xnor-wasm');
    const select = b.page.getByTestId('tier-select');
    await select.waitFor({ timeout: 30_000 });
    expect(await select.inputValue()).toBe('auto');
    await b.page.getByTestId('mode-evaluate').click();

    const auto = await run('auto.png');
    expect(auto.why).toMatch(/^auto: the full model would take ~\d+ ms per output megapixel here, (within|over) the 1000 ms budget$/);
    expect(auto.tier).toBe(auto.why.includes('within') ? 'full' : 'lite');

    await select.selectOption('lite');
    const lite = await run('lite.png');
    expect(lite).toMatchObject({ tier: 'lite', why: 'lite chosen' });
    expect(lite.text).toMatch(/^lite\s*bitsr-x2\.onnx/);

    await select.selectOption('full');
    const full = await run('full.png');
    expect(full).toMatchObject({ tier: 'full', why: 'full chosen' });
    expect(full.text).toMatch(/^full\s*bitsr-x2-full\.onnx/);

    // x3 ships one model: no tier label, and its reason says so.
    const x3 = b.page.getByTestId('model-x3');
    expect(await x3.getAttribute('title')).toBe('the only x3 model installed');
    expect(await x3.textContent()).toMatch(/^bitsr-x3\.onnx/);
    // The choice is a setting: it survives a reload.
    await b.page.reload();
    await b.page.getByTestId('tier-select').waitFor({ timeout: 30_000 });
    expect(await b.page.getByTestId('tier-select').inputValue()).toBe('full');
  }, 300_000);
});

it.runIf(!hasChromium)('e2e speed tier tests', (ctx) => {
  console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
  ctx.skip(chromiumSkipReason);
});
