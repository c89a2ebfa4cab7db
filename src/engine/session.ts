/**
 * The one module that knows how ONNX Runtime sessions are made (transformers.js style): threads,
 * where the wasm files come from, node placement. Runs inside the inference worker, imported only
 * when an ORT engine is chosen (engines.ts), so the binary engine never loads ORT.
 */
import * as ort from 'onnxruntime-web/webgpu';
import type { RgbImage } from '../core/image';
import { parsePlacement } from './placement';
import type { EpName } from './protocol';

// ---- console capture -------------------------------------------------------------------------
// ORT's C++ logger writes through Emscripten's out()/err(), which bind console.log/error when the
// wasm module is instantiated, at the first session creation. So console is patched around every
// session creation (withConsoleCapture) and restored after: the wrappers bound at instantiation
// keep reading `capture`, so the "placed on [...]" lines written while a later session is created
// are captured too, and ORT's verbose lines stay out of the console; nothing else is filtered.
const capture = { on: false, lines: [] as string[], inShader: false };
const CONSOLE_KEYS = ['log', 'info', 'warn', 'error', 'debug'] as const;

function capturing(orig: (...args: unknown[]) => void): (...args: unknown[]) => void {
  return (...args: unknown[]) => {
    const line = args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ');
    if (capture.on) capture.lines.push(line);
    // With verbose logging the WebGPU EP dumps every shader it compiles (at the first run).
    if (line.includes('=== WebGPU Shader code')) {
      capture.inShader = !/End ===/.test(line);
      return;
    }
    if (capture.inShader) return;
    // Verbose/info ORT lines are only wanted while capturing; keep the console readable.
    if (/^\[?[VI]:onnxruntime|^\d{4}-\d\d-\d\d .*\[[VI]:onnxruntime/.test(line)) return;
    orig(...args);
  };
}

/**
 * Runs `f` with console patched (the lines written meanwhile go to capture.lines when `on`), then
 * restores console, also when `f` throws.
 */
let saved: Array<(...args: unknown[]) => void> | null = null;
async function withConsoleCapture<T>(on: boolean, f: () => Promise<T>): Promise<T> {
  // Sessions are created one at a time; an overlapping call would find console already patched.
  const outer = saved === null;
  if (outer) {
    const orig = CONSOLE_KEYS.map((k) => console[k]);
    saved = orig;
    CONSOLE_KEYS.forEach((k, i) => (console[k] = capturing(orig[i].bind(console))));
    capture.lines = [];
  }
  capture.on = on;
  try {
    return await f();
  } finally {
    capture.on = false;
    if (outer && saved) {
      const orig = saved;
      CONSOLE_KEYS.forEach((k, i) => (console[k] = orig[i]));
      saved = null;
    }
  }
}

let configured = false;

/** Global ORT settings; once, before the first session. */
export function configureOrt(base: string, maxThreads = Infinity): number {
  const threads = Math.min(maxThreads, globalThis.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1);
  if (!configured) {
    // Local files only: nothing may leave the origin (no CDN).
    ort.env.wasm.wasmPaths = new URL('ort/', base).href;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = false; // already in a worker
    ort.env.logLevel = 'warning';
    configured = true;
  }
  return threads;
}

export interface SrSession {
  ep: EpName;
  allNodesOnEp: boolean | null;
  placement: string;
  run(lr: RgbImage, scale: number): Promise<RgbImage>;
  release(): Promise<void>;
}

export async function createSrSession(bytes: Uint8Array, ep: EpName): Promise<SrSession> {
  const opts: ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: 'all',
    // Without the arena, a tile's activations go back to the allocator after each run instead of
    // staying reserved for the session's lifetime (three sessions, one per scale).
    enableCpuMemArena: false,
  };
  // Node placement is read from ORT's verbose log, on WebGPU only (wasm runs every node itself).
  if (ep === 'webgpu') {
    opts.logSeverityLevel = 0;
    ort.env.logLevel = 'verbose';
  }
  const session = await withConsoleCapture(ep === 'webgpu', async () => {
    try {
      return await ort.InferenceSession.create(bytes, opts);
    } finally {
      ort.env.logLevel = 'warning';
    }
  });
  if (!session.inputNames.includes('lr') || !session.outputNames.includes('sr')) {
    await session.release();
    throw new Error(`model must have input 'lr' and output 'sr' (has ${session.inputNames} -> ${session.outputNames})`);
  }
  const { allNodesOnEp, placement } = parsePlacement(ep, capture.lines);
  capture.lines = [];
  return {
    ep,
    allNodesOnEp,
    placement,
    async run(lr, scale) {
      const { width: w, height: h } = lr;
      const input = new ort.Tensor('float32', lr.data.length === 3 * w * h ? lr.data : lr.data.slice(0, 3 * w * h), [1, 3, h, w]);
      const out = await session.run({ lr: input }, { logSeverityLevel: 3 });
      const sr = out.sr;
      const [, c, oh, ow] = sr.dims as number[];
      if (c !== 3 || oh !== h * scale || ow !== w * scale) throw new Error(`model output ${sr.dims} does not match x${scale} of ${w}×${h}`);
      // getData() already copies out of the wasm heap; no second copy.
      const data = (await sr.getData()) as Float32Array;
      sr.dispose();
      return { width: ow, height: oh, data };
    },
    release: () => session.release(),
  };
}
