/**
 * npm run results:table [-- --dir models/eval] [--write README.md,models/README.md]
 * Prints the markdown results table (Y-PSNR / SSIM per set and scale) from the JSON files that
 * `npm run eval -- --json` wrote (models/eval/bitsr-xS.json and bicubic-xS.json), next to the
 * paper's VDSR-BTM / VDSR-IBTM numbers (docs/method.md), then the distance to VDSR-IBTM and to the
 * project's floors. --write replaces the `<!-- results:begin/end -->` and
 * `<!-- distance:begin/end -->` blocks of the given markdown files with the same text.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { existingDir, existingFile, isMain, list, runCli, str, writableFilePath, type Args } from './args';

// docs/method.md, "The paper's numbers" (binary VDSR, Set5 / Set14 / B100).
const PAPER: Record<string, Record<number, [number, number, number]>> = {
  'VDSR-BTM': { 2: [37.06, 32.72, 31.53], 4: [30.83, 27.76, 27.03] },
  'VDSR-IBTM': { 2: [37.24, 32.82, 31.6], 3: [33.23, 29.6, 28.6], 4: [31.06, 27.85, 27.07] },
};
// The project's acceptance floors, Set5 / Set14 / B100; null = no floor.
const FLOORS: Record<number, [number, number, number | null]> = {
  2: [35.9, 31.9, 31.0],
  3: [32.0, 28.6, null],
  4: [29.9, 26.95, 26.55],
};
const SETS = ['Set5', 'Set14', 'B100'];

interface EvalJson {
  sets: Array<{ name: string; psnr: number; ssim: number }>;
  failures?: unknown[];
}

const fmt = (v: number) => (v >= 0 ? '+' : '−') + Math.abs(v).toFixed(2);

const USAGE = `usage: npm run results:table [-- --dir models/eval] [--write <file.md>[,<file.md>]]
  Prints the results table from the eval JSON files in --dir; --write replaces the marked
  results/distance blocks of existing markdown files.`;

export const RESULTS_SPEC = { options: ['dir', 'write'] };

/** All of results:table's argument checks, before anything is read or written. */
export function validateResultsArgs(a: Args): { dir: string; write: string[] } {
  const dir = existingDir('--dir', str(a, 'dir', 'models/eval'));
  const write = a.write === undefined ? [] : list(a, 'write').map((f) => writableFilePath('--write', existingFile('--write', f)));
  return { dir, write };
}

function readEvalJson(path: string): EvalJson | undefined {
  if (!existsSync(path)) return undefined;
  let r: EvalJson;
  try {
    r = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path} is not JSON (${(e as Error).message})`);
  }
  const ok = Array.isArray(r?.sets) && r.sets.every((s) => typeof s?.name === 'string' && typeof s.psnr === 'number' && typeof s.ssim === 'number');
  if (!ok) throw new Error(`${path} is not an 'npm run eval -- --json' file (needs sets with name, psnr, ssim)`);
  if (r.failures?.length) console.error(`warning: ${path} lists ${r.failures.length} failed images; its numbers leave them out`);
  return r;
}

if (isMain(import.meta.url)) await runCli(USAGE, RESULTS_SPEC, (a) => {
  const { dir, write } = validateResultsArgs(a);
  const read = (f: string): EvalJson | undefined => readEvalJson(join(dir, f));
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
  if (table.length === 2) throw new Error(`no eval results in ${dir} (expected bitsr-x{2,3,4}.json or bicubic-x{2,3,4}.json from 'npm run eval -- --json')`);
  const floorText = [
    met.length ? `${met.join(', ')} ${met.length === 1 ? 'meets' : 'meet'} all of ${met.length === 1 ? 'its' : 'their'} floors.` : '',
    short.length ? `Still short of the floors, dB needed: ${short.join(', ')}.` : '',
  ].filter(Boolean).join(' ');
  const distance = `**Distance from the paper's VDSR-IBTM** (Set5 / Set14 / B100): ${dist.join(', ')}. ${floorText}`;
  console.log(table.join('\n'));
  console.log('\n' + distance);
  for (const f of write) {
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
});
