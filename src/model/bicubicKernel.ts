/**
 * MATLAB bicubic upscaling by an integer factor s as a fixed convolution: symmetric-pad the
 * input by 2, then a 5×5 depthwise conv produces the s² output phases (channel order
 * c*s*s + i*s + j, i.e. DepthToSpace 'CRD'), then pixel shuffle. The weights are read off
 * the core's imresize contributions, so the network's anchor equals `imresize(x, s)` exactly.
 */
import { contributions } from '../core/imresize';

export const BICUBIC_PAD = 2;

/** Per-phase 1-D taps at offsets -2..2 around the source pixel q = floor(o / s). */
export function bicubicTaps1d(s: number): Float64Array[] {
  const L = 16;
  const c = contributions(L, L * s, s);
  const taps: Float64Array[] = [];
  const q = L / 2; // interior source pixel: no mirroring involved
  for (let r = 0; r < s; r++) {
    const o = q * s + r;
    const t = new Float64Array(5);
    for (let k = 0; k < c.taps; k++) {
      const off = c.indices[o * c.taps + k] - q;
      const w = c.weights[o * c.taps + k];
      if (w === 0) continue;
      if (off < -2 || off > 2) throw new Error('bicubic tap out of the 5-wide window');
      t[off + 2] += w;
    }
    taps.push(t);
  }
  return taps;
}

/** Depthwise kernel, HWIO-depthwise layout [5, 5, 1, s*s]: phase (i, j) at channel i*s + j. */
export function bicubicKernel(s: number): Float32Array {
  const t = bicubicTaps1d(s);
  const out = new Float32Array(25 * s * s);
  for (let y = 0; y < 5; y++)
    for (let x = 0; x < 5; x++)
      for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) out[(y * 5 + x) * s * s + i * s + j] = t[i][y] * t[j][x];
  return out;
}

/** The 1-D taps as the engine's finishRows reads them: [s][5] float32, phase-major (the 2-D kernel is their product). */
export function bicubicTaps1dF32(s: number): Float32Array {
  const t = bicubicTaps1d(s);
  const out = new Float32Array(5 * s);
  t.forEach((row, i) => out.set(row, 5 * i));
  return out;
}
