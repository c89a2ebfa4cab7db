/**
 * Training data: HR images from folders, mod-cropped, with LR made once by the core's MATLAB
 * bicubic and cached on disk. Everything is kept as 8-bit planes in SharedArrayBuffers, so
 * all workers read the same memory; patches are cut by the workers from sampled descriptors.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { modCrop, type RgbImage } from '../../src/core/image';
import { makeLr } from '../../src/core/protocol';
import type { DataStats } from '../engine/checkpoint';
import { listImageSet } from '../eval/datasets';
import { readImage } from '../io/imageIO';

export interface SharedDataset {
  scale: number;
  /** Per image: [hrOffset, lrOffset, lrW, lrH] into the byte buffers (planar RGB, 8-bit). */
  index: Int32Array;
  hr: Uint8Array;
  lr: Uint8Array;
  names: string[];
}

function to8(img: RgbImage): Uint8Array {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[i])) * 255);
  return out;
}

/** LR of an HR file, from the cache when the file is unchanged. */
function cachedLr(file: string, hr: RgbImage, scale: number, cacheDir: string): Uint8Array {
  const st = statSync(file);
  const key = createHash('sha1').update(`${resolve(file)}|${st.size}|${st.mtimeMs}|x${scale}|matlab-bicubic-v1`).digest('hex');
  const path = join(cacheDir, `${key}.lr`);
  const n = (hr.width / scale) * (hr.height / scale) * 3;
  if (existsSync(path)) {
    const b = readFileSync(path);
    if (b.length === n) return new Uint8Array(b.buffer, b.byteOffset, b.length);
  }
  const lr = to8(makeLr(hr, scale));
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, lr);
  renameSync(tmp, path);
  return lr;
}

export function loadDataset(dirs: string[], scale: number, minLrSide: number, cacheDir = '.cache/lr'): SharedDataset {
  const files = dirs.flatMap((d) => listImageSet(d).files);
  const hrs: Uint8Array[] = [];
  const lrs: Uint8Array[] = [];
  const dims: Array<[number, number]> = [];
  const names: string[] = [];
  for (const f of files) {
    const hr = modCrop(readImage(f), scale);
    const lw = hr.width / scale;
    const lh = hr.height / scale;
    if (lw < minLrSide || lh < minLrSide) continue; // too small for one patch (e.g. T91 t20 at x4/patch 24+)
    hrs.push(to8(hr));
    lrs.push(cachedLr(f, hr, scale, cacheDir));
    dims.push([lw, lh]);
    names.push(f);
  }
  if (names.length === 0) throw new Error(`no training image is large enough for LR patches of ${minLrSide}px in ${dirs.join(', ')}`);
  const hrBytes = hrs.reduce((s, a) => s + a.length, 0);
  const lrBytes = lrs.reduce((s, a) => s + a.length, 0);
  const hr = new Uint8Array(new SharedArrayBuffer(hrBytes));
  const lr = new Uint8Array(new SharedArrayBuffer(lrBytes));
  const index = new Int32Array(new SharedArrayBuffer(names.length * 16));
  let ho = 0;
  let lo = 0;
  names.forEach((_, i) => {
    hr.set(hrs[i], ho);
    lr.set(lrs[i], lo);
    index.set([ho, lo, dims[i][0], dims[i][1]], i * 4);
    ho += hrs[i].length;
    lo += lrs[i].length;
  });
  return { scale, index, hr, lr, names };
}

/** Per-channel mean/std of all LR pixels (BTM data init), RGB in [0,1]. */
export function datasetStats(ds: SharedDataset): DataStats {
  const sum = [0, 0, 0];
  const sq = [0, 0, 0];
  let count = 0;
  for (let i = 0; i < ds.names.length; i++) {
    const [, lo, w, h] = ds.index.subarray(i * 4, i * 4 + 4);
    const n = w * h;
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < n; k++) {
        const v = ds.lr[lo + c * n + k] / 255;
        sum[c] += v;
        sq[c] += v * v;
      }
    }
    count += n;
  }
  const mean = sum.map((s) => s / count) as DataStats['mean'];
  const std = sq.map((s, c) => Math.sqrt(Math.max(1e-12, s / count - mean[c] * mean[c]))) as DataStats['std'];
  return { mean, std };
}

/** A patch descriptor: image, LR top-left, dihedral transform 0..7 (flips + 90° rotations). */
export interface PatchRef {
  img: number;
  x: number;
  y: number;
  aug: number;
}

export function samplePatches(ds: SharedDataset, count: number, patch: number, rnd: () => number): PatchRef[] {
  const out: PatchRef[] = [];
  for (let k = 0; k < count; k++) {
    const img = Math.floor(rnd() * ds.names.length);
    const w = ds.index[img * 4 + 2];
    const h = ds.index[img * 4 + 3];
    out.push({ img, x: Math.floor(rnd() * (w - patch + 1)), y: Math.floor(rnd() * (h - patch + 1)), aug: Math.floor(rnd() * 8) });
  }
  return out;
}

/** Cut one patch (side p at `scale`× resolution) into NHWC float32 `dst` at `off`, applying the dihedral transform. */
function cut(src: Uint8Array, base: number, w: number, h: number, x0: number, y0: number, p: number, aug: number, dst: Float32Array, off: number): void {
  const n = w * h;
  for (let yy = 0; yy < p; yy++) {
    for (let xx = 0; xx < p; xx++) {
      // Output (yy, xx) reads source (sy, sx) of the patch under transform `aug`.
      let sy = yy;
      let sx = xx;
      if (aug & 4) [sy, sx] = [sx, sy];
      if (aug & 1) sx = p - 1 - sx;
      if (aug & 2) sy = p - 1 - sy;
      const s = base + (y0 + sy) * w + x0 + sx;
      const o = off + (yy * p + xx) * 3;
      dst[o] = src[s] / 255;
      dst[o + 1] = src[s + n] / 255;
      dst[o + 2] = src[s + 2 * n] / 255;
    }
  }
}

/** Batch tensors' data: LR [B,p,p,3] and HR [B,p·s,p·s,3], NHWC float32. */
export function buildBatch(ds: SharedDataset, refs: PatchRef[], patch: number): { lr: Float32Array; hr: Float32Array } {
  const s = ds.scale;
  const P = patch * s;
  const lr = new Float32Array(refs.length * patch * patch * 3);
  const hr = new Float32Array(refs.length * P * P * 3);
  refs.forEach((r, b) => {
    const [ho, lo, w, h] = ds.index.subarray(r.img * 4, r.img * 4 + 4);
    cut(ds.lr, lo, w, h, r.x, r.y, patch, r.aug, lr, b * patch * patch * 3);
    cut(ds.hr, ho, w * s, h * s, r.x * s, r.y * s, P, r.aug, hr, b * P * P * 3);
  });
  return { lr, hr };
}
