/** Test images: Set5 baby.png when ../shared/data is present, else a generated one; a small one for WebGPU. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { BENCH } from '../helpers/sharedData';

const dir = join(tmpdir(), 'bitsr-e2e-images');

/** A deterministic RGB test pattern (smooth + edges), so PSNRs are meaningful. */
export function generatedPng(w: number, h: number, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${w}x${h}.png`);
  if (existsSync(file)) return file;
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      png.data[i] = 128 + 100 * Math.sin(x / 5);
      png.data[i + 1] = 128 + 100 * Math.cos(y / 7);
      png.data[i + 2] = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
      png.data[i + 3] = 255;
    }
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

export function babyPng(): { path: string; generated: boolean } {
  const p = join(BENCH, 'Set5/HR/baby.png');
  return existsSync(p) ? { path: p, generated: false } : { path: generatedPng(256, 256, 'baby-standin'), generated: true };
}
