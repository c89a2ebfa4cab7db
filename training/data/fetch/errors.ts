/**
 * Expected failures (network down, HTTP error, bad checksum, corrupt archive, disk full).
 * The CLI prints these as one line without a stack trace; anything else is a bug and
 * keeps its stack.
 */
export class DataError extends Error {
  override name = 'DataError';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT',
  'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE',
]);

/** Turns well-known system errors into a one-line DataError; `what` names the file or URL. */
export function explain(err: unknown, what: string): unknown {
  if (err instanceof DataError || !(err instanceof Error)) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOSPC') return new DataError(`disk full (ENOSPC) while writing ${what}; free some space and run again to resume`);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new DataError(`permission denied (${code}) for ${what}`);
  if (NETWORK_CODES.has(code)) return new DataError(`network error (${code}) fetching ${what}; check your connection or use --base-url with a reachable mirror`);
  return err;
}
