/**
 * The Node pipeline's numbers for an image (the same protocol as `npm run eval`), via
 * onnxruntime-node. The file is read by training/io/imageIO.ts, the CLI's own decoder.
 */
import { join } from 'node:path';
import { modCrop } from '../../src/core/image';
import { evaluate } from '../../src/core/metrics';
import { readImage } from '../../training/io/imageIO';
import { makeLr } from '../../training/eval/evaluate';
import { loadXnorSr } from '../../training/eval/xnorModel';
import { loadOnnxSr } from '../../training/eval/onnxModel';

/** The CLI's numbers (`npm run eval`'s pipeline) for one image, with onnxruntime-node or the binary engine. */
export async function referenceMetrics(imagePath: string, modelsDir: string, engine: 'ort' | 'xnor' = 'ort'): Promise<Record<number, { psnr: number; ssim: number }>> {
  const out: Record<number, { psnr: number; ssim: number }> = {};
  for (const s of [2, 3, 4]) {
    const file = join(modelsDir, `bitsr-x${s}.onnx`);
    const model = engine === 'xnor' ? await loadXnorSr(file, { threads: 1 }) : await loadOnnxSr(file, { threads: 1 });
    const hr = modCrop(readImage(imagePath), s);
    const sr = await model.run(makeLr(hr, s));
    out[s] = evaluate(sr, hr, s);
    await model.release();
  }
  return out;
}
