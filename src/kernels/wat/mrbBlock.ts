/**
 * The MRB (the paper's multiple receptive-field binary block) as a few kernels: its two binary convs
 * by XNOR with the activation (PReLU or RPReLU) and the skip in their stores, and its backward by
 * sign-pattern tables (the basic block's method, src/kernels/wat/binaryBlock.ts, with the lookups
 * of several convs in one list, so the four branch convs' input gradients are one pass).
 */
import { signature, type KernelName } from '../spec';
import { accLocals, zeroAcc, estimatorSetup, transpose4, estimatorOf, signedSums16, zeroFill } from './common';

type Tap = readonly [number, number];
const line = (d: number, vertical: boolean): Tap[] => [-2, -1, 0, 1, 2].map((k) => (vertical ? [k * d, 0] : [0, k * d]));
/** The MRB's branch convs, in the graph's order (1×5 d1, 1×5 d2, 5×1 d1, 5×1 d2): taps (dh, dw) in HWIO order. */
export const MRB_BRANCH_TAPS: readonly Tap[][] = [line(1, false), line(2, false), line(1, true), line(2, true)];
const CONV3_TAPS: Tap[] = [-1, 0, 1].flatMap((i) => [-1, 0, 1].map((j): Tap => [i, j]));

/**
 * One tap of the XNOR conv, words (wd) known: popcounts of the input pixel's words against the tap's
 * weight bits into the nv byte accumulators; `checked`: only if (h+dh, w+dw) is in the image.
 */
function xnorTap([dh, dw]: Tap, tap: number, wd: number, qb: number, nv: number, checked: boolean): string {
  const body = `
              ${checked ? '(local.set $valid (i32.add (local.get $valid) (i32.const 1)))' : ''}
              (local.set $pa (i32.add (local.get $pa0) (i32.add (i32.mul (local.get $rowB) (i32.const ${dh})) (i32.const ${dw * wd * 4}))))
              (local.set $pw (i32.add (local.get $wbr) (i32.const ${tap * qb * wd})))
              ${Array.from({ length: wd }, (_, k) => `
              (local.set $av (v128.load32_splat offset=${4 * k} (local.get $pa)))
              ${Array.from({ length: nv }, (_, v) => `(local.set $a${v} (i8x16.add (local.get $a${v}) (i8x16.popcnt (v128.xor (local.get $av) (v128.load offset=${k * qb + 16 * v} (local.get $pw))))))`).join('\n')}`).join('')}`;
  const inside = [
    dh ? `(i32.lt_u (i32.add (local.get $h) (i32.const ${dh})) (local.get $H))` : '',
    dw ? `(i32.lt_u (i32.add (local.get $w) (i32.const ${dw})) (local.get $W))` : '',
  ].filter(Boolean);
  if (!checked || !inside.length) return body;
  return `(if ${inside.length === 2 ? `(i32.and ${inside[0]} ${inside[1]})` : inside[0]} (then ${body}))`;
}

/**
 * The store of nv vectors (4 channels each) at channel byte $cb + ch: cv = α·(base − 2·count);
 * t = cv − θ (RPReLU; θ = 0 pointer: PReLU, t = cv) into $t; y = [res +] prelu(t, slope) [+ δ].
 */
const actStore = (nv: number, ch: number): string => {
  const at = (p: string, v: number) => `offset=${ch + 16 * v} (i32.add (local.get ${p}) (local.get $cb))`;
  return Array.from({ length: nv }, (_, v) => `
            (local.set $cv (f32x4.mul (v128.load ${at('$alpha', v)})
              (f32x4.convert_i32x4_s (i32x4.sub (local.get $base)
                (i32x4.shl (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a${v}))) (i32.const 1))))))
            (if (local.get $theta) (then
              (local.set $cv (f32x4.sub (local.get $cv) (v128.load ${at('$theta', v)})))))
            (v128.store ${at('$pt', v)} (local.get $cv))
            (local.set $cv (v128.bitselect (local.get $cv) (f32x4.mul (local.get $cv) (v128.load ${at('$slope', v)}))
              (f32x4.ge (local.get $cv) (v128.const f32x4 0 0 0 0))))
            (if (local.get $theta) (then
              (local.set $cv (f32x4.add (local.get $cv) (v128.load ${at('$delta', v)})))))
            (if (local.get $res) (then
              (local.set $cv (f32x4.add (v128.load ${at('$pr', v)}) (local.get $cv)))))
            (v128.store ${at('$py', v)} (local.get $cv))`).join('\n');
};

/** Every branch's code for one pixel with wd words: per chunk ($cb) of ≤ 32 output channels, taps then store. */
function pixelBody(branches: readonly Tap[][], wd: number, checked: boolean): string {
  const qb = (128 * wd) / branches.length; // bytes of one branch's outputs (and of one word's bits of one tap)
  const qv = qb / 16;
  const nv = Math.min(8, qv);
  let tap0 = 0;
  return branches.map((taps, b) => {
    const first = tap0;
    tap0 += taps.length;
    const label = `$c${b}${checked ? 'c' : 'i'}${wd}`;
    return `
          (local.set $cb (i32.const 0))
          (loop ${label}
          (local.set $wbr (i32.add (local.get $wb) (i32.add (local.get $cb) (i32.const ${first * qb * wd}))))
          ${zeroAcc.split('\n').slice(0, nv).join('\n')}
          ${checked ? '(local.set $valid (i32.const 0))' : ''}
          ${taps.map((t, i) => xnorTap(t, i, wd, qb, nv, checked)).join('\n')}
          (local.set $base (i32x4.splat ${checked ? `(i32.mul (local.get $valid) (i32.const ${32 * wd}))` : `(i32.const ${taps.length * 32 * wd})`}))
          ${actStore(nv, b * qb)}
          (local.set $cb (i32.add (local.get $cb) (i32.const ${16 * nv})))
          (br_if ${label} (i32.lt_u (local.get $cb) (i32.const ${qb}))))`;
  }).join('\n');
}

/** The pixel loops for wd words: pixels whose every tap is inside the image skip the tap checks. */
function pixelLoops(branches: readonly Tap[][], wd: number): string {
  const R = Math.max(...branches.flat().map(([dh, dw]) => Math.max(Math.abs(dh), Math.abs(dw))));
  return `
    (local.set $wB (i32.const ${4 * wd}))
    (local.set $rowB (i32.mul (local.get $wB) (local.get $W)))
    (local.set $end (i32.add (local.get $a) (i32.mul (local.get $rowB) (i32.mul (local.get $N) (local.get $H)))))
    (loop $pix${wd}
      (local.set $h (i32.const 0))
      (loop $lh${wd}
        (local.set $w (i32.const 0))
        (loop $lw${wd}
          (if (i32.and
                (i32.and (i32.ge_s (local.get $h) (i32.const ${R})) (i32.lt_s (local.get $h) (i32.sub (local.get $H) (i32.const ${R}))))
                (i32.and (i32.ge_s (local.get $w) (i32.const ${R})) (i32.lt_s (local.get $w) (i32.sub (local.get $W) (i32.const ${R})))))
            (then ${pixelBody(branches, wd, false)})
            (else ${pixelBody(branches, wd, true)}))
          (local.set $pa0 (i32.add (local.get $pa0) (i32.const ${4 * wd})))
          (local.set $pt (i32.add (local.get $pt) (i32.const ${128 * wd})))
          (local.set $py (i32.add (local.get $py) (i32.const ${128 * wd})))
          (local.set $pr (i32.add (local.get $pr) (i32.const ${128 * wd})))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (br_if $lw${wd} (i32.lt_u (local.get $w) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh${wd} (i32.lt_u (local.get $h) (local.get $H))))
      (br_if $pix${wd} (i32.lt_u (local.get $pa0) (local.get $end))))`;
}

/**
 * A binary conv (or several side by side, each writing its C/branches output channels) by XNOR and
 * popcount with the activation in its store; words (1 or 2) and taps unrolled. Weight bits: per
 * branch [taps, words, C/branches] (weightBits), branches one after another.
 */
function xnorActWat(name: KernelName, branches: readonly Tap[][]): string {
  return String.raw`
  ${signature(name)}
    (local $h i32) (local $w i32) (local $end i32) (local $valid i32) (local $pa i32) (local $pa0 i32) (local $pw i32)
    (local $wbr i32) (local $cb i32) (local $pt i32) (local $py i32) (local $pr i32) (local $rowB i32) (local $wB i32)
    (local $av v128) (local $cv v128) (local $base v128)
    ${accLocals}
    (local.set $pa0 (local.get $a))
    (local.set $pt (local.get $t))
    (local.set $py (local.get $y))
    (local.set $pr (local.get $res))
    (if (i32.eq (local.get $words) (i32.const 1))
      (then ${pixelLoops(branches, 1)})
      (else ${pixelLoops(branches, 2)})))
`;
}

/**
 * The MRB's forward convs. a: packed signs [N,H,W,words] (packSigns); C = 32·words channels; alpha,
 * theta, slope, delta: [C]; t, y (and res): [N,H,W,C]. theta = 0: PReLU, else RPReLU with delta;
 * res = 0: no skip. words: 1 or 2 (C 32 or 64).
 * mrbBranchConv: the four branch convs (C → C/4 each) into their slices of the concat, t = concat − θ,
 * y = prelu(t) + δ; wb: the branches' weightBits, [5, words, C/4] each, in graph order.
 * mrbConv3x3: the 3×3 conv, t = conv − θ, y = res + prelu(t) + δ; wb: [9, words, C].
 */
export const mrbXnorWat = xnorActWat('mrbBranchConv', MRB_BRANCH_TAPS) + xnorActWat('mrbConv3x3', [CONV3_TAPS]);

export const mrbOffsetsWat = String.raw`
  ;; The table lookups of one conv (HWIO w [kh,kw,cin,cout], 'same', dilation dil) for mrbTableDx, for
  ;; its ng groups of 4 output channels from w's (w may point into the kernel: cout is its stride):
  ;; entry (ci/4, tap, g, ci%4) at O + (ci/4)·stride + ((tap·ng + g)·4 + ci%4)·4 holds the byte
  ;; offset, from an output pixel's table address, of the row of the dy pixel that the tap reads for
  ;; it, in table group g0 + g, pattern = the signs of w[tap, ci, 4g..4g+3]. The table: G groups,
  ;; width W, zero border pad.
  ${signature('mrbOffsets')}
    (local $Wp i32) (local $rs i32) (local $cg i32) (local $i i32) (local $j i32) (local $g i32) (local $k i32)
    (local $q i32) (local $rel i32) (local $pat i32)
    (local.set $Wp (i32.add (local.get $W) (i32.shl (local.get $pad) (i32.const 1))))
    (local.set $rs (i32.mul (i32.shl (local.get $G) (i32.const 4)) (local.get $Wp)))
    (local.set $cg (i32.const 0))
    (loop $lcg
      (local.set $q (i32.add (local.get $O) (i32.mul (i32.shr_u (local.get $cg) (i32.const 2)) (local.get $stride))))
      (local.set $i (i32.const 0))
      (loop $li
        (local.set $j (i32.const 0))
        (loop $lj
          ;; the dy pixel of tap (i, j): (pad + ((kh-1)/2 - i)·dil) rows, (pad + ((kw-1)/2 - j)·dil) columns on
          (local.set $rel (i32.add
            (i32.mul (i32.add (local.get $pad) (i32.mul (i32.sub (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1)) (local.get $i)) (local.get $dil))) (local.get $rs))
            (i32.add (local.get $pad) (i32.mul (i32.sub (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1)) (local.get $j)) (local.get $dil)))))
          (local.set $g (i32.const 0))
          (loop $lg
            (local.set $k (i32.const 0))
            (loop $lk
              (local.set $pat (i32x4.bitmask (f32x4.lt (v128.load (i32.add (local.get $w) (i32.shl
                (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cin))
                  (i32.add (local.get $cg) (local.get $k))) (local.get $cout)) (i32.shl (local.get $g) (i32.const 2)))
                (i32.const 2)))) (v128.const f32x4 0 0 0 0))))
              (i32.store (local.get $q) (i32.shl (i32.add (local.get $rel)
                (i32.mul (i32.add (i32.shl (i32.add (local.get $g0) (local.get $g)) (i32.const 4)) (local.get $pat)) (local.get $Wp))) (i32.const 2)))
              (local.set $q (i32.add (local.get $q) (i32.const 4)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $lk (i32.lt_u (local.get $k) (i32.const 4))))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br_if $lg (i32.lt_u (local.get $g) (local.get $ng))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $li (i32.lt_u (local.get $i) (local.get $kh))))
      (local.set $cg (i32.add (local.get $cg) (i32.const 4)))
      (br_if $lcg (i32.lt_u (local.get $cg) (local.get $cin)))))
`;

/**
 * mrbTableDx's store of one 4-pixel tile: r0..r3 = pixels' 4 channels, the sums of this pass; the
 * passes before it left theirs in out; the last: out = [res +] sum·est'(ex).
 */
const dxStore = (r: string[], tileOff: string) => r.map((v, k) => `
  (local.set $q (i32.add (local.get $base) (i32.add ${tileOff} (i32.mul (local.get $ob) (i32.const ${k})))))
  (if (local.get $pass) (then (local.set ${v} (f32x4.add (v128.load (i32.add (local.get $out) (local.get $q))) (local.get ${v})))))
  (if (local.get $last) (then
    (local.set $ev (v128.load (i32.add (local.get $ex) (local.get $q))))
    (local.set ${v} (f32x4.add (f32x4.sub (local.get $ev) (local.get $ev)) (f32x4.mul (local.get ${v}) ${estimatorOf('(local.get $ev)')})))
    (if (local.get $res) (then (local.set ${v} (f32x4.add (v128.load (i32.add (local.get $res) (local.get $q))) (local.get ${v})))))))
  (v128.store (i32.add (local.get $out) (local.get $q)) (local.get ${v}))`).join('\n');

/**
 * The table input of one 4-pixel tile and group g: dd = the activation's backward at its PReLU input cx
 * (dy·(cx > 0 ? 1 : slope), NaN kept, as preluGrad), stored at $dcp + k·$gbB (the weight gradients'
 * input); dslope += dy·min(cx, 0); the RPReLU sums Σ dd (for dθ = −Σ dd) and Σ dy (dδ).
 */
const actBackward = String.raw`
            (local.set $sl (v128.load (i32.add (local.get $slope) (i32.shl (local.get $g) (i32.const 4)))))
            (local.set $da (v128.load (i32.add (local.get $dsl) (i32.shl (local.get $g) (i32.const 4)))))
            (local.set $sd (v128.const i32x4 0 0 0 0))
            (local.set $sy (v128.const i32x4 0 0 0 0))
            ${[0, 1, 2, 3].map((k) => `
            (local.set $off (i32.add (i32.add (local.get $src) (i32.shl (local.get $g) (i32.const 4))) (i32.mul (local.get $ob) (i32.const ${k}))))
            (local.set $dyv (v128.load (i32.add (local.get $dy) (local.get $off))))
            (local.set $cvv (v128.load (i32.add (local.get $cx) (local.get $off))))
            (local.set $dd (f32x4.add
              (v128.bitselect (local.get $dyv) (f32x4.mul (local.get $dyv) (local.get $sl)) (f32x4.gt (local.get $cvv) (v128.const f32x4 0 0 0 0)))
              (f32x4.sub (local.get $cvv) (local.get $cvv))))
            (v128.store (i32.add (local.get $dcp) (i32.mul (local.get $gbB) (i32.const ${k}))) (local.get $dd))
            (local.set $da (f32x4.add (local.get $da) (f32x4.mul (local.get $dyv) (f32x4.min (local.get $cvv) (v128.const f32x4 0 0 0 0)))))
            (local.set $sd (f32x4.add (local.get $sd) (local.get $dd)))
            (local.set $sy (f32x4.add (local.get $sy) (local.get $dyv)))
            (local.set $l${k} (f32x4.mul (local.get $av) (local.get $dd)))`).join('\n')}
            (v128.store (i32.add (local.get $dsl) (i32.shl (local.get $g) (i32.const 4))) (local.get $da))
            (if (local.get $dth) (then
              (local.set $off (i32.add (local.get $dth) (i32.shl (local.get $g) (i32.const 4))))
              (v128.store (local.get $off) (f32x4.sub (v128.load (local.get $off)) (local.get $sd)))
              (local.set $off (i32.add (local.get $ddl) (i32.shl (local.get $g) (i32.const 4))))
              (v128.store (local.get $off) (f32x4.add (v128.load (local.get $off)) (local.get $sy)))))`;

/** Zeroes C floats at pointer p (a local), if p is not 0. */
const zeroVec = (p: string) => `(if (local.get ${p}) (then
      (local.set $q (local.get ${p}))
      (local.set $end (i32.add (local.get ${p}) (local.get $ob)))
      ${zeroFill}))`;

export const mrbTableDxWat = String.raw`
  ;; The backward of binary convs C → C on ±1 input (after their activation, before the next one),
  ;; the input gradient by sign-pattern tables, for one conv (the 3×3) or several side by side (the
  ;; four branches, each reading C/4 of the C gradient channels):
  ;; 1. per pixel and group of 4 gradient channels: dd = the activation's backward of dy at its PReLU
  ;;    input cx (slope; RPReLU: cx = x − θ, dth/ddl get −Σ dd and Σ dy; 0: none), written to dcOut for
  ;;    the weight gradients (gb groups per branch: [branch][N,H,W,4·gb]), dslope into dsl; the table
  ;;    E[row][g][pattern][col] of the 16 signed sums of dd·α (zero border pad);
  ;; 2. per pixel, 8 at a time, and input channel: the sum of the table rows listed in O (mrbOffsets),
  ;;    out = [res +] sum·est'(ex); in passes over parts of the list (O: [pass][C/4][span bytes]), each
  ;;    reading fewer table groups (a C = 64 table's rows for one output row overflow L1: measured
  ;;    ~1.5× slower in one pass).
  ;; W: a multiple of 8; C: of 4. E: C/4·16·(H+2pad)·(W+2pad) floats.
  ${signature('mrbTableDx')}
    (local $off i32) (local $dyv v128) (local $cvv v128) (local $dd v128) (local $sl v128) (local $da v128) (local $sd v128) (local $sy v128)
    (local $Hp i32) (local $Wp i32) (local $G i32) (local $plane i32) (local $rs i32) (local $gbB i32) (local $bb i32) (local $dcp i32)
    (local $cg i32) (local $g i32) (local $q i32) (local $end i32) (local $pix i32)
    (local $n i32) (local $h i32) (local $w0 i32) (local $src i32) (local $dst i32) (local $ob i32)
    (local $eb i32) (local $po i32) (local $pend i32) (local $base i32) (local $pass i32) (local $last i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $ste v128) (local $ra v128) (local $rb v128) (local $ev v128) (local $av v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $s01 v128) (local $d01 v128) (local $s23 v128) (local $d23 v128)
    (local $ns01 v128) (local $nd01 v128) (local $ns23 v128) (local $nd23 v128)
    ${accLocals}
    ${estimatorSetup}
    (local.set $Hp (i32.add (local.get $H) (i32.shl (local.get $pad) (i32.const 1))))
    (local.set $Wp (i32.add (local.get $W) (i32.shl (local.get $pad) (i32.const 1))))
    (local.set $G (i32.shr_u (local.get $C) (i32.const 2)))
    (local.set $rs (i32.mul (i32.shl (local.get $G) (i32.const 4)) (local.get $Wp)))
    (local.set $plane (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $ob (i32.shl (local.get $C) (i32.const 2)))
    (local.set $gbB (i32.shl (local.get $gb) (i32.const 4)))
    (local.set $bb (i32.mul (i32.mul (i32.mul (local.get $N) (local.get $H)) (local.get $W)) (local.get $gbB)))
    ;; E = 0 (the borders stay zero: 'same' zero padding); the per-channel sums = 0
    (local.set $q (local.get $E))
    (local.set $end (i32.add (local.get $E) (i32.shl (i32.mul (local.get $Hp) (local.get $rs)) (i32.const 2))))
    ${zeroFill}
    ${zeroVec('$dsl')}
    ${zeroVec('$dth')}
    ${zeroVec('$ddl')}
    (local.set $n (i32.const 0))
    (loop $ln
      ;; 1. the table of this image
      (local.set $h (i32.const 0))
      (loop $bh
        (local.set $w0 (i32.const 0))
        (loop $bw
          (local.set $pix (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $W)) (local.get $w0)))
          (local.set $src (i32.mul (local.get $ob) (local.get $pix)))
          (local.set $dst (i32.add (local.get $E) (i32.shl (i32.add (i32.mul (i32.add (local.get $h) (local.get $pad)) (local.get $rs)) (i32.add (local.get $w0) (local.get $pad))) (i32.const 2))))
          (local.set $g (i32.const 0))
          (loop $bg
            (local.set $dcp (i32.add (i32.add (local.get $dcOut) (i32.mul (i32.div_u (local.get $g) (local.get $gb)) (local.get $bb)))
              (i32.add (i32.mul (local.get $pix) (local.get $gbB)) (i32.shl (i32.rem_u (local.get $g) (local.get $gb)) (i32.const 4)))))
            (local.set $av (v128.load (i32.add (local.get $alpha) (i32.shl (local.get $g) (i32.const 4)))))
            ${actBackward}
            ${transpose4(['$l0', '$l1', '$l2', '$l3'], ['$c0', '$c1', '$c2', '$c3'])}
            (local.set $q (i32.add (local.get $dst) (i32.mul (i32.shl (local.get $g) (i32.const 4)) (local.get $plane))))
            ${signedSums16('$plane')}
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br_if $bg (i32.lt_u (local.get $g) (local.get $G))))
          (local.set $w0 (i32.add (local.get $w0) (i32.const 4)))
          (br_if $bw (i32.lt_u (local.get $w0) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $bh (i32.lt_u (local.get $h) (local.get $H))))
      ;; 2. lookups: 8 pixels (two 4-pixel tiles) x 4 input channels per accumulator set
      (local.set $pass (i32.const 0))
      (loop $lp
      (local.set $last (i32.eq (i32.add (local.get $pass) (i32.const 1)) (local.get $passes)))
      (local.set $h (i32.const 0))
      (loop $lh
        (local.set $w0 (i32.const 0))
        (loop $lw
          (local.set $eb (i32.add (local.get $E) (i32.shl (i32.add (i32.mul (local.get $h) (local.get $rs)) (local.get $w0)) (i32.const 2))))
          (local.set $base (i32.mul (local.get $ob) (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $W)) (local.get $w0))))
          (local.set $po (i32.add (local.get $O) (i32.mul (i32.mul (local.get $pass) (local.get $G)) (local.get $span))))
          (local.set $cg (i32.const 0))
          (loop $lc
            ${zeroAcc}
            (local.set $pend (i32.add (local.get $po) (local.get $span)))
            (loop $lt
              (local.set $o0 (i32.add (local.get $eb) (i32.load (local.get $po))))
              (local.set $o1 (i32.add (local.get $eb) (i32.load offset=4 (local.get $po))))
              (local.set $o2 (i32.add (local.get $eb) (i32.load offset=8 (local.get $po))))
              (local.set $o3 (i32.add (local.get $eb) (i32.load offset=12 (local.get $po))))
              (local.set $a0 (f32x4.add (local.get $a0) (v128.load (local.get $o0))))
              (local.set $a4 (f32x4.add (local.get $a4) (v128.load offset=16 (local.get $o0))))
              (local.set $a1 (f32x4.add (local.get $a1) (v128.load (local.get $o1))))
              (local.set $a5 (f32x4.add (local.get $a5) (v128.load offset=16 (local.get $o1))))
              (local.set $a2 (f32x4.add (local.get $a2) (v128.load (local.get $o2))))
              (local.set $a6 (f32x4.add (local.get $a6) (v128.load offset=16 (local.get $o2))))
              (local.set $a3 (f32x4.add (local.get $a3) (v128.load (local.get $o3))))
              (local.set $a7 (f32x4.add (local.get $a7) (v128.load offset=16 (local.get $o3))))
              (local.set $po (i32.add (local.get $po) (i32.const 16)))
              (br_if $lt (i32.lt_u (local.get $po) (local.get $pend))))
            ${transpose4(['$a0', '$a1', '$a2', '$a3'], ['$l0', '$l1', '$l2', '$l3'])}
            ${dxStore(['$l0', '$l1', '$l2', '$l3'], '(i32.shl (local.get $cg) (i32.const 2))')}
            ${transpose4(['$a4', '$a5', '$a6', '$a7'], ['$l0', '$l1', '$l2', '$l3'])}
            ${dxStore(['$l0', '$l1', '$l2', '$l3'], '(i32.add (i32.shl (local.get $cg) (i32.const 2)) (i32.shl (local.get $ob) (i32.const 2)))')}
            (local.set $cg (i32.add (local.get $cg) (i32.const 4)))
            (br_if $lc (i32.lt_u (local.get $cg) (local.get $C))))
          (local.set $w0 (i32.add (local.get $w0) (i32.const 8)))
          (br_if $lw (i32.lt_u (local.get $w0) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $pass (i32.add (local.get $pass) (i32.const 1)))
      (br_if $lp (i32.lt_u (local.get $pass) (local.get $passes))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
`;

export const mrbBlockWat = mrbXnorWat + mrbOffsetsWat + mrbTableDxWat;
