/**
 * e2e (wasm): a batch of several files runs one at a time; a corrupt one fails only its row;
 * "Download all" gives one ZIP of every finished image's PNG per scale; Cancel cancels the
 * running job and marks the queued ones cancelled.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, closeApp, hasChromium, openApp, type Browser, type Served } from './harness';
import { generatedPng } from '../helpers/images';

const statuses = (b: Browser) => b.page.getByTestId('batch-item').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));

describe.skipIf(!hasChromium)('batch on wasm', () => {
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ srv, b } = await openApp());
    await b.page.goto(`${srv.url}?ep=wasm`);
    await b.page.getByTestId('mode-evaluate').click();
  });
  afterAll(() => closeApp(b, srv));

  it('three files, one corrupt: done/done/failed, and Download all zips 2×3 PNGs', async () => {
    const a = readFileSync(generatedPng(40, 36, 'batch-a'));
    const c = readFileSync(generatedPng(48, 40, 'batch-c'));
    await b.page.getByTestId('image-input').setInputFiles([
      { name: 'a.png', mimeType: 'image/png', buffer: a },
      { name: 'c.png', mimeType: 'image/png', buffer: c },
      { name: 'broken.png', mimeType: 'image/png', buffer: a.subarray(0, 60) },
    ]);
    await expect.poll(() => statuses(b), { timeout: 120_000 }).toEqual(['done', 'done', 'failed']);
    const rows = b.page.getByTestId('batch-item');
    expect(await rows.nth(2).getByTestId('batch-error').textContent()).toMatch(/corrupt|truncated/);
    for (const i of [0, 1]) expect(await rows.nth(i).getByTestId('batch-detail').textContent()).toMatch(/^x2 PSNR \d+\.\d\d dB$/);
    // The single-image view shows the last image that decoded.
    await b.page.getByTestId('psnr-sr-x2').waitFor();

    const [dl] = await Promise.all([b.page.waitForEvent('download'), b.page.getByTestId('download-all').click()]);
    expect(dl.suggestedFilename()).toBe('bitsr-batch.zip');
    const files = unzipSync(new Uint8Array(readFileSync((await dl.path())!)));
    expect(Object.keys(files).sort()).toEqual(['a-x2-bitsr.png', 'a-x3-bitsr.png', 'a-x4-bitsr.png', 'c-x2-bitsr.png', 'c-x3-bitsr.png', 'c-x4-bitsr.png']);
    for (const f of Object.values(files)) expect(Buffer.from(f.subarray(1, 4)).toString()).toBe('PNG');
  });

  it('Pick folder: the images in the folder form a batch, other files are left out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-batch-folder-'));
    try {
      mkdirSync(join(dir, 'sub'));
      copyFileSync(generatedPng(32, 32, 'batch-f1'), join(dir, 'f1.png'));
      copyFileSync(generatedPng(36, 32, 'batch-f2'), join(dir, 'sub', 'f2.png'));
      writeFileSync(join(dir, 'notes.txt'), 'hello');
      await b.page.getByTestId('folder-input').setInputFiles(dir);
      await expect.poll(() => statuses(b), { timeout: 120_000 }).toEqual(['done', 'done']);
      expect((await b.page.getByTestId('batch-item').allTextContents()).join(' ')).not.toContain('notes.txt');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Cancel after the first of four finishes: the running and queued ones are cancelled', async () => {
    const small = readFileSync(generatedPng(24, 24, 'batch-small'));
    const big = readFileSync(generatedPng(320, 320, 'batch-big'));
    // Click Cancel in the page as soon as the first row is done (no round trip to the test).
    const clicked = b.page.evaluate(
      () =>
        new Promise<void>((res) => {
          const obs = new MutationObserver(() => {
            const first = document.querySelector('[data-testid="batch-item"]');
            if (document.querySelectorAll('[data-testid="batch-item"]').length === 4 && first?.getAttribute('data-status') === 'done') {
              obs.disconnect();
              (document.querySelector('[data-testid="cancel"]') as HTMLButtonElement).click();
              res();
            }
          });
          obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'] });
        }),
    );
    await b.page.getByTestId('image-input').setInputFiles([
      { name: 'one.png', mimeType: 'image/png', buffer: small },
      ...[2, 3, 4].map((i) => ({ name: `big${i}.png`, mimeType: 'image/png', buffer: big })),
    ]);
    await clicked;
    await expect.poll(() => statuses(b), { timeout: 120_000 }).toEqual(['done', 'cancelled', 'cancelled', 'cancelled']);
  });
});

if (!hasChromium) console.warn(chromiumSkipReason);
