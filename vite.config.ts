import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import { modelManifest } from './build/modelManifest';

const root = dirname(fileURLToPath(import.meta.url));

// COOP/COEP make the page crossOriginIsolated, which onnxruntime-web needs for wasm threads.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Where the shipped .onnx files are read from; tests point it at a temp dir of random models. */
const modelsDir = resolve(root, process.env.BITSR_MODELS_DIR ?? 'models');

/**
 * The ORT files the native WebGPU build loads (BROWSER.md): served at /ort/ and set as
 * ort.env.wasm.wasmPaths, so nothing is fetched from a CDN. The same build also runs the wasm EP.
 */
const ortDist = resolve(root, 'node_modules/onnxruntime-web/dist');
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

function send(res: ServerResponse, body: Buffer | string, type: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-cache');
  for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
  res.end(body);
}

/** Dev server: serve models + ORT files; build: emit them into the site. */
function bitsrAssets(): Plugin {
  return {
    name: 'bitsr-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0];
        if (url === '/models/index.json') return send(res, JSON.stringify(modelManifest(modelsDir)), 'application/json');
        const m = /^\/models\/([\w.-]+\.onnx)$/.exec(url);
        if (m && existsSync(join(modelsDir, m[1]))) return send(res, readFileSync(join(modelsDir, m[1])), 'application/octet-stream');
        const o = /^\/ort\/([\w.-]+)$/.exec(url);
        if (o && ORT_FILES.includes(o[1])) return send(res, readFileSync(join(ortDist, o[1])), o[1].endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        next();
      });
    },
    generateBundle() {
      const manifest = modelManifest(modelsDir);
      this.emitFile({ type: 'asset', fileName: 'models/index.json', source: JSON.stringify(manifest, null, 1) });
      for (const m of manifest.models) this.emitFile({ type: 'asset', fileName: `models/${m.file}`, source: readFileSync(join(modelsDir, m.file)) });
      for (const f of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
    },
  };
}

const ortWasmBytes = ORT_FILES.reduce((s, f) => s + (existsSync(join(ortDist, f)) ? statSync(join(ortDist, f)).size : 0), 0);

export default defineConfig({
  base: './',
  plugins: [
    react(),
    bitsrAssets(),
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
