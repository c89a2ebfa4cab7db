import { readFileSync } from 'node:fs';
import { DataError } from './errors.js';

/** One downloadable file. `sha256`/`size` only where a checksum is published. */
export interface ArchiveSpec {
  url: string;
  size?: number;
  sha256?: string;
}

/** A folder of a set: archive members under `from` unpack to `<dest>/<set dir>/<to>`. */
export interface PartSpec {
  to: string;
  archive: string;
  from: string;
  /** Low-resolution part, fetched only with --with-lr. */
  lr?: boolean;
}

export interface SetSpec {
  dir: string;
  /** PNG count expected in every part. */
  images: number;
  parts: PartSpec[];
}

export interface Catalogue {
  defaultSets: string[];
  archives: Record<string, ArchiveSpec>;
  sets: Record<string, SetSpec>;
}

export const DEFAULT_CATALOGUE = new URL('../checksums.json', import.meta.url);
/** Tests and mirrors with their own archives point this at another catalogue JSON. */
export const CATALOGUE_ENV = 'BITSR_DATA_CATALOGUE';

export function loadCatalogue(source?: Catalogue | string | URL): Catalogue {
  if (source !== undefined && typeof source === 'object' && !(source instanceof URL)) return check(source, 'catalogue object');
  const file = source ?? process.env[CATALOGUE_ENV] ?? DEFAULT_CATALOGUE;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataError(`cannot read catalogue ${String(file)}: ${(err as Error).message}`);
  }
  return check(json as Catalogue, String(file));
}

/** Catches typos in a hand-edited catalogue before any download starts. */
function check(cat: Catalogue, where: string): Catalogue {
  const bad = (msg: string): never => { throw new DataError(`invalid catalogue ${where}: ${msg}`); };
  if (!cat || typeof cat.archives !== 'object' || typeof cat.sets !== 'object') bad('needs "archives" and "sets"');
  for (const [name, a] of Object.entries(cat.archives)) {
    if (typeof a.url !== 'string') bad(`archive ${name} has no url`);
    if (a.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(a.sha256)) bad(`archive ${name} has a malformed sha256`);
    if (name.includes('/') || name.includes('\\')) bad(`archive name ${name} must be a plain file name`);
  }
  for (const [name, s] of Object.entries(cat.sets)) {
    if (!s.dir || !Number.isInteger(s.images) || !Array.isArray(s.parts)) bad(`set ${name} needs dir, images, parts`);
    for (const p of s.parts) if (!cat.archives[p.archive]) bad(`set ${name} uses unknown archive ${p.archive}`);
  }
  cat.defaultSets ??= Object.keys(cat.sets);
  for (const s of cat.defaultSets) if (!cat.sets[s]) bad(`default set ${s} is not defined`);
  return cat;
}

/** Resolves user-given names (case-insensitive); an unknown name is an error naming it. */
export function resolveSets(cat: Catalogue, names?: string[]): string[] {
  if (!names || names.length === 0) return [...cat.defaultSets];
  const known = Object.keys(cat.sets);
  const out: string[] = [];
  for (const raw of names) {
    const name = known.find((k) => k.toLowerCase() === raw.trim().toLowerCase());
    if (!name) throw new DataError(`unknown set "${raw}" (known: ${known.join(', ')})`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}
