/** A tiny generated training set (smooth colour patterns as PNGs) for trainer tests. */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createImage } from '../../src/core/image';
import { writePng } from '../../training/io/imageIO';

export function makeTrainDir(count = 3, size = 48): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitsr-train-'));
  mkdirSync(join(dir, 'HR'));
  for (let k = 0; k < count; k++) {
    const img = createImage(size, size);
    const n = size * size;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++)
          img.data[c * n + y * size + x] = 0.5 + 0.4 * Math.sin((x * (k + 1)) / 5 + c) * Math.cos((y * (c + 1)) / 7 + k);
    writePng(join(dir, 'HR', `img${k}.png`), img);
  }
  return dir;
}
