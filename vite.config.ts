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
