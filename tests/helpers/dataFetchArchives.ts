/** Tiny PNGs and tar/zip builders for the data-fetch tests (no external tools). */
import { createHash } from 'node:crypto';
import { deflateRawSync, crc32 } from 'node:zlib';
import { PNG } from 'pngjs';

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A w x h RGB PNG whose pixels depend on `seed`, so files differ. */
export function makePng(seed: number, w = 4, h = 3): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h * 4; i++) png.data[i] = i % 4 === 3 ? 255 : (seed * 31 + i * 7) & 255;
  return PNG.sync.write(png);
}

export type Entries = Record<string, Buffer>;

/** ustar archive; names over 100 chars use the prefix field, or a pax header with `pax`. */
export function makeTar(entries: Entries, opts: { pax?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  const header = (name: string, size: number, type: string, prefix = ''): Buffer => {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write(type, 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    h.write(prefix, 345, 155, 'utf8');
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return h;
  };
  const data = (buf: Buffer): void => {
    blocks.push(buf, Buffer.alloc((512 - (buf.length % 512)) % 512));
  };
  for (const [name, body] of Object.entries(entries)) {
    let short = name, prefix = '';
    if (Buffer.byteLength(name) > 100) {
      if (opts.pax) {
        const rec = (len: number) => `${len} path=${name}\n`;
        let len = rec(0).length;
        while (rec(len).length !== len) len = rec(len).length;
        const paxBody = Buffer.from(rec(len));
        blocks.push(header('PaxHeaders/x', paxBody.length, 'x'));
        data(paxBody);
        short = 'truncated-name-ignored';
      } else {
        const cut = name.lastIndexOf('/', 155);
        prefix = name.slice(0, cut);
        short = name.slice(cut + 1);
      }
    }
    blocks.push(header(short, body.length, '0', prefix));
    data(body);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/**
 * Zip with deflated members (stored when `store`), optionally in zip64 form: 0xFFFFFFFF
 * sizes/offsets with the real values in zip64 extra fields, plus zip64 end records, the
 * way large-archive writers lay it out.
 */
export function makeZip(entries: Entries, opts: { zip64?: boolean; store?: boolean } = {}): Buffer {
  const z64 = opts.zip64 === true;
  const locals: Buffer[] = [], centrals: Buffer[] = [];
  let offset = 0;
  const u64 = (n: number): Buffer => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  for (const [name, body] of Object.entries(entries)) {
    const nameBuf = Buffer.from(name);
    const data = opts.store ? body : deflateRawSync(body);
    const method = opts.store ? 0 : 8;
    const crc = crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(z64 ? 45 : 20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(z64 ? 0xffffffff : data.length, 18);
    local.writeUInt32LE(z64 ? 0xffffffff : body.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const localExtra = z64 ? Buffer.concat([Buffer.from([1, 0, 16, 0]), u64(body.length), u64(data.length)]) : Buffer.alloc(0);
    local.writeUInt16LE(localExtra.length, 28);
    locals.push(local, nameBuf, localExtra, data);

    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0);
    cen.writeUInt16LE(z64 ? 45 : 20, 4);
    cen.writeUInt16LE(z64 ? 45 : 20, 6);
    cen.writeUInt16LE(0x800, 8);
    cen.writeUInt16LE(method, 10);
    cen.writeUInt32LE(crc, 16);
    cen.writeUInt32LE(z64 ? 0xffffffff : data.length, 20);
    cen.writeUInt32LE(z64 ? 0xffffffff : body.length, 24);
    cen.writeUInt16LE(nameBuf.length, 28);
    const cenExtra = z64 ? Buffer.concat([Buffer.from([1, 0, 24, 0]), u64(body.length), u64(data.length), u64(offset)]) : Buffer.alloc(0);
    cen.writeUInt16LE(cenExtra.length, 30);
    cen.writeUInt32LE(z64 ? 0xffffffff : offset, 42);
    centrals.push(cen, nameBuf, cenExtra);
    offset += 30 + nameBuf.length + localExtra.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const count = Object.keys(entries).length;
  const tail: Buffer[] = [];
  if (z64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(count), 24);
    rec.writeBigUInt64LE(BigInt(count), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(offset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(z64 ? 0xffff : count, 8);
  end.writeUInt16LE(z64 ? 0xffff : count, 10);
  end.writeUInt32LE(z64 ? 0xffffffff : cd.length, 12);
  end.writeUInt32LE(z64 ? 0xffffffff : offset, 16);
  return Buffer.concat([...locals, cd, ...tail, end]);
}
