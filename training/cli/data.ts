/**
 * npm run data -- --dest <dir> [--sets div2k,set5,set14,b100,urban100] [--base-url <url>] [--with-lr]
 * Thin wrapper: parses arguments, runs fetchSets, prints expected failures as one line.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CATALOGUE_ENV, loadCatalogue } from '../data/fetch/catalogue.js';
import { DataError } from '../data/fetch/errors.js';
import { fetchSets } from '../data/fetch/fetchSets.js';
import type { ProgressSink } from '../data/fetch/progress.js';

function usage(): string {
  let sets = '';
  try {
    const cat = loadCatalogue();
    sets = Object.keys(cat.sets).map((s) => (cat.defaultSets.includes(s) ? s : `${s} (not default)`)).join(', ');
  } catch {
    sets = '(catalogue unreadable)';
  }
  return `Usage: npm run data -- --dest <dir> [options]

Downloads, verifies (SHA-256 / image checks) and unpacks SR datasets into <dir>/<Set>/HR/*.png.
Interrupted downloads resume; finished sets are skipped.

Options:
  --dest <dir>         destination folder (required)
  --sets <a,b,...>     sets to fetch (default: all default sets); available: ${sets}
  --with-lr            also fetch the bicubic LR images (<dir>/<Set>/LR_bicubic/X2..X4)
  --base-url <url>     fetch every archive as <url>/<archive file name> (mirror, proxy, cache)
  --delete-archives    delete downloaded archives (<dir>/downloads) once unpacked
  --catalogue <file>   alternate catalogue JSON (default: $${CATALOGUE_ENV} or training/data/checksums.json)
  -h, --help           show this help
`;
}

/** Returns the exit code instead of exiting, so tests can call it in-process. */
export async function main(argv: string[], stderr: ProgressSink = process.stderr, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  // --help wins over anything else on the line (even an unknown option).
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout.write(usage());
    return 0;
  }
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        dest: { type: 'string' },
        sets: { type: 'string' },
        'with-lr': { type: 'boolean' },
        'base-url': { type: 'string' },
        'delete-archives': { type: 'boolean' },
        catalogue: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (!values.dest) throw new DataError('--dest <dir> is required (see --help)');
    const report = await fetchSets({
      dest: values.dest,
      sets: values.sets?.split(',').filter((s) => s.trim() !== ''),
      withLr: values['with-lr'],
      baseUrl: values['base-url'],
      deleteArchives: values['delete-archives'],
      catalogue: values.catalogue,
      stderr,
    });
    stderr.write(`done: ${report.fetched.length} fetched${report.fetched.length ? ` (${report.fetched.join(', ')})` : ''}, ${report.skipped.length} already complete\n`);
    return 0;
  } catch (err) {
    // parseArgs' own errors (unknown option, missing value) are user errors too.
    const badArgs = (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ?? false;
    const expected = err instanceof DataError || badArgs;
    const nl = stderr.isTTY ? '\r\x1b[K' : ''; // erase a half-drawn progress bar
    stderr.write(expected ? `${nl}error: ${(err as Error).message}\n` : `${nl}${(err as Error).stack ?? String(err)}\n`);
    if (badArgs) stderr.write(usage());
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) process.exitCode = await main(process.argv.slice(2));
