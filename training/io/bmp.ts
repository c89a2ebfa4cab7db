/**
 * Minimal BMP decoder (sharp and most JS image libraries do not read BMP; T91 is 24-bit BMP).
 * Supports BITMAPINFOHEADER and later headers, uncompressed 24/32-bit and 8-bit paletted,
 * bottom-up and top-down rows. Returns interleaved RGBA.
 */
export interface DecodedRgba {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export function decodeBmp(buf: Uint8Array): DecodedRgba {
  if (buf.length < 54 || buf[0] !== 0x42 || buf[1] !== 0x4d) throw new Error('not a BMP file (bad signature)');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  if (headerSize < 40) throw new Error(`unsupported BMP header size ${headerSize}`);
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height === 0) throw new Error(`invalid BMP size ${width}x${rawHeight}`);
  // BI_RGB = 0; BI_BITFIELDS (3) with the standard masks is treated as plain 32-bit BGRA.
  if (!(compression === 0 || (compression === 3 && bpp === 32))) throw new Error(`unsupported BMP compression ${compression}`);
  if (bpp !== 24 && bpp !== 32 && bpp !== 8) throw new Error(`unsupported BMP bit depth ${bpp}`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > buf.length) throw new Error('truncated BMP file');
  let palette: Uint8Array | undefined;
  if (bpp === 8) {
    const colors = dv.getUint32(46, true) || 256;
    palette = buf.subarray(14 + headerSize, 14 + headerSize + colors * 4);
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (bpp === 8) {
        const p = buf[row + x] * 4;
        rgba[o] = palette![p + 2];
        rgba[o + 1] = palette![p + 1];
        rgba[o + 2] = palette![p];
      } else {
        const s = row + x * (bpp / 8);
        rgba[o] = buf[s + 2];
        rgba[o + 1] = buf[s + 1];
        rgba[o + 2] = buf[s];
      }
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}
