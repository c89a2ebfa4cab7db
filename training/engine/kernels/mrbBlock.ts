/**
 * The fused MRB's two kernels (wasm only; SIMD bodies in src/kernels/wat/mrbBlock.ts, plus packSigns,
 * weightBits, weightScale, binWeightGrad and binaryWeightGrad): the block's whole forward, and its
 * whole backward, each one tfjs kernel.
 */
import type { Estimator } from '../../../src/model/config';
import type { tf } from '../tf';
import { EST_CODE, type Info, registerWasm, run, wasmSimd } from './registry';

const MRB = 'BitsrMrbBlock';
const MRB_GRAD = 'BitsrMrbBlockGrad';

/** The branch convs (kh, kw, dilation) in the graph's order, as src/kernels/wat/mrbBlock.ts has them. */
export const MRB_BRANCHES = [[1, 5, 1], [1, 5, 2], [5, 1, 1], [5, 1, 2]] as const;
const BRANCH_INPUTS = ['w0', 'w1', 'w2', 'w3'] as const;
/** The table's zero border: the widest branch tap reaches 4 pixels. */
const PAD = 4;
/** Table bytes one lookup pass may read per output row (L1d is 48 KB here). */
const PASS_BYTES = 48 << 10;

/**
 * Lookup passes over parts of the table's groups (mrbTableDx): the fewest whose table rows for one
 * output row (`rows` table rows of `groups` groups, 16 patterns of `width` floats each) fit PASS_BYTES.
 */
export function lookupPasses(groups: number, rows: number, width: number): number {
  let p = 1;
  while (p < groups && (groups % p || rows * (groups / p) * 16 * width * 4 > PASS_BYTES)) p++;
  return p;
}

/** The activations' parameters as kernel pointers: θ = δ = 0 selects PReLU. */
function actPtrs(inputs: tf.NamedTensorInfoMap, ptr: (t: Info) => number, which: 'M' | 'C') {
  const theta = inputs[`theta${which}`] as Info | undefined;
  return { theta: theta ? ptr(theta) : 0, slope: ptr(inputs[`slope${which}`] as Info), delta: theta ? ptr(inputs[`delta${which}`] as Info) : 0 };
}

export function registerMrbBlockKernels(): void {
  // Forward: [y, t_cat, m, t_c, α]: t_cat = concat(branches) − θm, m = act(concat), t_c = conv3×3(sign m) − θc,
  // y = h + act(conv), α = the branches' α (C) then the 3×3's (C).
  registerWasm(MRB, (b, k, inputs, _attrs, ptr) => {
    const h = inputs.h as Info;
    const [N, H, W, C] = h.shape;
    const words = C / 32;
    const q = C / 4;
    const [y, tcat, m, tc] = [0, 1, 2, 3].map(() => b.makeOutput(h.shape, 'float32'));
    const alpha = b.makeOutput([2 * C], 'float32');
    const npix = N * H * W;
    const aBytes = npix * words * 4;
    const branchBits = 5 * words * q * 4;
    const scratch = b.wasm._malloc(2 * aBytes + 4 * branchBits + 9 * words * C * 4);
    try {
      const [a, am, wbr] = [scratch, scratch + aBytes, scratch + 2 * aBytes];
      const wbc = wbr + 4 * branchBits;
      BRANCH_INPUTS.forEach((name, i) => {
        const w = ptr(inputs[name] as Info);
        k.weightScale(w, ptr(alpha) + i * q * 4, 5 * C, q);
        k.weightBits(w, wbr + i * branchBits, 5, C, q);
      });
      k.weightScale(ptr(inputs.wc as Info), ptr(alpha) + C * 4, 9 * C, C);
      k.weightBits(ptr(inputs.wc as Info), wbc, 9, C, C);
      const am1 = actPtrs(inputs, ptr, 'M');
      const ac = actPtrs(inputs, ptr, 'C');
      let nan = k.packSigns(ptr(h), a, npix * words);
      k.mrbBranchConv(a, wbr, ptr(alpha), am1.theta, am1.slope, am1.delta, ptr(tcat), ptr(m), 0, N, H, W, words);
      nan |= k.packSigns(ptr(m), am, npix * words);
      k.mrbConv3x3(am, wbc, ptr(alpha) + C * 4, ac.theta, ac.slope, ac.delta, ptr(tc), ptr(y), ptr(h), N, H, W, words);
      if (nan) b.typedArrayFromHeap(y).fill(NaN); // NaN in, NaN out (the NaN guard must see it)
    } finally {
      b.wasm._free(scratch);
    }
    return [y, tcat, m, tc, alpha];
  });

  // Backward from dy: [dh, dw0..dw3, dwc, dslopeM, dslopeC(, dθM, dδM, dθC, dδC)].
  registerWasm(MRB_GRAD, (b, k, inputs, attrs, ptr) => {
    const dy = inputs.dy as Info;
    const h = inputs.h as Info;
    const [N, H, W, C] = h.shape;
    const { estAct, estWeight, rp } = attrs as { estAct: number; estWeight: number; rp: boolean };
    const words = C / 32;
    const q = C / 4;
    const G = C / 4;
    const npix = N * H * W;
    const out = (shape: number[]) => b.makeOutput(shape, 'float32');
    const dh = out(h.shape);
    const dws = BRANCH_INPUTS.map((n) => out((inputs[n] as Info).shape));
    const dwc = out((inputs.wc as Info).shape);
    const vecs = Array.from({ length: rp ? 6 : 2 }, () => out([C]));
    const [dslopeM, dslopeC, dthM, ddlM, dthC, ddlC] = vecs.map(ptr).concat([0, 0, 0, 0]);
    // Lookup passes, each over a part of every conv's groups: spans are bytes per 4 input channels and pass.
    const gb = G / 4;
    const p3 = lookupPasses(G, 3, W + 2);
    const p2 = lookupPasses(gb, 1 + 1 + 5 + 5, W + 2 * PAD);
    const span3 = (9 * G * 16) / p3;
    const span2 = (5 * G * 16) / p2;
    const fmap = npix * C * 4;
    const sizes = {
      o3: G * span3 * p3,
      o2: G * span2 * p2,
      e: G * 16 * (H + 2 * PAD) * (W + 2 * PAD) * 4,
      dm: fmap,
      dc: fmap,
      dcat: fmap,
      a: npix * words * 4,
      tab: words * 4 * 256 * C * 4 + 128,
      raw: 9 * C * C * 4,
      da: C * 4,
    };
    const scratch = b.wasm._malloc(Object.values(sizes).reduce((s, v) => s + v, 0));
    try {
      let p = scratch;
      const at = {} as Record<keyof typeof sizes, number>;
      for (const key of Object.keys(sizes) as Array<keyof typeof sizes>) {
        at[key] = p;
        p += sizes[key];
      }
      const alpha = ptr(inputs.alpha as Info);
      const alphaC = alpha + C * 4;
      const wc = ptr(inputs.wc as Info);
      const nanFill = (t: Info) => b.typedArrayFromHeap(t).fill(NaN);
      // The 3×3 conv: its activation's backward, the input gradient into dm (through sign m), dW.
      for (let p = 0, ng = G / p3; p < p3; p++) k.mrbOffsets(wc + p * ng * 16, at.o3 + p * G * span3, span3, C, C, ng, 3, 3, 1, p * ng, G, W, 1);
      k.mrbTableDx(ptr(dy), ptr(inputs.tc as Info), ptr(inputs.slopeC as Info), alphaC, at.o3, span3, p3, at.e, ptr(inputs.m as Info), 0, at.dm, at.dc, dslopeC, dthC, ddlC, N, H, W, C, 1, G, estAct);
      if (k.packSigns(ptr(inputs.m as Info), at.a, npix * words)) nanFill(dwc);
      else {
        k.binWeightGrad(at.a, at.dc, at.raw, at.tab, N, H, W, words, C, 3, 3, 1);
        k.binaryWeightGrad(at.raw, wc, alphaC, ptr(dwc), at.da, 9 * C, C, estWeight);
      }
      // The four branches: their activation's backward, one table pass for their input gradients
      // (plus the skip), and each branch's dW from its slice of the concat's gradient.
      MRB_BRANCHES.forEach(([kh, kw, dil], i) => {
        const w = ptr(inputs[BRANCH_INPUTS[i]] as Info);
        for (let p = 0, ng = gb / p2; p < p2; p++) k.mrbOffsets(w + p * ng * 16, at.o2 + p * G * span2 + i * 5 * ng * 16, span2, C, q, ng, kh, kw, dil, i * gb + p * ng, G, W, PAD);
      });
      k.mrbTableDx(at.dm, ptr(inputs.tcat as Info), ptr(inputs.slopeM as Info), alpha, at.o2, span2, p2, at.e, ptr(h), ptr(dy), ptr(dh), at.dcat, dslopeM, dthM, ddlM, N, H, W, C, PAD, gb, estAct);
      const nanH = k.packSigns(ptr(h), at.a, npix * words);
      MRB_BRANCHES.forEach(([kh, kw, dil], i) => {
        if (nanH) return nanFill(dws[i]);
        k.binWeightGrad(at.a, at.dcat + i * npix * q * 4, at.raw, at.tab, N, H, W, words, q, kh, kw, dil);
        k.binaryWeightGrad(at.raw, ptr(inputs[BRANCH_INPUTS[i]] as Info), alpha + i * q * 4, ptr(dws[i]), at.da, 5 * C, q, estWeight);
      });
    } finally {
      b.wasm._free(scratch);
    }
    return [dh, ...dws, dwc, ...vecs];
  });
}

/** The activation's parameters ([C] each): PReLU has a slope, RPReLU also θ and δ. */
export interface MrbAct {
  slope: tf.Tensor;
  theta?: tf.Tensor;
  delta?: tf.Tensor;
}

/** Whether the fused MRB kernels run: wasm SIMD, C = 32 or 64 (byte counters, registers), W a multiple of 8. */
export function mrbKernelsApply(hShape: number[]): boolean {
  const [, , W, C] = hShape;
  return wasmSimd() && (C === 32 || C === 64) && W % 8 === 0;
}

const actInputs = (a: MrbAct, which: 'M' | 'C'): Record<string, tf.Tensor> =>
  a.theta && a.delta ? { [`slope${which}`]: a.slope, [`theta${which}`]: a.theta, [`delta${which}`]: a.delta } : { [`slope${which}`]: a.slope };

/** The MRB's forward (see registerMrbBlockKernels): [y, t_cat, m, t_c, α]. */
export function mrbForward(h: tf.Tensor4D, w: tf.Tensor4D[], wc: tf.Tensor4D, actM: MrbAct, actC: MrbAct): tf.Tensor[] {
  const ins: Record<string, tf.Tensor> = { h, wc, ...actInputs(actM, 'M'), ...actInputs(actC, 'C') };
  BRANCH_INPUTS.forEach((n, i) => (ins[n] = w[i]));
  return run(MRB, ins) as unknown as tf.Tensor[];
}

/** The MRB's backward from the forward's saved values: [dh, dw0..dw3, dwc, dslopeM, dslopeC(, dθM, dδM, dθC, dδC)]. */
export function mrbBackward(dy: tf.Tensor4D, saved: { h: tf.Tensor4D; w: tf.Tensor4D[]; wc: tf.Tensor4D; slopeM: tf.Tensor; slopeC: tf.Tensor; tcat: tf.Tensor; m: tf.Tensor; tc: tf.Tensor; alpha: tf.Tensor }, rp: boolean, estAct: Estimator, estWeight: Estimator): tf.Tensor[] {
  const { w, ...rest } = saved;
  const ins: Record<string, tf.Tensor> = { dy, ...rest };
  BRANCH_INPUTS.forEach((n, i) => (ins[n] = w[i]));
  return run(MRB_GRAD, ins, { estAct: EST_CODE[estAct], estWeight: EST_CODE[estWeight], rp }) as unknown as tf.Tensor[];
}
