/** A basic binary block's backward: the sign-pattern input gradient (with the PReLU backward) and weight gradient. */
import { signature } from '../spec';
import { accLocals, zeroAcc, estimatorSetup, transpose4, estimatorOf, tapRange, signedSums16, zeroFill } from './common';

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
 * 9·8 adds per channel and pixel instead of 9·32 multiply-adds; the store adds the skip gradient and
 * applies the BinAct estimator: out = res + dx·est'(ex).
 * W: a multiple of 8; cin, cout: of 4. E: cout/4·16·Hp·Wp floats; O: cin·taps·cout/4 i32.
 */
export const binaryBlockDxWat = String.raw`
  ${signature('binaryBlockDx')}
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
    ${zeroFill}
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
            (local.set $q (i32.add (local.get $dst) (i32.mul (i32.shl (local.get $g) (i32.const 4)) (local.get $plane))))
            ${signedSums16('$plane')}
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

export const binWeightGradWat = String.raw`
  ;; Weight gradient of a stride-1 'same' conv (zero padding, dilation dil) whose input is exactly
  ;; +-1, from its packed signs a [N,H,W,words] (packSigns: bit set = -1); dy: [N,H,W,cout] f32;
  ;; dw: [kh,kw,32*words,cout]. Per tap, each dy row is added to one row of a table per group of 8
  ;; input channels, picked by the group's 8 sign bits: T[k,g,pattern,co]. Then
  ;; dw[t, 32k+8g+b, co] = total[co] - 2 * sum over patterns with bit b of T (total = sum of dy rows).
  ;; 4 groups x 8 channels: 8 vector adds instead of 64 multiply-adds (the table, 128 KB for 32
  ;; channels, lives in L2; 8-bit patterns measured ~20% faster than 4-bit ones, whose table fits L1).
  ;; tab: scratch of words*4*256*cout*4 + 128 bytes. cout: a multiple of 8.
  ${signature('binWeightGrad')}
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
      ${tapRange('h')}
      (local.set $j (i32.const 0))
      (loop $lj
        ${tapRange('w')}
        ;; T = 0
        (local.set $q (local.get $tab))
        (local.set $end (i32.add (local.get $tab) (local.get $tb)))
        ${zeroFill}
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
`;
