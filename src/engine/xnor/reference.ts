/**
 * The plan run by plain loops over NHWC float arrays: the binary engine's specification. Slow, and
 * meant to be: the kernel and engine tests compare against it, and it shows what each plan op means.
 */
import type { RgbImage } from '../../core/image';
import { imresize } from '../../core/imresize';
import { binconvSigns, type ModelPlan, type PlanOp } from './plan';

export interface Value {
  h: number;
  w: number;
  c: number;
  data: Float32Array;
}

function conv(x: Value, w: Float32Array, cout: number, kh: number, kw: number, dil: number, bias?: Float32Array): Value {
  const { h: H, w: W, c: cin } = x;
  const y = new Float32Array(H * W * cout);
  const ph = (dil * (kh - 1)) / 2;
  const pw = (dil * (kw - 1)) / 2;
  for (let h = 0; h < H; h++)
    for (let v = 0; v < W; v++)
      for (let o = 0; o < cout; o++) {
        let s = bias ? bias[o] : 0;
        for (let i = 0; i < kh; i++) {
          const hh = h + i * dil - ph;
          if (hh < 0 || hh >= H) continue;
          for (let j = 0; j < kw; j++) {
            const ww = v + j * dil - pw;
            if (ww < 0 || ww >= W) continue;
            for (let c = 0; c < cin; c++) s += x.data[(hh * W + ww) * cin + c] * w[((o * cin + c) * kh + i) * kw + j];
          }
        }
        y[(h * W + v) * cout + o] = s;
      }
  return { h: H, w: W, c: cout, data: y };
}

function map(x: Value, f: (v: number, c: number) => number): Value {
  const out = new Float32Array(x.data.length);
  for (let k = 0; k < out.length; k++) out[k] = f(x.data[k], k % x.c);
  return { ...x, data: out };
}

/**
 * Whether a binarization input comes from integer sums of ±1 by float32 elementwise ops only: an
 * activation of binary convs (the MRB's middle). Every runtime computes those values alike, ties
 * with 0 included, so tests need no margin from sign ties there (unlike values that went through a
 * float conv, which runtimes sum in different orders).
 */
export function fromBinarySums(plan: ModelPlan, name: string): boolean {
  const by = (n: string) => plan.ops.find((o) => o.out === n);
  const act = by(name);
  if (!act || (act.op !== 'rprelu' && act.op !== 'prelu')) return false;
  const src = by(act.in);
  if (src?.op === 'binconv') return true;
  return src?.op === 'concat' && src.ins.every((n) => by(n)?.op === 'binconv');
}

/**
 * Runs the whole plan on one planar RGB image; returns the planar output. `onBinact` sees every
 * binarization's input, and whether it is fromBinarySums (tests use it for the margin from sign ties).
 */
export function runReference(plan: ModelPlan, lr: RgbImage, onBinact?: (x: Float32Array, exact: boolean) => void): RgbImage {
  const { width: W, height: H } = lr;
  const nhwc = new Float32Array(H * W * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) nhwc[p * 3 + c] = lr.data[c * H * W + p];
  const vals = new Map<string, Value>([['lr', { h: H, w: W, c: 3, data: nhwc }]]);
  const get = (n: string) => vals.get(n)!;
  for (const o of plan.ops) {
    if (o.op === 'binact') onBinact?.(get(o.in).data, fromBinarySums(plan, o.in));
    vals.set(o.out, stepReference(plan, o, get));
  }
  const sr = get('sr');
  const out = new Float32Array(sr.h * sr.w * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < sr.h * sr.w; p++) out[c * sr.h * sr.w + p] = sr.data[p * 3 + c];
  return { width: sr.w, height: sr.h, data: out };
}

/** One plan op on plain arrays (also the engines' path for ops without a kernel). */
export function stepReference(plan: ModelPlan, o: PlanOp, get: (n: string) => Value): Value {
  switch (o.op) {
    case 'normalize':
      return map(get(o.in), (v, c) => Math.fround(v - plan.mean[c]) / plan.std[c]);
    case 'center':
      return map(get(o.in), (v, c) => v - plan.mean[c]);
    case 'addmean':
      return map(get(o.in), (v, c) => v + plan.mean[c]);
    case 'clip':
      return map(get(o.in), (v) => Math.min(1, Math.max(0, v)));
    case 'binact':
      return map(get(o.in), (v) => (v >= 0 ? 1 : -1));
    case 'prelu':
      return map(get(o.in), (v, c) => (v >= 0 ? v : v * o.slope[c]));
    case 'rprelu': {
      // float32 after each op, as every runtime computes it: values at 0-sums (x = 0) can land within
      // float rounding of 0, and one rounding of the exact result could give them the other sign.
      const f = Math.fround;
      return map(get(o.in), (v, c) => {
        const t = f(v - o.theta[c]);
        return f((t >= 0 ? t : f(t * o.slope[c])) + o.delta[c]);
      });
    }
    case 'relu':
      return map(get(o.in), (v) => Math.max(0, v));
    case 'conv':
      return conv(get(o.in), o.w, o.cout, o.kh, o.kw, o.dil, o.b);
    case 'binconv': {
      const y = conv(get(o.in), binconvSigns(o), o.cout, o.kh, o.kw, o.dil);
      return map(y, (v, c) => v * o.alpha[c]);
    }
    case 'add': {
      const [a, b] = o.ins.map(get);
      return { ...a, data: a.data.map((v, k) => v + b.data[k]) };
    }
    case 'concat': {
      const xs = o.ins.map(get);
      const C = xs.reduce((s, x) => s + x.c, 0);
      const { h, w } = xs[0];
      const data = new Float32Array(h * w * C);
      let off = 0;
      for (const x of xs) {
        for (let p = 0; p < h * w; p++) for (let c = 0; c < x.c; c++) data[p * C + off + c] = x.data[p * x.c + c];
        off += x.c;
      }
      return { h, w, c: C, data };
    }
    case 'pixelshuffle': {
      const x = get(o.in);
      const s = o.scale;
      const C = x.c / (s * s);
      const data = new Float32Array(x.h * x.w * x.c);
      for (let h = 0; h < x.h; h++)
        for (let w = 0; w < x.w; w++)
          for (let c = 0; c < C; c++)
            for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) data[((h * s + i) * x.w * s + w * s + j) * C + c] = x.data[(h * x.w + w) * x.c + c * s * s + i * s + j];
      return { h: x.h * s, w: x.w * s, c: C, data };
    }
    case 'bicubic': {
      const x = get(o.in);
      const planar = new Float32Array(x.h * x.w * x.c);
      for (let c = 0; c < x.c; c++) for (let p = 0; p < x.h * x.w; p++) planar[c * x.h * x.w + p] = x.data[p * x.c + c];
      if (x.c !== 3) throw new Error('bicubic of a non-RGB value');
      const up = imresize({ width: x.w, height: x.h, data: planar }, o.scale);
      const data = new Float32Array(up.width * up.height * 3);
      for (let c = 0; c < 3; c++) for (let p = 0; p < up.width * up.height; p++) data[p * 3 + c] = up.data[c * up.width * up.height + p];
      return { h: up.height, w: up.width, c: 3, data };
    }
  }
}
