/**
 * npm run results:table [-- --dir models/eval] [--write README.md,models/README.md]
 * Prints the markdown results table (Y-PSNR / SSIM per set and scale) from the JSON files that
 * `npm run eval -- --json` wrote (models/eval/bitsr-xS.json and bicubic-xS.json), next to the
 * paper's VDSR-BTM / VDSR-IBTM numbers (docs/method.md), then the distance to VDSR-IBTM and to the
 * project's floors. Full-tier models (bitsr-xS-full.json) get their own rows, their gain over the
 * lite model of the same scale, and their own floors. --write replaces the `<!-- results:begin/end -->` and
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
// The full tier's floors: today's lite models (x2 36.61 / 32.33 / 31.31, x3 32.54 / 29.12 / 28.30,
// x4 30.36 / 27.38 / 26.89) plus 0.30 / 0.20 / 0.10 dB.
const FULL_FLOORS: Record<number, [number, number, number]> = {
  2: [36.91, 32.53, 31.41],
  3: [32.84, 29.32, 28.4],
  4: [30.66, 27.58, 26.99],
};
const SETS = ['Set5', 'Set14', 'B100'];

export interface EvalJson {
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

const psnrOf = (r: EvalJson | undefined, set: string) => r?.sets.find((x) => x.name === set)?.psnr;

function cell(r: EvalJson | undefined, set: string): string {
  const s = r?.sets.find((x) => x.name === set);
  return s ? `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` : '-';
}

/** dB still needed per floor, compared at the printed precision so the verdict matches the table. */
function shortfall(r: EvalJson, floors: ReadonlyArray<number | null>): Array<number | null> {
  return floors.map((f, i) => (f === null ? null : Math.max(0, f - Number((psnrOf(r, SETS[i]) ?? -Infinity).toFixed(2)))));
}

/**
 * The results table's rows and the distance paragraph, from eval JSON files by name
 * (bitsr-xS.json, bitsr-xS-full.json, bicubic-xS.json; a missing file leaves its row out).
 */
export function resultsText(read: (file: string) => EvalJson | undefined): { table: string[]; distance: string } {
  const table: string[] = [`| scale | model | ${SETS.join(' | ')} |`, `|---|---|${SETS.map(() => '---').join('|')}|`];
  const dist: string[] = [];
  const short: string[] = [];
  const met: string[] = [];
  const gainOver = (r: EvalJson, base: EvalJson | undefined) =>
    SETS.map((n) => {
      const o = psnrOf(r, n);
      const b = psnrOf(base, n);
      return o !== undefined && b !== undefined ? ` (${fmt(o - b)})` : '';
    });
  const judge = (name: string, scale: number, r: EvalJson, floors: ReadonlyArray<number | null>) => {
    const ibtm = PAPER['VDSR-IBTM'][scale];
    dist.push(`${name} ${SETS.map((n, i) => fmt((psnrOf(r, n) ?? NaN) - ibtm[i])).join(' / ')} dB`);
    const need = shortfall(r, floors);
    if (need.some((v) => v !== null && v > 1e-9)) short.push(`${name} ${need.filter((v) => v !== null).map((v) => `+${v!.toFixed(2)}`).join(' / ')}`);
    else met.push(name);
  };
  for (const s of [2, 3, 4]) {
    const ours = read(`bitsr-x${s}.json`);
    const full = read(`bitsr-x${s}-full.json`);
    const bic = read(`bicubic-x${s}.json`);
    if (!ours && !full && !bic) continue;
    table.push(`| x${s} | bicubic | ${SETS.map((n) => cell(bic, n)).join(' | ')} |`);
    if (ours) {
      const gain = gainOver(ours, bic);
      table.push(`| x${s} | **bitsr-x${s}** | ${SETS.map((n, i) => `**${cell(ours, n)}**${gain[i]}`).join(' | ')} |`);
      judge(`x${s}`, s, ours, FLOORS[s]);
    }
    if (full) {
      // The full tier's gain is over the lite model of its scale (over bicubic when there is none).
      const gain = gainOver(full, ours ?? bic);
      table.push(`| x${s} | **bitsr-x${s}-full** | ${SETS.map((n, i) => `**${cell(full, n)}**${gain[i]}`).join(' | ')} |`);
      judge(`x${s}-full`, s, full, FULL_FLOORS[s]);
    }
    for (const [name, rows] of Object.entries(PAPER)) {
      const r = rows[s];
      if (r) table.push(`| x${s} | ${name} (paper) | ${r.map((v) => v.toFixed(2)).join(' | ')} |`);
    }
  }
  if (table.length === 2) return { table, distance: '' };
  const floorText = [
    met.length ? `${met.join(', ')} ${met.length === 1 ? 'meets' : 'meet'} all of ${met.length === 1 ? 'its' : 'their'} floors.` : '',
    short.length ? `Still short of the floors, dB needed: ${short.join(', ')}.` : '',
  ].filter(Boolean).join(' ');
  return { table, distance: `**Distance from the paper's VDSR-IBTM** (Set5 / Set14 / B100): ${dist.join(', ')}. ${floorText}` };
}

if (isMain(import.meta.url)) await runCli(USAGE, RESULTS_SPEC, (a) => {
  const { dir, write } = validateResultsArgs(a);
  const { table, distance } = resultsText((f) => readEvalJson(join(dir, f)));
  if (table.length === 2) throw new Error(`no eval results in ${dir} (expected bitsr-x{2,3,4}[-full].json or bicubic-x{2,3,4}.json from 'npm run eval -- --json')`);
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
