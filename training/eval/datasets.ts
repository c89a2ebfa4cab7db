/** Benchmark/training folders: a dir of HR images, directly or under HR/. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { isImagePath } from '../io/imageIO';

export interface ImageSet {
  name: string;
  dir: string;
  files: string[];
}

export function listImageSet(dir: string): ImageSet {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new Error(`set directory not found: ${dir}`);
  const hr = join(abs, 'HR');
  const imgDir = existsSync(hr) && statSync(hr).isDirectory() ? hr : abs;
  const files = readdirSync(imgDir)
    .filter(isImagePath)
    .sort()
    .map((f) => join(imgDir, f));
  if (files.length === 0) throw new Error(`no images (png, jpg, bmp) in ${imgDir}`);
  return { name: basename(abs), dir: imgDir, files };
}
