/**
 * The inspect view's geometry, kept apart from the DOM: a view is a zoom relative to
 * fit-to-window and a centre in normalized image coordinates (0..1), so it means the same region
 * at x2, x3 and x4 (whose outputs differ in size). Zoom runs from fit up to MAX_DEVICE_PX device
 * pixels per image pixel.
 */
export interface View {
  /** Zoom relative to fit-to-window (1 = fit). */
  z: number;
  /** The image point at the middle of the stage, normalized 0..1. */
  cx: number;
  cy: number;
}

export interface Box {
  /** Stage size, CSS px. */
  W: number;
  H: number;
  /** Image size, image px. */
  w: number;
  h: number;
  /** window.devicePixelRatio. */
  dpr: number;
}

export const MAX_DEVICE_PX = 8;
export const FIT: View = { z: 1, cx: 0.5, cy: 0.5 };

/** CSS px per image px at fit (never above the 8-device-px cap, for tiny images). */
export function fitScale(b: Box): number {
  const fit = Math.min(b.W / b.w, b.H / b.h);
  return Math.min(fit, MAX_DEVICE_PX / b.dpr);
}

export function maxZoom(b: Box): number {
  return Math.max(1, MAX_DEVICE_PX / b.dpr / fitScale(b));
}

/** CSS px per image px of a view. */
export function cssScale(b: Box, v: View): number {
  return fitScale(b) * v.z;
}

/** Zoom within [1, max] and a centre that keeps the image over the stage (centred when smaller). */
export function clampView(b: Box, v: View): View {
  const z = Math.min(maxZoom(b), Math.max(1, Number.isFinite(v.z) ? v.z : 1));
  const s = fitScale(b) * z;
  const axis = (c: number, stage: number, img: number) => {
    const half = stage / (2 * img * s);
    return half >= 0.5 ? 0.5 : Math.min(1 - half, Math.max(half, Number.isFinite(c) ? c : 0.5));
  };
  return { z, cx: axis(v.cx, b.W, b.w), cy: axis(v.cy, b.H, b.h) };
}

/** Zoom by `factor` keeping the image point under (dx, dy) (CSS px from the stage centre) fixed. */
export function zoomAt(b: Box, v: View, factor: number, dx = 0, dy = 0): View {
  const s = cssScale(b, v);
  const ix = v.cx + dx / (b.w * s);
  const iy = v.cy + dy / (b.h * s);
  const z = Math.min(maxZoom(b), Math.max(1, v.z * factor));
  const s2 = fitScale(b) * z;
  return clampView(b, { z, cx: ix - dx / (b.w * s2), cy: iy - dy / (b.h * s2) });
}

/** Move the view by (dx, dy) CSS px (the image follows the pointer: the centre moves the other way). */
export function panBy(b: Box, v: View, dx: number, dy: number): View {
  const s = cssScale(b, v);
  return clampView(b, { z: v.z, cx: v.cx - dx / (b.w * s), cy: v.cy - dy / (b.h * s) });
}

/** Where the image's top-left corner and its size fall on the stage, CSS px. */
export function placement(b: Box, v: View): { left: number; top: number; width: number; height: number } {
  const s = cssScale(b, v);
  return { left: b.W / 2 - v.cx * b.w * s, top: b.H / 2 - v.cy * b.h * s, width: b.w * s, height: b.h * s };
}
