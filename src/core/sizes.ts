/**
 * The smallest images the evaluation protocol and the networks accept, shared by the app and the
 * CLIs so both refuse the same images with the same words.
 *
 * Evaluate at scale s: the HR image is mod-cropped to a multiple of s, then s pixels are shaved
 * from every border and SSIM slides an 11×11 window over what is left, so the cropped side must
 * be at least 2s + 11. The networks themselves take any LR side >= 1 once the engine pads tiles
 * (see MIN_MODEL_SIDE).
 */
export const SSIM_WINDOW = 11;

/**
 * The exported graph's symmetric padding (bicubic anchor) reads two rows/columns from each border,
 * so onnxruntime rejects an input with a side of 1. Tiles smaller than this are edge-padded to
 * this side before the model runs and the output is cropped back.
 */
export const MIN_MODEL_SIDE = 4;

/** Smallest side (before mod-crop) that the evaluation protocol can score at `scale`. */
export function evalMinSide(scale: number): number {
  const need = 2 * scale + SSIM_WINDOW;
  return Math.ceil(need / scale) * scale;
}

/** Why `width`×`height` cannot be evaluated at `scale`, or null. Names the limit and the reason. */
export function evalSizeError(width: number, height: number, scale: number): string | null {
  const min = evalMinSide(scale);
  if (width >= min && height >= min) return null;
  return (
    `image is ${width}×${height}; Evaluate at x${scale} needs at least ${min}×${min} pixels ` +
    `(cropped to a multiple of ${scale}, ${scale} px shaved per border, 11×11 SSIM window)`
  );
}
