/**
 * e2e with WebGPU enabled (SwiftShader here): the default choice is wasm with the reason,
 * and ?ep=webgpu runs on the GPU EP with every node placed there and the Node pipeline's numbers.
 * Small image only: SwiftShader is ~50x slower than wasm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, closeApp, openApp, hasChromium, readMetrics, type Browser, type Served, type Site } from './harness';
import { generatedPng } from '../helpers/images';
import { referenceMetrics } from './reference';

describe.skipIf(!hasChromium)('WebGPU (software adapter)', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ site, srv, b } = await openApp({ webgpu: true }));
  });
  afterAll(() => closeApp(b, srv));

  it('default: a fallback adapter is not used; the badge says xnor-wasm and why', async () => {
    await b.page.goto(srv.url);
    const badge = b.page.getByTestId('ep-badge');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toContain('software fallback');
    expect(await badge.textContent()).toMatch(/^xnor-wasm/);
  });

  it('?ep=webgpu: runs on webgpu, all nodes on the GPU, Node numbers within 0.05 dB', async () => {
    await b.page.goto(`${srv.url}?ep=webgpu`);
    const badge = b.page.getByTestId('ep-badge');
    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toMatch(/^ort-webgpu/);
    const img = generatedPng(48, 48, 'webgpu');
    const ref = await referenceMetrics(img, site.modelsDir);
    await b.page.getByTestId('image-input').setInputFiles(img);
    const got = await readMetrics(b.page, 180_000);
    for (const s of [2, 3, 4]) expect(Math.abs(got[s].sr - ref[s].psnr), `x${s}`).toBeLessThanOrEqual(0.05);
    expect(await badge.textContent()).toMatch(/^ort-webgpu/);
    expect(await badge.getAttribute('title')).toContain('all nodes on GPU');
    expect(b.foreignRequests).toEqual([]);
  });

  it('?engine=xnor-webgpu: the binary engine on WebGPU gives the CLI binary engine\'s PSNR', async () => {
    await b.page.goto(`${srv.url}?engine=xnor-webgpu`);
    const badge = b.page.getByTestId('ep-badge');
    await expect.poll(() => badge.getAttribute('data-engine'), { timeout: 30_000 }).toBe('xnor-webgpu');
    expect(await badge.textContent()).toContain('forced by ?engine=xnor-webgpu');
    await b.page.getByTestId('mode-evaluate').click();
    const img = generatedPng(40, 36, 'xnor-webgpu');
    const ref = await referenceMetrics(img, site.modelsDir, 'xnor');
    await b.page.getByTestId('image-input').setInputFiles(img);
    const got = await readMetrics(b.page, 180_000);
    for (const s of [2, 3, 4]) expect(Math.abs(got[s].sr - ref[s].psnr), `x${s} PSNR ${got[s].sr} vs CLI ${ref[s].psnr}`).toBeLessThanOrEqual(0.005);
    expect(await badge.getAttribute('data-engine')).toBe('xnor-webgpu');
    expect(b.foreignRequests).toEqual([]);
  });
});

it.runIf(!hasChromium)('e2e browser tests', (ctx) => {
  console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
  ctx.skip(chromiumSkipReason);
});
