/** Tiny argument parser shared by the CLIs: `--key value`, `--flag`, `--key=value`. */
export type Args = Record<string, string | boolean>;

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: { flags?: string[]; options: string[] }): Args {
  const out: Args = {};
  const flags = new Set(['help', ...(spec.flags ?? [])]);
  const options = new Set(spec.options);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (flags.has(key)) out[key] = true;
    else if (options.has(key)) {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${key} needs a value`);
      out[key] = v;
    } else throw new UsageError(`unknown option --${key}`);
  }
  return out;
}

export function str(args: Args, key: string, fallback?: string): string {
  const v = args[key];
  if (typeof v === 'string') return v;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`--${key} is required`);
}

export function int(args: Args, key: string, fallback?: number): number {
  const v = args[key];
  if (v === undefined && fallback !== undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n)) throw new UsageError(`--${key} must be an integer`);
  return n;
}

/** Run a CLI main: expected errors print one line and exit 1; --help prints usage. */
export async function runCli(usage: string, main: () => Promise<void> | void): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return;
  }
  try {
    await main();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`error: ${msg}`);
    if (e instanceof UsageError) console.error(usage);
    if (process.env.BITSR_DEBUG) console.error(e);
    process.exitCode = 1;
  }
}
