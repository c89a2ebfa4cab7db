/**
 * Service-worker side of the manifest's share_target (imported into the generated sw.js through
 * workbox.importScripts in vite.config.ts). An image shared to the installed app arrives as a
 * multipart POST to ./share-target; it never reaches the network: the first image file is kept
 * in Cache Storage and the page is sent (303) to ./?shared=1, where src/app/shareTarget.ts takes
 * it out and opens it like a dropped file. Workbox's own routes answer GETs only, so they never
 * see this POST. Keep SHARE_CACHE, SHARED_KEY and the action in step with shareTarget.ts and
 * the manifest.
 */
/* global self, caches, Response, Headers, File, URL */
(() => {
  const SHARE_CACHE = 'bitsr-share';
  const SHARED_KEY = 'shared-image';
  const ACTION = 'share-target';

  self.addEventListener('fetch', (event) => {
    const req = event.request;
    if (req.method !== 'POST') return;
    const url = new URL(req.url);
    const scope = new URL(self.registration.scope);
    if (url.origin !== scope.origin || url.pathname !== new URL(ACTION, scope).pathname) return;
    event.respondWith(
      (async () => {
        const cache = await caches.open(SHARE_CACHE);
        await cache.delete(new URL(SHARED_KEY, scope).href);
        try {
          const form = await req.formData();
          const file = form.getAll('files').find((f) => f instanceof File && f.type.startsWith('image/'));
          if (file) {
            const headers = new Headers({ 'Content-Type': file.type, 'X-File-Name': encodeURIComponent(file.name || 'shared image') });
            await cache.put(new URL(SHARED_KEY, scope).href, new Response(file, { headers }));
          }
        } catch {
          /* not a form: the page finds nothing stored and shows no image */
        }
        return Response.redirect(new URL('./?shared=1', scope).href, 303);
      })(),
    );
  });
})();
