/** npm run eval -- --model <file.onnx|bicubic> --scale <2|3|4> --sets <dir>[,<dir>...] [--json out] [--save dir] */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bicubicUpscaler, evaluateSet, type SetResult, type Upscaler } from '../eval/evaluate';
import { loadOnnxSr } from '../eval/onnxModel';
import { int, parseArgs, runCli, str, UsageError } from './args';

const USAGE = `usage: npm run eval -- --model <file.onnx|bicubic> --scale <2|3|4> --sets <dir>[,<dir>...] [--json <out.json>] [--save <dir>] [--threads N]
  Each set dir holds HR images directly or under HR/. Per image: mod-crop, MATLAB bicubic
  downscale, the model, then Y-PSNR/SSIM with 'scale' pixels shaved (PAPER.md protocol).`;

await runCli(USAGE, async () => {
  const args = parseArgs(process.argv.slice(2), { options: ['model', 'scale', 'sets', 'json', 'save', 'threads'] });
  const model = str(args, 'model');
  const scale = int(args, 'scale');
  if (![2, 3, 4].includes(scale)) throw new UsageError(`--scale must be 2, 3 or 4 (got ${scale})`);
  const sets = str(args, 'sets').split(',').filter(Boolean);
  if (sets.length === 0) throw new UsageError('--sets needs at least one directory');
  const saveDir = typeof args.save === 'string' ? args.save : undefined;

  let upscale: Upscaler;
  let release = async () => {};
  if (model === 'bicubic') upscale = bicubicUpscaler(scale);
  else {
    const m = await loadOnnxSr(model, { threads: typeof args.threads === 'string' ? int(args, 'threads') : undefined });
    if (m.scale !== scale) throw new Error(`model ${model} is x${m.scale}, but --scale is ${scale}`);
    upscale = (lr) => m.run(lr);
    release = () => m.release();
  }
  const results: SetResult[] = [];
  console.log(`model ${model}, x${scale}`);
  console.log('set'.padEnd(12) + 'images'.padStart(7) + 'PSNR'.padStart(9) + 'SSIM'.padStart(9));
  for (const dir of sets) {
    const r = await evaluateSet(dir, scale, upscale, saveDir);
    results.push(r);
    console.log(r.name.padEnd(12) + String(r.images).padStart(7) + r.psnr.toFixed(2).padStart(9) + r.ssim.toFixed(4).padStart(9));
  }
  await release();
  if (typeof args.json === 'string') {
    mkdirSync(dirname(args.json), { recursive: true });
    writeFileSync(args.json, JSON.stringify({ model, scale, sets: results }, null, 2) + '\n');
  }
});
