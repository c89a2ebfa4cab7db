import { open, type FileHandle } from 'node:fs/promises';
import { copyRange, corrupt, type EntryTarget } from './entryIO.js';

/**
 * Minimal ustar reader: regular files and directories, with the pax `path`/`size` and GNU
 * long-name extensions that common tar tools emit for long paths or big files. Works on a
 * local file with random access, so skipped members cost one header read each.
 */
export async function extractTar(file: string, target: EntryTarget): Promise<number> {
  const fh = await open(file, 'r');
  let written = 0;
  try {
    const fileSize = (await fh.stat()).size;
    const header = Buffer.alloc(512);
    let offset = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      const { bytesRead } = await fh.read(header, 0, 512, offset);
      if (bytesRead === 0) break; // some writers omit the two zero end blocks
      if (bytesRead < 512) throw corrupt(file, `truncated header at byte ${offset}`);
      if (header.every((b) => b === 0)) break;
      if (!checksumOk(header)) throw corrupt(file, `bad tar header checksum at byte ${offset}`);

      const type = String.fromCharCode(header[156] ?? 0);
      const size = pax.size !== undefined ? Number(pax.size) : parseNumber(header.subarray(124, 136));
      if (!Number.isFinite(size) || size < 0) throw corrupt(file, `bad size field at byte ${offset}`);
      const dataStart = offset + 512;
      if (dataStart + size > fileSize) throw corrupt(file, `truncated (member at byte ${offset} runs past the end)`);

      if (type === 'x') {
        pax = parsePax(await readAt(fh, dataStart, size));
      } else if (type === 'L') {
        longName = (await readAt(fh, dataStart, size)).toString('utf8').replace(/\0.*$/s, '');
      } else if (type === 'g') {
        // global pax header: nothing we need
      } else {
        const name = pax.path ?? longName ?? headerName(header);
        if (type === '0' || type === '\0' || type === '7') {
          const out = target(name);
          if (out !== undefined) {
            await copyRange(file, dataStart, size, out);
            written++;
          }
        }
        // directories, links and devices are not needed: parents are created per file
        longName = undefined;
        pax = {};
      }
      offset = dataStart + Math.ceil(size / 512) * 512;
    }
  } finally {
    await fh.close();
  }
  return written;
}

function headerName(h: Buffer): string {
  const field = (a: number, b: number) => h.toString('utf8', a, b).replace(/\0.*$/s, '');
  const name = field(0, 100);
  const prefix = h.toString('latin1', 257, 262) === 'ustar' ? field(345, 500) : '';
  return prefix ? `${prefix}/${name}` : name;
}

/** Octal text, or base-256 (high bit set) as GNU tar writes for files >= 8 GiB. */
function parseNumber(f: Buffer): number {
  if ((f[0] ?? 0) & 0x80) {
    let v = (f[0] ?? 0) & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + (f[i] ?? 0);
    return v;
  }
  const text = f.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return parseNumber(h.subarray(148, 156)) === sum;
}

/** pax records: "<len> <key>=<value>\n". */
function parsePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < buf.length) {
    const sp = buf.indexOf(0x20, i);
    const len = parseInt(buf.toString('latin1', i, sp), 10);
    if (sp < 0 || !(len > 0)) break;
    const rec = buf.toString('utf8', sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  await fh.read(buf, 0, len, pos);
  return buf;
}
