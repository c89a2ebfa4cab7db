/**
 * Per-file progress on stderr. On a TTY one line is redrawn with \r; otherwise (CI logs,
 * pipes) a plain line is printed every 10% or 30 s so logs stay short.
 */
export interface Progress {
  /** Sets the byte count done so far (absolute, so a resumed download starts mid-bar). */
  update(done: number, total?: number): void;
  finish(note?: string): void;
  /** Erases the bar without a summary line (TTY only). */
  clear(): void;
}

export type ProgressSink = NodeJS.WritableStream & { isTTY?: boolean };

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** `ttyOnly`: for quick phases (hashing) that would only clutter a log file. */
export function createProgress(label: string, sink: ProgressSink | false, ttyOnly = false): Progress {
  if (!sink || (ttyOnly && !sink.isTTY)) return { update() {}, finish() {}, clear() {} };
  const tty = sink.isTTY === true;
  const started = Date.now();
  let startBytes = -1, lastDraw = 0, lastPct = -1, done = 0, total: number | undefined;

  const line = (): string => {
    const secs = Math.max((Date.now() - started) / 1000, 1e-3);
    const rate = `${formatBytes(Math.max(done - startBytes, 0) / secs)}/s`;
    if (!total) return `${label} ${formatBytes(done)} ${rate}`;
    const frac = Math.min(done / total, 1);
    const bar = tty ? `[${'#'.repeat(Math.round(frac * 24)).padEnd(24, '.')}] ` : '';
    return `${label} ${bar}${(frac * 100).toFixed(1)}% ${formatBytes(done)}/${formatBytes(total)} ${rate}`;
  };

  return {
    update(d, t) {
      done = d;
      total = t ?? total;
      if (startBytes < 0) startBytes = d;
      const now = Date.now();
      if (tty) {
        if (now - lastDraw < 100) return;
        sink.write(`\r${line()}\x1b[K`);
      } else {
        const pct = total ? Math.floor((done / total) * 10) : -1;
        if (pct === lastPct && now - lastDraw < 30_000) return;
        lastPct = pct;
        sink.write(`${line()}\n`);
      }
      lastDraw = now;
    },
    finish(note = 'done') {
      sink.write(`${tty ? '\r' : ''}${label} ${note} (${formatBytes(done)})${tty ? '\x1b[K' : ''}\n`);
    },
    clear() {
      if (tty && lastDraw > 0) sink.write('\r\x1b[K');
    },
  };
}
