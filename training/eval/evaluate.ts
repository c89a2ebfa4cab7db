/** The evaluation protocol (PAPER.md): mod-crop -> MATLAB bicubic down -> model -> Y-PSNR/SSIM. */
import { join, parse } from 'node:path';
import { imresize } from '../../src/core/imresize';
import { modCrop, quantize8, type RgbImage } from '../../src/core/image';
import { evaluate } from '../../src/core/metrics';
import { readImage, writePng } from '../io/imageIO';
import { listImageSet } from './datasets';

export type Upscaler = (lr: RgbImage) => Promise<RgbImage>;

export interface SetResult {
  name: string;
  images: number;
  psnr: number;
  ssim: number;
  perImage: Array<{ name: string; psnr: number; ssim: number }>;
}

/** The LR input the protocol feeds every model: 8-bit MATLAB bicubic of the mod-cropped HR. */
export function makeLr(hr: RgbImage, scale: number): RgbImage {
  return quantize8(imresize(hr, 1 / scale));
}

export const bicubicUpscaler = (scale: number): Upscaler => async (lr) => imresize(lr, scale);

export async function evaluateSet(dir: string, scale: number, upscale: Upscaler, saveDir?: string): Promise<SetResult> {
  const set = listImageSet(dir);
  const perImage: SetResult['perImage'] = [];
  for (const file of set.files) {
    const hr = modCrop(readImage(file), scale);
    const sr = await upscale(makeLr(hr, scale));
    const m = evaluate(sr, hr, scale);
    perImage.push({ name: parse(file).name, ...m });
    if (saveDir) writePng(join(saveDir, set.name, `${parse(file).name}_x${scale}.png`), sr);
  }
  const mean = (k: 'psnr' | 'ssim') => perImage.reduce((s, r) => s + r[k], 0) / perImage.length;
  return { name: set.name, images: perImage.length, psnr: mean('psnr'), ssim: mean('ssim'), perImage };
}
