/** Locates ../shared/data (or $BITSR_DATA). Tests that need it skip with a visible reason when absent. */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DATA_ROOT = resolve(process.env.BITSR_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data'));
export const BENCH = resolve(DATA_ROOT, 'benchmark');
export const hasSharedData = existsSync(resolve(BENCH, 'Set5'));

export function skipReason(): string {
  return `shared data not found at ${DATA_ROOT} (set BITSR_DATA); skipping`;
}

if (!hasSharedData) console.warn(`[bitsr tests] ${skipReason()}`);
