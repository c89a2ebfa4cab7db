/** The inspect view's geometry: zoom range (fit .. 8 device px per pixel), clamping, zoom about a point. */
import { describe, expect, it } from 'vitest';
import { clampView, cssScale, FIT, fitScale, maxZoom, panBy, placement, zoomAt, type Box } from '../../src/app/inspectView';

const box: Box = { W: 800, H: 600, w: 200, h: 100, dpr: 1 };

describe('inspect view geometry', () => {
  it('fit fills the stage on the limiting axis; the zoom tops out at 8 device px per pixel', () => {
    expect(fitScale(box)).toBe(4);
    expect(maxZoom(box)).toBe(2);
    expect(cssScale(box, zoomAt(box, FIT, 100))).toBe(8);
    expect(cssScale({ ...box, dpr: 2 }, zoomAt({ ...box, dpr: 2 }, FIT, 100)) * 2).toBe(8);
    // A tiny image is not blown past 8 device px even at fit.
    expect(fitScale({ ...box, w: 4, h: 4 })).toBe(8);
    expect(maxZoom({ ...box, w: 4, h: 4 })).toBe(1);
  });

  it('never zooms out past fit, and an image smaller than the stage stays centred', () => {
    expect(zoomAt(box, FIT, 0.1)).toEqual(FIT);
    expect(panBy(box, FIT, 300, 300)).toEqual(FIT);
    expect(placement(box, FIT)).toEqual({ left: 0, top: 100, width: 800, height: 400 });
  });

  it('zooming about a point keeps the image point under it', () => {
    const v = zoomAt(box, FIT, 2, 200, 0);
    // Before: x = 200 px right of centre is image x = 0.5 + 200/800 = 0.75; after, the same.
    const p = placement(box, v);
    expect((box.W / 2 + 200 - p.left) / p.width).toBeCloseTo(0.75, 9);
  });

  it('panning is clamped so the image keeps covering the stage', () => {
    const v = zoomAt(box, FIT, 2);
    expect(panBy(box, v, -1e6, 0).cx).toBeCloseTo(1 - 800 / (2 * 200 * 8), 9);
    expect(panBy(box, v, 1e6, 0).cx).toBeCloseTo(800 / (2 * 200 * 8), 9);
    expect(clampView(box, { z: NaN, cx: NaN, cy: NaN })).toEqual(FIT);
  });
});
