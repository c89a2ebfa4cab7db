/**
 * The one image type shared by the app and the training pipeline: planar float32 RGB in [0,1].
 * Plane c occupies data[c*W*H .. (c+1)*W*H), row-major. Alpha, when present, is a separate plane.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** 3 planes (R, G, B), each width*height, values in [0,1]. */
  readonly data: Float32Array;
  /** Optional alpha plane, width*height, values in [0,1]. */
  readonly alpha?: Float32Array;
  /** The source had one channel (R = G = B). Metrics then use the gray value, as MATLAB does. */
  readonly grayscale?: boolean;
}

export function createImage(width: number, height: number, withAlpha = false): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`invalid image size ${width}x${height}`);
  }
  const data = new Float32Array(3 * width * height);
  return withAlpha ? { width, height, data, alpha: new Float32Array(width * height) } : { width, height, data };
}

/** Build an image from interleaved 8-bit pixels (RGBA/RGB/gray, `channels` per pixel). */
export function fromInterleaved8(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4,
  keepAlpha = true,
  grayscale = channels <= 2,
): RgbImage {
  const n = width * height;
  if (pixels.length < n * channels) throw new Error(`pixel buffer too short: ${pixels.length} < ${n * channels}`);
  const hasAlpha = keepAlpha && (channels === 2 || channels === 4);
  const img = createImage(width, height, hasAlpha);
  const { data, alpha } = img;
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    if (channels <= 2) {
      const v = pixels[o] / 255;
      data[i] = v;
      data[n + i] = v;
      data[2 * n + i] = v;
    } else {
      data[i] = pixels[o] / 255;
      data[n + i] = pixels[o + 1] / 255;
      data[2 * n + i] = pixels[o + 2] / 255;
    }
    if (alpha) alpha[i] = pixels[o + channels - 1] / 255;
  }
  return grayscale ? { ...img, grayscale: true } : img;
}

/** The top-left width×height region of an image (e.g. the mod-crop), read in place. */
export interface Region {
  width: number;
  height: number;
}

/**
 * Interleaved RGBA 8-bit (clamped, rounded), e.g. for PNG encoding or canvas ImageData; of the
 * top-left `region` only, when given (no float copy of the crop); written into `into` when it is
 * long enough.
 */
export function toRgba8(img: RgbImage, region: Region = img, into?: Uint8ClampedArray): Uint8ClampedArray {
  const { width: w, height: h } = region;
  if (w > img.width || h > img.height) throw new Error(`region ${w}x${h} outside image ${img.width}x${img.height}`);
  const n = img.width * img.height;
  const out = into && into.length >= w * h * 4 ? into.subarray(0, w * h * 4) : new Uint8ClampedArray(w * h * 4);
  const { data, alpha } = img;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * img.width + x;
      const o = 4 * (y * w + x);
      out[o] = Math.round(clamp01(data[i]) * 255);
      out[o + 1] = Math.round(clamp01(data[n + i]) * 255);
      out[o + 2] = Math.round(clamp01(data[2 * n + i]) * 255);
      out[o + 3] = alpha ? Math.round(clamp01(alpha[i]) * 255) : 255;
    }
  }
  return out;
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Round every value to the nearest 8-bit level (after clamping), as an 8-bit file would store it. */
export function quantize8(img: RgbImage): RgbImage {
  const q = (src: Float32Array) => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = Math.round(clamp01(src[i]) * 255) / 255;
    return out;
  };
  return { ...img, data: q(img.data), ...(img.alpha ? { alpha: q(img.alpha) } : {}) };
}

/** Crop the top-left region whose sides are multiples of `scale` (the standard SR "mod-crop"). */
export function modCrop(img: RgbImage, scale: number): RgbImage {
  const w = img.width - (img.width % scale);
  const h = img.height - (img.height % scale);
  if (w === 0 || h === 0) throw new Error(`image ${img.width}x${img.height} is smaller than scale ${scale}`);
  return crop(img, 0, 0, w, h);
}

/** Copy of the rectangle [x, x+w) × [y, y+h). */
export function crop(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > img.width || y + h > img.height) {
    throw new Error(`crop ${w}x${h}+${x}+${y} outside image ${img.width}x${img.height}`);
  }
  const out = createImage(w, h, !!img.alpha);
  const planes: Array<[Float32Array, Float32Array, number]> = [0, 1, 2].map((c) => [img.data, out.data, c]);
  for (const [src, dst, c] of planes) copyRect(src, img.width, img.height, c, dst, w, h, x, y);
  if (img.alpha && out.alpha) copyRect(img.alpha, img.width, img.height, 0, out.alpha, w, h, x, y);
  return img.grayscale ? { ...out, grayscale: true } : out;
}

function copyRect(src: Float32Array, sw: number, sh: number, c: number, dst: Float32Array, w: number, h: number, x: number, y: number): void {
  const so = c * sw * sh;
  const dO = c * w * h;
  for (let r = 0; r < h; r++) {
    const s = so + (y + r) * sw + x;
    dst.set(src.subarray(s, s + w), dO + r * w);
  }
}
