import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { kernelsPlugin } from './build/kernelsPlugin';
import { isolation, modelsDirOf, ortDistOf, ortVersionOf, siteAssets } from './build/sitePlugin';

const root = dirname(fileURLToPath(import.meta.url));
const ortDist = ortDistOf(root);
const modelsDir = modelsDirOf(root);
const largestModel = existsSync(modelsDir)
  ? Math.max(0, ...readdirSync(modelsDir).filter((f) => f.endsWith('.onnx')).map((f) => statSync(join(modelsDir, f)).size))
  : 0;

export default defineConfig({
  base: './',
  plugins: [
    react(),
    siteAssets({ root, name: 'bitsr-assets' }),
    kernelsPlugin(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: 'script',
      includeAssets: ['icons/*.png'],
      manifest: {
        name: 'bitsr — binary super-resolution',
        short_name: 'bitsr',
        description: 'Binary-neural-network super-resolution, run entirely in your browser.',
        theme_color: '#1d2433',
        background_color: '#11151f',
        display: 'standalone',
        start_url: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        // An installed bitsr is in the share sheet and in "open with" for images: shared files
        // reach public/share-target.js in the service worker, opened ones the launchQueue
        // (src/app/shareTarget.ts).
        share_target: {
          action: 'share-target',
          method: 'POST',
          enctype: 'multipart/form-data',
          params: { files: [{ name: 'files', accept: ['image/*'] }] },
        },
        file_handlers: [
          {
            action: '.',
            accept: { 'image/png': ['.png'], 'image/jpeg': ['.jpg', '.jpeg'], 'image/webp': ['.webp'], 'image/gif': ['.gif'], 'image/bmp': ['.bmp'] },
          },
        ],
      },
      workbox: {
        // Precached: the app, the models and the binary engine's kernels (kernels/*.wasm, tens
        // of KB), so a first visit stays small. Workbox skips a larger file with only a
        // warning, which would silently break offline use: the limit follows the largest model.
        maximumFileSizeToCacheInBytes: Math.max(8 * 1024 * 1024, largestModel + 1024 * 1024),
        globPatterns: ['**/*.{js,mjs,css,html,wasm,onnx,json,png,svg,webmanifest}'],
        // ONNX Runtime's wasm (~27 MB) is only fetched when an ORT engine runs; the runtime
        // cache below keeps it for offline use from then on.
        globIgnores: ['**/node_modules/**/*', 'ort/**'],
        runtimeCaching: [
          {
            urlPattern: /\/ort\/[^/?]+\.(?:wasm|mjs)(?:\?|$)/,
            handler: 'CacheFirst',
            options: {
              // Named for the ORT version: the .wasm must match the ORT JavaScript bundled into
              // the app, so after an upgrade the old files are never served (CacheFirst never
              // revalidates); the old version's cache is dropped once the new one is stored.
              cacheName: `bitsr-ort-${ortVersionOf(root)}`,
              cacheableResponse: { statuses: [200] },
              // vite preview (and many servers) answer with Vary: Origin, and ORT's import() and its
              // thread workers request the .mjs with and without an Origin header: the files are
              // the same either way, so a stored one must match both.
              matchOptions: { ignoreVary: true },
              plugins: [
                {
                  // Serialized into sw.js on its own: it may use nothing from this file.
                  cacheDidUpdate: async ({ cacheName }) => {
                    for (const k of await caches.keys()) if (k.startsWith('bitsr-ort-') && k !== cacheName) await caches.delete(k);
                  },
                },
              ],
            },
          },
        ],
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
        // The SPA fallback is for page navigations only: opening a model, ORT or kernel file (or
        // a missing one) must reach the server, which answers it or 404s, never index.html.
        navigateFallbackDenylist: [/\/(?:models|ort|kernels)(?:\/|$)/],
        // The share target's POST handler is a small hand-written script imported into the
        // generated worker rather than a switch to injectManifest: the precache, the navigation
        // fallback and its denylist stay exactly what workbox generates (and serving.test.ts
        // checks), and no workbox-* runtime packages become direct dependencies.
        importScripts: ['share-target.js'],
      },
    }),
  ],
  resolve: {
    alias: {
      // The non-bundled build imports ort-wasm-*.mjs from ort.env.wasm.wasmPaths at run time.
      // The bundled default inlines it and spawns its pthread workers from its own chunk URL,
      // which inside a Vite worker chunk would be our worker script.
      'onnxruntime-web/webgpu': resolve(ortDist, 'ort.webgpu.min.mjs'),
    },
  },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
  server: { headers: isolation },
  preview: { headers: isolation },
});
