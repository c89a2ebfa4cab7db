/**
 * npm run results:table [-- --dir models/eval]
 * Prints the markdown results table (Y-PSNR / SSIM per set and scale) from the JSON files that
 * `npm run eval -- --json` wrote (models/eval/bitsr-xS.json and bicubic-xS.json), next to the
 * paper's VDSR-BTM / VDSR-IBTM numbers (PAPER.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, runCli, str } from './args';

// PAPER.md, "The paper's numbers" (binary VDSR, Set5 / Set14 / B100).
const PAPER: Record<string, Record<number, [number, number, number]>> = {
  'VDSR-BTM': { 2: [37.06, 32.72, 31.53], 4: [30.83, 27.76, 27.03] },
  'VDSR-IBTM': { 2: [37.24, 32.82, 31.6], 3: [33.23, 29.6, 28.6], 4: [31.06, 27.85, 27.07] },
};
const SETS = ['Set5', 'Set14', 'B100'];

interface EvalJson {
  sets: Array<{ name: string; psnr: number; ssim: number }>;
}

await runCli('usage: npm run results:table [-- --dir models/eval]', () => {
  const a = parseArgs(process.argv.slice(2), { options: ['dir'] });
  const dir = str(a, 'dir', 'models/eval');
  const read = (f: string): EvalJson | undefined => (existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : undefined);
  const cell = (r: EvalJson | undefined, set: string) => {
    const s = r?.sets.find((x) => x.name === set);
    return s ? `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` : '-';
  };
  console.log(`| scale | model | ${SETS.join(' | ')} |`);
  console.log(`|---|---|${SETS.map(() => '---').join('|')}|`);
  for (const s of [2, 3, 4]) {
    const ours = read(`bitsr-x${s}.json`);
    const bic = read(`bicubic-x${s}.json`);
    if (!ours && !bic) continue;
    console.log(`| x${s} | bicubic | ${SETS.map((n) => cell(bic, n)).join(' | ')} |`);
    if (ours) {
      const gain = SETS.map((n) => {
        const o = ours.sets.find((x) => x.name === n);
        const b = bic?.sets.find((x) => x.name === n);
        return o && b ? ` (+${(o.psnr - b.psnr).toFixed(2)})` : '';
      });
      console.log(`| x${s} | **bitsr-x${s}** | ${SETS.map((n, i) => `**${cell(ours, n)}**${gain[i]}`).join(' | ')} |`);
    }
    for (const [name, rows] of Object.entries(PAPER)) {
      const r = rows[s];
      if (r) console.log(`| x${s} | ${name} (paper) | ${r.map((v) => v.toFixed(2)).join(' | ')} |`);
    }
  }
});
