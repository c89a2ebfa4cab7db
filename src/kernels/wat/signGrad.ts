/** Conv backward for an output gradient of ±c everywhere (the tail under the L1 loss). */
import { signature } from '../spec';
import { accLocals, transpose4, sum16, tapRange, signedSums16, zeroFill } from './common';

/**
 * signGradInputGrad's per-pixel loop over `nv` vectors (4·nv input channels) at $ch while they
 * last: nv accumulators over taps and groups, then out = c·acc.
 */
function inputGradChunk(nv: number): string {
  const v = Array.from({ length: nv }, (_, k) => k);
  return String.raw`
          (block $end${nv} (loop $lc${nv}
            (br_if $end${nv} (i32.gt_u (i32.add (local.get $ch) (i32.const ${4 * nv})) (local.get $cin)))
            ${v.map((k) => `(local.set $a${k} (v128.const i32x4 0 0 0 0))`).join(' ')}
            (local.set $tw (i32.add (local.get $wt) (i32.shl (local.get $ch) (i32.const 2))))
            (local.set $i (i32.const 0))
            (loop $li${nv}
              (local.set $j (i32.const 0))
              (loop $lj${nv}
                ;; dy pixel (h + ph - i*dil, x + pw - j*dil) in padded coordinates
                (local.set $pp (i32.add (local.get $pat) (i32.mul (local.get $G)
                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $Hp)) (i32.sub (i32.add (local.get $h) (i32.shl (local.get $ph) (i32.const 1))) (i32.mul (local.get $i) (local.get $dil)))) (local.get $Wp))
                    (i32.sub (i32.add (local.get $x) (i32.shl (local.get $pw) (i32.const 1))) (i32.mul (local.get $j) (local.get $dil)))))))
                (local.set $g (i32.const 0))
                (loop $lg${nv}
                  (local.set $po (i32.add (local.get $tw) (i32.mul (local.get $xs) (i32.load8_u (i32.add (local.get $pp) (local.get $g))))))
                  ${v.map((k) => `(local.set $a${k} (f32x4.add (local.get $a${k}) (v128.load offset=${16 * k} (local.get $po))))`).join('\n')}
                  (local.set $tw (i32.add (local.get $tw) (local.get $rb)))
                  (local.set $g (i32.add (local.get $g) (i32.const 1)))
                  (br_if $lg${nv} (i32.lt_u (local.get $g) (local.get $G))))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br_if $lj${nv} (i32.lt_u (local.get $j) (local.get $kw))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $li${nv} (i32.lt_u (local.get $i) (local.get $kh))))
            ${v.map((k) => `(v128.store offset=${16 * k} (local.get $q) (f32x4.mul (local.get $cv) (local.get $a${k})))`).join('\n')}
            (local.set $q (i32.add (local.get $q) (i32.const ${16 * nv})))
            (local.set $ch (i32.add (local.get $ch) (i32.const ${4 * nv})))
            (br $lc${nv})))`;
}

/**
 * Convs whose output gradient is ±c everywhere (the tail under the L1 loss: d|d|/dd = ±1, then
 * /N): the multiply-adds with dy become sums of ±x, grouped by dy's sign patterns (4 channels, 16
 * patterns), like the binary conv's kernels with the roles of input and output swapped.
 */
export const signGradWat = String.raw`
  ;; c if |v| == c > 0 for all n values (finite), else 0. n: a multiple of 4.
  ${signature('signScale')}
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
  ${signature('signGradWeightGrad')}
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
      ${tapRange('h')}
      (local.set $j (i32.const 0))
      (loop $lj
        ${tapRange('w')}
        (local.set $q (local.get $tab))
        (local.set $end (i32.add (local.get $tab) (local.get $tb)))
        ${zeroFill}
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
  ${signature('signGradInputGrad')}
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
          (local.set $q (i32.add (local.get $row) (i32.shl (local.get $ch) (i32.const 2))))
          ${signedSums16('$xs')}
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
${inputGradChunk(8)}
${inputGradChunk(4)}
          (local.set $x (i32.add (local.get $x) (i32.const 1)))
          (br_if $lx (i32.lt_u (local.get $x) (local.get $W))))
        (local.set $h (i32.add (local.get $h) (i32.const 1)))
        (br_if $lh (i32.lt_u (local.get $h) (local.get $H))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $ln (i32.lt_u (local.get $n) (local.get $N)))))
`;
