/**
 * Size policy (README "Maximum image size"). Refused before any allocation, with a message that
 * says which limit was hit; never a crash.
 * - Input: at most 4096 px per side.
 * - Output per scale: at most 16.8 MP (4096×4096). In Upscale mode a scale whose output would be
 *   larger is skipped with a message; the other scales still run. In Evaluate mode outputs are
 *   never larger than the input, so the input limit covers them.
 * Why: the worker holds float32 planes (12 B/px) for LR, SR, bicubic and metrics; 16.8 MP of
 * output is ~200 MB per plane set, about what a browser tab can afford.
 */
export const MAX_INPUT_SIDE = 4096;
export const MAX_OUTPUT_PIXELS = 4096 * 4096;

export function inputSizeError(width: number, height: number): string | null {
  if (width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE) {
    return `image is ${width}×${height}; the maximum is ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE} pixels`;
  }
  return null;
}

export function outputSizeError(width: number, height: number, scale: number): string | null {
  const px = width * scale * height * scale;
  if (px > MAX_OUTPUT_PIXELS) {
    return `x${scale} output would be ${width * scale}×${height * scale} (${(px / 1e6).toFixed(1)} MP); the maximum is ${(MAX_OUTPUT_PIXELS / 1e6).toFixed(1)} MP`;
  }
  return null;
}
