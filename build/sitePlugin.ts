/**
 * What the app's and the benchmark page's Vite configs share (vite.config.ts, bench/vite.config.ts):
 * the cross-origin isolation headers, and the plugin that serves and ships the models and the ORT
 * wasm files (plus, for the bench page, its extra files) from the origin, never from a CDN.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { modelManifest } from './modelManifest';

// COOP/COEP make the page crossOriginIsolated, which onnxruntime-web needs for wasm threads.
export const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** The ORT files the native WebGPU build loads (docs/browser.md); the same build also runs the wasm EP. */
export const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/** The repo's onnxruntime-web dist folder (its ORT_FILES, and the ort.webgpu.min.mjs both configs alias). */
export const ortDistOf = (root: string) => resolve(root, 'node_modules/onnxruntime-web/dist');

/** The installed onnxruntime-web's version (names the service worker's runtime cache of the ORT files). */
export const ortVersionOf = (root: string): string =>
  (JSON.parse(readFileSync(resolve(root, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }).version;

/** Where the shipped .onnx files are read from; tests point it at a temp dir of random models. */
export const modelsDirOf = (root: string) => resolve(root, process.env.BITSR_MODELS_DIR ?? 'models');

/** Content types of what is served under /models/, /ort/ and /kernels/ (sirv, behind `vite preview`, knows no .onnx). */
const TYPES: Record<string, string> = {
  onnx: 'application/octet-stream',
  json: 'application/json',
  wasm: 'application/wasm',
  mjs: 'text/javascript',
  js: 'text/javascript',
};
const typeOf = (name: string) => TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';

/** A site path under one of the asset folders -> the file on disk or the bytes to send; undefined: 404. */
export type AssetLookup<D extends string> = (dir: D, name: string) => string | Buffer | undefined;

/**
 * One middleware for the dev server and `vite preview`: /<dir>/* for each of `dirs` (models, ort;
 * kernels in build/kernelsPlugin.ts) is answered here, with its content type and the isolation
 * headers, or with a 404, never with the SPA's index.html (which would reach onnxruntime or the
 * kernel loader as a "model" or a "wasm" with status 200).
 */
export function assetMiddleware<D extends string>(dirs: readonly D[], lookup: AssetLookup<D>): Connect.NextHandleFunction {
  const route = new RegExp(`^/(${dirs.join('|')})(?:/(.*))?$`);
  return (req, res, next) => {
    const m = route.exec((req.url ?? '').split('?')[0]);
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
    // One path segment, no dot files: nothing outside the asset folders can be named.
    const found = /^\w[\w.-]*$/.test(name) ? lookup(m[1] as D, name) : undefined;
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

/** `vite preview`'s lookup: the built file outDir/dir/name, if there is one. */
export const builtFile = (outDir: string, dir: string, name: string) => (isFile(join(outDir, dir, name)) ? join(outDir, dir, name) : undefined);

export interface SiteAssetsOptions {
  /** The repo root (node_modules, models). */
  root: string;
  /** The plugin's name. */
  name: string;
  /**
   * Further files outside /models/ and /ort/, site path (no leading slash) -> file on disk: served
   * by the dev server (other paths go on to Vite) and emitted into the build where they exist.
   */
  extra?: () => Map<string, string>;
}

/**
 * Dev server: serve models + ORT files from their sources; preview: from the build; build: emit
 * them into the site (models/index.json lists the models, build/modelManifest.ts).
 */
export function siteAssets({ root, name, extra }: SiteAssetsOptions): Plugin {
  const modelsDir = modelsDirOf(root);
  const ortDist = ortDistOf(root);
  return {
    name,
    configureServer(server) {
      server.middlewares.use(
        assetMiddleware(['models', 'ort'], (dir, file) => {
          if (dir === 'ort') return ORT_FILES.includes(file) ? join(ortDist, file) : undefined;
          if (file === 'index.json') return Buffer.from(JSON.stringify(modelManifest(modelsDir)));
          return file.endsWith('.onnx') && isFile(join(modelsDir, file)) ? join(modelsDir, file) : undefined;
        }),
      );
      if (extra) {
        server.middlewares.use((req, res, next) => {
          const url = (req.url ?? '').split('?')[0].replace(/^\//, '');
          const file = extra().get(url);
          if (!file) return next();
          res.setHeader('Content-Type', typeOf(url));
          for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
          res.end(readFileSync(file));
        });
      }
    },
    configurePreviewServer(server) {
      const outDir = resolve(server.config.root, server.config.build.outDir);
      server.middlewares.use(assetMiddleware(['models', 'ort'], (dir, file) => builtFile(outDir, dir, file)));
    },
    generateBundle() {
      const manifest = modelManifest(modelsDir);
      this.emitFile({ type: 'asset', fileName: 'models/index.json', source: JSON.stringify(manifest, null, 1) });
      for (const m of manifest.models) this.emitFile({ type: 'asset', fileName: `models/${m.file}`, source: readFileSync(join(modelsDir, m.file)) });
      for (const f of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${f}`, source: readFileSync(join(ortDist, f)) });
      if (extra) for (const [site, file] of extra()) if (existsSync(file)) this.emitFile({ type: 'asset', fileName: site, source: readFileSync(file) });
    },
  };
}
