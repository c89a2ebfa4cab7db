/**
 * Float inference kernels of the browser binary engine: one image (N = 1), NHWC float32
 * activations. Every kernel works on a range [h0, h1) of OUTPUT rows and addresses its buffers
 * absolutely (pointers are those of row 0), so threads sharing one memory can split a layer by
 * rows; a kernel writes only its rows and uses no scratch memory.
 */
import { signature } from '../spec';
import { accLocals, madd, tileMacs } from './common';

const get = (v: string) => `(local.get $${v})`;

/** Stores pixel k of the conv tile ($a(2k), $a(2k+1)) at $q: 8 channels, or $rem < 8 of them. */
const storePixel = (k: number) => `
            (if (i32.ge_u ${get('rem')} (i32.const 8))
              (then
                (v128.store ${get('q')} ${get(`a${2 * k}`)})
                (v128.store offset=16 ${get('q')} ${get(`a${2 * k + 1}`)}))
              (else ${Array.from({ length: 7 }, (_, l) => `
                (if (i32.gt_u ${get('rem')} (i32.const ${l}))
                  (then (f32.store offset=${4 * l} ${get('q')} (f32x4.extract_lane ${l & 3} ${get(`a${2 * k + (l >> 2)}`)}))))`).join('')}))`;

/** Pixel k alone (its input column $c0 + k in the image): $a(2k), $a(2k+1) += x·w over cin. */
const pixelMacs = (fma: boolean, k: number) => `
                    (if (i32.lt_u (i32.add ${get('c0')} (i32.const ${k})) ${get('W')})
                      (then
                        (local.set $pp (i32.add ${get('px')} ${k ? get(`x${k}`) : '(i32.const 0)'}))
                        (local.set $pe (i32.add ${get('pp')} ${get('xs')}))
                        (local.set $pk ${get('pwt')})
                        (loop $lc${k}
                          (local.set $s (v128.load32_splat ${get('pp')}))
                          (local.set $w0 (v128.load ${get('pk')}))
                          (local.set $w1 (v128.load offset=16 ${get('pk')}))
                          (local.set $a${2 * k} ${madd(fma, '$s', '$w0', `$a${2 * k}`)})
                          (local.set $a${2 * k + 1} ${madd(fma, '$s', '$w1', `$a${2 * k + 1}`)})
                          (local.set $pp (i32.add ${get('pp')} (i32.const 4)))
                          (local.set $pk (i32.add ${get('pk')} (i32.const 32)))
                          (br_if $lc${k} (i32.lt_u ${get('pp')} ${get('pe')})))))`;

/**
 * convRows: stride-1 conv with dilation and 'same' zero padding (odd kh, kw), bias, NHWC.
 *   x: [H, W, cin]; y: [H, W, cout] (exactly cout floats per pixel; only rows [h0, h1) written);
 *   w: packFloatConvWeights layout [ceil(cout/8)][kh][kw][cin][8]; b: ceil(cout/8)·8 floats or 0.
 * Register tile: 4 pixels along w × 8 output channels. A tap whose 4 input columns are all in the
 * image runs the tile; one at a border (or past W's end) runs the in-image pixels one by one.
 */
export const convRowsWat = (fma: boolean) => String.raw`
  ${signature('convRows')}
    (local $xs i32) (local $x1 i32) (local $x2 i32) (local $x3 i32) (local $rh i32) (local $rw i32)
    (local $tapB i32) (local $blkB i32) (local $h i32) (local $wb i32) (local $ob i32) (local $i i32)
    (local $j i32) (local $hi i32) (local $c0 i32) (local $pwb i32) (local $pwt i32) (local $px i32)
    (local $pend i32) (local $pp i32) (local $pe i32) (local $pk i32) (local $q i32) (local $rem i32)
    ${accLocals} (local $w0 v128) (local $w1 v128) (local $s v128) (local $b0 v128) (local $b1 v128)
    (if (i32.or (i32.ge_s ${get('h0')} ${get('h1')}) (i32.le_s ${get('W')} (i32.const 0))) (then (return)))
    (local.set $xs (i32.shl ${get('cin')} (i32.const 2)))
    (local.set $x1 ${get('xs')})
    (local.set $x2 (i32.shl ${get('xs')} (i32.const 1)))
    (local.set $x3 (i32.add ${get('x2')} ${get('xs')}))
    (local.set $rh (i32.shr_u (i32.sub ${get('kh')} (i32.const 1)) (i32.const 1)))
    (local.set $rw (i32.shr_u (i32.sub ${get('kw')} (i32.const 1)) (i32.const 1)))
    (local.set $tapB (i32.shl ${get('cin')} (i32.const 5)))
    (local.set $blkB (i32.mul (i32.mul ${get('kh')} ${get('kw')}) ${get('tapB')}))
    (local.set $h ${get('h0')})
    (loop $lh
      (local.set $wb (i32.const 0))
      (loop $lwb
        (local.set $ob (i32.const 0))
        (local.set $pwb ${get('w')})
        (loop $lo
          (if ${get('b')}
            (then
              (local.set $b0 (v128.load (i32.add ${get('b')} (i32.shl ${get('ob')} (i32.const 2)))))
              (local.set $b1 (v128.load offset=16 (i32.add ${get('b')} (i32.shl ${get('ob')} (i32.const 2))))))
            (else
              (local.set $b0 (v128.const i32x4 0 0 0 0))
              (local.set $b1 (v128.const i32x4 0 0 0 0))))
          ${[0, 1, 2, 3].map((k) => `(local.set $a${2 * k} ${get('b0')}) (local.set $a${2 * k + 1} ${get('b1')})`).join('\n          ')}
          (local.set $i (i32.const 0))
          (loop $li
            (local.set $hi (i32.add ${get('h')} (i32.mul (i32.sub ${get('i')} ${get('rh')}) ${get('dil')})))
            (if (i32.lt_u ${get('hi')} ${get('H')})
              (then
                (local.set $j (i32.const 0))
                (loop $lj
                  (local.set $c0 (i32.add ${get('wb')} (i32.mul (i32.sub ${get('j')} ${get('rw')}) ${get('dil')})))
                  (local.set $pwt (i32.add ${get('pwb')} (i32.mul (i32.add (i32.mul ${get('i')} ${get('kw')}) ${get('j')}) ${get('tapB')})))
                  ;; column c0 may be negative: the i32 address wraps and is only used once c0 + k >= 0
                  (local.set $px (i32.add ${get('x')} (i32.mul (i32.add (i32.mul ${get('hi')} ${get('W')}) ${get('c0')}) ${get('xs')})))
                  (if (i32.and (i32.ge_s ${get('c0')} (i32.const 0)) (i32.le_s (i32.add ${get('c0')} (i32.const 4)) ${get('W')}))
                    (then
                      (local.set $pend (i32.add ${get('px')} ${get('xs')}))
                      (loop $lc
                        (local.set $w0 (v128.load ${get('pwt')}))
                        (local.set $w1 (v128.load offset=16 ${get('pwt')}))
                        ${tileMacs(fma, '$w0', '$w1', (k) => (k ? `(i32.add ${get('px')} ${get(`x${k}`)})` : get('px')))}
                        (local.set $px (i32.add ${get('px')} (i32.const 4)))
                        (local.set $pwt (i32.add ${get('pwt')} (i32.const 32)))
                        (br_if $lc (i32.lt_u ${get('px')} ${get('pend')}))))
                    (else ${[0, 1, 2, 3].map((k) => pixelMacs(fma, k)).join('')}))
                  (local.set $j (i32.add ${get('j')} (i32.const 1)))
                  (br_if $lj (i32.lt_u ${get('j')} ${get('kw')})))))
            (local.set $i (i32.add ${get('i')} (i32.const 1)))
            (br_if $li (i32.lt_u ${get('i')} ${get('kh')})))
          (local.set $rem (i32.sub ${get('cout')} ${get('ob')}))
          (local.set $q (i32.add ${get('y')} (i32.shl (i32.add (i32.mul (i32.add (i32.mul ${get('h')} ${get('W')}) ${get('wb')}) ${get('cout')}) ${get('ob')}) (i32.const 2))))
          ${[0, 1, 2, 3].map((k) => `(if (i32.lt_s (i32.add ${get('wb')} (i32.const ${k})) ${get('W')}) (then ${storePixel(k)}))
          (local.set $q (i32.add ${get('q')} (i32.shl ${get('cout')} (i32.const 2))))`).join('\n          ')}
          (local.set $pwb (i32.add ${get('pwb')} ${get('blkB')}))
          (local.set $ob (i32.add ${get('ob')} (i32.const 8)))
          (br_if $lo (i32.lt_s ${get('ob')} ${get('cout')})))
        (local.set $wb (i32.add ${get('wb')} (i32.const 4)))
        (br_if $lwb (i32.lt_s ${get('wb')} ${get('W')})))
      (local.set $h (i32.add ${get('h')} (i32.const 1)))
      (br_if $lh (i32.lt_s ${get('h')} ${get('h1')}))))
`;

/** Symmetric (MATLAB 'symmetric') index of i in [0, n): ... x1 x0 | x0 ... x(n-1) | x(n-1) x(n-2) ... */
const mirrorWat = String.raw`
  (func $inferMirror (param $i i32) (param $n i32) (result i32) (local $n2 i32) (local $m i32)
    (local.set $n2 (i32.shl (local.get $n) (i32.const 1)))
    (local.set $m (i32.rem_s (local.get $i) (local.get $n2)))
    (if (i32.lt_s (local.get $m) (i32.const 0)) (then (local.set $m (i32.add (local.get $m) (local.get $n2)))))
    (select (i32.sub (i32.sub (local.get $n2) (i32.const 1)) (local.get $m)) (local.get $m) (i32.ge_s (local.get $m) (local.get $n))))
`;

/** Tap d (0..4) of the 1-D bicubic taps of the phase at pointer local `kp` (5 floats per phase). */
const tap1 = (kp: string, d: number) => (d ? `(i32.add ${get(kp)} (i32.const ${4 * d}))` : get(kp));

/**
 * finishRows: the network's last steps for LR rows [h0, h1), writing output rows [s·h0, s·h1):
 *   out[c, s·h + i, s·w + j] = clip((t[h, w, c·s² + i·s + j] + anchor) + mean_c, 0, 1)
 * t: the tail conv's output [H, W, 3·s²] (NHWC; DepthToSpace 'CRD' channel order); out: planar
 * [3, s·H, s·W]; lr: planar [3, H, W] in [0, 1]; k: the 1-D bicubic taps bicubicTaps1d(s) as
 * [s][5] floats (phase-major), or 0 for a model without the anchor (then lr is not read).
 * anchor = Σ_dy k[i][dy] · Σ_dx k[j][dx] · (lr − mean_c) over the 5×5 window, symmetric-padded by 2
 * (= MATLAB imresize ×s, whose 2-D kernel is this product; ONNX's Slice/Concat padding for H, W >= 2;
 * a 1-pixel side repeats its pixel, as imresize does, where the exported graph's Conv fails).
 * Separable: per phase column j the 5 row sums are shared by the s phase rows i (s·25 + s²·5
 * multiply-adds per pixel instead of s²·25), and only a handful of vectors stay live.
 * Interior: 4 LR pixels per vector; borders and narrow images: one pixel at a time.
 */
export const finishRowsWat = (fma: boolean) => String.raw`
  ${mirrorWat}
  ${signature('finishRows')}
    (local $c i32) (local $h i32) (local $w i32) (local $i i32) (local $j i32) (local $ss i32)
    (local $ss4 i32) (local $tc4 i32) (local $s4 i32) (local $oRow i32) (local $lp i32) (local $kj i32) (local $ki i32) (local $tp i32) (local $tp0 i32) (local $o i32)
    (local $r0 i32) (local $r1 i32) (local $r2 i32) (local $r3 i32) (local $r4 i32)
    (local $cc0 i32) (local $cc1 i32) (local $cc2 i32) (local $cc3 i32) (local $cc4 i32)
    (local $mc f32) (local $fa f32) (local $fr f32) (local $mv v128) (local $acc v128) (local $tv v128) (local $kv v128)
    (local $H0 v128) (local $H1 v128) (local $H2 v128) (local $H3 v128) (local $H4 v128)
    (if (i32.or (i32.ge_s ${get('h0')} ${get('h1')}) (i32.le_s ${get('W')} (i32.const 0))) (then (return)))
    (local.set $ss (i32.mul ${get('s')} ${get('s')}))
    (local.set $ss4 (i32.shl ${get('ss')} (i32.const 2)))
    (local.set $tc4 (i32.mul ${get('ss4')} (i32.const 3)))
    (local.set $s4 (i32.shl ${get('s')} (i32.const 2)))
    (local.set $oRow (i32.mul ${get('s4')} ${get('W')}))
    (local.set $c (i32.const 0))
    (loop $lch
      (local.set $mc (select ${get('m0')} (select ${get('m1')} ${get('m2')} (i32.eq ${get('c')} (i32.const 1))) (i32.eqz ${get('c')})))
      (local.set $mv (f32x4.splat ${get('mc')}))
      (local.set $lp (i32.add ${get('lr')} (i32.shl (i32.mul (i32.mul ${get('c')} ${get('H')}) ${get('W')}) (i32.const 2))))
      (local.set $h ${get('h0')})
      (loop $lh
        ${[0, 1, 2, 3, 4].map((d) => `(local.set $r${d} (i32.add ${get('lp')} (i32.shl (i32.mul (call $inferMirror (i32.add ${get('h')} (i32.const ${d - 2})) ${get('H')}) ${get('W')}) (i32.const 2))))`).join('\n        ')}
        (local.set $w (i32.const 0))
        (loop $lw
          (local.set $tp0 (i32.add ${get('t')} (i32.add (i32.mul (i32.add (i32.mul ${get('h')} ${get('W')}) ${get('w')}) ${get('tc4')}) (i32.mul ${get('c')} ${get('ss4')}))))
          (if (i32.and (i32.ne ${get('k')} (i32.const 0)) (i32.and (i32.ge_s ${get('w')} (i32.const 2)) (i32.le_s (i32.add ${get('w')} (i32.const 6)) ${get('W')})))
            (then
              ;; 4 LR pixels w..w+3; per phase column j the 5 horizontally filtered rows, then each phase row i
              (local.set $j (i32.const 0))
              (loop $lpj
                (local.set $kj (i32.add ${get('k')} (i32.mul ${get('j')} (i32.const 20))))
                ${[0, 1, 2, 3, 4].map((r) => [0, 1, 2, 3, 4].map((dx) => {
                  const x = `(f32x4.sub (v128.load (i32.add ${get(`r${r}`)} (i32.shl (i32.add ${get('w')} (i32.const ${dx - 2})) (i32.const 2)))) ${get('mv')})`;
                  const kv = `(local.set $kv (v128.load32_splat ${tap1('kj', dx)}))`;
                  return dx === 0
                    ? `${kv}\n                (local.set $H${r} (f32x4.mul ${get('kv')} ${x}))`
                    : `${kv}\n                (local.set $tv ${x})\n                (local.set $H${r} ${madd(fma, '$kv', '$tv', `$H${r}`)})`;
                }).join('\n                ')).join('\n                ')}
                (local.set $i (i32.const 0))
                (loop $lpi
                  (local.set $ki (i32.add ${get('k')} (i32.mul ${get('i')} (i32.const 20))))
                  (local.set $kv (v128.load32_splat ${tap1('ki', 0)}))
                  (local.set $acc (f32x4.mul ${get('kv')} ${get('H0')}))
                  ${[1, 2, 3, 4].map((dy) => `(local.set $kv (v128.load32_splat ${tap1('ki', dy)}))
                  (local.set $acc ${madd(fma, '$kv', `$H${dy}`, '$acc')})`).join('\n                  ')}
                  (local.set $tp (i32.add ${get('tp0')} (i32.shl (i32.add (i32.mul ${get('i')} ${get('s')}) ${get('j')}) (i32.const 2))))
                  (local.set $tv (f32x4.splat (f32.load ${get('tp')})))
                  ${[1, 2, 3].map((l) => `(local.set $tv (f32x4.replace_lane ${l} ${get('tv')} (f32.load (i32.add ${get('tp')} (i32.mul ${get('tc4')} (i32.const ${l}))))))`).join('\n                  ')}
                  (local.set $acc (f32x4.min (f32x4.max (f32x4.add (f32x4.add ${get('tv')} ${get('acc')}) ${get('mv')}) (v128.const f32x4 0 0 0 0)) (v128.const f32x4 1 1 1 1)))
                  (local.set $o (i32.add ${get('out')} (i32.add (i32.mul (i32.add (i32.mul (i32.mul ${get('c')} ${get('s')}) ${get('H')}) (i32.add (i32.mul ${get('h')} ${get('s')}) ${get('i')})) ${get('oRow')}) (i32.add (i32.mul ${get('w')} ${get('s4')}) (i32.shl ${get('j')} (i32.const 2))))))
                  ${[0, 1, 2, 3].map((l) => `(f32.store ${l ? `(i32.add ${get('o')} (i32.mul ${get('s4')} (i32.const ${l})))` : get('o')} (f32x4.extract_lane ${l} ${get('acc')}))`).join('\n                  ')}
                  (local.set $i (i32.add ${get('i')} (i32.const 1)))
                  (br_if $lpi (i32.lt_s ${get('i')} ${get('s')})))
                (local.set $j (i32.add ${get('j')} (i32.const 1)))
                (br_if $lpj (i32.lt_s ${get('j')} ${get('s')})))
              (local.set $w (i32.add ${get('w')} (i32.const 4))))
            (else
              ;; one LR pixel, mirrored columns
              ${[0, 1, 2, 3, 4].map((d) => `(local.set $cc${d} (i32.shl (call $inferMirror (i32.add ${get('w')} (i32.const ${d - 2})) ${get('W')}) (i32.const 2)))`).join('\n              ')}
              (local.set $i (i32.const 0))
              (loop $lsi
                (local.set $ki (i32.add ${get('k')} (i32.mul ${get('i')} (i32.const 20))))
                (local.set $o (i32.add ${get('out')} (i32.add (i32.mul (i32.add (i32.mul (i32.mul ${get('c')} ${get('s')}) ${get('H')}) (i32.add (i32.mul ${get('h')} ${get('s')}) ${get('i')})) ${get('oRow')}) (i32.mul ${get('w')} ${get('s4')}))))
                (local.set $tp (i32.add ${get('tp0')} (i32.shl (i32.mul ${get('i')} ${get('s')}) (i32.const 2))))
                (local.set $j (i32.const 0))
                (loop $lsj
                  (local.set $kj (i32.add ${get('k')} (i32.mul ${get('j')} (i32.const 20))))
                  (local.set $fa (f32.const 0))
                  (if ${get('k')}
                    (then
                      ${[0, 1, 2, 3, 4].map((dy) => `(local.set $fr (f32.mul (f32.load ${tap1('kj', 0)}) (f32.sub (f32.load (i32.add ${get(`r${dy}`)} ${get('cc0')})) ${get('mc')})))
                      ${[1, 2, 3, 4].map((dx) => `(local.set $fr (f32.add ${get('fr')} (f32.mul (f32.load ${tap1('kj', dx)}) (f32.sub (f32.load (i32.add ${get(`r${dy}`)} ${get(`cc${dx}`)})) ${get('mc')}))))`).join('\n                      ')}
                      (local.set $fa ${dy ? `(f32.add ${get('fa')} (f32.mul (f32.load ${tap1('ki', dy)}) ${get('fr')}))` : `(f32.mul (f32.load ${tap1('ki', 0)}) ${get('fr')})`})`).join('\n                      ')}))
                  (f32.store ${get('o')} (f32.min (f32.max (f32.add (f32.add (f32.load ${get('tp')}) ${get('fa')}) ${get('mc')}) (f32.const 0)) (f32.const 1)))
                  (local.set $o (i32.add ${get('o')} (i32.const 4)))
                  (local.set $tp (i32.add ${get('tp')} (i32.const 4)))
                  (local.set $j (i32.add ${get('j')} (i32.const 1)))
                  (br_if $lsj (i32.lt_s ${get('j')} ${get('s')})))
                (local.set $i (i32.add ${get('i')} (i32.const 1)))
                (br_if $lsi (i32.lt_s ${get('i')} ${get('s')})))
              (local.set $w (i32.add ${get('w')} (i32.const 1)))))
          (br_if $lw (i32.lt_s ${get('w')} ${get('W')})))
        (local.set $h (i32.add ${get('h')} (i32.const 1)))
        (br_if $lh (i32.lt_s ${get('h')} ${get('h1')})))
      (local.set $c (i32.add ${get('c')} (i32.const 1)))
      (br_if $lch (i32.lt_u ${get('c')} (i32.const 3)))))
`;

/**
 * A loop over the pixels of rows [h0, h1) ($p: pixel index from h0·W) and, inside, over channel
 * offsets $c (bytes) of a C-channel pixel: `vec` for each 4 channels, `scalar` for the C mod 4 rest.
 */
const perChannel = (vec: string, scalar: string) => `
    (local.set $cs (i32.shl ${get('C')} (i32.const 2)))
    (local.set $cv (i32.and ${get('cs')} (i32.const -16)))
    (local.set $p (i32.mul ${get('h0')} ${get('W')}))
    (local.set $pend (i32.mul ${get('h1')} ${get('W')}))
    (if (i32.lt_s ${get('p')} ${get('pend')}) (then
    (loop $lp
      (local.set $e (i32.mul ${get('p')} ${get('cs')}))
      (local.set $c (i32.const 0))
      (block $vd (loop $lv
        (br_if $vd (i32.ge_u ${get('c')} ${get('cv')}))
        ${vec}
        (local.set $e (i32.add ${get('e')} (i32.const 16)))
        (local.set $c (i32.add ${get('c')} (i32.const 16)))
        (br $lv)))
      (block $sd (loop $ls
        (br_if $sd (i32.ge_u ${get('c')} ${get('cs')}))
        ${scalar}
        (local.set $e (i32.add ${get('e')} (i32.const 4)))
        (local.set $c (i32.add ${get('c')} (i32.const 4)))
        (br $ls)))
      (local.set $p (i32.add ${get('p')} (i32.const 1)))
      (br_if $lp (i32.lt_s ${get('p')} ${get('pend')})))))`;
const perChannelLocals = '(local $cs i32) (local $cv i32) (local $p i32) (local $pend i32) (local $e i32) (local $c i32)';

/** y = x where x >= 0, else slope·x (ONNX PRelu); v: a v128 of 4 values, sl: their slopes. */
const preluV = (v: string, sl: string) => `(v128.bitselect (f32x4.mul ${v} ${sl}) ${v} (f32x4.lt ${v} (v128.const f32x4 0 0 0 0)))`;
const preluS = (v: string, sl: string) => `(select (f32.mul ${v} ${sl}) ${v} (f32.lt ${v} (f32.const 0)))`;

/**
 * Elementwise kernels over rows [h0, h1) of [H, W, C] NHWC buffers (H is implicit: W·C floats per
 * row). Per-channel vectors (slope, theta, delta) hold C floats. y may equal x (or a, b) in place.
 *   preluRows:  y = prelu(x, slope)
 *   rpreluRows: y = prelu(x − theta, slope) + delta
 *   addRows:    y = a + b
 *   copyChannelsRows: y[h, w, off + c] = x[h, w, c] for c < cx; y has cy channels (concat).
 *   normalizeRows: planar lr [3, H, W] -> y [H, W, 3] = (lr − mean_c) / std_c.
 */
export const inferElementwiseWat = String.raw`
  ${signature('preluRows')}
    ${perChannelLocals} (local $v v128) (local $f f32)
    ${perChannel(
      `(local.set $v (v128.load (i32.add ${get('x')} ${get('e')})))
        (v128.store (i32.add ${get('y')} ${get('e')}) ${preluV(get('v'), `(v128.load (i32.add ${get('slope')} ${get('c')}))`)})`,
      `(local.set $f (f32.load (i32.add ${get('x')} ${get('e')})))
        (f32.store (i32.add ${get('y')} ${get('e')}) ${preluS(get('f'), `(f32.load (i32.add ${get('slope')} ${get('c')}))`)})`,
    )})

  ${signature('rpreluRows')}
    ${perChannelLocals} (local $v v128) (local $f f32)
    ${perChannel(
      `(local.set $v (f32x4.sub (v128.load (i32.add ${get('x')} ${get('e')})) (v128.load (i32.add ${get('theta')} ${get('c')}))))
        (v128.store (i32.add ${get('y')} ${get('e')}) (f32x4.add ${preluV(get('v'), `(v128.load (i32.add ${get('slope')} ${get('c')}))`)} (v128.load (i32.add ${get('delta')} ${get('c')}))))`,
      `(local.set $f (f32.sub (f32.load (i32.add ${get('x')} ${get('e')})) (f32.load (i32.add ${get('theta')} ${get('c')}))))
        (f32.store (i32.add ${get('y')} ${get('e')}) (f32.add ${preluS(get('f'), `(f32.load (i32.add ${get('slope')} ${get('c')}))`)} (f32.load (i32.add ${get('delta')} ${get('c')}))))`,
    )})

  ${signature('addRows')}
    (local $e i32) (local $end i32) (local $vend i32)
    (local.set $e (i32.shl (i32.mul (i32.mul ${get('h0')} ${get('W')}) ${get('C')}) (i32.const 2)))
    (local.set $end (i32.shl (i32.mul (i32.mul ${get('h1')} ${get('W')}) ${get('C')}) (i32.const 2)))
    (local.set $vend (i32.sub ${get('end')} (i32.const 16)))
    (block $vd (loop $lv
      (br_if $vd (i32.gt_s ${get('e')} ${get('vend')}))
      (v128.store (i32.add ${get('y')} ${get('e')}) (f32x4.add (v128.load (i32.add ${get('a')} ${get('e')})) (v128.load (i32.add ${get('b')} ${get('e')}))))
      (local.set $e (i32.add ${get('e')} (i32.const 16)))
      (br $lv)))
    (block $sd (loop $ls
      (br_if $sd (i32.ge_s ${get('e')} ${get('end')}))
      (f32.store (i32.add ${get('y')} ${get('e')}) (f32.add (f32.load (i32.add ${get('a')} ${get('e')})) (f32.load (i32.add ${get('b')} ${get('e')}))))
      (local.set $e (i32.add ${get('e')} (i32.const 4)))
      (br $ls))))

  ${signature('copyChannelsRows')}
    (local $p i32) (local $pend i32) (local $src i32) (local $dst i32) (local $c i32) (local $cs i32) (local $cv i32)
    (local.set $cs (i32.shl ${get('cx')} (i32.const 2)))
    (local.set $cv (i32.and ${get('cs')} (i32.const -16)))
    (local.set $p (i32.mul ${get('h0')} ${get('W')}))
    (local.set $pend (i32.mul ${get('h1')} ${get('W')}))
    (if (i32.lt_s ${get('p')} ${get('pend')}) (then
    (loop $lp
      (local.set $src (i32.add ${get('x')} (i32.mul ${get('p')} ${get('cs')})))
      (local.set $dst (i32.add ${get('y')} (i32.shl (i32.add (i32.mul ${get('p')} ${get('cy')}) ${get('off')}) (i32.const 2))))
      (local.set $c (i32.const 0))
      (block $vd (loop $lv
        (br_if $vd (i32.ge_u ${get('c')} ${get('cv')}))
        (v128.store (i32.add ${get('dst')} ${get('c')}) (v128.load (i32.add ${get('src')} ${get('c')})))
        (local.set $c (i32.add ${get('c')} (i32.const 16)))
        (br $lv)))
      (block $sd (loop $ls
        (br_if $sd (i32.ge_u ${get('c')} ${get('cs')}))
        (f32.store (i32.add ${get('dst')} ${get('c')}) (f32.load (i32.add ${get('src')} ${get('c')})))
        (local.set $c (i32.add ${get('c')} (i32.const 4)))
        (br $ls)))
      (local.set $p (i32.add ${get('p')} (i32.const 1)))
      (br_if $lp (i32.lt_s ${get('p')} ${get('pend')}))))))

  ${signature('normalizeRows')}
    (local $p i32) (local $pend i32) (local $plane i32) (local $src i32) (local $dst i32)
    (local.set $plane (i32.shl (i32.mul ${get('H')} ${get('W')}) (i32.const 2)))
    (local.set $p (i32.mul ${get('h0')} ${get('W')}))
    (local.set $pend (i32.mul ${get('h1')} ${get('W')}))
    (if (i32.lt_s ${get('p')} ${get('pend')}) (then
    (loop $lp
      (local.set $src (i32.add ${get('lr')} (i32.shl ${get('p')} (i32.const 2))))
      (local.set $dst (i32.add ${get('y')} (i32.mul ${get('p')} (i32.const 12))))
      ${[0, 1, 2].map((c) => `(f32.store offset=${4 * c} ${get('dst')} (f32.div (f32.sub (f32.load ${c ? `(i32.add ${get('src')} ${c === 1 ? get('plane') : `(i32.shl ${get('plane')} (i32.const 1))`})` : get('src')}) ${get(`m${c}`)}) ${get(`s${c}`)}))`).join('\n      ')}
      (local.set $p (i32.add ${get('p')} (i32.const 1)))
      (br_if $lp (i32.lt_s ${get('p')} ${get('pend')}))))))
`;

/** All float inference kernels of the module variant. */
export const inferFloatWat = (fma: boolean) => `${convRowsWat(fma)}\n${finishRowsWat(fma)}\n${inferElementwiseWat}`;
