/** Float convs: forward/dX with a 4-pixel × 8-channel register tile, and dW with a 4 × 8 tile. */
import { signature } from '../spec';
import { accLocals, zeroAcc, tileMacs, tapRange, zeroFill } from './common';

/** Stores the conv tile: $a0..$a7 = 4 pixels × 8 channels at $py. */
const storeTile = [0, 1, 2, 3].map((k) => [
  `(local.set $q (i32.add (local.get $py) (i32.mul (local.get $ys) (i32.const ${k}))))`,
  ...[0, 1].map((v) => `(v128.store offset=${16 * v} (local.get $q) (local.get $a${2 * k + v}))`),
].join('\n')).join('\n');

/** dW's tile update: rows $pw + k·$ds (k = 0..3) += $a(2k), $a(2k+1). */
const addTile = [0, 1, 2, 3].map((k) => [
  `(local.set $q (i32.add (local.get $pw) (i32.mul (local.get $ds) (i32.const ${k}))))`,
  ...[0, 1].map((v) => `(v128.store offset=${16 * v} (local.get $q) (f32x4.add (v128.load offset=${16 * v} (local.get $q)) (local.get $a${2 * k + v})))`),
].join('\n')).join('\n');

/** The 'valid' conv. */
export const convWat = (fma: boolean) => String.raw`
  ;; 'valid' stride-1 conv with dilation, NHWC input xp (already padded) / HWIO weights:
  ;; y[n,h,w,o] = sum over i,j,c of xp[n, h+i*dil, w+j*dil, c] * w[i,j,c,o], y: [N,H,W,cout].
  ;; Register tile: 4 output pixels along w x 8 output channels. W: a multiple of 4; cout: of 8.
  ${signature('conv')}
    (local $n i32) (local $h i32) (local $wb i32) (local $ob i32) (local $i i32) (local $j i32)
    (local $Hp i32) (local $Wp i32) (local $xs i32) (local $ys i32) (local $x1 i32) (local $x2 i32) (local $x3 i32)
    (local $px i32) (local $pw i32) (local $pend i32) (local $py i32) (local $q i32)
    ${accLocals} (local $w0 v128) (local $w1 v128) (local $s v128)
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
            ${storeTile}
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


export const convWeightGradWat = (fma: boolean) => String.raw`
  ;; Weight gradient of a stride-1 'same' conv (zero padding, dilation dil), NHWC / HWIO:
  ;; dw[i,j,ci,co] = sum over n,h,w of x[n, h+oh_i, w+ow_j, ci] * dy[n,h,w,co] (in-image taps only).
  ;; Register tile: 4 input channels x 8 output channels; one image at a time stays in L2.
  ;; cin: a multiple of 4; cout: a multiple of 8.
  ${signature('convWeightGrad')}
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
    ${zeroFill}
    (local.set $n (i32.const 0))
    (loop $ln
      (local.set $xn (i32.add (local.get $x) (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $H)) (local.get $W)) (local.get $xs))))
      (local.set $dn (i32.add (local.get $dy) (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $H)) (local.get $W)) (local.get $ds))))
      (local.set $i (i32.const 0))
      (loop $li
        ${tapRange('h')}
        (local.set $j (i32.const 0))
        (loop $lj
          ${tapRange('w')}
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
                ${addTile}
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
`;
