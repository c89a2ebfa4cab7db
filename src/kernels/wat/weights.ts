/** The binary conv's small weight ops, on the HWIO kernel: α, the flipped dX kernel, sign bits, the latent-weight gradient. */
import { signature } from '../spec';
import { zeroFill } from './common';

export const weightOpsWat = String.raw`
  ;; --- binary-weight helpers on the small HWIO kernel [rows = kh*kw*ci, co] (co: a multiple of 4)
  ;; alpha[o] = mean over rows of |w[r,o]|
  ${signature('weightScale')}
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
  ${signature('flipBinary')}
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
  ${signature('weightBits')}
    (local $t i32) (local $c i32) (local $o i32) (local $p i32) (local $q i32) (local $bit v128) (local $ob i32) (local $words i32) (local $end i32)
    (local.set $ob (i32.shl (local.get $co) (i32.const 2)))
    (local.set $words (i32.shr_u (local.get $ci) (i32.const 5)))
    (local.set $q (local.get $bits))
    (local.set $end (i32.add (local.get $bits) (i32.mul (i32.mul (local.get $taps) (local.get $words)) (local.get $ob))))
    ${zeroFill}
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
  ${signature('binaryWeightGrad')}
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
`;
