/**
 * Result images for the UI (works in a worker): the full-size PNG (downloads, the zoom loupe) and,
 * for large images, a preview PNG whose longer side is PREVIEW_MAX_SIDE (the compare view).
 *
 * Why previews: the page shows two images per scale card. At full size a 4096² Evaluate keeps six
 * decoded 4096² bitmaps (64 MB each) in the tab; previews cut that to ~6 MB each and keep the
 * whole tab under 1.5 GB (`npm run bench:memory`).
 */
import { encode as encodePngFile } from 'fast-png';
import { toRgba8, type Region, type RgbImage } from '../core/image';

/** Longer side of a preview: a card is at most ~1000 CSS px wide, sharp on a 1.25× screen. */
export const PREVIEW_MAX_SIDE = 1280;

export interface EncodedImage {
  png: Blob;
  /** Present when the image is larger than PREVIEW_MAX_SIDE. */
  preview?: Blob;
}

/**
 * An encoder for one job: its RGBA buffer is reused by every image of the job (a 4096² Evaluate
 * encodes nine), instead of leaving a 64 MB array for the garbage collector each time.
 */
export function createEncoder(): { encode: (img: RgbImage, region?: Region) => Promise<EncodedImage>; release: () => void } {
  let rgba: Uint8ClampedArray | undefined;
  return {
    encode: (img, region = img) => {
      const need = region.width * region.height * 4;
      if (!rgba || rgba.length < need) rgba = new Uint8ClampedArray(need);
      return encodeImage(img, region, rgba);
    },
    release: () => (rgba = undefined),
  };
}

/** PNG (and preview) of `img`, or of its top-left `region`. */
export async function encodeImage(img: RgbImage, region: Region = img, scratch?: Uint8ClampedArray): Promise<EncodedImage> {
  const { width, height } = region;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas available to encode PNG');
  const rgba = toRgba8(img, region, scratch);
  ctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
  // With alpha the PNG is encoded in JS (fast-png): the canvas premultiplies, which would lose the
  // colour under transparent pixels. Opaque images take the browser's native encoder.
  const png = img.alpha
    ? new Blob([encodePngFile({ width, height, data: rgba, depth: 8, channels: 4 }, { zlib: { level: 3 } }) as Uint8Array<ArrayBuffer>], { type: 'image/png' })
    : await canvas.convertToBlob({ type: 'image/png' });
  let preview: Blob | undefined;
  const k = PREVIEW_MAX_SIDE / Math.max(width, height);
  if (k < 1) {
    const small = new OffscreenCanvas(Math.max(1, Math.round(width * k)), Math.max(1, Math.round(height * k)));
    const sctx = small.getContext('2d');
    if (sctx) {
      sctx.imageSmoothingQuality = 'high';
      sctx.drawImage(canvas, 0, 0, small.width, small.height);
      preview = await small.convertToBlob({ type: 'image/png' });
      small.width = small.height = 1;
    }
  }
  // Free the backing store now: GC does not see its size, and a 4096² job encodes nine of them.
  canvas.width = canvas.height = 1;
  return preview ? { png, preview } : { png };
}
