/**
 * The distillation loss's KL term (docs/method.md, Eq. 5) in one pass per pixel: KL(softmax s ‖
 * softmax t) over the channels, and its gradient. tfjs runs it as ~12 full-size ops each way, with
 * its Exp the slowest of them (measured: ~40 ms of a 114 ms distillation step at C = 32, batch 8).
 */
import { signature } from '../spec';

const splat = (c: string) => `(v128.const f32x4 ${c} ${c} ${c} ${c})`;
/**
 * Local v = exp(v) for v ≤ 0 (here x − max), in place (temporaries $n, $r, $p): Cephes' expf, ~1 ulp.
 * Below −87.3 it gives ~2^−126 (that softmax weight is below float precision anyway); NaN stays NaN.
 */
const expInPlace = (v: string) => `
        (local.set ${v} (f32x4.max (local.get ${v}) ${splat('-87.3')}))
        (local.set $n (f32x4.nearest (f32x4.mul (local.get ${v}) ${splat('1.44269504')})))
        (local.set $r (f32x4.sub (f32x4.sub (local.get ${v}) (f32x4.mul (local.get $n) ${splat('0.693359375')}))
          (f32x4.mul (local.get $n) ${splat('-2.12194440e-4')})))
        (local.set $p ${splat('1.9875691500e-4')})
        ${['1.3981999507e-3', '8.3334519073e-3', '4.1665795894e-2', '1.6666665459e-1', '5.0000001201e-1'].map((c) =>
          `(local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) ${splat(c)}))`).join('\n        ')}
        (local.set ${v} (f32x4.mul
          (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $r)) (local.get $r)) (local.get $r)) ${splat('1')})
          (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))`;

/** Local v = the largest of its 4 lanes, in every lane. */
const hmaxInPlace = (v: string) => `
      (local.set ${v} (f32x4.max (local.get ${v}) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get ${v}) (local.get ${v}))))
      (local.set ${v} (f32x4.max (local.get ${v}) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get ${v}) (local.get ${v}))))`;
/** The sum of the 4 lanes of a v128 local, as f32. */
const hsum = (v: string) => `(f32.add (f32.add (f32x4.extract_lane 0 (local.get ${v})) (f32x4.extract_lane 1 (local.get ${v})))
      (f32.add (f32x4.extract_lane 2 (local.get ${v})) (f32x4.extract_lane 3 (local.get ${v}))))`;

/**
 * One pixel's softmax statistics, $ps/$pt its C values: $ms, $mt the maxima (splat); $zs, $zt the sums
 * of exp(· − max); $a = Σ exp(s − ms)·(s − t). With `store`, exp(s − ms) into $es and exp(t − mt) into $et.
 */
const pixelStats = (store: boolean) => String.raw`
      (local.set $ms (v128.load (local.get $ps)))
      (local.set $mt (v128.load (local.get $pt)))
      (local.set $c (i32.const 16))
      (block $m (loop $lm
        (br_if $m (i32.ge_u (local.get $c) (local.get $cb)))
        (local.set $ms (f32x4.max (local.get $ms) (v128.load (i32.add (local.get $ps) (local.get $c)))))
        (local.set $mt (f32x4.max (local.get $mt) (v128.load (i32.add (local.get $pt) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br $lm)))
      ${hmaxInPlace('$ms')}
      ${hmaxInPlace('$mt')}
      (local.set $vzs (v128.const i32x4 0 0 0 0))
      (local.set $vzt (v128.const i32x4 0 0 0 0))
      (local.set $va (v128.const i32x4 0 0 0 0))
      (local.set $c (i32.const 0))
      (loop $le
        (local.set $sv (v128.load (i32.add (local.get $ps) (local.get $c))))
        (local.set $tv (v128.load (i32.add (local.get $pt) (local.get $c))))
        (local.set $e1 (f32x4.sub (local.get $sv) (local.get $ms)))
        ${expInPlace('$e1')}
        (local.set $e2 (f32x4.sub (local.get $tv) (local.get $mt)))
        ${expInPlace('$e2')}
        ${store ? '(v128.store (i32.add (local.get $es) (local.get $c)) (local.get $e1)) (v128.store (i32.add (local.get $et) (local.get $c)) (local.get $e2))' : ''}
        (local.set $vzs (f32x4.add (local.get $vzs) (local.get $e1)))
        (local.set $vzt (f32x4.add (local.get $vzt) (local.get $e2)))
        (local.set $va (f32x4.add (local.get $va) (f32x4.mul (local.get $e1) (f32x4.sub (local.get $sv) (local.get $tv)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $le (i32.lt_u (local.get $c) (local.get $cb))))
      (local.set $zs ${hsum('$vzs')})
      (local.set $zt ${hsum('$vzt')})
      (local.set $a ${hsum('$va')})`;

const statLocals = `(local $ps i32) (local $pt i32) (local $end i32) (local $c i32) (local $cb i32)
    (local $ms v128) (local $mt v128) (local $vzs v128) (local $vzt v128) (local $va v128) (local $sv v128) (local $tv v128)
    (local $e1 v128) (local $e2 v128) (local $n v128) (local $r v128) (local $p v128) (local $zs f32) (local $zt f32) (local $a f32)`;

export const distillWat = String.raw`
  ;; ln(x) for x > 0 finite, in f64: x = m·2^e with m in [0.707, 1.414], ln m = 2·atanh of (m−1)/(m+1), 6 terms, ~1e-10.
  (func $ln (param $x f64) (result f64) (local $b i64) (local $e f64) (local $m f64) (local $s f64) (local $s2 f64) (local $p f64)
    (local.set $b (i64.reinterpret_f64 (local.get $x)))
    (local.set $e (f64.convert_i64_s (i64.sub (i64.shr_u (local.get $b) (i64.const 52)) (i64.const 1023))))
    (local.set $m (f64.reinterpret_i64 (i64.or (i64.and (local.get $b) (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000))))
    (if (f64.gt (local.get $m) (f64.const 1.4142135623730951)) (then
      (local.set $m (f64.mul (local.get $m) (f64.const 0.5)))
      (local.set $e (f64.add (local.get $e) (f64.const 1)))))
    (local.set $s (f64.div (f64.sub (local.get $m) (f64.const 1)) (f64.add (local.get $m) (f64.const 1))))
    (local.set $s2 (f64.mul (local.get $s) (local.get $s)))
    ;; 2s·(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9 + s¹⁰/11), by Horner in s²
    (local.set $p (f64.const 0.09090909090909091))
    ${['0.1111111111111111', '0.14285714285714285', '0.2', '0.3333333333333333', '1'].map((c) =>
      `(local.set $p (f64.add (f64.mul (local.get $p) (local.get $s2)) (f64.const ${c})))`).join('\n    ')}
    (f64.add (f64.mul (local.get $e) (f64.const 0.6931471805599453)) (f64.mul (f64.mul (f64.const 2) (local.get $s)) (local.get $p))))

  ;; scale · Σ over npix pixels of KL(softmax s ‖ softmax t) over C channels (NHWC: a pixel's C
  ;; values contiguous; C a multiple of 4), per pixel as Σ p(s − t) + (mt − ms) + ln(Zt / Zs), into
  ;; out[0]. Summed in f64. NaN anywhere gives NaN.
  ${signature('klChannels')}
    ${statLocals} (local $sum f64)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $ps (local.get $s))
    (local.set $pt (local.get $t))
    (local.set $end (i32.add (local.get $s) (i32.mul (local.get $npix) (local.get $cb))))
    (loop $lp
      ${pixelStats(false)}
      (local.set $sum (f64.add (local.get $sum) (f64.add
        (f64.add (f64.div (f64.promote_f32 (local.get $a)) (f64.promote_f32 (local.get $zs)))
          (f64.promote_f32 (f32.sub (f32x4.extract_lane 0 (local.get $mt)) (f32x4.extract_lane 0 (local.get $ms)))))
        (call $ln (f64.div (f64.promote_f32 (local.get $zt)) (f64.promote_f32 (local.get $zs)))))))
      (local.set $ps (i32.add (local.get $ps) (local.get $cb)))
      (local.set $pt (i32.add (local.get $pt) (local.get $cb)))
      (br_if $lp (i32.lt_u (local.get $ps) (local.get $end))))
    (f32.store (local.get $out) (f32.demote_f64 (f64.mul (local.get $sum) (f64.promote_f32 (local.get $scale))))))

  ;; Its gradient times g·scale (g: f32 at pointer g): ds = g·p·((s − t) − Σ p(s − t)), dt = g·(q − p),
  ;; p = softmax s, q = softmax t.
  ${signature('klChannelsGrad')}
    ${statLocals} (local $es i32) (local $et i32) (local $rs v128) (local $rt v128) (local $ep v128) (local $gv v128) (local $pv v128)
    (local.set $cb (i32.shl (local.get $C) (i32.const 2)))
    (local.set $gv (f32x4.splat (f32.mul (f32.load (local.get $g)) (local.get $scale))))
    (local.set $ps (local.get $s))
    (local.set $pt (local.get $t))
    (local.set $es (local.get $ds))
    (local.set $et (local.get $dt))
    (local.set $end (i32.add (local.get $s) (i32.mul (local.get $npix) (local.get $cb))))
    (loop $lp
      ${pixelStats(true)}
      (local.set $rs (f32x4.splat (f32.div (f32.const 1) (local.get $zs))))
      (local.set $rt (f32x4.splat (f32.div (f32.const 1) (local.get $zt))))
      (local.set $ep (f32x4.splat (f32.div (local.get $a) (local.get $zs))))
      (local.set $c (i32.const 0))
      (loop $lg
        (local.set $pv (f32x4.mul (v128.load (i32.add (local.get $es) (local.get $c))) (local.get $rs)))
        (v128.store (i32.add (local.get $es) (local.get $c)) (f32x4.mul (local.get $gv) (f32x4.mul (local.get $pv)
          (f32x4.sub (f32x4.sub (v128.load (i32.add (local.get $ps) (local.get $c))) (v128.load (i32.add (local.get $pt) (local.get $c)))) (local.get $ep)))))
        (v128.store (i32.add (local.get $et) (local.get $c)) (f32x4.mul (local.get $gv)
          (f32x4.sub (f32x4.mul (v128.load (i32.add (local.get $et) (local.get $c))) (local.get $rt)) (local.get $pv))))
        (local.set $c (i32.add (local.get $c) (i32.const 16)))
        (br_if $lg (i32.lt_u (local.get $c) (local.get $cb))))
      (local.set $ps (i32.add (local.get $ps) (local.get $cb)))
      (local.set $pt (i32.add (local.get $pt) (local.get $cb)))
      (local.set $es (i32.add (local.get $es) (local.get $cb)))
      (local.set $et (i32.add (local.get $et) (local.get $cb)))
      (br_if $lp (i32.lt_u (local.get $ps) (local.get $end)))))
`;
