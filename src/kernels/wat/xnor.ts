/** The binary conv's forward by XNOR and popcount, on packed signs (and the block forward's epilogue). */
import { signature } from '../spec';
import { accLocals, zeroAcc } from './common';

export const packSignsWat = String.raw`
  ;; Packs the signs of npix pixels of C = 32*words channels into bits (bit c of word k = channel
  ;; 32k+c is < 0; -0 counts as +, sign(0) = sign(-0) = +1), so the input may be a BinAct's real
  ;; input. Returns 1 if any value is NaN (the caller then fills its output with NaN).
  ${signature('packSigns')}
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

`;

/**
 * The XNOR conv's store of 4 output channels: $cv = α·(base − 2·count) into y; for a block
 * ($res ≠ 0) also y2 = res + prelu(cv, slope). `pixel` addresses y/y2/res, `channel` alpha/slope.
 */
const xnorStore = (count: string, base: string, pixel: (p: string) => string, channel: (p: string) => string) => `
            (local.set $cv (f32x4.mul (v128.load ${channel('$alpha')})
              (f32x4.convert_i32x4_s (i32x4.sub ${base} (i32x4.shl ${count} (i32.const 1))))))
            (v128.store ${pixel('$y')} (local.get $cv))
            (if (local.get $res) (then
              (v128.store ${pixel('$y2')}
                (f32x4.add (v128.load ${pixel('$res')})
                  (v128.bitselect (local.get $cv) (f32x4.mul (local.get $cv) (v128.load ${channel('$slope')}))
                    (f32x4.ge (local.get $cv) (v128.const f32x4 0 0 0 0)))))))`;
const atG = (p: string) => `(i32.add (local.get ${p}) (local.get $g))`;

export const xnorConvWat = String.raw`
  ;; Binary conv by XNOR and popcount, stride 1, 'same' zero padding, dilation dil:
  ;; y[n,h,w,o] = alpha[o] * sum over in-image taps t of (32*words - 2*popcount(a[pixel+t] xor wb[t,o])).
  ;; a: packed input [N,H,W,words]; wb: packed sign(W) [kh,kw,words,Cout]; alpha: f32 [Cout];
  ;; acc: scratch, 4*Cout bytes (per-byte popcount sums: taps*words*8 must stay <= 255).
  ;; Cout: a multiple of 4. The float conv of +-1 values gives the same exact integers.
  ;; With res != 0 it is also a whole basic block's forward: y2 = res + prelu(y, slope), with y
  ;; (the conv output) still written for the backward.
  ${signature('xnorConv')}
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
            ${xnorStore('(local.get $cnt)', '(i32x4.splat (i32.mul (local.get $valid) (i32.shl (local.get $words) (i32.const 5))))', atG, atG)}
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
`;

/**
 * xnorConv for Cout a multiple of 32: the byte accumulators of 32 output channels stay in registers
 * over all taps (the general version keeps them in memory). Same parameters and results.
 */
export const xnorConv32Wat = String.raw`
  ${signature('xnorConv32')}
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
            ${xnorStore(
              `(i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $a${v})))`,
              '(local.get $base)',
              (p) => `offset=${16 * v} (i32.add (local.get ${p}) (i32.add (local.get $po) (local.get $cb)))`,
              (p) => `offset=${16 * v} (i32.add (local.get ${p}) (local.get $cb))`,
            )}`).join('\n')}
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

