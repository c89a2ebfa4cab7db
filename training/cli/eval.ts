/** npm run eval -- --model <file.onnx|bicubic> --scale <2|3|4> --sets <dir>[,<dir>...] [--json out] [--save dir] [--threads N] [--engine ort|xnor] */
import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { bicubicUpscaler, evaluateSet, formatFailure, minImageSide, type EvalFailure, type SetResult, type Upscaler } from '../eval/evaluate';
import { loadOnnxSr } from '../eval/onnxModel';
import { loadXnorSr } from '../eval/xnorModel';
import { existingDir, existingFile, isMain, list, oneOf, optional, optStr, positiveInt, runCli, str, UsageError, writableDir, writableFilePath, type Args } from './args';

const USAGE = `usage: npm run eval -- --model <file.onnx|bicubic> --scale <2|3|4> --sets <dir>[,<dir>...] [--json <out.json>] [--save <dir>] [--threads N] [--engine ort|xnor]
  --engine: onnxruntime-node (ort, the default) or bitsr's binary engine (xnor: XNOR/popcount
  WebAssembly kernels, the app's xnor-wasm engine; --threads N worker threads, default 1).
  Each set dir holds HR images directly or under HR/. Per image: mod-crop, MATLAB bicubic
  downscale, the model, then Y-PSNR/SSIM with 'scale' pixels shaved (docs/protocol.md).
  An image that cannot be evaluated (unreadable, too small: sides >= 16/18/20 px at x2/x3/x4)
  is reported by name and the rest go on; the run then exits 1. --json gets what was measured
  plus a 'failures' list.`;

export const EVAL_SPEC = { options: ['model', 'scale', 'sets', 'json', 'save', 'threads', 'engine'] };

export interface EvalArgs {
  model: string;
  scale: 2 | 3 | 4;
  sets: string[];
  json?: string;
  save?: string;
  threads?: number;
  engine: 'ort' | 'xnor';
}

/** All of eval's argument checks, before any work: a bad output path fails now, not after the evaluation. */
export function validateEvalArgs(a: Args): EvalArgs {
  const model = str(a, 'model');
  const scale = oneOf(a, 'scale', [2, 3, 4] as const);
  const threads = optional(a, 'threads', positiveInt);
  const engine = oneOf(a, 'engine', ['ort', 'xnor'] as const, 'ort');
  if (engine === 'xnor' && model === 'bicubic') throw new UsageError('--engine xnor needs a model file, not bicubic');
  if (model !== 'bicubic') existingFile('--model', model);
  const sets = list(a, 'sets').map((d) => existingDir('--sets', d));
  const json = optStr(a, 'json');
  if (json !== undefined) writableFilePath('--json', json);
  const save = optStr(a, 'save');
  if (save !== undefined) writableDir('--save', save);
  return { model, scale, sets, json, save, threads, engine };
}

async function main(a: Args): Promise<void> {
  const { model, scale, sets, json, save, threads, engine } = validateEvalArgs(a);
  let upscale: Upscaler;
  let release = async () => {};
  if (model === 'bicubic') upscale = bicubicUpscaler(scale);
  else {
    const m = engine === 'xnor' ? await loadXnorSr(model, { threads }) : await loadOnnxSr(model, { threads });
    if (m.scale !== scale) {
      await m.release();
      throw new Error(`model ${model} is x${m.scale}, but --scale is ${scale}`);
    }
    upscale = (lr) => m.run(lr);
    release = () => m.release();
  }
  const results: SetResult[] = [];
  const failures: EvalFailure[] = [];
  console.log(`model ${model}, x${scale}${model === 'bicubic' ? '' : `, engine ${engine}`}`);
  console.log('set'.padEnd(12) + 'images'.padStart(7) + 'PSNR'.padStart(9) + 'SSIM'.padStart(9));
  try {
    for (const dir of sets) {
      let r: SetResult;
      try {
        r = await evaluateSet(dir, scale, upscale, save);
      } catch (e) {
        // The set itself is unusable (e.g. no images): reported like an image, the other sets go on.
        const f = { set: basename(resolve(dir)), file: null, error: (e as Error).message };
        failures.push(f);
        console.error(formatFailure(f));
        continue;
      }
      for (const f of r.failures) console.error(formatFailure(f));
      failures.push(...r.failures);
      const fail = r.failures.length ? `  (${r.failures.length} failed)` : '';
      if (r.images) results.push(r);
      console.log(r.name.padEnd(12) + String(r.images).padStart(7) + (r.images ? r.psnr.toFixed(2).padStart(9) + r.ssim.toFixed(4).padStart(9) : '-'.padStart(9) + '-'.padStart(9)) + fail);
    }
  } finally {
    await release();
  }
  if (json !== undefined) {
    // Sets with no measured image are left out of `sets` (results:table and export read every entry's numbers).
    const sets = results.map(({ failures: _f, ...s }) => s);
    writeFileSync(json, JSON.stringify({ model, scale, engine, sets, failures }, null, 2) + '\n');
  }
  if (failures.length) {
    const small = failures.some((f) => f.error.includes('too small')) ? ` (x${scale} needs sides of at least ${minImageSide(scale)} px)` : '';
    const n = failures.length;
    throw new Error(`${n} ${n === 1 ? 'failure' : 'failures'} (listed above)${small}${json ? `; ${json} has what was measured` : ''}`);
  }
}

if (isMain(import.meta.url)) await runCli(USAGE, EVAL_SPEC, main);
