/**
 * The CLIs' shared argument handling: a tiny parser (`--key value`, `--key=value`, `--flag`),
 * validators that name the option and what it needs, and runCli (--help, one-line errors).
 * Every CLI validates all of its arguments and paths before it does any work.
 */
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Args = Record<string, string | boolean>;

export interface ArgSpec {
  flags?: string[];
  options: string[];
  /** Options that may be given more than once; their values are joined with ','. */
  repeated?: string[];
}

/** A bad command line: printed as one line plus the usage. */
export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: ArgSpec): Args {
  const out: Args = {};
  const flags = new Set(['help', ...(spec.flags ?? [])]);
  const options = new Set([...spec.options, ...(spec.repeated ?? [])]);
  const repeated = new Set(spec.repeated ?? []);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
    if (flags.has(key)) {
      if (inline !== undefined) throw new UsageError(`--${key} takes no value`);
      out[key] = true;
    } else if (options.has(key)) {
      const v = inline ?? argv[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${key} needs a value`);
      out[key] = repeated.has(key) && typeof out[key] === 'string' ? `${out[key]},${v}` : v;
    } else {
      const hint = nearest(key, [...flags, ...options]);
      throw new UsageError(`unknown option --${key}${hint ? `; did you mean --${hint}?` : ''}`);
    }
  }
  return out;
}

/** Levenshtein distance (small strings: option and config field names). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The closest known name, if close enough to be a plausible typo (case-insensitive). */
export function nearest(name: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(1, Math.floor(Math.min(name.length, best?.length ?? 0) / 3)) ? best : undefined;
}

export function str(args: Args, key: string, fallback?: string): string {
  const v = args[key];
  if (typeof v === 'string') {
    if (v === '') throw new UsageError(`--${key} must not be empty`);
    return v;
  }
  if (fallback !== undefined) return fallback;
  throw new UsageError(`--${key} is required`);
}

export function optStr(args: Args, key: string): string | undefined {
  return args[key] === undefined ? undefined : str(args, key);
}

/** A comma-separated list with at least one item. */
export function list(args: Args, key: string, fallback?: string): string[] {
  const items = str(args, key, fallback).split(',').filter(Boolean);
  if (items.length === 0) throw new UsageError(`--${key} needs at least one value`);
  return items;
}

function number(args: Args, key: string, what: string, ok: (n: number) => boolean, integer: boolean, fallback?: number): number {
  const v = args[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`--${key} is required`);
  }
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || !ok(n)) throw new UsageError(`--${key} must be ${what} (got '${v}')`);
  return n;
}

export const positiveInt = (args: Args, key: string, fallback?: number): number => number(args, key, 'a positive integer', (n) => n > 0, true, fallback);
export const positiveNumber = (args: Args, key: string, fallback?: number): number => number(args, key, 'a positive number', (n) => n > 0, false, fallback);

/** Optional variant: undefined when the option is absent. */
export function optional<T>(args: Args, key: string, parse: (args: Args, key: string) => T): T | undefined {
  return args[key] === undefined ? undefined : parse(args, key);
}

/** One of an enumeration (numbers are compared by value: --scale 2). */
export function oneOf<T extends string | number>(args: Args, key: string, allowed: readonly T[], fallback?: T): T {
  const v = args[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw new UsageError(`--${key} is required (${formatChoices(allowed)})`);
  const hit = allowed.find((a) => String(a) === v.trim());
  if (hit === undefined) throw new UsageError(`--${key} must be ${formatChoices(allowed)} (got '${v}')`);
  return hit;
}

export function formatChoices(allowed: readonly unknown[]): string {
  const s = allowed.map(String);
  return s.length === 1 ? s[0] : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}`;
}

// ---- paths: `flag` names the option in the message (e.g. '--sets') ----

export function existingDir(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: directory not found`);
  if (!statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: not a directory`);
  return path;
}

export function existingFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: file not found`);
  if (!statSync(path).isFile()) throw new UsageError(`${flag} ${path}: not a file`);
  return path;
}

/** A file or a directory that exists (e.g. a checkpoint file or a run dir). */
export function existingPath(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: not found`);
  return path;
}

const writable = (dir: string): boolean => {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/** An output file: not a directory, in an existing writable directory (checked up front, not after the work). */
export function writableFilePath(flag: string, path: string): string {
  if (existsSync(path)) {
    if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: is a directory, expected a file path`);
    if (!writable(path)) throw new UsageError(`${flag} ${path}: file is not writable`);
    return path;
  }
  const parent = dirname(resolve(path));
  if (!existsSync(parent)) throw new UsageError(`${flag} ${path}: directory ${parent} does not exist`);
  if (!statSync(parent).isDirectory()) throw new UsageError(`${flag} ${path}: ${parent} is not a directory`);
  if (!writable(parent)) throw new UsageError(`${flag} ${path}: directory ${parent} is not writable`);
  return path;
}

/** An output directory: an existing writable one, or one that can be created (its nearest existing ancestor is a writable directory). */
export function writableDir(flag: string, path: string): string {
  let p = resolve(path);
  while (!existsSync(p)) {
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (!statSync(p).isDirectory()) throw new UsageError(`${flag} ${path}: ${p === resolve(path) ? 'exists and is not a directory' : `${p} is a file`}`);
  if (!writable(p)) throw new UsageError(`${flag} ${path}: ${p} is not writable`);
  return path;
}

/**
 * Runs a CLI: --help/-h prints the usage (exit 0); a UsageError prints one line plus the usage,
 * any other error one line (BITSR_DEBUG=1 adds the stack); both exit 1.
 */
export async function runCli(usage: string, spec: ArgSpec, main: (args: Args) => Promise<void> | void, argv = process.argv.slice(2)): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return;
  }
  try {
    await main(parseArgs(argv, spec));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`error: ${msg}`);
    if (e instanceof UsageError) console.error(usage);
    if (process.env.BITSR_DEBUG) console.error(e);
    process.exitCode = 1;
  }
}

/** True when the module at `url` is the script node was started with (tests import CLIs for their validators). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(url));
  } catch {
    return false;
  }
}
