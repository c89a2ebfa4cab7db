/**
 * The app decodes exactly as `npm run eval` does (training/io/imageIO.ts, through the shared
 * src/core/codecs): on a PNG with a varying alpha channel (alpha 0 over non-zero colour, which a
 * canvas would premultiply to black) and on a JPEG tagged EXIF orientation 6, the app's PSNRs equal
 * the Node pipeline's within ±0.01 dB. Bicubic PSNR involves no model runtime at all, so it checks
 * the decoded pixels alone. The EXIF orientation rule is also checked against Chromium's own
 * (createImageBitmap, imageOrientation: 'from-image') for all 8 tags.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modCrop } from '../../src/core/image';
import { imresize } from '../../src/core/imresize';
import { evaluate } from '../../src/core/metrics';
import { makeLr } from '../../training/eval/evaluate';
import { decodeImage, readImage } from '../../training/io/imageIO';
import { chromiumSkipReason, closeApp, hasChromium, openApp, readMetrics, type Browser, type Served, type Site } from './harness';
import { alphaPng, jpegWithOrientation, patternJpeg, pngBytes } from '../helpers/images';
import { referenceMetrics } from './reference';

const dir = join(tmpdir(), 'bitsr-e2e-parity');
const TOL = 0.01;

function write(name: string, bytes: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** Bicubic PSNR of the protocol in Node (no model involved): decode, mod-crop, LR, upscale. */
function nodeBicubic(path: string): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of [2, 3, 4]) {
    const hr = modCrop(readImage(path), s);
    out[s] = evaluate(imresize(makeLr(hr, s), s), hr, s).psnr;
  }
  return out;
}

describe.skipIf(!hasChromium)('decode parity: app vs npm run eval', () => {
  let site: Site;
  let srv: Served;
  let b: Browser;
  beforeAll(async () => {
    ({ site, srv, b } = await openApp());
    await b.page.goto(`${srv.url}?ep=wasm`);
    await b.page.getByTestId('mode-evaluate').click();
  });
  afterAll(() => closeApp(b, srv));

  async function check(path: string, name: string, type: string, size: string): Promise<void> {
    const ref = await referenceMetrics(path, site.modelsDir);
    const bic = nodeBicubic(path);
    const before = await b.page.locator('.source').textContent().catch(() => null);
    await b.page.getByTestId('image-input').setInputFiles({ name, mimeType: type, buffer: readFileSync(path) });
    await expect.poll(() => b.page.locator('.source').textContent().catch(() => null), { timeout: 60_000 }).not.toBe(before);
    // The source line and the cards are replaced together when the worker reports the decode.
    expect(await b.page.locator('.source').textContent()).toContain(`${name}: ${size}`);
    const got = await readMetrics(b.page);
    for (const s of [2, 3, 4]) {
      expect(Math.abs(got[s].bicubic - bic[s]), `${name} x${s} bicubic PSNR app ${got[s].bicubic} vs Node ${bic[s].toFixed(4)}`).toBeLessThanOrEqual(TOL);
      expect(Math.abs(got[s].sr - ref[s].psnr), `${name} x${s} bitsr PSNR app ${got[s].sr} vs Node ${ref[s].psnr.toFixed(4)}`).toBeLessThanOrEqual(TOL);
      expect(Math.abs(got[s].ssim - ref[s].ssim), `${name} x${s} SSIM`).toBeLessThanOrEqual(0.001);
    }
  }

  it('PNG with varying alpha, alpha 0 over non-zero colour: the same PSNR as the CLI (±0.01 dB)', async () => {
    const bytes = alphaPng(80, 64);
    const img = decodeImage(bytes);
    expect(img.alpha && Array.from(img.alpha).some((a, i) => a === 0 && img.data[i] > 0)).toBe(true);
    await check(write('alpha-80x64.png', bytes), 'alpha.png', 'image/png', '80×64');
    expect(await b.page.locator('.source').textContent()).toContain('alpha');
  });

  it('JPEG with EXIF orientation 6: rotated like the CLI, the same PSNR (±0.01 dB)', async () => {
    const bytes = jpegWithOrientation(patternJpeg(72, 48, 92), 6);
    const img = decodeImage(bytes);
    expect([img.width, img.height]).toEqual([48, 72]);
    await check(write('exif6-72x48.jpg', bytes), 'exif6.jpg', 'image/jpeg', '48×72');
  });

  it("the orientation rule is Chromium's: all 8 tags, JPEG APP1 and PNG eXIf", async () => {
    const W = 40;
    const H = 24;
    const jpg = patternJpeg(W, H, 95);
    for (const kind of ['jpeg', 'png'] as const) {
      for (let o = 1; o <= 8; o++) {
        const bytes =
          kind === 'jpeg' ? jpegWithOrientation(jpg, o) : pngBytes({ width: W, height: H, colorType: 2, depth: 8, samples: (x, y) => [x * 6, y * 10, (x * y) % 256], exifOrientation: o });
        const node = decodeImage(bytes);
        const browser = await b.page.evaluate(
          async ({ b64, type }) => {
            const blob = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type });
            const bmp = await createImageBitmap(blob, { imageOrientation: 'from-image', colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
            const c = new OffscreenCanvas(bmp.width, bmp.height);
            const ctx = c.getContext('2d')!;
            ctx.drawImage(bmp, 0, 0);
            return { w: bmp.width, h: bmp.height, px: Array.from(ctx.getImageData(0, 0, bmp.width, bmp.height).data) };
          },
          { b64: Buffer.from(bytes).toString('base64'), type: `image/${kind}` },
        );
        expect([browser.w, browser.h], `${kind} orientation ${o}`).toEqual([node.width, node.height]);
        const n = node.width * node.height;
        let diff = 0;
        for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) diff += Math.abs(browser.px[4 * i + c] - Math.round(node.data[c * n + i] * 255));
        // PNG is lossless: identical. JPEG: two IDCTs differ by a level or so; a wrong rotation by ~50.
        expect(diff / (3 * n), `${kind} orientation ${o}: mean |browser - Node|`).toBeLessThan(kind === 'png' ? 1e-9 : 2);
      }
    }
  });
});

it.runIf(!hasChromium)('e2e decode parity tests', (ctx) => {
  console.warn(`[bitsr e2e] ${chromiumSkipReason}`);
  ctx.skip(chromiumSkipReason);
});
