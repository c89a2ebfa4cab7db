/**
 * npm run results:table [-- --dir models/eval] [--write README.md,models/README.md]
 * Prints the markdown results table (Y-PSNR / SSIM per set and scale) from the JSON files that
 * `npm run eval -- --json` wrote (models/eval/bitsr-xS.json and bicubic-xS.json), next to the
 * paper's VDSR-BTM / VDSR-IBTM numbers (PAPER.md), then the distance to VDSR-IBTM and to the
 * project's floors. --write replaces the `<!-- results:begin/end -->` and
 * `<!-- distance:begin/end -->` blocks of the given markdown files with the same text.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, runCli, str } from './args';

// PAPER.md, "The paper's numbers" (binary VDSR, Set5 / Set14 / B100).
const PAPER: Record<string, Record<number, [number, number, number]>> = {
  'VDSR-BTM': { 2: [37.06, 32.72, 31.53], 4: [30.83, 27.76, 27.03] },
  'VDSR-IBTM': { 2: [37.24, 32.82, 31.6], 3: [33.23, 29.6, 28.6], 4: [31.06, 27.85, 27.07] },
};
// The project's acceptance floors (issue 8), Set5 / Set14 / B100; null = no floor.
const FLOORS: Record<number, [number, number, number | null]> = {
  2: [35.9, 31.9, 31.0],
  3: [32.0, 28.6, null],
  4: [29.9, 26.95, 26.55],
};
const SETS = ['Set5', 'Set14', 'B100'];

interface EvalJson {
  sets: Array<{ name: string; psnr: number; ssim: number }>;
}

const fmt = (v: number) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(2);

await runCli('usage: npm run results:table [-- --dir models/eval] [--write <file.md>[,<file.md>]]', () => {
  const a = parseArgs(process.argv.slice(2), { options: ['dir', 'write'] });
  const dir = str(a, 'dir', 'models/eval');
  const read = (f: string): EvalJson | undefined => (existsSync(join(dir, f)) ? JSON.parse(readFileSync(join(dir, f), 'utf8')) : undefined);
  const psnr = (r: EvalJson | undefined, set: string) => r?.sets.find((x) => x.name === set)?.psnr;
  const cell = (r: EvalJson | undefined, set: string) => {
    const s = r?.sets.find((x) => x.name === set);
    return s ? `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` : '-';
  };
  const table: string[] = [`| scale | model | ${SETS.join(' | ')} |`, `|---|---|${SETS.map(() => '---').join('|')}|`];
  const dist: string[] = [];
  const short: string[] = [];
  const met: string[] = [];
  for (const s of [2, 3, 4]) {
    const ours = read(`bitsr-x${s}.json`);
    const bic = read(`bicubic-x${s}.json`);
    if (!ours && !bic) continue;
    table.push(`| x${s} | bicubic | ${SETS.map((n) => cell(bic, n)).join(' | ')} |`);
    if (ours) {
      const gain = SETS.map((n) => {
        const o = psnr(ours, n);
        const b = psnr(bic, n);
        return o !== undefined && b !== undefined ? ` (${fmt(o - b)})` : '';
      });
      table.push(`| x${s} | **bitsr-x${s}** | ${SETS.map((n, i) => `**${cell(ours, n)}**${gain[i]}`).join(' | ')} |`);
      const ibtm = PAPER['VDSR-IBTM'][s];
      dist.push(`x${s} ${SETS.map((n, i) => fmt((psnr(ours, n) ?? NaN) - ibtm[i])).join(' / ')} dB`);
      // Compare at the printed precision, so the verdict matches the table.
      const need = FLOORS[s].map((f, i) => (f === null ? null : Math.max(0, f - Number((psnr(ours, SETS[i]) ?? -Infinity).toFixed(2)))));
      if (need.some((v) => v !== null && v > 1e-9)) short.push(`x${s} ${need.filter((v) => v !== null).map((v) => `+${v!.toFixed(2)}`).join(' / ')}`);
      else met.push(`x${s}`);
    }
    for (const [name, rows] of Object.entries(PAPER)) {
      const r = rows[s];
      if (r) table.push(`| x${s} | ${name} (paper) | ${r.map((v) => v.toFixed(2)).join(' | ')} |`);
    }
  }
  const floorText = [
    met.length ? `${met.join(', ')} ${met.length === 1 ? 'meets' : 'meet'} all of ${met.length === 1 ? 'its' : 'their'} floors (issue 8).` : '',
    short.length ? `Still short of the floors (issue 8), dB needed: ${short.join(', ')}.` : '',
  ].filter(Boolean).join(' ');
  const distance = `**Distance from the paper's VDSR-IBTM** (Set5 / Set14 / B100): ${dist.join(', ')}. ${floorText}`;
  console.log(table.join('\n'));
  console.log('\n' + distance);
  if (typeof a.write === 'string') {
    for (const f of a.write.split(',').filter(Boolean)) {
      let md = readFileSync(f, 'utf8');
      const put = (tag: string, body: string) => {
        const re = new RegExp(`(<!-- ${tag}:begin -->\\n)[\\s\\S]*?(<!-- ${tag}:end -->)`);
        if (re.test(md)) md = md.replace(re, (_m, b: string, e: string) => `${b}${body}\n${e}`);
      };
      put('results', table.join('\n'));
      put('distance', distance);
      writeFileSync(f, md);
      console.error(`updated ${f}`);
    }
  }
});
