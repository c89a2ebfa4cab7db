/** One-off generator of public/icons/*.png (npx tsx tests/e2e/makeIcons.ts). */
import { PNG } from 'pngjs';
import { writeFileSync } from 'node:fs';
for (const size of [192, 512]) {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    // dark tile with a 4x4 checker of "bits" (binary weights), blue/white
    const cell = Math.floor((x / size) * 4) + Math.floor((y / size) * 4);
    const m = size * 0.12;
    const inside = x > m && y > m && x < size - m && y < size - m;
    const on = inside && cell % 2 === 0;
    const [r, g, b] = !inside ? [17, 21, 31] : on ? [110, 168, 254] : [230, 233, 239];
    png.data[i] = r; png.data[i + 1] = g; png.data[i + 2] = b; png.data[i + 3] = 255;
  }
  writeFileSync(`/work/main/public/icons/icon-${size}.png`, PNG.sync.write(png));
}
