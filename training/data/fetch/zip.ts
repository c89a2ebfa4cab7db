import { open, type FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';
import zlib from 'node:zlib';
import { copyRange, corrupt, type EntryTarget } from './entryIO.js';

interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc: number;
  compSize: number;
  size: number;
  localOffset: number;
}

const MAX32 = 0xffffffff;

/**
 * Zip reader for stored and deflated members, with zip64 records (writers use them for
 * multi-GB archives like DIV2K_train_HR.zip, 3.5 GB). Reads the central directory, then
 * streams each wanted member through inflate and a CRC-32 check.
 */
export async function extractZip(file: string, target: EntryTarget): Promise<number> {
  const fh = await open(file, 'r');
  let entries: ZipEntry[];
  try {
    entries = await readCentralDirectory(fh, file);
  } finally {
    await fh.close();
  }
  let written = 0;
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    const out = target(e.name);
    if (out === undefined) continue;
    if (e.flags & 1) throw corrupt(file, `${e.name} is encrypted`);
    if (e.method !== 0 && e.method !== 8) throw corrupt(file, `${e.name} uses unsupported compression method ${e.method}`);
    const start = await dataStart(file, e);
    const check = crcCheck(file, e);
    try {
      if (e.method === 8) await copyRange(file, start, e.compSize, out, zlib.createInflateRaw(), check);
      else await copyRange(file, start, e.compSize, out, check);
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('Z_')) throw corrupt(file, `${e.name}: ${(err as Error).message}`);
      throw err;
    }
    written++;
  }
  return written;
}

async function readCentralDirectory(fh: FileHandle, file: string): Promise<ZipEntry[]> {
  const fileSize = (await fh.stat()).size;
  // End record (22 bytes) + comment (<= 65535) + zip64 locator (20) all sit at the tail.
  const tailLen = Math.min(fileSize, 22 + 65535 + 20);
  const tail = await readAt(fh, fileSize - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  if (eocd < 0) throw corrupt(file, 'no zip end-of-central-directory record (truncated download?)');

  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === MAX32 || cdOffset === MAX32) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw corrupt(file, 'zip64 locator missing');
    const rec = await readAt(fh, u64(tail, loc + 8), 56);
    if (rec.length < 56 || rec.readUInt32LE(0) !== 0x06064b50) throw corrupt(file, 'zip64 end record missing');
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
  }
  if (cdOffset + cdSize > fileSize) throw corrupt(file, 'central directory runs past the end (truncated download?)');

  const cd = await readAt(fh, cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw corrupt(file, `bad central directory entry ${i}`);
    const nameLen = cd.readUInt16LE(p + 28), extraLen = cd.readUInt16LE(p + 30), commentLen = cd.readUInt16LE(p + 32);
    const e: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    applyZip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
    if (e.localOffset + e.compSize > fileSize) throw corrupt(file, `${e.name} runs past the end (truncated download?)`);
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The zip64 extra field holds, in order, only the fields whose 32-bit value is 0xFFFFFFFF. */
function applyZip64Extra(e: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q), len = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      const next = (): number => { const v = u64(extra, r); r += 8; return v; };
      if (e.size === MAX32) e.size = next();
      if (e.compSize === MAX32) e.compSize = next();
      if (e.localOffset === MAX32) e.localOffset = next();
    }
    q += 4 + len;
  }
}

/** The local header's name/extra lengths may differ from the central copy. */
async function dataStart(file: string, e: ZipEntry): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const h = await readAt(fh, e.localOffset, 30);
    if (h.readUInt32LE(0) !== 0x04034b50) throw corrupt(file, `bad local header for ${e.name}`);
    return e.localOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  } finally {
    await fh.close();
  }
}

function crcCheck(file: string, e: ZipEntry): Transform {
  let crc = 0, size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      if (size !== e.size) cb(corrupt(file, `${e.name} unpacked to ${size} bytes, expected ${e.size}`));
      else if (crc >>> 0 !== e.crc) cb(corrupt(file, `CRC mismatch in ${e.name}`));
      else cb();
    },
  });
}

function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return buf.subarray(0, bytesRead);
}
