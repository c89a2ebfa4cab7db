/** `npx tsx bench/table.ts bench/results/infer-<date>.json`: the README's markdown table. */
import { readFileSync } from 'node:fs';
import type { BenchReport } from './rows';

const r = JSON.parse(readFileSync(process.argv[2], 'utf8')) as BenchReport;
const f = (x: number | null, d: number) => (x === null ? '–' : x.toFixed(d));
const lines = [
  `Machine: ${String(r.machine.cpu)} (${String(r.machine.cores)} cores), ${String(r.machine.browser)}, ${String(r.machine.gpu)}. Models: ${String(r.config.models)}.`,
  '',
  '| method | backend | scale | images | median ms | median scale wall ms | MP/s out | Y-PSNR | SSIM | model bytes | peak JS heap MB |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...r.rows.map((x) => `| ${x.method} | ${x.backend} | x${x.scale} | ${x.images} | ${f(x.medianMs, 1)} | ${f(x.medianScaleWallMs ?? null, 1)} | ${f(x.outputMPixPerS, 3)} | ${f(x.psnr, 2)} | ${f(x.ssim, 4)} | ${x.modelBytes?.toLocaleString('en') ?? '–'} | ${f(x.peakJsHeapMB, 1)} |`),
  '',
  '| scale | bitsr-wasm vs | images | time ratio (bitsr ÷ peer) | speed ratio (MP/s) | ΔPSNR dB | ΔSSIM | size ratio |',
  '|---|---|---|---|---|---|---|---|',
  ...r.ratios.map((x) => `| x${x.scale} | ${x.peer} (${x.peerBackend}) | ${x.images} | ${f(x.timeRatio, 3)} | ${f(x.speedRatio, 2)} | ${f(x.psnrDelta, 2)} | ${f(x.ssimDelta, 4)} | ${f(x.sizeRatio, 3)} |`),
];
console.log(lines.join('\n'));
