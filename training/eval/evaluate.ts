/** The evaluation protocol (docs/protocol.md): mod-crop -> MATLAB bicubic down -> model -> Y-PSNR/SSIM. */
import { basename, join, parse } from 'node:path';
import { imresize } from '../../src/core/imresize';
import { modCrop, type RgbImage } from '../../src/core/image';
import { evaluate } from '../../src/core/metrics';
import { makeLr } from '../../src/core/protocol';
import { evalMinSide, evalSizeError } from '../../src/core/sizes';
import { readImage, writePng } from '../io/imageIO';
import { listImageSet } from './datasets';

export type Upscaler = (lr: RgbImage) => Promise<RgbImage>;

/** One image (or a whole set, file null) that could not be evaluated; the rest of the run goes on. */
export interface EvalFailure {
  set: string;
  file: string | null;
  error: string;
}

export const formatFailure = (f: EvalFailure): string => `${f.set}${f.file ? `/${f.file}` : ''}: ${f.error}`;

export interface SetResult {
  name: string;
  /** Images measured (failures excluded); psnr/ssim are their means (NaN when none). */
  images: number;
  psnr: number;
  ssim: number;
  perImage: Array<{ name: string; psnr: number; ssim: number }>;
  failures: EvalFailure[];
}

/** The LR input the protocol feeds every model (src/core/protocol.ts, the app's too). */
export { makeLr };

export const bicubicUpscaler = (scale: number): Upscaler => async (lr) => imresize(lr, scale);

/** Smallest HR side the protocol can measure at `scale` (src/core/sizes: the app refuses the same). */
export const minImageSide = evalMinSide;

/** Why an HR image of this size cannot be evaluated at `scale`, or null when it can. */
export function sizeProblem(width: number, height: number, scale: number): string | null {
  const e = evalSizeError(width, height, scale);
  return e && `too small: ${e}`;
}

/** readImage, with the path taken out of its errors (the caller names the file as set/file). */
function readHr(file: string): RgbImage {
  try {
    return readImage(file);
  } catch (e) {
    throw new Error((e as Error).message.replaceAll(` ${file}`, ''));
  }
}

/** Evaluates every image of a set; an image that fails is recorded in `failures` and the others go on. */
export async function evaluateSet(dir: string, scale: number, upscale: Upscaler, saveDir?: string): Promise<SetResult> {
  const set = listImageSet(dir);
  const perImage: SetResult['perImage'] = [];
  const failures: EvalFailure[] = [];
  for (const file of set.files) {
    try {
      const full = readHr(file);
      const problem = sizeProblem(full.width, full.height, scale);
      if (problem) throw new Error(problem);
      const hr = modCrop(full, scale);
      const sr = await upscale(makeLr(hr, scale));
      const m = evaluate(sr, hr, scale);
      perImage.push({ name: parse(file).name, ...m });
      if (saveDir) writePng(join(saveDir, set.name, `${parse(file).name}_x${scale}.png`), sr);
    } catch (e) {
      failures.push({ set: set.name, file: basename(file), error: (e as Error).message.split('\n')[0] });
    }
  }
  const mean = (k: 'psnr' | 'ssim') => (perImage.length ? perImage.reduce((s, r) => s + r[k], 0) / perImage.length : NaN);
  return { name: set.name, images: perImage.length, psnr: mean('psnr'), ssim: mean('ssim'), perImage, failures };
}
