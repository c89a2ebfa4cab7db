/**
 * MATLAB-compatible `imresize(img, scale, 'bicubic')`.
 *
 * Matches MATLAB (and BasicSR's `matlab_functions.imresize` port) exactly:
 * - cubic kernel with a = -0.5;
 * - when downscaling, the kernel is stretched by 1/scale (antialiasing);
 * - output coordinate x maps to input u = x/scale + 0.5*(1 - 1/scale) (1-based);
 * - out-of-range taps are mirrored symmetrically (MATLAB's aux = [1:n, n:-1:1]);
 * - weights of each output pixel are normalized to sum to 1;
 * - output size is ceil(in * scale); both axes are resized separately, rows first.
 * Arithmetic is float64, like MATLAB's double path. No rounding is done here: quantize
 * afterwards (quantize8) where an 8-bit image would be stored.
 */
import { createImage, type Region, type RgbImage } from './image';

function cubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/** Per-output-pixel taps: `taps` input indices (0-based, already mirrored) and weights. */
export interface Contributions {
  readonly outLength: number;
  readonly taps: number;
  readonly indices: Int32Array;
  readonly weights: Float64Array;
}

export function contributions(inLength: number, outLength: number, scale: number, antialiasing = true): Contributions {
  const kernelWidth = scale < 1 && antialiasing ? 4 / scale : 4;
  const taps = Math.ceil(kernelWidth) + 2;
  const indices = new Int32Array(outLength * taps);
  const weights = new Float64Array(outLength * taps);
  const aux = 2 * inLength;
  for (let i = 0; i < outLength; i++) {
    const u = (i + 1) / scale + 0.5 * (1 - 1 / scale);
    const left = Math.floor(u - kernelWidth / 2);
    let sum = 0;
    for (let t = 0; t < taps; t++) {
      const idx = left + t; // 1-based MATLAB index, may be out of range
      const d = u - idx;
      const w = scale < 1 && antialiasing ? scale * cubic(d * scale) : cubic(d);
      weights[i * taps + t] = w;
      sum += w;
      // Symmetric mirror: MATLAB aux = [1..n, n..1], index = aux(mod(idx-1, 2n) + 1).
      const m = (((idx - 1) % aux) + aux) % aux;
      indices[i * taps + t] = m < inLength ? m : aux - 1 - m;
    }
    for (let t = 0; t < taps; t++) weights[i * taps + t] /= sum;
  }
  return { outLength, taps, indices, weights };
}

/** Resize one plane (row-major, w×h) to outW×outH. */
export function resizePlane(src: ArrayLike<number>, w: number, h: number, outW: number, outH: number, scaleH: number, scaleW: number): Float64Array {
  return resizePlaneInto(src, w, h, outW, outH, scaleH, scaleW, new Float64Array(outW * outH));
}

/**
 * resizePlane writing its second pass straight into `out` (e.g. a Float32 plane of the output
 * image): the same values as converting resizePlane's result, without a full-size float64 copy.
 */
export function resizePlaneInto<T extends Float32Array | Float64Array>(
  src: ArrayLike<number>,
  w: number,
  h: number,
  outW: number,
  outH: number,
  scaleH: number,
  scaleW: number,
  out: T,
  /** Row pitch of `src` (> w reads the top-left w×h of a wider plane in place). */
  stride = w,
  /** Scratch for the first pass, at least max(w·outH, outW·h) long; reused across planes. */
  scratch?: Float64Array,
): T {
  const ch = contributions(h, outH, scaleH);
  const cw = contributions(w, outW, scaleW);
  // Rows first (MATLAB resizes the dimension with the smaller scale first; ties: dim 1).
  const order = scaleW < scaleH ? 'wFirst' : 'hFirst';
  if (order === 'hFirst') return resizeW(resizeH(src, w, h, ch, firstPass(scratch, w * outH), stride), w, outH, cw, out);
  return resizeH(resizeW(src, w, h, cw, firstPass(scratch, outW * h), stride), outW, h, ch, out);
}

function firstPass(scratch: Float64Array | undefined, n: number): Float64Array {
  return scratch && scratch.length >= n ? scratch.subarray(0, n) : new Float64Array(n);
}

function resizeH<T extends Float32Array | Float64Array>(src: ArrayLike<number>, w: number, _h: number, c: Contributions, out: T, stride = w): T {
  // Accumulate each output row in float64 (as MATLAB does), then store it.
  const row = out instanceof Float64Array ? null : new Float64Array(w);
  for (let y = 0; y < c.outLength; y++) {
    const o = y * w;
    const acc = row ?? out.subarray(o, o + w);
    if (row) row.fill(0);
    else acc.fill(0);
    for (let t = 0; t < c.taps; t++) {
      const wt = c.weights[y * c.taps + t];
      if (wt === 0) continue;
      const s = c.indices[y * c.taps + t] * stride;
      for (let x = 0; x < w; x++) acc[x] += wt * src[s + x];
    }
    if (row) out.set(row, o);
  }
  return out;
}

function resizeW<T extends Float32Array | Float64Array>(src: ArrayLike<number>, w: number, h: number, c: Contributions, out: T, stride = w): T {
  const outW = c.outLength;
  for (let y = 0; y < h; y++) {
    const si = y * stride;
    const oi = y * outW;
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      const b = x * c.taps;
      for (let t = 0; t < c.taps; t++) acc += c.weights[b + t] * src[si + c.indices[b + t]];
      out[oi + x] = acc;
    }
  }
  return out;
}

/**
 * Resize by `scale` (e.g. 1/4 to downscale, 4 to upscale). Output is ceil(size*scale) unless
 * `outSize` is given. Alpha, if present, is resized the same way. With `region`, only the image's
 * top-left region is resized, read in place (the mod-crop without a copy).
 */
export function imresize(
  img: RgbImage,
  scale: number,
  outSize?: { width: number; height: number },
  region: Region = img,
  /** Storage for the output's RGB planes (at least 3·outW·outH), e.g. reused across a job. */
  into?: Float32Array,
): RgbImage {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`invalid resize scale ${scale}`);
  const { width: w, height: h } = region;
  if (w > img.width || h > img.height || w < 1 || h < 1) throw new Error(`region ${w}x${h} outside image ${img.width}x${img.height}`);
  const outW = outSize?.width ?? Math.ceil(w * scale - 1e-9);
  const outH = outSize?.height ?? Math.ceil(h * scale - 1e-9);
  const out: RgbImage =
    into && into.length >= 3 * outW * outH
      ? { width: outW, height: outH, data: into.subarray(0, 3 * outW * outH), ...(img.alpha ? { alpha: new Float32Array(outW * outH) } : {}) }
      : createImage(outW, outH, !!img.alpha);
  const n = img.width * img.height;
  const m = outW * outH;
  // One first-pass buffer for every plane (a 2048² x2 upscale: 67 MB once, not per plane).
  const scratch = new Float64Array(Math.max(w * outH, outW * h));
  for (let c = 0; c < 3; c++) {
    const plane = img.data.subarray(c * n, (c + 1) * n);
    resizePlaneInto(plane, w, h, outW, outH, scale, scale, out.data.subarray(c * m, (c + 1) * m), img.width, scratch);
  }
  if (img.alpha && out.alpha) resizePlaneInto(img.alpha, w, h, outW, outH, scale, scale, out.alpha, img.width, scratch);
  return img.grayscale ? { ...out, grayscale: true } : out;
}
