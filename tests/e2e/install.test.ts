/**
 * The installed app: a manifest that makes the site installable, in the share sheet (share_target)
 * and in "open with" (file_handlers), a service worker that controls the page after the first
 * load, and an image shared to the app (a multipart POST to the share target, answered by the
 * service worker) opened like a dropped file.
 */
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeApp, hasChromium, openApp, readMetrics, type Browser, type Served } from './harness';
import { generatedPng } from '../helpers/images';

interface Manifest {
  name?: string;
  start_url?: string;
  display?: string;
  icons?: { src: string; sizes?: string; type?: string }[];
  share_target?: { action: string; method?: string; enctype?: string; params?: { files?: { name: string; accept: string[] | string }[] } };
  file_handlers?: { action: string; accept: Record<string, string[]> }[];
}

describe.skipIf(!hasChromium)('installed app: manifest, service worker, share target', () => {
  let srv: Served;
  let b: Browser;
  let manifestUrl = '';
  let manifestStatus = 0;
  let manifestText = '';
  const manifest = (): Manifest => JSON.parse(manifestText) as Manifest;
  beforeAll(async () => {
    ({ srv, b } = await openApp());
    await b.page.goto(srv.url);
    manifestUrl = await b.page.evaluate(() => (document.querySelector('link[rel="manifest"]') as HTMLLinkElement | null)?.href ?? '');
    const r = manifestUrl ? await fetch(manifestUrl) : undefined;
    manifestStatus = r?.status ?? 0;
    manifestText = (await r?.text()) ?? '';
  });
  afterAll(() => closeApp(b, srv));

  it('the linked manifest is installable and declares share_target and file_handlers', async () => {
    expect(manifestUrl).not.toBe('');
    expect(manifestStatus).toBe(200);
    const manifest = JSON.parse(manifestText) as Manifest;
    expect(manifest.name).toMatch(/bitsr/);
    expect(manifest.start_url).toBeTruthy();
    expect(['standalone', 'fullscreen', 'minimal-ui']).toContain(manifest.display);
    const sizes = (manifest.icons ?? []).flatMap((i) => (i.sizes ?? '').split(/\s+/));
    expect(sizes).toContain('192x192');
    expect(sizes).toContain('512x512');
    for (const icon of manifest.icons ?? []) expect((await fetch(new URL(icon.src, manifestUrl))).status, icon.src).toBe(200);

    const st = manifest.share_target!;
    expect(st).toBeDefined();
    expect(st.method?.toUpperCase()).toBe('POST');
    expect(st.enctype).toBe('multipart/form-data');
    const files = st.params?.files ?? [];
    expect(files.length).toBeGreaterThan(0);
    expect([files[0].accept].flat()).toContain('image/*');

    const fh = manifest.file_handlers ?? [];
    expect(fh.length).toBeGreaterThan(0);
    expect(new URL(fh[0].action, manifestUrl).href).toBe(new URL(manifest.start_url!, manifestUrl).href);
    expect(Object.keys(fh[0].accept).sort()).toEqual(['image/bmp', 'image/gif', 'image/jpeg', 'image/png', 'image/webp']);
  });

  it('the service worker controls the page after the first load', async () => {
    await b.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 60_000 });
    expect(await b.page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);
  });

  it('an image shared to the app (multipart POST to the share target) is opened like a dropped file', async () => {
    await b.page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 60_000 });
    const st = manifest().share_target!;
    const action = new URL(st.action, manifestUrl).href;
    const field = st.params!.files![0].name;
    const img = generatedPng(64, 48, 'shared');
    // What the OS does for a share: a form navigation that POSTs the file to the action.
    await b.page.evaluate(
      ({ action, field }) => {
        const form = document.createElement('form');
        form.id = 'share-form';
        form.method = 'post';
        form.enctype = 'multipart/form-data';
        form.action = action;
        const input = document.createElement('input');
        input.type = 'file';
        input.name = field;
        form.append(input);
        document.body.append(form);
      },
      { action, field },
    );
    await b.page.locator('#share-form input').setInputFiles(img);
    const posted = b.page.waitForResponse((r) => r.url() === action && r.request().method() === 'POST');
    await b.page.evaluate(() => (document.getElementById('share-form') as HTMLFormElement).submit());
    const res = await posted;
    // The service worker answered the POST (the server never saw it) with a redirect to the app.
    expect(res.fromServiceWorker()).toBe(true);
    expect(res.status()).toBe(303);
    expect(new URL(res.headers()['location'] ?? '', action).searchParams.get('shared')).toBe('1');

    const got = await readMetrics(b.page);
    for (const s of [2, 3, 4]) expect(got[s].sr, `x${s} PSNR`).toBeGreaterThan(15);
    await expect.poll(() => b.page.locator('.source').textContent()).toContain(`${basename(img)}: 64×48`);
    // Taken out of storage, and the marker is gone from the address: a reload opens nothing.
    expect(new URL(b.page.url()).searchParams.has('shared')).toBe(false);
    expect(await b.page.evaluate(async () => (await (await caches.open('bitsr-share')).keys()).length)).toBe(0);
    expect(b.foreignRequests).toEqual([]);
  });
});
