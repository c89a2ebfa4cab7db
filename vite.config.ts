import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// COOP/COEP make the page crossOriginIsolated, which onnxruntime-web needs for wasm threads.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: { headers: isolation },
  preview: { headers: isolation },
});
