import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { isolation, ORT_FILES, ortDistOf, siteAssets } from './build/sitePlugin';

const root = dirname(fileURLToPath(import.meta.url));
const ortDist = ortDistOf(root);
const ortWasmBytes = ORT_FILES.reduce((s, f) => s + (existsSync(join(ortDist, f)) ? statSync(join(ortDist, f)).size : 0), 0);

export default defineConfig({
  base: './',
  plugins: [
    react(),
    siteAssets({ root, name: 'bitsr-assets' }),
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
        // The ORT wasm is ~27 MB; models are small but may grow.
        maximumFileSizeToCacheInBytes: Math.max(40 * 1024 * 1024, ortWasmBytes + 1024 * 1024),
        globPatterns: ['**/*.{js,mjs,css,html,wasm,onnx,json,png,svg,webmanifest}'],
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
        // The SPA fallback is for page navigations only: opening a model or ORT file (or a
        // missing one) must reach the server, which answers it or 404s, never index.html.
        navigateFallbackDenylist: [/\/(?:models|ort)(?:\/|$)/],
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
