import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Connect, type Plugin } from 'vite';
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
 * The ORT files the native WebGPU build loads (docs/browser.md): served at /ort/ and set as
 * ort.env.wasm.wasmPaths, so nothing is fetched from a CDN. The same build also runs the wasm EP.
 */
const ortDist = resolve(root, 'node_modules/onnxruntime-web/dist');
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/** Content types of what is served under /models/ and /ort/ (sirv, behind `vite preview`, knows no .onnx). */
const TYPES: Record<string, string> = {
  onnx: 'application/octet-stream',
  json: 'application/json',
  wasm: 'application/wasm',
  mjs: 'text/javascript',
  js: 'text/javascript',
};
const typeOf = (name: string) => TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';

/** A site path under /models/ or /ort/ -> the file on disk or the bytes to send; undefined: 404. */
type AssetLookup = (dir: 'models' | 'ort', name: string) => string | Buffer | undefined;

/**
 * One middleware for the dev server and `vite preview`: /models/* and /ort/* are answered here,
 * with their content type and the isolation headers, or with a 404, never with the SPA's
 * index.html (which would reach onnxruntime as a "model" or a "wasm" with status 200).
 */
function assetMiddleware(lookup: AssetLookup): Connect.NextHandleFunction {
  return (req, res, next) => {
    const m = /^\/(models|ort)(?:\/(.*))?$/.exec((req.url ?? '').split('?')[0]);
    if (!m) return next();
    for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      return res.end();
    }
    let name = '';
    try {
      name = decodeURIComponent(m[2] ?? '');
    } catch {
      /* malformed escape: not found */
    }
    // One path segment, no dot files: nothing outside the two folders can be named.
    const found = /^\w[\w.-]*$/.test(name) ? lookup(m[1] as 'models' | 'ort', name) : undefined;
    if (found === undefined) {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      return res.end(req.method === 'HEAD' ? undefined : `not found: /${m[1]}/${m[2] ?? ''}\n`);
    }
    res.setHeader('Content-Type', typeOf(name));
    res.setHeader('Content-Length', typeof found === 'string' ? statSync(found).size : found.length);
    if (req.method === 'HEAD') return res.end();
    if (typeof found !== 'string') return res.end(found);
    createReadStream(found)
      .on('error', (e) => {
        if (res.headersSent) return res.destroy(e);
        res.removeHeader('Content-Length');
        res.statusCode = 500;
        res.end(`cannot read /${m[1]}/${name}\n`);
      })
      .pipe(res);
  };
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();

/** Dev server: serve models + ORT files from their sources; preview: from the build; build: emit them into the site. */
function bitsrAssets(): Plugin {
  return {
    name: 'bitsr-assets',
    configureServer(server) {
      server.middlewares.use(
        assetMiddleware((dir, name) => {
          if (dir === 'ort') return ORT_FILES.includes(name) ? join(ortDist, name) : undefined;
          if (name === 'index.json') return Buffer.from(JSON.stringify(modelManifest(modelsDir)));
          return name.endsWith('.onnx') && isFile(join(modelsDir, name)) ? join(modelsDir, name) : undefined;
        }),
      );
    },
    configurePreviewServer(server) {
      const outDir = resolve(server.config.root, server.config.build.outDir);
      server.middlewares.use(assetMiddleware((dir, name) => (isFile(join(outDir, dir, name)) ? join(outDir, dir, name) : undefined)));
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
