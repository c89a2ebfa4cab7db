/**
 * Size policy (README "Maximum image size"). Refused before any full decode or allocation, with a
 * message that says which limit was hit; never a crash.
 * - Input: at most 4096 px per side (both modes), checked from the file header.
 * - Output per scale: at most 16.8 MP (4096×4096). In Upscale mode a scale whose output would be
 *   larger is skipped with a message; the other scales still run. In Evaluate mode outputs are
 *   never larger than the input, so the input limit covers them.
 * - Smallest: Evaluate needs room for the protocol's crop, shave and SSIM window (core/sizes);
 *   Upscale takes any size down to 1×1.
 * Why 16.8 MP: the worker holds float32 planes (12 B/px) for the LR, SR, bicubic and ground truth
 * of one scale at a time; 16.8 MP of output keeps a 4096² Evaluate under 1.5 GB for the whole tab
 * (`npm run bench:memory`).
 */
import { evalMinSide, evalSizeError } from '../core/sizes';
import type { Mode, Scale } from './protocol';

export const MAX_INPUT_SIDE = 4096;
export const MAX_OUTPUT_PIXELS = 4096 * 4096;

export function inputSizeError(width: number, height: number): string | null {
  if (width > MAX_INPUT_SIDE || height > MAX_INPUT_SIDE) {
    return `image is ${width}×${height}; the maximum is ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE} pixels`;
  }
  if (width < 1 || height < 1) return `image is ${width}×${height}: it has no pixels`;
  return null;
}

export function outputSizeError(width: number, height: number, scale: number): string | null {
  const px = width * scale * height * scale;
  if (px > MAX_OUTPUT_PIXELS) {
    return (
      `x${scale} output would be ${width * scale}×${height * scale} (${(px / 1e6).toFixed(1)} MP); the maximum is ` +
      `${(MAX_OUTPUT_PIXELS / 1e6).toFixed(1)} MP (Upscale at x${scale} takes up to ${upscaleMaxSide(scale)}×${upscaleMaxSide(scale)})`
    );
  }
  return null;
}

/** Largest square input Upscale accepts at `scale`. */
export function upscaleMaxSide(scale: number): number {
  return Math.floor(Math.sqrt(MAX_OUTPUT_PIXELS) / scale);
}

/** Why this scale of this image is skipped in `mode`, or null. */
export function scaleSizeError(width: number, height: number, scale: number, mode: Mode): string | null {
  return mode === 'evaluate' ? evalSizeError(width, height, scale) : outputSizeError(width, height, scale);
}

/** The limits as the footer states them. */
export function limitsText(mode: Mode, scales: readonly Scale[] = [2, 3, 4]): string {
  if (mode === 'evaluate') {
    const mins = scales.map((s) => `${evalMinSide(s)}² at x${s}`).join(', ');
    return `Evaluate: input up to ${MAX_INPUT_SIDE}×${MAX_INPUT_SIDE}, at least ${mins}.`;
  }
  const maxes = scales.map((s) => `${upscaleMaxSide(s)}² at x${s}`).join(', ');
  return `Upscale: each output up to ${(MAX_OUTPUT_PIXELS / 1e6).toFixed(1)} MP, so input up to ${maxes}; larger scales are skipped.`;
}
