/**
 * The benchmark page (bench/index.html): a separate Vite build so UpscalerJS / tfjs are never
 * bundled into the app. It imports the app's own src/engine (same worker, same ORT session code)
 * and serves everything from the origin: bitsr models (BITSR_MODELS_DIR), the ORT wasm, the
 * UpscalerJS model files from node_modules and the tfjs wasm binaries. No CDN.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { kernelsPlugin } from '../build/kernelsPlugin';
import { isolation, ortDistOf, siteAssets } from '../build/sitePlugin';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = resolve(benchDir, '..');
const nm = resolve(root, 'node_modules');
const ortDist = ortDistOf(root);
const TFJS_WASM = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
export const PEER_PACKAGES = ['esrgan-slim', 'esrgan-medium'] as const;

/** The bench page's own files (the models and ORT are build/sitePlugin.ts's): site path -> file on disk. */
function benchFiles(): Map<string, string> {
  const m = new Map<string, string>();
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

export default defineConfig({
  root: benchDir,
  base: './',
  publicDir: false,
  plugins: [siteAssets({ root, name: 'bitsr-bench-assets', extra: benchFiles }), kernelsPlugin()],
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
