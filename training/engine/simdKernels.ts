/**
 * WebAssembly SIMD bodies of the fused training kernels (kernels.ts). The module imports the
 * tfjs-wasm backend's own memory, so it reads and writes tensors in place: pointers are the
 * backend's byte offsets. Plain JS loops are no faster than tfjs's separate wasm passes
 * (measured here: 0.34 ms for a branch-free sign over 8×24×24×32, 1.4 ms with a branch on
 * random signs); 128-bit SIMD is what makes fusing pay. Assembled with wabt at startup.
 *
 * NaN in, NaN out everywhere (x − x is 0 for finite x, NaN otherwise), so the trainer's NaN
 * guard still sees a poisoned batch.
 */
import v8 from 'node:v8';
import { tf } from './tf';

/** f32x4 acc + a·b: one fused multiply-add with relaxed SIMD (FMA here), else mul then add. */
const madd = (fma: boolean, a: string, b: string, acc: string) =>
  fma ? `(f32x4.relaxed_madd (local.get ${a}) (local.get ${b}) (local.get ${acc}))` : `(f32x4.add (local.get ${acc}) (f32x4.mul (local.get ${a}) (local.get ${b})))`;

/** The 4 × 2-vector register tile of the conv kernels: accumulators $a0..$a7. */
const accLocals = Array.from({ length: 8 }, (_, k) => `(local $a${k} v128)`).join(' ');
const zeroAcc = Array.from({ length: 8 }, (_, k) => `(local.set $a${k} (v128.const i32x4 0 0 0 0))`).join('\n');
/** Tile update: for k = 0..3, s = splat(load(scalar k)); a[2k] += s·v0; a[2k+1] += s·v1. */
const tileMacs = (fma: boolean, v0: string, v1: string, scalar: (k: number) => string): string =>
  [0, 1, 2, 3]
    .map((k) => [
      `(local.set $s (v128.load32_splat ${scalar(k)}))`,
      `(local.set $a${2 * k} ${madd(fma, '$s', v0, `$a${2 * k}`)})`,
      `(local.set $a${2 * k + 1} ${madd(fma, '$s', v1, `$a${2 * k + 1}`)})`,
    ].join('\n'))
    .join('\n');


/** Stores the conv tile ($a0..$a7: 4 pixels × 8 channels at $py), plain or with the block epilogue. */
const storeTile = (epilogue: boolean) => [0, 1, 2, 3].map((k) => {
  const q = `(local.set $q (i32.add (local.get $py) (i32.mul (local.get $ys) (i32.const ${k}))))`;
  const plain = [0, 1].map((v) => `(v128.store offset=${16 * v} (local.get $q) (local.get $a${2 * k + v}))`).join('\n');
  const epi = [0, 1].map((v) => {
    const off = `offset=${16 * v}`;
    return `(local.set $ev (v128.load ${off} (i32.add (local.get $ex) (local.get $rel))))
      (v128.store ${off} (local.get $q) (f32x4.add (v128.load ${off} (i32.add (local.get $res) (local.get $rel)))
        (f32x4.add (f32x4.sub (local.get $ev) (local.get $ev)) (f32x4.mul (local.get $a${2 * k + v})
          (v128.bitselect
            (v128.and (f32x4.lt (f32x4.abs (local.get $ev)) (v128.const f32x4 1 1 1 1)) (v128.const f32x4 1 1 1 1))
            (f32x4.max (v128.const f32x4 0 0 0 0) (f32x4.sub (local.get $ra) (f32x4.mul (local.get $rb) (f32x4.abs (local.get $ev)))))
            (local.get $ste))))))`;
  }).join('\n');
  return epilogue ? `${q}\n(local.set $rel (i32.sub (local.get $q) (local.get $y)))\n${epi}` : `${q}\n${plain}`;
}).join('\n');

const estimatorSetup = String.raw`    ;; estimator: STE-clip 1{|x|<1}, else max(0, ra - rb*|x|)
    (local.set $ste (i32x4.splat (i32.sub (i32.const 0) (i32.eqz (local.get $est)))))
    (local.set $ra (select (result v128) (v128.const f32x4 2 2 2 2) (v128.const f32x4 4 4 4 4) (i32.eq (local.get $est) (i32.const 1))))
    (local.set $rb (select (result v128) (v128.const f32x4 2 2 2 2) (v128.const f32x4 8 8 8 8) (i32.eq (local.get $est) (i32.const 1))))
`;

/** The 'valid' conv (plain, or with the binary block's dX epilogue). */
const convFunc = (fma: boolean, epi: boolean) => String.raw`
  ;; 'valid' stride-1 conv with dilation, NHWC input xp (already padded) / HWIO weights:
  ;; y[n,h,w,o] = sum over i,j,c of xp[n, h+i*dil, w+j*dil, c] * w[i,j,c,o], y: [N,H,W,cout].
  ;; Register tile: 4 output pixels along w x 8 output channels. W: a multiple of 4; cout: of 8.
  ;; convEstimatorSkip: the output is instead res + y * d sign/dx(ex) as estimated (est as in signGrad):
  ;; a binary block's input gradient, skip path included. res and ex: [N,H,W,cout] like y.
  (func (export "${epi ? 'convEstimatorSkip' : 'conv'}")
    (param $xp i32) (param $w i32) (param $y i32)
    (param $N i32) (param $H i32) (param $W i32) (param $cin i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32)${epi ? ' (param $res i32) (param $ex i32) (param $est i32)\n    (local $rel i32) (local $ev v128) (local $ste v128) (local $ra v128) (local $rb v128)' : ''}
    (local $n i32) (local $h i32) (local $wb i32) (local $ob i32) (local $i i32) (local $j i32)
    (local $Hp i32) (local $Wp i32) (local $xs i32) (local $ys i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $px i32) (local $pw i32) (local $pend i32) (local $py i32) (local $q i32)
    ${accLocals} (local $w0 v128) (local $w1 v128) (local $s v128)
${epi ? estimatorSetup : ''}
    (local.set $Hp (i32.add (local.get $H) (i32.mul (local.get $dil) (i32.sub (local.get $kh) (i32.const 1)))))
    (local.set $Wp (i32.add (local.get $W) (i32.mul (local.get $dil) (i32.sub (local.get $kw) (i32.const 1)))))
    (local.set $xs (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $ys (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $x1 (local.get $xs))
    (local.set $x2 (i32.shl (local.get $xs) (i32.const 1)))
    (local.set $x3 (i32.add (local.get $x2) (local.get $xs)))
    (local.set $py (local.get $y))
    (local.set $n (i32.const 0))
    (loop $ln
      (local.set $h (i32.const 0))
      (loop $lh
        (local.set $wb (i32.const 0))
        (loop $lwb
          (local.set $ob (i32.const 0))
          (loop $lo
            ${zeroAcc}
            (local.set $i (i32.const 0))
            (loop $li
              (local.set $j (i32.const 0))
              (loop $lj
                (local.set $px (i32.add (local.get $xp) (i32.mul (local.get $xs)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Hp)) (i32.add (local.get $h) (i32.mul (local.get $i) (local.get $dil)))) (local.get $Wp))
                    (i32.add (local.get $wb) (i32.mul (local.get $j) (local.get $dil)))))))
                (local.set $pw (i32.add (local.get $w) (i32.shl
                  (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cin)) (local.get $cout)) (local.get $ob))
                  (i32.const 2))))
                (local.set $pend (i32.add (local.get $px) (local.get $xs)))
                (loop $lc
                  (local.set $w0 (v128.load (local.get $pw)))
                  (local.set $w1 (v128.load offset=16 (local.get $pw)))
                  ${tileMacs(fma, '$w0', '$w1', (k) => (k ? `(i32.add (local.get $px) (local.get $x${k}))` : '(local.get $px)'))}
                  (local.set $px (i32.add (local.get $px) (i32.const 4)))
                  (local.set $pw (i32.add (local.get $pw) (local.get $ys)))
                  (br_if $lc (i32.lt_u (local.get $px) (local.get $pend))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $li (i32.lt_u (local.get $i) (local.get $kh))))
            ${storeTile(epi)}
            (local.set $py (i32.add (local.get $py) (i32.const 32)))
            (local.set $ob (i32.add (local.get $ob) (i32.const 8)))
            (br_if $lo (i32.lt_u (local.get $ob) (local.get $cout))))
          ;; py advanced by cout floats within the 4-pixel tile row; move to the next tile
          (local.set $py (i32.add (local.get $py) (i32.mul (local.get $ys) (i32.const 3))))
          (local.set $wb (i32.add (local.get $wb) (i32.const 4)))
          (br_if $lwb (i32.lt_u (local.get $wb) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))`;

/** i8x16.shuffle byte indices for i32 lanes (0–3: first operand, 4–7: second). */
const lanes = (l: number[]) => l.flatMap((x) => [0, 1, 2, 3].map((b) => 4 * x + b)).join(' ');
/** 4×4 f32 transpose of locals a[0..3] into locals r[0..3] through $t0..$t3. */
const transpose4 = (a: string[], r: string[]) => `
  (local.set $t0 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get ${a[0]}) (local.get ${a[1]})))
  (local.set $t1 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get ${a[2]}) (local.get ${a[3]})))
  (local.set $t2 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get ${a[0]}) (local.get ${a[1]})))
  (local.set $t3 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get ${a[2]}) (local.get ${a[3]})))
  (local.set ${r[0]} (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t0) (local.get $t1)))
  (local.set ${r[1]} (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t0) (local.get $t1)))
  (local.set ${r[2]} (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t2) (local.get $t3)))
  (local.set ${r[3]} (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t2) (local.get $t3)))`;
/** d sign/dx as estimated at x (a v128 expression), with $ste/$ra/$rb from estimatorSetup. */
const estimatorOf = (x: string) => `(v128.bitselect
  (v128.and (f32x4.lt (f32x4.abs ${x}) (v128.const f32x4 1 1 1 1)) (v128.const f32x4 1 1 1 1))
  (f32x4.max (v128.const f32x4 0 0 0 0) (f32x4.sub (local.get $ra) (f32x4.mul (local.get $rb) (f32x4.abs ${x}))))
  (local.get $ste))`;
/** binaryBlockDx's store of one 4-pixel tile: r0..r3 = pixels' 4 channels; out = res + r·est'(ex) at $base + k·$ob. */
const dxStore = (r: string[], tileOff: string) => r.map((v, k) => `
  (local.set $q (i32.add (local.get $base) (i32.add ${tileOff} (i32.mul (local.get $ib) (i32.const ${k})))))
  (local.set $ev (v128.load (i32.add (local.get $ex) (local.get $q))))
  (v128.store (i32.add (local.get $out) (local.get $q))
    (f32x4.add (v128.load (i32.add (local.get $res) (local.get $q)))
      (f32x4.add (f32x4.sub (local.get $ev) (local.get $ev)) (f32x4.mul (local.get ${v}) ${estimatorOf('(local.get $ev)')}))))`).join('\n');

/**
 * binaryBlockDx's table input: dc = PReLU backward of dy at the PReLU input cx (as preluGrad: dy·(cx > 0 ? 1 : slope),
 * NaN kept), written to dcOut for the weight gradient; dslope += dy·min(cx, 0) in preluGrad's order.
 */
const preluBuild = String.raw`
            (local.set $sl (v128.load (i32.add (local.get $slope) (i32.shl (local.get $g) (i32.const 4)))))
            (local.set $da (v128.load (i32.add (local.get $dsl) (i32.shl (local.get $g) (i32.const 4)))))
            ${[0, 1, 2, 3].map((k) => `
            (local.set $off (i32.sub (i32.add (local.get $q) (i32.mul (local.get $ob) (i32.const ${k}))) (local.get $dc)))
            (local.set $dyv (v128.load (i32.add (local.get $dc) (local.get $off))))
            (local.set $cvv (v128.load (i32.add (local.get $cx) (local.get $off))))
            (local.set $dd (f32x4.add
              (v128.bitselect (local.get $dyv) (f32x4.mul (local.get $dyv) (local.get $sl)) (f32x4.gt (local.get $cvv) (v128.const f32x4 0 0 0 0)))
              (f32x4.sub (local.get $cvv) (local.get $cvv))))
            (v128.store (i32.add (local.get $dcOut) (local.get $off)) (local.get $dd))
            (local.set $da (f32x4.add (local.get $da) (f32x4.mul (local.get $dyv) (f32x4.min (local.get $cvv) (v128.const f32x4 0 0 0 0)))))
            (local.set $l${k} (f32x4.mul (local.get $av) (local.get $dd)))`).join('\n')}
            (v128.store (i32.add (local.get $dsl) (i32.shl (local.get $g) (i32.const 4))) (local.get $da))`;

/**
 * A basic block's backward through its PReLU and binary conv, the conv's input gradient without
 * multiplies: $dc is the block's output gradient dy (also $res, the skip path), $cx the PReLU input;
 * the PReLU backward gives dc (written to $dcOut) and dslope ($dsl). The weights are ±1·α, so for
 * each pixel and group of 4 output channels the 16 signed sums of dc·α are tabulated once
 * (E[row][g][pattern][col], zero-padded), and each input channel's gradient is a sum of table
 * lookups picked by its weights' sign patterns (offsets O[ci/4][tap][g][ci%4], built here):
 * 9·8 adds per channel and pixel instead of 9·32 multiply-adds. Epilogue as convEstimatorSkip.
 * W: a multiple of 8; cin, cout: of 4. E: cout/4·16·Hp·Wp floats; O: cin·taps·cout/4 i32.
 */
const binaryDxFunc = String.raw`
  (func (export "binaryBlockDx")
    (param $dc i32) (param $w i32) (param $alpha i32) (param $res i32) (param $ex i32) (param $out i32)
    (param $E i32) (param $O i32)
    (param $N i32) (param $H i32) (param $W i32) (param $cin i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32) (param $est i32) (param $cx i32) (param $slope i32) (param $dcOut i32) (param $dsl i32)
    (local $off i32) (local $dyv v128) (local $cvv v128) (local $dd v128) (local $sl v128) (local $da v128)
    (local $ph i32) (local $pw i32) (local $Hp i32) (local $Wp i32) (local $G i32) (local $plane i32) (local $rs i32)
    (local $cg i32) (local $i i32) (local $j i32) (local $g i32) (local $k i32) (local $q i32) (local $end i32)
    (local $n i32) (local $h i32) (local $w0 i32) (local $src i32) (local $dst i32) (local $ob i32) (local $ib i32)
    (local $eb i32) (local $po i32) (local $pend i32) (local $base i32) (local $span i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $ste v128) (local $ra v128) (local $rb v128) (local $ev v128) (local $av v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $s01 v128) (local $d01 v128) (local $s23 v128) (local $d23 v128)
    (local $ns01 v128) (local $nd01 v128) (local $ns23 v128) (local $nd23 v128)
    ${accLocals}
    ${estimatorSetup}
    (local.set $ph (i32.shr_u (i32.mul (local.get $dil) (i32.sub (local.get $kh) (i32.const 1))) (i32.const 1)))
    (local.set $pw (i32.shr_u (i32.mul (local.get $dil) (i32.sub (local.get $kw) (i32.const 1))) (i32.const 1)))
    (local.set $Hp (i32.add (local.get $H) (i32.shl (local.get $ph) (i32.const 1))))
    (local.set $Wp (i32.add (local.get $W) (i32.shl (local.get $pw) (i32.const 1))))
    (local.set $G (i32.shr_u (local.get $cout) (i32.const 2)))
    ;; E layout [row][g][pattern][col]: the rows one output row reads are contiguous (~40 KB for 32
    ;; channels, instead of 384 pieces spread over the whole table; measured a little faster).
    (local.set $rs (i32.mul (i32.shl (local.get $G) (i32.const 4)) (local.get $Wp)))
    (local.set $plane (i32.shl (local.get $Wp) (i32.const 2)))
    (local.set $ob (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $ib (i32.shl (local.get $cin) (i32.const 2)))
    ;; 1. lookup offsets O[cg][i][j][g][k] (bytes into E, relative to the output pixel's E address)
    (local.set $q (local.get $O))
    (local.set $cg (i32.const 0))
    (loop $lcg
      (local.set $i (i32.const 0))
      (loop $li
        (local.set $j (i32.const 0))
        (loop $lj
          (local.set $g (i32.const 0))
          (loop $lg
            (local.set $k (i32.const 0))
            (loop $lk
              (i32.store (local.get $q) (i32.shl (i32.add (i32.add
                (i32.mul (i32.sub (i32.shl (local.get $ph) (i32.const 1)) (i32.mul (local.get $i) (local.get $dil))) (local.get $rs))
                (i32.mul (i32.add (i32.shl (local.get $g) (i32.const 4))
                    (i32x4.bitmask (f32x4.lt (v128.load (i32.add (local.get $w) (i32.shl
                      (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cin))
                        (i32.add (local.get $cg) (local.get $k))) (local.get $cout)) (i32.shl (local.get $g) (i32.const 2)))
                      (i32.const 2)))) (v128.const f32x4 0 0 0 0))))
                  (local.get $Wp)))
                (i32.sub (i32.shl (local.get $pw) (i32.const 1)) (i32.mul (local.get $j) (local.get $dil))))
                (i32.const 2)))
              (local.set $q (i32.add (local.get $q) (i32.const 4)))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br_if $lk (i32.lt_u (local.get $k) (i32.const 4))))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br_if $lg (i32.lt_u (local.get $g) (local.get $G))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $li (i32.lt_u (local.get $i) (local.get $kh))))
      (local.set $cg (i32.add (local.get $cg) (i32.const 4)))
      (br_if $lcg (i32.lt_u (local.get $cg) (local.get $cin))))
    ;; bytes of O per group of 4 input channels
    (local.set $span (i32.shl (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $G)) (i32.const 4)))
    ;; 2. E = 0 (the borders stay zero: 'same' zero padding)
    (local.set $q (local.get $E))
    (local.set $end (i32.add (local.get $E) (i32.shl (i32.mul (local.get $Hp) (local.get $rs)) (i32.const 2))))
    (loop $z
      (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $z (i32.lt_u (local.get $q) (local.get $end))))
    ;; dslope = 0
    (local.set $q (local.get $dsl))
    (loop $zs
      (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $zs (i32.lt_u (local.get $q) (i32.add (local.get $dsl) (local.get $ob)))))
    (local.set $n (i32.const 0))
    (loop $ln
      ;; 3. the table of this image: E[h+ph][g][P][w+pw] = sum_j (bit j of P ? -1 : 1) dc[n,h,w,4g+j] alpha[4g+j]
      (local.set $h (i32.const 0))
      (loop $bh
        (local.set $w0 (i32.const 0))
        (loop $bw
          (local.set $src (i32.add (local.get $dc) (i32.mul (local.get $ob) (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $W)) (local.get $w0)))))
          (local.set $dst (i32.add (local.get $E) (i32.shl (i32.add (i32.mul (i32.add (local.get $h) (local.get $ph)) (local.get $rs)) (i32.add (local.get $w0) (local.get $pw))) (i32.const 2))))
          (local.set $g (i32.const 0))
          (loop $bg
            (local.set $av (v128.load (i32.add (local.get $alpha) (i32.shl (local.get $g) (i32.const 4)))))
            (local.set $q (i32.add (local.get $src) (i32.shl (local.get $g) (i32.const 4))))
            ${preluBuild}
            ${transpose4(['$l0', '$l1', '$l2', '$l3'], ['$c0', '$c1', '$c2', '$c3'])}
            (local.set $s01 (f32x4.add (local.get $c0) (local.get $c1)))
            (local.set $d01 (f32x4.sub (local.get $c0) (local.get $c1)))
            (local.set $s23 (f32x4.add (local.get $c2) (local.get $c3)))
            (local.set $d23 (f32x4.sub (local.get $c2) (local.get $c3)))
            (local.set $ns01 (f32x4.neg (local.get $s01)))
            (local.set $nd01 (f32x4.neg (local.get $d01)))
            (local.set $ns23 (f32x4.neg (local.get $s23)))
            (local.set $nd23 (f32x4.neg (local.get $d23)))
            (local.set $q (i32.add (local.get $dst) (i32.mul (i32.shl (local.get $g) (i32.const 4)) (local.get $plane))))
            ${Array.from({ length: 16 }, (_, P) => {
              const A = ['$s01', '$nd01', '$d01', '$ns01'][P & 3];
              const B = ['$s23', '$nd23', '$d23', '$ns23'][P >> 2];
              return `(v128.store (i32.add (local.get $q) (i32.mul (local.get $plane) (i32.const ${P}))) (f32x4.add (local.get ${A}) (local.get ${B})))`;
            }).join('\n')}
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br_if $bg (i32.lt_u (local.get $g) (local.get $G))))
          (local.set $w0 (i32.add (local.get $w0) (i32.const 4)))
          (br_if $bw (i32.lt_u (local.get $w0) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $bh (i32.lt_u (local.get $h) (local.get $H))))
      ;; 4. lookups: 8 pixels (two 4-pixel tiles) x 4 input channels per accumulator set
      (local.set $h (i32.const 0))
      (loop $lh
        (local.set $w0 (i32.const 0))
        (loop $lw
          (local.set $eb (i32.add (local.get $E) (i32.shl (i32.add (i32.mul (local.get $h) (local.get $rs)) (local.get $w0)) (i32.const 2))))
          (local.set $base (i32.add (i32.mul (local.get $ib) (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $W)) (local.get $w0))) (i32.const 0)))
          (local.set $po (local.get $O))
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
            ${dxStore(['$l0', '$l1', '$l2', '$l3'], '(i32.add (i32.shl (local.get $cg) (i32.const 2)) (i32.shl (local.get $ib) (i32.const 2)))')}
            (local.set $cg (i32.add (local.get $cg) (i32.const 4)))
            (br_if $lc (i32.lt_u (local.get $cg) (local.get $cin))))
          (local.set $w0 (i32.add (local.get $w0) (i32.const 8)))
          (br_if $lw (i32.lt_u (local.get $w0) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
`;

/** binWeightGrad's table update of the 4 sign-pattern rows $r0..$r3 of one word, 8 channels at $c. */
const tableAdds = Array.from({ length: 4 }, (_, g) => [
  `(local.set $q (i32.add (local.get $r${g}) (local.get $c)))`,
  `(v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $d0)))`,
  `(v128.store offset=16 (local.get $q) (f32x4.add (v128.load offset=16 (local.get $q)) (local.get $d1)))`,
].join('\n')).join('\n');
/** Row offsets of the 4 groups of 8 input channels of packed word $word: pattern = its 8 sign bits. */
const tableRows = Array.from({ length: 4 }, (_, g) =>
  `(local.set $r${g} (i32.add (i32.add (local.get $pt) (i32.mul (local.get $gb) (i32.const ${g}))) (i32.mul (i32.and (i32.shr_u (local.get $word) (i32.const ${8 * g})) (i32.const 255)) (local.get $ds))))`,
).join('\n');

/**
 * Convs whose output gradient is ±c everywhere (the tail under the L1 loss: d|d|/dd = ±1, then
 * /N): the multiply-adds with dy become sums of ±x, grouped by dy's sign patterns (4 channels, 16
 * patterns), like the binary conv's kernels with the roles of input and output swapped.
 */
const signGradFuncs = String.raw`
  ;; c if |v| == c > 0 for all n values (finite), else 0. n: a multiple of 4.
  (func (export "signScale") (param $x i32) (param $n i32) (result f32)
    (local $end i32) (local $c v128) (local $bad v128) (local $v v128)
    (local.set $c (f32x4.splat (f32.abs (f32.load (local.get $x)))))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (loop $l
      (local.set $v (f32x4.abs (v128.load (local.get $x))))
      (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $v) (local.get $c))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (br_if $l (i32.lt_u (local.get $x) (local.get $end))))
    (select (f32x4.extract_lane 0 (local.get $c)) (f32.const 0)
      (i32.and (i32.eqz (v128.any_true (local.get $bad)))
        (i32.and (f32.gt (f32x4.extract_lane 0 (local.get $c)) (f32.const 0))
          (f32.lt (f32x4.extract_lane 0 (local.get $c)) (f32.const inf))))))
  ;; dw[t, ci, co] = c * sum_p x[p + t, ci] * sign(dy[p, co]) ('same' zero padding, dilation dil).
  ;; Per tap: T[g][P][ci] += x row, P = the sign bits of dy[p, 4g..4g+3]; then
  ;; dw[t, ci, 4g+b] = c (total[ci] - 2 sum_{P has b} T[g][P][ci]). cin: a multiple of 8; cout: of 4.
  ;; tab: scratch of cout/4*16*cin*4 + cout bytes (the last part: the pixel's G row offsets).
  (func (export "signGradWeightGrad")
    (param $x i32) (param $dy i32) (param $dw i32) (param $tab i32)
    (param $N i32) (param $H i32) (param $W i32) (param $cin i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32) (param $c f32)
    (local $n i32) (local $i i32) (local $j i32) (local $oh i32) (local $ow i32) (local $h0 i32) (local $h1 i32)
    (local $w0 i32) (local $w1 i32) (local $h i32) (local $px i32) (local $pd i32) (local $pend i32)
    (local $G i32) (local $xs i32) (local $ds i32) (local $gb i32) (local $tb i32) (local $rows i32) (local $g i32)
    (local $q i32) (local $end i32) (local $ch i32) (local $r i32) (local $tap i32)
    (local $x0 v128) (local $x1 v128) (local $x2 v128) (local $x3 v128) (local $x4 v128) (local $x5 v128) (local $x6 v128) (local $x7 v128)
    (local $tot v128) (local $cv v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $o0 v128) (local $o1 v128) (local $o2 v128) (local $o3 v128)
    ${Array.from({ length: 16 }, (_, p) => `(local $v${p} v128)`).join(' ')}
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $G (i32.shr_u (local.get $cout) (i32.const 2)))
    (local.set $xs (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $ds (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $gb (i32.shl (local.get $xs) (i32.const 4)))
    (local.set $tb (i32.mul (local.get $gb) (local.get $G)))
    (local.set $rows (i32.add (local.get $tab) (local.get $tb)))
    (local.set $tap (i32.const 0))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $oh (i32.mul (i32.sub (local.get $i) (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1))) (local.get $dil)))
      (local.set $h0 (select (i32.sub (i32.const 0) (local.get $oh)) (i32.const 0) (i32.lt_s (local.get $oh) (i32.const 0))))
      (local.set $h1 (select (i32.sub (local.get $H) (local.get $oh)) (local.get $H) (i32.gt_s (local.get $oh) (i32.const 0))))
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $ow (i32.mul (i32.sub (local.get $j) (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1))) (local.get $dil)))
        (local.set $w0 (select (i32.sub (i32.const 0) (local.get $ow)) (i32.const 0) (i32.lt_s (local.get $ow) (i32.const 0))))
        (local.set $w1 (select (i32.sub (local.get $W) (local.get $ow)) (local.get $W) (i32.gt_s (local.get $ow) (i32.const 0))))
        (local.set $q (local.get $tab))
        (local.set $end (i32.add (local.get $tab) (local.get $tb)))
        (loop $z
          (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $z (i32.lt_u (local.get $q) (local.get $end))))
        (if (i32.and (i32.lt_s (local.get $h0) (local.get $h1)) (i32.lt_s (local.get $w0) (local.get $w1)))
          (then
          (local.set $n (i32.const 0))
          (loop $ln
            (local.set $h (local.get $h0))
            (loop $lh
              (local.set $px (i32.add (local.get $x) (i32.mul (local.get $xs)
                (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.add (local.get $h) (local.get $oh))) (local.get $W)) (i32.add (local.get $w0) (local.get $ow))))))
              (local.set $pd (i32.add (local.get $dy) (i32.mul (local.get $ds)
                (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $W)) (local.get $w0)))))
              (local.set $pend (i32.add (local.get $pd) (i32.mul (i32.sub (local.get $w1) (local.get $w0)) (local.get $ds))))
              (loop $lw
                ;; this pixel's table rows, one per group of 4 output channels
                (local.set $g (i32.const 0))
                (loop $lr
                  (i32.store (i32.add (local.get $rows) (i32.shl (local.get $g) (i32.const 2)))
                    (i32.add (i32.add (local.get $tab) (i32.mul (local.get $g) (local.get $gb)))
                      (i32.mul (local.get $xs) (i32x4.bitmask (f32x4.lt (v128.load (i32.add (local.get $pd) (i32.shl (local.get $g) (i32.const 4)))) (v128.const f32x4 0 0 0 0))))))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $lr (i32.lt_u (local.get $g) (local.get $G))))
                ;; input channels in chunks of 8 vectors (32) while they last, then of 2 (8)
                (local.set $ch (i32.const 0))
                (block $wide (loop $lc32
                  (br_if $wide (i32.gt_u (i32.add (local.get $ch) (i32.const 128)) (local.get $xs)))
                  ${[0, 1, 2, 3, 4, 5, 6, 7].map((v) => `(local.set $x${v} (v128.load offset=${16 * v} (i32.add (local.get $px) (local.get $ch))))`).join('\n')}
                  (local.set $g (i32.const 0))
                  (loop $lg32
                    (local.set $q (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $g) (i32.const 2)))) (local.get $ch)))
                    ${[0, 1, 2, 3, 4, 5, 6, 7].map((v) => `(v128.store offset=${16 * v} (local.get $q) (f32x4.add (v128.load offset=${16 * v} (local.get $q)) (local.get $x${v})))`).join('\n')}
                    (local.set $g (i32.add (local.get $g) (i32.const 1)))
                    (br_if $lg32 (i32.lt_u (local.get $g) (local.get $G))))
                  (local.set $ch (i32.add (local.get $ch) (i32.const 128)))
                  (br $lc32)))
                (block $done (loop $lc
                  (br_if $done (i32.ge_u (local.get $ch) (local.get $xs)))
                  (local.set $x0 (v128.load (i32.add (local.get $px) (local.get $ch))))
                  (local.set $x1 (v128.load offset=16 (i32.add (local.get $px) (local.get $ch))))
                  (local.set $g (i32.const 0))
                  (loop $lg
                    (local.set $q (i32.add (i32.load (i32.add (local.get $rows) (i32.shl (local.get $g) (i32.const 2)))) (local.get $ch)))
                    (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $x0)))
                    (v128.store offset=16 (local.get $q) (f32x4.add (v128.load offset=16 (local.get $q)) (local.get $x1)))
                    (local.set $g (i32.add (local.get $g) (i32.const 1)))
                    (br_if $lg (i32.lt_u (local.get $g) (local.get $G))))
                  (local.set $ch (i32.add (local.get $ch) (i32.const 32)))
                  (br $lc)))
                (local.set $px (i32.add (local.get $px) (local.get $xs)))
                (local.set $pd (i32.add (local.get $pd) (local.get $ds)))
                (br_if $lw (i32.lt_u (local.get $pd) (local.get $pend))))
              (local.set $h (i32.add (local.get $h) (i32.const 1)))
              (br_if $lh (i32.lt_s (local.get $h) (local.get $h1))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br_if $ln (i32.lt_u (local.get $n) (local.get $N))))))
        ;; dw[tap, ci..ci+3, 4g..4g+3]: per bit b, s_b = c (tot - 2 sum_{P has b} T[g][P]) over 4 ci, transposed
        (local.set $g (i32.const 0))
        (loop $fg
          (local.set $ch (i32.const 0))
          (loop $fc
            (local.set $q (i32.add (i32.add (local.get $tab) (i32.mul (local.get $g) (local.get $gb))) (local.get $ch)))
            ${Array.from({ length: 16 }, (_, p) => `(local.set $v${p} (v128.load (i32.add (local.get $q) (i32.mul (local.get $xs) (i32.const ${p})))))`).join('\n')}
            (local.set $tot ${sum16(Array.from({ length: 16 }, (_, p) => p))})
            ${[0, 1, 2, 3].map((b) => `(local.set $s${b} (f32x4.mul (local.get $cv) (f32x4.sub (local.get $tot) (f32x4.mul (v128.const f32x4 2 2 2 2) ${sum16(Array.from({ length: 16 }, (_, p) => p).filter((p) => (p >> b) & 1))}))))`).join('\n')}
            ${transpose4(['$s0', '$s1', '$s2', '$s3'], ['$o0', '$o1', '$o2', '$o3'])}
            (local.set $r (i32.add (local.get $dw) (i32.add (i32.mul (i32.add (i32.mul (local.get $tap) (local.get $cin)) (i32.shr_u (local.get $ch) (i32.const 2))) (local.get $ds)) (i32.shl (local.get $g) (i32.const 4)))))
            (v128.store (local.get $r) (local.get $o0))
            (v128.store (i32.add (local.get $r) (local.get $ds)) (local.get $o1))
            (v128.store (i32.add (local.get $r) (i32.shl (local.get $ds) (i32.const 1))) (local.get $o2))
            (v128.store (i32.add (local.get $r) (i32.mul (local.get $ds) (i32.const 3))) (local.get $o3))
            (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
            (br_if $fc (i32.lt_u (local.get $ch) (local.get $xs))))
          (local.set $g (i32.add (local.get $g) (i32.const 1)))
          (br_if $fg (i32.lt_u (local.get $g) (local.get $G))))
        (local.set $tap (i32.add (local.get $tap) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $kh)))))
  ;; dx[q, ci] = c * sum_t sum_co sign(dy[q - t, co]) w[t, ci, co] ('same' zero padding): the signed
  ;; sums of each 4-channel weight group are tabulated once, WT[t][g][P][ci] (pattern 16: zero, for
  ;; the padding), and dy's patterns once, pat[n][hp][wp][g] (bytes, 16 outside the image); then each
  ;; pixel's gradient is 9·G table rows added. cin: a multiple of 16; cout: of 4.
  ;; wt: scratch of taps*G*17*cin*4 bytes; pat: N*Hp*Wp*G bytes.
  (func (export "signGradInputGrad")
    (param $dy i32) (param $w i32) (param $out i32) (param $wt i32) (param $pat i32)
    (param $N i32) (param $H i32) (param $W i32) (param $cin i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32) (param $c f32)
    (local $G i32) (local $ph i32) (local $pw i32) (local $Hp i32) (local $Wp i32) (local $xs i32) (local $rb i32) (local $taps i32)
    (local $t i32) (local $g i32) (local $ch i32) (local $q i32) (local $end i32) (local $n i32) (local $h i32) (local $x i32)
    (local $i i32) (local $j i32) (local $pp i32) (local $po i32) (local $tw i32) (local $row i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $l0 v128) (local $l1 v128) (local $l2 v128) (local $l3 v128)
    (local $c0 v128) (local $c1 v128) (local $c2 v128) (local $c3 v128)
    (local $s01 v128) (local $d01 v128) (local $s23 v128) (local $d23 v128)
    (local $ns01 v128) (local $nd01 v128) (local $ns23 v128) (local $nd23 v128)
    ${accLocals} (local $cv v128)
    (local.set $cv (f32x4.splat (local.get $c)))
    (local.set $G (i32.shr_u (local.get $cout) (i32.const 2)))
    (local.set $ph (i32.shr_u (i32.mul (local.get $dil) (i32.sub (local.get $kh) (i32.const 1))) (i32.const 1)))
    (local.set $pw (i32.shr_u (i32.mul (local.get $dil) (i32.sub (local.get $kw) (i32.const 1))) (i32.const 1)))
    (local.set $Hp (i32.add (local.get $H) (i32.shl (local.get $ph) (i32.const 1))))
    (local.set $Wp (i32.add (local.get $W) (i32.shl (local.get $pw) (i32.const 1))))
    (local.set $xs (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $rb (i32.mul (local.get $xs) (i32.const 17)))
    (local.set $taps (i32.mul (local.get $kh) (local.get $kw)))
    ;; 1. WT[t][g][P][ci..ci+3] from w[t, ci..ci+3, 4g..4g+3] (4 loads: one per ci), transposed
    (local.set $t (i32.const 0))
    (loop $bt
      (local.set $g (i32.const 0))
      (loop $bg
        (local.set $row (i32.add (local.get $wt) (i32.mul (i32.add (i32.mul (local.get $t) (local.get $G)) (local.get $g)) (local.get $rb))))
        (local.set $ch (i32.const 0))
        (loop $bc
          (local.set $q (i32.add (local.get $w) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $t) (local.get $cin)) (local.get $ch)) (local.get $cout)) (i32.shl (local.get $g) (i32.const 2))) (i32.const 2))))
          (local.set $l0 (v128.load (local.get $q)))
          (local.set $l1 (v128.load (i32.add (local.get $q) (i32.shl (local.get $cout) (i32.const 2)))))
          (local.set $l2 (v128.load (i32.add (local.get $q) (i32.shl (local.get $cout) (i32.const 3)))))
          (local.set $l3 (v128.load (i32.add (local.get $q) (i32.mul (local.get $cout) (i32.const 12)))))
          ${transpose4(['$l0', '$l1', '$l2', '$l3'], ['$c0', '$c1', '$c2', '$c3'])}
          (local.set $s01 (f32x4.add (local.get $c0) (local.get $c1)))
          (local.set $d01 (f32x4.sub (local.get $c0) (local.get $c1)))
          (local.set $s23 (f32x4.add (local.get $c2) (local.get $c3)))
          (local.set $d23 (f32x4.sub (local.get $c2) (local.get $c3)))
          (local.set $ns01 (f32x4.neg (local.get $s01)))
          (local.set $nd01 (f32x4.neg (local.get $d01)))
          (local.set $ns23 (f32x4.neg (local.get $s23)))
          (local.set $nd23 (f32x4.neg (local.get $d23)))
          (local.set $q (i32.add (local.get $row) (i32.shl (local.get $ch) (i32.const 2))))
          ${Array.from({ length: 16 }, (_, P) => {
            const A = ['$s01', '$nd01', '$d01', '$ns01'][P & 3];
            const B = ['$s23', '$nd23', '$d23', '$ns23'][P >> 2];
            return `(v128.store (i32.add (local.get $q) (i32.mul (local.get $xs) (i32.const ${P}))) (f32x4.add (local.get ${A}) (local.get ${B})))`;
          }).join('\n')}
          (v128.store (i32.add (local.get $q) (i32.shl (local.get $xs) (i32.const 4))) (v128.const i32x4 0 0 0 0))
          (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
          (br_if $bc (i32.lt_u (local.get $ch) (local.get $cin))))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br_if $bg (i32.lt_u (local.get $g) (local.get $G))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $bt (i32.lt_u (local.get $t) (local.get $taps))))
    ;; 2. dy's sign patterns, padded with the zero pattern 16
    (local.set $q (local.get $pat))
    (local.set $end (i32.add (local.get $pat) (i32.mul (i32.mul (i32.mul (local.get $N) (local.get $Hp)) (local.get $Wp)) (local.get $G))))
    (loop $zp
      (i32.store8 (local.get $q) (i32.const 16))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br_if $zp (i32.lt_u (local.get $q) (local.get $end))))
    (local.set $q (local.get $dy))
    (local.set $n (i32.const 0))
    (loop $pn
      (local.set $h (i32.const 0))
      (loop $ph2
        (local.set $pp (i32.add (local.get $pat) (i32.mul (local.get $G) (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Hp)) (i32.add (local.get $h) (local.get $ph))) (local.get $Wp)) (local.get $pw)))))
        (local.set $end (i32.add (local.get $pp) (i32.mul (local.get $W) (local.get $G))))
        (loop $pg
          (i32.store8 (local.get $pp) (i32x4.bitmask (f32x4.lt (v128.load (local.get $q)) (v128.const f32x4 0 0 0 0))))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (local.set $pp (i32.add (local.get $pp) (i32.const 1)))
          (br_if $pg (i32.lt_u (local.get $pp) (local.get $end))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $ph2 (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $pn (i32.lt_u (local.get $n) (local.get $N))))
    ;; 3. per output pixel: accumulators over taps and groups, 32 input channels at a time while
    ;; they last, then 16
    (local.set $q (local.get $out))
    (local.set $n (i32.const 0))
    (loop $ln
      (local.set $h (i32.const 0))
      (loop $lh
        (local.set $x (i32.const 0))
        (loop $lx
          (local.set $ch (i32.const 0))
          (block $end8 (loop $lc8
            (br_if $end8 (i32.gt_u (i32.add (local.get $ch) (i32.const 32)) (local.get $cin)))
            (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0)) (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0)) (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0)) (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
            (local.set $tw (i32.add (local.get $wt) (i32.shl (local.get $ch) (i32.const 2))))
            (local.set $i (i32.const 0))
            (loop $li8
              (local.set $j (i32.const 0))
              (loop $lj8
                ;; dy pixel (h + ph - i*dil, x + pw - j*dil) in padded coordinates
                (local.set $pp (i32.add (local.get $pat) (i32.mul (local.get $G)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Hp)) (i32.sub (i32.add (local.get $h) (i32.shl (local.get $ph) (i32.const 1))) (i32.mul (local.get $i) (local.get $dil)))) (local.get $Wp))
                    (i32.sub (i32.add (local.get $x) (i32.shl (local.get $pw) (i32.const 1))) (i32.mul (local.get $j) (local.get $dil)))))))
                (local.set $g (i32.const 0))
                (loop $lg8
                  (local.set $po (i32.add (local.get $tw) (i32.mul (local.get $xs) (i32.load8_u (i32.add (local.get $pp) (local.get $g))))))
                  (local.set $a0 (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $po))))
                  (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $po))))
                  (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $po))))
                  (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $po))))
                  (local.set $a4 (f32x4.add (local.get $a4) (v128.load offset=64 (local.get $po))))
                  (local.set $a5 (f32x4.add (local.get $a5) (v128.load offset=80 (local.get $po))))
                  (local.set $a6 (f32x4.add (local.get $a6) (v128.load offset=96 (local.get $po))))
                  (local.set $a7 (f32x4.add (local.get $a7) (v128.load offset=112 (local.get $po))))
                  (local.set $tw (i32.add (local.get $tw) (local.get $rb)))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $lg8 (i32.lt_u (local.get $g) (local.get $G))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $lj8 (i32.lt_u (local.get $j) (local.get $kw))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $li8 (i32.lt_u (local.get $i) (local.get $kh))))
            (v128.store offset=0 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a0)))
            (v128.store offset=16 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a1)))
            (v128.store offset=32 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a2)))
            (v128.store offset=48 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a3)))
            (v128.store offset=64 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a4)))
            (v128.store offset=80 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a5)))
            (v128.store offset=96 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a6)))
            (v128.store offset=112 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a7)))
            (local.set $q (i32.add (local.get $q) (i32.const 128)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 32)))
            (br $lc8)))
          (block $end4 (loop $lc4
            (br_if $end4 (i32.gt_u (i32.add (local.get $ch) (i32.const 16)) (local.get $cin)))
            (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0)) (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
            (local.set $tw (i32.add (local.get $wt) (i32.shl (local.get $ch) (i32.const 2))))
            (local.set $i (i32.const 0))
            (loop $li4
              (local.set $j (i32.const 0))
              (loop $lj4
                ;; dy pixel (h + ph - i*dil, x + pw - j*dil) in padded coordinates
                (local.set $pp (i32.add (local.get $pat) (i32.mul (local.get $G)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Hp)) (i32.sub (i32.add (local.get $h) (i32.shl (local.get $ph) (i32.const 1))) (i32.mul (local.get $i) (local.get $dil)))) (local.get $Wp))
                    (i32.sub (i32.add (local.get $x) (i32.shl (local.get $pw) (i32.const 1))) (i32.mul (local.get $j) (local.get $dil)))))))
                (local.set $g (i32.const 0))
                (loop $lg4
                  (local.set $po (i32.add (local.get $tw) (i32.mul (local.get $xs) (i32.load8_u (i32.add (local.get $pp) (local.get $g))))))
                  (local.set $a0 (f32x4.add (local.get $a0) (v128.load offset=0 (local.get $po))))
                  (local.set $a1 (f32x4.add (local.get $a1) (v128.load offset=16 (local.get $po))))
                  (local.set $a2 (f32x4.add (local.get $a2) (v128.load offset=32 (local.get $po))))
                  (local.set $a3 (f32x4.add (local.get $a3) (v128.load offset=48 (local.get $po))))
                  (local.set $tw (i32.add (local.get $tw) (local.get $rb)))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $lg4 (i32.lt_u (local.get $g) (local.get $G))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $lj4 (i32.lt_u (local.get $j) (local.get $kw))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $li4 (i32.lt_u (local.get $i) (local.get $kh))))
            (v128.store offset=0 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a0)))
            (v128.store offset=16 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a1)))
            (v128.store offset=32 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a2)))
            (v128.store offset=48 (local.get $q) (f32x4.mul (local.get $cv) (local.get $a3)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 16)))
            (br $lc4)))
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br_if $lx (i32.lt_u (local.get $x) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
`;
/** Sum of locals $v<p> for the listed p. */
function sum16(ps: number[]): string {
  return ps.slice(1).reduce((e, p) => `(f32x4.add ${e} (local.get $v${p}))`, `(local.get $v${ps[0]})`);
}

/**
 * xnorConv for Cout a multiple of 32: the byte accumulators of 32 output channels stay in registers
 * over all taps (the general version keeps them in memory). Same parameters and results.
 */
const xnorConv32Func = String.raw`
  (func (export "xnorConv32")
    (param $a i32) (param $wb i32) (param $alpha i32) (param $y i32) (param $acc i32)
    (param $N i32) (param $H i32) (param $W i32) (param $words i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32) (param $res i32) (param $slope i32) (param $y2 i32)
    (local $n i32) (local $h i32) (local $w i32) (local $i i32) (local $j i32) (local $k i32) (local $cb i32)
    (local $hh i32) (local $ww i32) (local $valid i32) (local $pa i32) (local $pw i32) (local $av v128)
    (local $ob i32) (local $po i32) (local $cv v128) (local $base v128) (local $ph i32) (local $pwd i32)
    ${accLocals}
    (local.set $ob (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $ph (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1)))
    (local.set $pwd (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1)))
    (local.set $po (i32.const 0))
    (local.set $n (i32.const 0))
    (loop $ln
      (local.set $h (i32.const 0))
      (loop $lh
        (local.set $w (i32.const 0))
        (loop $lw
          (local.set $cb (i32.const 0))
          (loop $lcb
            ${zeroAcc}
            (local.set $valid (i32.const 0))
            (local.set $i (i32.const 0))
            (loop $li
              (local.set $hh (i32.add (local.get $h) (i32.mul (i32.sub (local.get $i) (local.get $ph)) (local.get $dil))))
              (if (i32.and (i32.ge_s (local.get $hh) (i32.const 0)) (i32.lt_s (local.get $hh) (local.get $H))) (then
                (local.set $j (i32.const 0))
                (loop $lj
                  (local.set $ww (i32.add (local.get $w) (i32.mul (i32.sub (local.get $j) (local.get $pwd)) (local.get $dil))))
                  (if (i32.and (i32.ge_s (local.get $ww) (i32.const 0)) (i32.lt_s (local.get $ww) (local.get $W))) (then
                    (local.set $valid (i32.add (local.get $valid) (i32.const 1)))
                    (local.set $pa (i32.add (local.get $a) (i32.shl
                      (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $hh)) (local.get $W)) (local.get $ww)) (local.get $words))
                      (i32.const 2))))
                    (local.set $pw (i32.add (local.get $wb) (i32.add (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $words)) (local.get $ob)) (local.get $cb))))
                    (local.set $k (i32.const 0))
                    (loop $lk
                      (local.set $av (v128.load32_splat (i32.add (local.get $pa) (i32.shl (local.get $k) (i32.const 2)))))
                      ${Array.from({ length: 8 }, (_, v) => `(local.set $a${v} (i8x16.add (local.get $a${v}) (i8x16.popcnt (v128.xor (local.get $av) (v128.load offset=${16 * v} (local.get $pw))))))`).join('\n')}
                      (local.set $pw (i32.add (local.get $pw) (local.get $ob)))
                      (local.set $k (i32.add (local.get $k) (i32.const 1)))
                      (br_if $lk (i32.lt_u (local.get $k) (local.get $words))))))
                  (local.set $j (i32.add (local.get $j) (i32.const 1)))
                  (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $li (i32.lt_u (local.get $i) (local.get $kh))))
            ;; y = alpha * (valid*32*words - 2*count); block: y2 = res + prelu(y, slope)
            (local.set $base (i32x4.splat (i32.mul (local.get $valid) (i32.shl (local.get $words) (i32.const 5)))))
            ${Array.from({ length: 8 }, (_, v) => `
            (local.set $cv (f32x4.mul (v128.load offset=${16 * v} (i32.add (local.get $alpha) (local.get $cb)))
              (f32x4.convert_i32x4_s (i32x4.sub (local.get $base)
                (i32x4.shl (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a${v}))) (i32.const 1))))))
            (v128.store offset=${16 * v} (i32.add (local.get $y) (i32.add (local.get $po) (local.get $cb))) (local.get $cv))
            (if (local.get $res) (then
              (v128.store offset=${16 * v} (i32.add (local.get $y2) (i32.add (local.get $po) (local.get $cb)))
                (f32x4.add (v128.load offset=${16 * v} (i32.add (local.get $res) (i32.add (local.get $po) (local.get $cb))))
                  (v128.bitselect (local.get $cv) (f32x4.mul (local.get $cv) (v128.load offset=${16 * v} (i32.add (local.get $slope) (local.get $cb))))
                    (f32x4.ge (local.get $cv) (v128.const f32x4 0 0 0 0)))))))`).join('\n')}
            (local.set $cb (i32.add (local.get $cb) (i32.const 128)))
            (br_if $lcb (i32.lt_u (local.get $cb) (local.get $ob))))
          (local.set $po (i32.add (local.get $po) (local.get $ob)))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (br_if $lw (i32.lt_u (local.get $w) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
`;

const wat = (fma: boolean) => String.raw`
(module
  (import "env" "memory" (memory 1))

  ;; y = sign(x) with sign(0) = sign(-0) = +1. n: elements, a multiple of 4.
  (func (export "sign") (param $x i32) (param $y i32) (param $n i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $y)
        (f32x4.add
          (v128.bitselect (v128.const f32x4 1 1 1 1) (v128.const f32x4 -1 -1 -1 -1)
            (f32x4.ge (local.get $v) (v128.const f32x4 0 0 0 0)))
          (f32x4.sub (local.get $v) (local.get $v))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br $next))))

  ;; dx = dy * d sign/dx as estimated. est 0: STE-clip 1{|x|<1}; 1: ApproxSign max(0, 2-2|x|);
  ;; 2: sharp max(0, 4-8|x|). n: a multiple of 4.
  (func (export "signGrad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32) (param $est i32)
    (local $end i32) (local $v v128) (local $a v128) (local $g v128)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $v (v128.load (local.get $x)))
      (local.set $a (f32x4.abs (local.get $v)))
      (if (i32.eqz (local.get $est))
        (then (local.set $g (v128.and (f32x4.lt (local.get $a) (v128.const f32x4 1 1 1 1)) (v128.const f32x4 1 1 1 1))))
        (else (if (i32.eq (local.get $est) (i32.const 1))
          (then (local.set $g (f32x4.max (v128.const f32x4 0 0 0 0)
            (f32x4.sub (v128.const f32x4 2 2 2 2) (f32x4.mul (local.get $a) (v128.const f32x4 2 2 2 2))))))
          (else (local.set $g (f32x4.max (v128.const f32x4 0 0 0 0)
            (f32x4.sub (v128.const f32x4 4 4 4 4) (f32x4.mul (local.get $a) (v128.const f32x4 8 8 8 8)))))))))
      (v128.store (local.get $dx)
        (f32x4.add (f32x4.mul (v128.load (local.get $dy)) (local.get $g)) (f32x4.sub (local.get $v) (local.get $v))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br $next))))

  ;; PReLU backward, channels last, per-channel slope a[C]: dx = dy * (x > 0 ? 1 : a),
  ;; da = sum over pixels of dy * min(x, 0). n: elements; C: a multiple of 4.
  (func (export "preluGrad") (param $dy i32) (param $x i32) (param $a i32) (param $dx i32) (param $da i32) (param $n i32) (param $C i32)
    (local $end i32) (local $c i32) (local $cb i32) (local $v v128) (local $g v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $c (i32.const 0))
    (block $z (loop $zero
      (br_if $z (i32.ge_u (local.get $c) (local.get $cb)))
      (v128.store (i32.add (local.get $da) (local.get $c)) (v128.const f32x4 0 0 0 0))
      (local.set $c (i32.add (local.get $c) (i32.const 16)))
      (br $zero)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $pixel
      (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
      (local.set $c (i32.const 0))
      (block $row (loop $chan
        (br_if $row (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $c))))
        (local.set $g (v128.load (i32.add (local.get $dy) (local.get $c))))
        (v128.store (i32.add (local.get $dx) (local.get $c))
          (f32x4.add
            (v128.bitselect (local.get $g) (f32x4.mul (local.get $g) (v128.load (i32.add (local.get $a) (local.get $c))))
              (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)))
            (f32x4.sub (local.get $v) (local.get $v))))
        (v128.store (i32.add (local.get $da) (local.get $c))
          (f32x4.add (v128.load (i32.add (local.get $da) (local.get $c)))
            (f32x4.mul (local.get $g) (f32x4.min (local.get $v) (v128.const f32x4 0 0 0 0)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $chan)))
      (local.set $x (i32.add (local.get $x) (local.get $cb)))
      (local.set $dy (i32.add (local.get $dy) (local.get $cb)))
      (local.set $dx (i32.add (local.get $dx) (local.get $cb)))
      (br $pixel))))
  ;; --- binary-weight helpers on the small HWIO kernel [rows = kh*kw*ci, co] (co: a multiple of 4)
  ;; alpha[o] = mean over rows of |w[r,o]|
  (func (export "weightScale") (param $w i32) (param $alpha i32) (param $rows i32) (param $co i32)
    (local $o i32) (local $r i32) (local $p i32) (local $acc v128) (local $ob i32)
    (local.set $ob (i32.shl (local.get $co) (i32.const 2)))
    (local.set $o (i32.const 0))
    (loop $lo
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $w) (local.get $o)))
      (local.set $r (i32.const 0))
      (loop $lr
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.abs (v128.load (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (local.get $ob)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $lr (i32.lt_u (local.get $r) (local.get $rows))))
      (v128.store (i32.add (local.get $alpha) (local.get $o))
        (f32x4.div (local.get $acc) (f32x4.splat (f32.convert_i32_u (local.get $rows)))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $lo (i32.lt_u (local.get $o) (local.get $ob)))))
  ;; The binary conv's dX kernel: out[i,j,o,c] = sign(w[kh-1-i, kw-1-j, c, o]) * alpha[o], sign(0) = +1.
  (func (export "flipBinary") (param $w i32) (param $alpha i32) (param $out i32) (param $kh i32) (param $kw i32) (param $ci i32) (param $co i32)
    (local $i i32) (local $j i32) (local $c i32) (local $o i32) (local $src i32) (local $dst i32) (local $a f32)
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $src (i32.add (local.get $w) (i32.shl (i32.mul (i32.mul
          (i32.add (i32.mul (i32.sub (i32.sub (local.get $kh) (i32.const 1)) (local.get $i)) (local.get $kw)) (i32.sub (i32.sub (local.get $kw) (i32.const 1)) (local.get $j)))
          (local.get $ci)) (local.get $co)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $out) (i32.shl (i32.mul (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $ci)) (local.get $co)) (i32.const 2))))
        (local.set $o (i32.const 0))
        (loop $lo
          (local.set $a (f32.load (i32.add (local.get $alpha) (i32.shl (local.get $o) (i32.const 2)))))
          (local.set $c (i32.const 0))
          (loop $lc
            (f32.store (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $o) (local.get $ci)) (local.get $c)) (i32.const 2)))
              (select (local.get $a) (f32.neg (local.get $a))
                (f32.ge (f32.load (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $c) (local.get $co)) (local.get $o)) (i32.const 2)))) (f32.const 0))))
            (local.set $c (i32.add (local.get $c) (i32.const 1)))
            (br_if $lc (i32.lt_u (local.get $c) (local.get $ci))))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (br_if $lo (i32.lt_u (local.get $o) (local.get $co))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $kh)))))
  ;; sign(W) bits for xnorConv, [taps, words, co]: bit c of word q = input channel 32q + c is < 0.
  (func (export "weightBits") (param $w i32) (param $bits i32) (param $taps i32) (param $ci i32) (param $co i32)
    (local $t i32) (local $c i32) (local $o i32) (local $p i32) (local $q i32) (local $bit v128) (local $ob i32) (local $words i32) (local $end i32)
    (local.set $ob (i32.shl (local.get $co) (i32.const 2)))
    (local.set $words (i32.shr_u (local.get $ci) (i32.const 5)))
    (local.set $q (local.get $bits))
    (local.set $end (i32.add (local.get $bits) (i32.mul (i32.mul (local.get $taps) (local.get $words)) (local.get $ob))))
    (loop $z
      (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $z (i32.lt_u (local.get $q) (local.get $end))))
    (local.set $p (local.get $w))
    (local.set $t (i32.const 0))
    (loop $lt
      (local.set $c (i32.const 0))
      (loop $lc
        (local.set $bit (i32x4.splat (i32.shl (i32.const 1) (i32.and (local.get $c) (i32.const 31)))))
        (local.set $q (i32.add (local.get $bits) (i32.mul (i32.add (i32.mul (local.get $t) (local.get $words)) (i32.shr_u (local.get $c) (i32.const 5))) (local.get $ob))))
        (local.set $o (i32.const 0))
        (loop $lo
          (v128.store (i32.add (local.get $q) (local.get $o))
            (v128.or (v128.load (i32.add (local.get $q) (local.get $o)))
              (v128.and (local.get $bit) (f32x4.lt (v128.load (local.get $p)) (v128.const f32x4 0 0 0 0)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (local.set $o (i32.add (local.get $o) (i32.const 16)))
          (br_if $lo (i32.lt_u (local.get $o) (local.get $ob))))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br_if $lc (i32.lt_u (local.get $c) (local.get $ci))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $lt (i32.lt_u (local.get $t) (local.get $taps)))))
  ;; Latent-weight gradient of conv(x, sign W)*alpha from raw = dL/d(sign W) before the alpha scale:
  ;; dw = est'(|w|) * (raw * alpha) + (w > 0 ? 1 : -1) * dalpha / rows, dalpha[o] = sum_r sign(w) * raw.
  ;; da: scratch [co] f32. est as in signGrad.
  (func (export "binaryWeightGrad") (param $raw i32) (param $w i32) (param $alpha i32) (param $dw i32) (param $da i32) (param $rows i32) (param $co i32) (param $est i32)
    (local $o i32) (local $r i32) (local $p i32) (local $acc v128) (local $ob i32) (local $v v128) (local $ax v128)
    (local $ste v128) (local $ra v128) (local $rb v128) (local $g v128) (local $d v128)
    (local.set $ste (i32x4.splat (i32.sub (i32.const 0) (i32.eqz (local.get $est)))))
    (local.set $ra (select (result v128) (v128.const f32x4 2 2 2 2) (v128.const f32x4 4 4 4 4) (i32.eq (local.get $est) (i32.const 1))))
    (local.set $rb (select (result v128) (v128.const f32x4 2 2 2 2) (v128.const f32x4 8 8 8 8) (i32.eq (local.get $est) (i32.const 1))))
    (local.set $ob (i32.shl (local.get $co) (i32.const 2)))
    (local.set $o (i32.const 0))
    (loop $lo
      (local.set $acc (v128.const i32x4 0 0 0 0))
      (local.set $p (local.get $o))
      (local.set $r (i32.const 0))
      (loop $lr
        (local.set $v (v128.load (i32.add (local.get $raw) (local.get $p))))
        (local.set $acc (f32x4.add (local.get $acc)
          (v128.bitselect (local.get $v) (f32x4.neg (local.get $v)) (f32x4.ge (v128.load (i32.add (local.get $w) (local.get $p))) (v128.const f32x4 0 0 0 0)))))
        (local.set $p (i32.add (local.get $p) (local.get $ob)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $lr (i32.lt_u (local.get $r) (local.get $rows))))
      (v128.store (i32.add (local.get $da) (local.get $o)) (f32x4.div (local.get $acc) (f32x4.splat (f32.convert_i32_u (local.get $rows)))))
      (local.set $o (i32.add (local.get $o) (i32.const 16)))
      (br_if $lo (i32.lt_u (local.get $o) (local.get $ob))))
    (local.set $r (i32.const 0))
    (local.set $p (i32.const 0))
    (loop $lr2
      (local.set $o (i32.const 0))
      (loop $lo2
        (local.set $v (v128.load (i32.add (local.get $w) (local.get $p))))
        (local.set $ax (f32x4.abs (local.get $v)))
        (local.set $g (v128.bitselect
          (v128.and (f32x4.lt (local.get $ax) (v128.const f32x4 1 1 1 1)) (v128.const f32x4 1 1 1 1))
          (f32x4.max (v128.const f32x4 0 0 0 0) (f32x4.sub (local.get $ra) (f32x4.mul (local.get $rb) (local.get $ax))))
          (local.get $ste)))
        (local.set $d (v128.load (i32.add (local.get $da) (local.get $o))))
        (v128.store (i32.add (local.get $dw) (local.get $p))
          (f32x4.add
            (f32x4.mul (local.get $g) (f32x4.mul (v128.load (i32.add (local.get $raw) (local.get $p))) (v128.load (i32.add (local.get $alpha) (local.get $o)))))
            (v128.bitselect (local.get $d) (f32x4.neg (local.get $d)) (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br_if $lo2 (i32.lt_u (local.get $o) (local.get $ob))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $lr2 (i32.lt_u (local.get $r) (local.get $rows)))))
  ;; Packs the signs of npix pixels of C = 32*words channels into bits (bit c of word k = channel
  ;; 32k+c is < 0; -0 counts as +, sign(0) = sign(-0) = +1), so the input may be a BinAct's real input. Returns 1 if any value is
  ;; NaN (the caller then takes the float path, so NaN still propagates).
  (func (export "packSigns") (param $x i32) (param $out i32) (param $nwords i32) (result i32)
    (local $end i32) (local $q i32) (local $word i32) (local $v v128) (local $nan v128)
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $nwords) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
      (local.set $word (i32.const 0))
      (local.set $q (i32.const 0))
      (block $w (loop $quad
        (br_if $w (i32.ge_u (local.get $q) (i32.const 32)))
        (local.set $v (v128.load (local.get $x)))
        (local.set $nan (v128.or (local.get $nan) (f32x4.ne (local.get $v) (local.get $v))))
        (local.set $word (i32.or (local.get $word) (i32.shl (i32x4.bitmask (f32x4.lt (local.get $v) (v128.const f32x4 0 0 0 0))) (local.get $q))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (br $quad)))
      (i32.store (local.get $out) (local.get $word))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (br $next)))
    (v128.any_true (local.get $nan)))

  ;; Binary conv by XNOR and popcount, stride 1, 'same' zero padding, dilation dil:
  ;; y[n,h,w,o] = alpha[o] * sum over in-image taps t of (32*words - 2*popcount(a[pixel+t] xor wb[t,o])).
  ;; a: packed input [N,H,W,words]; wb: packed sign(W) [kh,kw,words,Cout]; alpha: f32 [Cout];
  ;; acc: scratch, 4*Cout bytes (per-byte popcount sums: taps*words*8 must stay <= 255).
  ;; Cout: a multiple of 4. The float conv of +-1 values gives the same exact integers.
  ;; With res != 0 it is also a whole basic block's forward: y2 = res + prelu(y, slope), with y
  ;; (the conv output) still written for the backward.
  (func (export "xnorConv")
    (param $a i32) (param $wb i32) (param $alpha i32) (param $y i32) (param $acc i32)
    (param $N i32) (param $H i32) (param $W i32) (param $words i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32) (param $res i32) (param $slope i32) (param $y2 i32)
    (local $cv v128)
    (local $n i32) (local $h i32) (local $w i32) (local $i i32) (local $j i32) (local $k i32) (local $g i32)
    (local $hh i32) (local $ww i32) (local $valid i32) (local $pa i32) (local $pw i32) (local $av v128)
    (local $cnt v128) (local $ob i32) (local $rowb i32)
    (local.set $ob (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $rowb (i32.mul (local.get $words) (local.get $cout)))
    (local.set $n (i32.const 0))
    (loop $ln
      (local.set $h (i32.const 0))
      (loop $lh
        (local.set $w (i32.const 0))
        (loop $lw
          ;; zero the byte accumulators
          (local.set $g (i32.const 0))
          (loop $z
            (v128.store (i32.add (local.get $acc) (local.get $g)) (v128.const i32x4 0 0 0 0))
            (local.set $g (i32.add (local.get $g) (i32.const 16)))
            (br_if $z (i32.lt_u (local.get $g) (local.get $ob))))
          (local.set $valid (i32.const 0))
          (local.set $pw (local.get $wb))
          (local.set $i (i32.const 0))
          (loop $li
            (local.set $hh (i32.add (local.get $h) (i32.mul (i32.sub (local.get $i) (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1))) (local.get $dil))))
            (local.set $j (i32.const 0))
            (loop $lj
              (local.set $ww (i32.add (local.get $w) (i32.mul (i32.sub (local.get $j) (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1))) (local.get $dil))))
              (if (i32.and
                    (i32.and (i32.ge_s (local.get $hh) (i32.const 0)) (i32.lt_s (local.get $hh) (local.get $H)))
                    (i32.and (i32.ge_s (local.get $ww) (i32.const 0)) (i32.lt_s (local.get $ww) (local.get $W))))
                (then
                  (local.set $valid (i32.add (local.get $valid) (i32.const 1)))
                  (local.set $pa (i32.add (local.get $a) (i32.shl
                    (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $hh)) (local.get $W)) (local.get $ww)) (local.get $words))
                    (i32.const 2))))
                  (local.set $k (i32.const 0))
                  (loop $lk
                    (local.set $av (v128.load32_splat (i32.add (local.get $pa) (i32.shl (local.get $k) (i32.const 2)))))
                    (local.set $g (i32.const 0))
                    (loop $lg
                      (v128.store (i32.add (local.get $acc) (local.get $g))
                        (i8x16.add (v128.load (i32.add (local.get $acc) (local.get $g)))
                          (i8x16.popcnt (v128.xor (local.get $av)
                            (v128.load (i32.add (local.get $pw) (i32.shl (i32.add (i32.mul (local.get $k) (local.get $cout)) (i32.shr_u (local.get $g) (i32.const 2))) (i32.const 2))))))))
                      (local.set $g (i32.add (local.get $g) (i32.const 16)))
                      (br_if $lg (i32.lt_u (local.get $g) (local.get $ob))))
                    (local.set $k (i32.add (local.get $k) (i32.const 1)))
                    (br_if $lk (i32.lt_u (local.get $k) (local.get $words))))))
              (local.set $pw (i32.add (local.get $pw) (i32.shl (local.get $rowb) (i32.const 2))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $li (i32.lt_u (local.get $i) (local.get $kh))))
          ;; y = alpha * (valid*32*words - 2*count), 4 output channels at a time
          (local.set $g (i32.const 0))
          (loop $out
            (local.set $cnt (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u
              (v128.load (i32.add (local.get $acc) (local.get $g))))))
            (local.set $cv (f32x4.mul (v128.load (i32.add (local.get $alpha) (local.get $g)))
                (f32x4.convert_i32x4_s (i32x4.sub
                  (i32x4.splat (i32.mul (local.get $valid) (i32.shl (local.get $words) (i32.const 5))))
                  (i32x4.shl (local.get $cnt) (i32.const 1))))))
            (v128.store (i32.add (local.get $y) (local.get $g)) (local.get $cv))
            (if (local.get $res) (then
              (v128.store (i32.add (local.get $y2) (local.get $g))
                (f32x4.add (v128.load (i32.add (local.get $res) (local.get $g)))
                  (v128.bitselect (local.get $cv) (f32x4.mul (local.get $cv) (v128.load (i32.add (local.get $slope) (local.get $g))))
                    (f32x4.ge (local.get $cv) (v128.const f32x4 0 0 0 0)))))))
            (local.set $g (i32.add (local.get $g) (i32.const 16)))
            (br_if $out (i32.lt_u (local.get $g) (i32.shl (local.get $cout) (i32.const 2)))))
          (local.set $y (i32.add (local.get $y) (i32.shl (local.get $cout) (i32.const 2))))
          (local.set $res (select (i32.add (local.get $res) (i32.shl (local.get $cout) (i32.const 2))) (i32.const 0) (local.get $res)))
          (local.set $y2 (i32.add (local.get $y2) (i32.shl (local.get $cout) (i32.const 2))))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (br_if $lw (i32.lt_u (local.get $w) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
  ;; Weight gradient of a stride-1 'same' conv (zero padding, dilation dil) whose input is exactly
  ;; +-1, from its packed signs a [N,H,W,words] (packSigns: bit set = -1); dy: [N,H,W,cout] f32;
  ;; dw: [kh,kw,32*words,cout]. Per tap, each dy row is added to one row of a table per group of 8
  ;; input channels, picked by the group's 8 sign bits: T[k,g,pattern,co]. Then
  ;; dw[t, 32k+8g+b, co] = total[co] - 2 * sum over patterns with bit b of T (total = sum of dy rows).
  ;; 4 groups x 8 channels: 8 vector adds instead of 64 multiply-adds (the table, 128 KB for 32
  ;; channels, lives in L2; 8-bit patterns measured ~20% faster than 4-bit ones, whose table fits L1).
  ;; tab: scratch of words*4*256*cout*4 + 128 bytes. cout: a multiple of 8.
  (func (export "binWeightGrad")
    (param $a i32) (param $dy i32) (param $dw i32) (param $tab i32)
    (param $N i32) (param $H i32) (param $W i32) (param $words i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32)
    (local $n i32) (local $i i32) (local $j i32) (local $oh i32) (local $ow i32) (local $h0 i32) (local $h1 i32)
    (local $w0 i32) (local $w1 i32) (local $h i32) (local $pa i32) (local $pd i32) (local $pend i32) (local $k i32)
    (local $word i32) (local $pt i32) (local $c i32) (local $ds i32) (local $gb i32) (local $tb i32) (local $q i32)
    (local $end i32) (local $pw i32) (local $g i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32) (local $r5 i32) (local $r6 i32) (local $r7 i32)
    (local $d0 v128) (local $d1 v128) (local $tot v128) (local $sb i32) (local $L i32) (local $half i32) (local $P i32) (local $acc v128) (local $base i32)
    ${Array.from({ length: 16 }, (_, p) => `(local $v${p} v128)`).join(' ')}
    (local.set $ds (i32.shl (local.get $cout) (i32.const 2)))
    (local.set $gb (i32.shl (local.get $ds) (i32.const 8)))
    (local.set $tb (i32.mul (i32.shl (local.get $gb) (i32.const 2)) (local.get $words)))
    (local.set $sb (i32.add (local.get $tab) (local.get $tb)))
    (local.set $pw (local.get $dw))
    (local.set $i (i32.const 0))
    (loop $li
      (local.set $oh (i32.mul (i32.sub (local.get $i) (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1))) (local.get $dil)))
      (local.set $h0 (select (i32.sub (i32.const 0) (local.get $oh)) (i32.const 0) (i32.lt_s (local.get $oh) (i32.const 0))))
      (local.set $h1 (select (i32.sub (local.get $H) (local.get $oh)) (local.get $H) (i32.gt_s (local.get $oh) (i32.const 0))))
      (local.set $j (i32.const 0))
      (loop $lj
        (local.set $ow (i32.mul (i32.sub (local.get $j) (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1))) (local.get $dil)))
        (local.set $w0 (select (i32.sub (i32.const 0) (local.get $ow)) (i32.const 0) (i32.lt_s (local.get $ow) (i32.const 0))))
        (local.set $w1 (select (i32.sub (local.get $W) (local.get $ow)) (local.get $W) (i32.gt_s (local.get $ow) (i32.const 0))))
        ;; T = 0
        (local.set $q (local.get $tab))
        (local.set $end (i32.add (local.get $tab) (local.get $tb)))
        (loop $z
          (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
          (local.set $q (i32.add (local.get $q) (i32.const 16)))
          (br_if $z (i32.lt_u (local.get $q) (local.get $end))))
        (if (i32.and (i32.lt_s (local.get $h0) (local.get $h1)) (i32.lt_s (local.get $w0) (local.get $w1)))
          (then
          (local.set $n (i32.const 0))
          (loop $ln
            (local.set $h (local.get $h0))
            (loop $lh
              (local.set $pa (i32.add (local.get $a) (i32.shl (i32.mul (local.get $words)
                (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (i32.add (local.get $h) (local.get $oh))) (local.get $W)) (i32.add (local.get $w0) (local.get $ow))))
                (i32.const 2))))
              (local.set $pd (i32.add (local.get $dy) (i32.mul (local.get $ds)
                (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $h)) (local.get $W)) (local.get $w0)))))
              (local.set $pend (i32.add (local.get $pd) (i32.mul (i32.sub (local.get $w1) (local.get $w0)) (local.get $ds))))
              (loop $lw
                (local.set $pt (local.get $tab))
                (local.set $k (i32.const 0))
                (loop $lk
                  (local.set $word (i32.load (i32.add (local.get $pa) (i32.shl (local.get $k) (i32.const 2)))))
                  ${tableRows}
                  (local.set $c (i32.const 0))
                  (loop $lc
                    (local.set $d0 (v128.load (i32.add (local.get $pd) (local.get $c))))
                    (local.set $d1 (v128.load offset=16 (i32.add (local.get $pd) (local.get $c))))
                    ${tableAdds}
                    (local.set $c (i32.add (local.get $c) (i32.const 32)))
                    (br_if $lc (i32.lt_u (local.get $c) (local.get $ds))))
                  (local.set $pt (i32.add (local.get $pt) (i32.shl (local.get $gb) (i32.const 2))))
                  (local.set $k (i32.add (local.get $k) (i32.const 1)))
                  (br_if $lk (i32.lt_u (local.get $k) (local.get $words))))
                (local.set $pa (i32.add (local.get $pa) (i32.shl (local.get $words) (i32.const 2))))
                (local.set $pd (i32.add (local.get $pd) (local.get $ds)))
                (br_if $lw (i32.lt_u (local.get $pd) (local.get $pend))))
              (local.set $h (i32.add (local.get $h) (i32.const 1)))
              (br_if $lh (i32.lt_s (local.get $h) (local.get $h1))))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br_if $ln (i32.lt_u (local.get $n) (local.get $N))))))
        ;; dw rows of this tap: fold the 256-pattern table one bit at a time (high bit first):
        ;; S_L = sum of T[P] over P in [2^L, 2^(L+1)), then T[P] += T[P + 2^L]; at the end T[0] = total.
        (local.set $g (i32.const 0))
        (loop $lg
          (local.set $c (i32.const 0))
          (loop $lc2
            (local.set $base (i32.add (i32.add (local.get $tab) (i32.mul (local.get $g) (local.get $gb))) (local.get $c)))
            (local.set $L (i32.const 7))
            (loop $lL
              (local.set $half (i32.shl (i32.const 1) (local.get $L)))
              (local.set $acc (v128.const i32x4 0 0 0 0))
              (local.set $P (local.get $half))
              (loop $ls
                (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $base) (i32.mul (local.get $P) (local.get $ds))))))
                (local.set $P (i32.add (local.get $P) (i32.const 1)))
                (br_if $ls (i32.lt_u (local.get $P) (i32.shl (local.get $half) (i32.const 1)))))
              (v128.store (i32.add (local.get $sb) (i32.shl (local.get $L) (i32.const 4))) (local.get $acc))
              (local.set $P (i32.const 0))
              (loop $lf
                (local.set $q (i32.add (local.get $base) (i32.mul (local.get $P) (local.get $ds))))
                (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (v128.load (i32.add (local.get $q) (i32.mul (local.get $half) (local.get $ds))))))
                (local.set $P (i32.add (local.get $P) (i32.const 1)))
                (br_if $lf (i32.lt_u (local.get $P) (local.get $half))))
              (local.set $L (i32.sub (local.get $L) (i32.const 1)))
              (br_if $lL (i32.ge_s (local.get $L) (i32.const 0))))
            (local.set $tot (v128.load (local.get $base)))
            (local.set $L (i32.const 0))
            (loop $lb
              (v128.store (i32.add (i32.add (local.get $pw) (local.get $c)) (i32.mul (local.get $L) (local.get $ds)))
                (f32x4.sub (local.get $tot) (f32x4.mul (v128.const f32x4 2 2 2 2) (v128.load (i32.add (local.get $sb) (i32.shl (local.get $L) (i32.const 4)))))))
              (local.set $L (i32.add (local.get $L) (i32.const 1)))
              (br_if $lb (i32.lt_u (local.get $L) (i32.const 8))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br_if $lc2 (i32.lt_u (local.get $c) (local.get $ds))))
          (local.set $pw (i32.add (local.get $pw) (i32.shl (local.get $ds) (i32.const 3))))
          (local.set $g (i32.add (local.get $g) (i32.const 1)))
          (br_if $lg (i32.lt_u (local.get $g) (i32.shl (local.get $words) (i32.const 2)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $li (i32.lt_u (local.get $i) (local.get $kh)))))
  ;; Weight gradient of a stride-1 'same' conv (zero padding, dilation dil), NHWC / HWIO:
  ;; dw[i,j,ci,co] = sum over n,h,w of x[n, h+oh_i, w+ow_j, ci] * dy[n,h,w,co] (in-image taps only).
  ;; Register tile: 4 input channels x 8 output channels; one image at a time stays in L2.
  ;; cin: a multiple of 4; cout: a multiple of 8.
  (func (export "convWeightGrad")
    (param $x i32) (param $dy i32) (param $dw i32)
    (param $N i32) (param $H i32) (param $W i32) (param $cin i32) (param $cout i32)
    (param $kh i32) (param $kw i32) (param $dil i32)
    (local $n i32) (local $i i32) (local $j i32) (local $cb i32) (local $ob i32)
    (local $oh i32) (local $ow i32) (local $h0 i32) (local $h1 i32) (local $w0 i32) (local $w1 i32)
    (local $h i32) (local $px i32) (local $pd i32) (local $pend i32) (local $xs i32) (local $ds i32)
    (local $xn i32) (local $dn i32) (local $pw i32) (local $q i32) (local $end i32)
    ${accLocals} (local $d0 v128) (local $d1 v128) (local $s v128)
    (local.set $xs (i32.shl (local.get $cin) (i32.const 2)))
    (local.set $ds (i32.shl (local.get $cout) (i32.const 2)))
    ;; dw = 0
    (local.set $q (local.get $dw))
    (local.set $end (i32.add (local.get $dw) (i32.mul (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $cin)) (local.get $ds))))
    (loop $z
      (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $z (i32.lt_u (local.get $q) (local.get $end))))
    (local.set $n (i32.const 0))
    (loop $ln
      (local.set $xn (i32.add (local.get $x) (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $H)) (local.get $W)) (local.get $xs))))
      (local.set $dn (i32.add (local.get $dy) (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $H)) (local.get $W)) (local.get $ds))))
      (local.set $i (i32.const 0))
      (loop $li
        (local.set $oh (i32.mul (i32.sub (local.get $i) (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1))) (local.get $dil)))
        (local.set $h0 (select (i32.sub (i32.const 0) (local.get $oh)) (i32.const 0) (i32.lt_s (local.get $oh) (i32.const 0))))
        (local.set $h1 (select (i32.sub (local.get $H) (local.get $oh)) (local.get $H) (i32.gt_s (local.get $oh) (i32.const 0))))
        (local.set $j (i32.const 0))
        (loop $lj
          (local.set $ow (i32.mul (i32.sub (local.get $j) (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1))) (local.get $dil)))
          (local.set $w0 (select (i32.sub (i32.const 0) (local.get $ow)) (i32.const 0) (i32.lt_s (local.get $ow) (i32.const 0))))
          (local.set $w1 (select (i32.sub (local.get $W) (local.get $ow)) (local.get $W) (i32.gt_s (local.get $ow) (i32.const 0))))
          (if (i32.and (i32.lt_s (local.get $h0) (local.get $h1)) (i32.lt_s (local.get $w0) (local.get $w1)))
            (then
            (local.set $cb (i32.const 0))
            (loop $lc
              (local.set $ob (i32.const 0))
              (loop $lo
                ${zeroAcc}
                (local.set $h (local.get $h0))
                (loop $lh
                  (local.set $px (i32.add (i32.add (local.get $xn) (i32.shl (local.get $cb) (i32.const 2)))
                    (i32.mul (i32.add (i32.mul (i32.add (local.get $h) (local.get $oh)) (local.get $W)) (i32.add (local.get $w0) (local.get $ow))) (local.get $xs))))
                  (local.set $pd (i32.add (i32.add (local.get $dn) (i32.shl (local.get $ob) (i32.const 2)))
                    (i32.mul (i32.add (i32.mul (local.get $h) (local.get $W)) (local.get $w0)) (local.get $ds))))
                  (local.set $pend (i32.add (local.get $pd) (i32.mul (i32.sub (local.get $w1) (local.get $w0)) (local.get $ds))))
                  (loop $lw
                    (local.set $d0 (v128.load (local.get $pd)))
                    (local.set $d1 (v128.load offset=16 (local.get $pd)))
                    ${tileMacs(fma, '$d0', '$d1', (k) => `offset=${4 * k} (local.get $px)`)}
                    (local.set $px (i32.add (local.get $px) (local.get $xs)))
                    (local.set $pd (i32.add (local.get $pd) (local.get $ds)))
                    (br_if $lw (i32.lt_u (local.get $pd) (local.get $pend))))
                  (local.set $h (i32.add (local.get $h) (i32.const 1)))
                  (br_if $lh (i32.lt_s (local.get $h) (local.get $h1))))
                (local.set $pw (i32.add (local.get $dw) (i32.shl
                  (i32.add (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $i) (local.get $kw)) (local.get $j)) (local.get $cin)) (local.get $cb)) (local.get $cout)) (local.get $ob))
                  (i32.const 2))))
                (local.set $q (i32.add (local.get $pw) (i32.mul (local.get $ds) (i32.const 0))))
                (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $a0)))
                (v128.store offset=16 (local.get $q) (f32x4.add (v128.load offset=16 (local.get $q)) (local.get $a1)))
                (local.set $q (i32.add (local.get $pw) (i32.mul (local.get $ds) (i32.const 1))))
                (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $a2)))
                (v128.store offset=16 (local.get $q) (f32x4.add (v128.load offset=16 (local.get $q)) (local.get $a3)))
                (local.set $q (i32.add (local.get $pw) (i32.mul (local.get $ds) (i32.const 2))))
                (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $a4)))
                (v128.store offset=16 (local.get $q) (f32x4.add (v128.load offset=16 (local.get $q)) (local.get $a5)))
                (local.set $q (i32.add (local.get $pw) (i32.mul (local.get $ds) (i32.const 3))))
                (v128.store (local.get $q) (f32x4.add (v128.load (local.get $q)) (local.get $a6)))
                (v128.store offset=16 (local.get $q) (f32x4.add (v128.load offset=16 (local.get $q)) (local.get $a7)))
                (local.set $ob (i32.add (local.get $ob) (i32.const 8)))
                (br_if $lo (i32.lt_u (local.get $ob) (local.get $cout))))
              (local.set $cb (i32.add (local.get $cb) (i32.const 4)))
              (br_if $lc (i32.lt_u (local.get $cb) (local.get $cin))))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br_if $lj (i32.lt_u (local.get $j) (local.get $kw))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $li (i32.lt_u (local.get $i) (local.get $kh))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
${convFunc(fma, false)}
${convFunc(fma, true)}
${binaryDxFunc}
${signGradFuncs}
${xnorConv32Func}
)`;

export interface SimdKernels {
  sign(x: number, y: number, n: number): void;
  signGrad(dy: number, x: number, dx: number, n: number, est: number): void;
  preluGrad(dy: number, x: number, a: number, dx: number, da: number, n: number, c: number): void;
  packSigns(x: number, out: number, nwords: number): number;
  xnorConv32(a: number, wb: number, alpha: number, y: number, acc: number, N: number, H: number, W: number, words: number, cout: number, kh: number, kw: number, dil: number, res: number, slope: number, y2: number): void;
  signScale(x: number, n: number): number;
  signGradWeightGrad(x: number, dy: number, dw: number, tab: number, N: number, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number, c: number): void;
  signGradInputGrad(dy: number, w: number, out: number, wt: number, pat: number, N: number, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number, c: number): void;
  binaryBlockDx(dy: number, w: number, alpha: number, res: number, ex: number, out: number, E: number, O: number, N: number, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number, est: number, cx: number, slope: number, dcOut: number, dslope: number): void;
  weightScale(w: number, alpha: number, rows: number, co: number): void;
  flipBinary(w: number, alpha: number, out: number, kh: number, kw: number, ci: number, co: number): void;
  weightBits(w: number, bits: number, taps: number, ci: number, co: number): void;
  binaryWeightGrad(raw: number, w: number, alpha: number, dw: number, da: number, rows: number, co: number, est: number): void;
  convWeightGrad(x: number, dy: number, dw: number, N: number, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number): void;
  conv(xp: number, w: number, y: number, N: number, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number): void;
  convEstimatorSkip(xp: number, w: number, y: number, N: number, H: number, W: number, cin: number, cout: number, kh: number, kw: number, dil: number, res: number, ex: number, est: number): void;
  binWeightGrad(a: number, dy: number, dw: number, tab: number, N: number, H: number, W: number, words: number, cout: number, kh: number, kw: number, dil: number): void;
  xnorConv(a: number, wb: number, alpha: number, y: number, acc: number, N: number, H: number, W: number, words: number, cout: number, kh: number, kw: number, dil: number, res: number, slope: number, y2: number): void;
}

let kernels: SimdKernels | undefined;

/**
 * Whether this runtime accepts relaxed SIMD (a one-instruction module), after enabling the V8 flag:
 * Node 20 has it behind --experimental-wasm-relaxed-simd, on by default from Node 22.
 */
export function relaxedSimdAvailable(): boolean {
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // not Node, or the flag is gone (relaxed SIMD shipped): validation decides
  }
  // (module (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11]);
  return WebAssembly.validate(probe);
}

/** The SIMD kernels bound to the current wasm backend's memory, or undefined before initSimdKernels. */
export function simdKernels(): SimdKernels | undefined {
  return kernels;
}

/** Assembles the module and binds it to the tfjs-wasm heap. Call after the wasm backend is ready. */
export async function initSimdKernels(): Promise<void> {
  if (kernels) return;
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { asm?: { memory?: WebAssembly.Memory } } } | null;
  const memory = backend?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('bitsr SIMD kernels: the tfjs-wasm backend does not expose its memory (tfjs version changed?)');
  const wabt = await (await import('wabt')).default();
  // Relaxed SIMD's fused multiply-add runs the multiply-accumulate loops ~1.4× faster here
  // (measured: conv weight gradient 42 vs 30 GFLOP/s); without it, the mul+add build.
  const fma = relaxedSimdAvailable();
  const mod = wabt.parseWat('bitsr-kernels.wat', wat(fma), { simd: true, relaxed_simd: fma });
  let buffer: Uint8Array<ArrayBuffer>;
  try {
    buffer = new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(buffer), { env: { memory } });
  kernels = instance.exports as unknown as SimdKernels;
}
