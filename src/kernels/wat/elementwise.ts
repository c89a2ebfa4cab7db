/** Elementwise training kernels: sign, the estimator gradients, the PReLU backward (one pass each). */
import { signature } from '../spec';
export const elementwiseWat = String.raw`
  ;; y = sign(x) with sign(0) = sign(-0) = +1. n: elements, a multiple of 4.
  ${signature('sign')}
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
  ${signature('signGrad')}
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
  ${signature('preluGrad')}
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
`;
