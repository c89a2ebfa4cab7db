/**
 * The benchmark page (bench/index.html): a separate Vite build so UpscalerJS / tfjs are never
 * bundled into the app. It imports the app's own src/engine (same worker, same ORT session code)
 * and serves everything from the origin: bitsr models (BITSR_MODELS_DIR), the ORT wasm, the
 * UpscalerJS model files from node_modules and the tfjs wasm binaries. No CDN.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { modelManifest } from '../build/modelManifest';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');
const nm = resolve(root, 'node_modules');
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const modelsDir = resolve(root, process.env.BITSR_MODELS_DIR ?? 'models');
const ortDist = resolve(nm, 'onnxruntime-web/dist');
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
const TFJS_WASM = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
export const PEER_PACKAGES = ['esrgan-slim', 'esrgan-medium'] as const;

/** site path -> file on disk */
function assets(): Map<string, string> {
  const m = new Map<string, string>();
  if (existsSync(modelsDir)) for (const f of readdirSync(modelsDir)) if (f.endsWith('.onnx')) m.set(`models/${f}`, join(modelsDir, f));
  for (const f of ORT_FILES) m.set(`ort/${f}`, join(ortDist, f));
  for (const f of TFJS_WASM) m.set(`tfjs/${f}`, join(nm, '@tensorflow/tfjs-backend-wasm/dist', f));
  for (const p of PEER_PACKAGES) {
    for (const s of [2, 3, 4]) {
      const d = join(nm, '@upscalerjs', p, 'models', `x${s}`);
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d)) m.set(`peers/${p}/x${s}/${f}`, join(d, f));
    }
  }
  return m;
}

function manifest(): string {
  return JSON.stringify(modelManifest(modelsDir));
}

function typeOf(f: string): string {
  if (f.endsWith('.wasm')) return 'application/wasm';
  if (f.endsWith('.mjs') || f.endsWith('.js')) return 'text/javascript';
  if (f.endsWith('.json')) return 'application/json';
  return 'application/octet-stream';
}

function benchAssets(): Plugin {
  return {
    name: 'bitsr-bench-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = (req.url ?? '').split('?')[0].replace(/^\//, '');
        const file = url === 'models/index.json' ? null : assets().get(url);
        if (url !== 'models/index.json' && !file) return next();
        res.setHeader('Content-Type', typeOf(url));
        for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
        res.end(file ? readFileSync(file) : manifest());
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'models/index.json', source: manifest() });
      for (const [name, file] of assets()) if (existsSync(file)) this.emitFile({ type: 'asset', fileName: name, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  root: benchDir,
  base: './',
  publicDir: false,
  plugins: [benchAssets()],
  resolve: {
    alias: [
      { find: 'onnxruntime-web/webgpu', replacement: resolve(ortDist, 'ort.webgpu.min.mjs') },
      // upscaler 1.0 pins @tensorflow/tfjs ~4.11 (its core is nested under @tensorflow/tfjs); the
      // app's tfjs-backend-wasm 4.22 must register on that same core instance, not the app's 4.22.
      { find: /^@tensorflow\/tfjs-core$/, replacement: resolve(nm, '@tensorflow/tfjs/node_modules/@tensorflow/tfjs-core/dist/index.js') },
    ],
  },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000, emptyOutDir: true },
  preview: { headers: isolation },
  server: { headers: isolation },
});
