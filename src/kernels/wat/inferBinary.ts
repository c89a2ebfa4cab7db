/**
 * The inference engine's binary conv: XNOR and popcount over packed signs, a row range at a time
 * (threads split a layer by rows), with the block epilogue (PReLU, residual, packed signs for the
 * next binary conv) fused in. Weights come from packBinaryConvWeights (src/kernels/packWeights.ts).
 *
 * Counting: per output pixel, every (tap, input word) XORs the input word (splat) with 4 output
 * channels' weight words per 128-bit vector and adds the per-byte mismatch counts into byte
 * accumulators held in registers (up to 8 vectors = 32 output channels per pass). The plain build
 * uses i8x16.popcnt (V8 emulates it with two byte shuffles and masking, also on CPUs with
 * AVX512-BITALG); the relaxed-SIMD build looks up the low and high nibbles directly with
 * i8x16.relaxed_swizzle on weights pre-split into nibbles, which saves the masking per vector.
 * Indices stay below 16, so relaxed_swizzle's result is the same on every platform.
 *
 * Interior pixels (all taps in the image) run without bounds checks, two at a time where the
 * registers allow (each weight load feeds both), with the word loop unrolled for Cin 32 and 64;
 * border pixels count only their in-image taps. V8 (Node 20, Chromium 156) keeps the popcount
 * emulated on x64 even with AVX512-BITALG, so the nibble lookups are the cheapest count here:
 * 6 vector operations per 128 weight bits (relaxed), 8 (plain). With per-instance scratch
 * (xnorScratch), the relaxed build takes layers of Cout % 32 = 0 through the table path
 * (inferBinaryTables.ts), which drops the XOR from the inner loop.
 */
import { signature } from '../spec';
import { epilogue, partial, range, signWord } from './binaryEpilogue';
import { buildTablesWat, TABLE_HEADER_BYTES, tablePassWat } from './inferBinaryTables';

/** Output vectors (of 4 channels) per pass: the byte accumulators live in registers. */
const MAX_NV = 8;
/**
 * Passes of at most this many vectors run interior pixels two at a time, sharing each weight load
 * (measured: 8-20% faster; the plain build's popcnt emulation needs the registers beyond 4).
 */
const pairMaxNv = (relaxed: boolean) => (relaxed ? 8 : 4);

/** Adds one (tap, input word) at $pt (input) / $pw (weights) into accumulators $c0..$c(nv-1). */
function tapWord(nv: number, relaxed: boolean, pair: boolean): string {
  // pair: a second pixel (input at $pt + $wordB, accumulators $d*) shares the weight loads
  const px = pair ? [['c', '(local.get $pt)', ''], ['d', '(i32.add (local.get $pt) (local.get $wordB))', '1']] : [['c', '(local.get $pt)', '']];
  if (!relaxed) {
    return `${px.map(([, at, n]) => `(local.set $av${n} (v128.load32_splat ${at}))`).join(' ')}
      ${range(nv).map((v) => `(local.set $w0 (v128.load offset=${48 * v} (local.get $pw)))
      ${px.map(([acc, , n]) => `(local.set $${acc}${v} (i8x16.add (local.get $${acc}${v}) (i8x16.popcnt (v128.xor (local.get $av${n}) (local.get $w0)))))`).join(' ')}`).join('\n      ')}`;
  }
  const look = (half: string, w: string) => `(i8x16.relaxed_swizzle (local.get $lut) (v128.xor (local.get ${half}) (local.get ${w})))`;
  return `${px.map(([, at, n]) => `(local.set $av${n} (v128.load32_splat ${at}))
      (local.set $lo${n} (v128.and (local.get $av${n}) (local.get $m4)))
      (local.set $hi${n} (v128.and (i32x4.shr_u (local.get $av${n}) (i32.const 4)) (local.get $m4)))`).join('\n      ')}
      ${range(nv).map((v) => `(local.set $w0 (v128.load offset=${48 * v + 16} (local.get $pw)))
      (local.set $w1 (v128.load offset=${48 * v + 32} (local.get $pw)))
      ${px.map(([acc, , n]) => `(local.set $${acc}${v} (i8x16.add (local.get $${acc}${v}) (i8x16.add ${look(`$lo${n}`, '$w0')} ${look(`$hi${n}`, '$w1')})))`).join('\n      ')}`).join('\n      ')}`;
}

/**
 * The words of one tap at $pt: weights advance by $ts per word, $pt is left where it was.
 * `words` > 0: that many words, straight-line code; 0: the runtime $words, in a loop.
 */
function tapWords(nv: number, relaxed: boolean, label: string, pair = false, words = 0): string {
  if (words > 0) {
    const steps = range(words).map((k) => `${k ? '(local.set $pt (i32.add (local.get $pt) (i32.const 4)))' : ''}
          ${tapWord(nv, relaxed, pair)}
          (local.set $pw (i32.add (local.get $pw) (local.get $ts)))`);
    return steps.join('\n') + (words > 1 ? `\n          (local.set $pt (i32.sub (local.get $pt) (i32.const ${4 * (words - 1)})))` : '');
  }
  return `(local.set $k (local.get $words))
          (loop ${label}
            ${tapWord(nv, relaxed, pair)}
            (local.set $pt (i32.add (local.get $pt) (i32.const 4)))
            (local.set $pw (i32.add (local.get $pw) (local.get $ts)))
            (local.set $k (i32.sub (local.get $k) (i32.const 1)))
            (br_if ${label} (local.get $k)))
          (local.set $pt (i32.sub (local.get $pt) (local.get $wordB)))`;
}

/** n = base − 2·count (exact i32) of vector v from its byte accumulator $<acc>v. */
const nFromBytes = (acc: string) => (v: number) => `(i32x4.add (local.get $base)
        (i32x4.dot_i16x8_s (i16x8.extadd_pairwise_i8x16_u (local.get $${acc}${v})) (v128.const i16x8 -2 -2 -2 -2 -2 -2 -2 -2)))`;
/**
 * One row h of one pass of nv output vectors (pointers already offset to the pass's channels):
 * pixels in [wl, wr) have every tap in the image (no bounds checks), the others go through the
 * bounds-checked path that counts the in-image taps.
 */
function passFunction(nv: number, relaxed: boolean): string {
  const pair = nv <= pairMaxNv(relaxed);
  const zero = (acc: string) => range(nv).map((v) => `(local.set $${acc}${v} (v128.const i32x4 0 0 0 0))`).join(' ');
  const last = nv - 1;
  /** The interior taps (no bounds checks) of pixel $w, or of $w and $w + 1. */
  // 1 and 2 words (Cin 32, 64) unrolled, others in a loop
  const fastTaps = (two: boolean, l: string) => `(if (i32.eq (local.get $words) (i32.const 1))
            (then ${fastTapsW(two, `${l}1`, 1)})
            (else (if (i32.eq (local.get $words) (i32.const 2))
              (then ${fastTapsW(two, `${l}2`, 2)})
              (else ${fastTapsW(two, l, 0)}))))`;
  const fastTapsW = (two: boolean, l: string, words: number) => `(local.set $pw (local.get $wb))
          (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $wordB)
            (i32.add (i32.mul (i32.sub (local.get $h) (local.get $ph)) (local.get $W)) (i32.sub (local.get $w) (local.get $pwd))))))
          (local.set $i (local.get $kh))
          (loop $${l}i
            (local.set $pt (local.get $pa))
            (local.set $j (local.get $kw))
            (loop $${l}j
              ${tapWords(nv, relaxed, `$${l}k`, two, words)}
              (local.set $pt (i32.add (local.get $pt) (local.get $colStep)))
              (local.set $j (i32.sub (local.get $j) (i32.const 1)))
              (br_if $${l}j (local.get $j)))
            (local.set $pa (i32.add (local.get $pa) (local.get $rowStep)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br_if $${l}i (local.get $i)))
          (local.set $base (local.get $full))`;
  /** Epilogue and store of one pixel's accumulators, then the output pointers move on. */
  const finish = (acc: string) => `${last > 0 ? epilogue(range(last), relaxed, acc, nFromBytes(acc)) : ''}
      (if (i32.eqz (local.get $rem))
        (then ${epilogue([last], relaxed, acc, nFromBytes(acc))})
        (else ${partial(last, nFromBytes(acc))}))
      ${nv === MAX_NV ? `(if (local.get $sgn) (then (i32.store (local.get $ps) ${signWord(acc)})))` : ''}
      (local.set $py (i32.add (local.get $py) (local.get $ysb)))
      (local.set $pr (i32.add (local.get $pr) (local.get $ysb)))
      (local.set $ps (i32.add (local.get $ps) (local.get $sgs)))`;
  const single = `${zero('c')}
      (if (i32.and (i32.ge_s (local.get $w) (local.get $wl)) (i32.lt_s (local.get $w) (local.get $wr)))
        (then
          ;; interior: all taps in the image
          ${fastTaps(false, 'f')})
        (else
          ;; border: only in-image taps count (zero padding)
          (local.set $pw (local.get $wb))
          (local.set $valid (i32.const 0))
          (local.set $hh (i32.sub (local.get $h) (local.get $ph)))
          (local.set $i (local.get $kh))
          (loop $gi
            (if (i32.lt_u (local.get $hh) (local.get $H))
              (then
                (local.set $ww (i32.sub (local.get $w) (local.get $pwd)))
                (local.set $pt (i32.add (local.get $a) (i32.mul (local.get $wordB) (i32.add (i32.mul (local.get $hh) (local.get $W)) (local.get $ww)))))
                (local.set $j (local.get $kw))
                (loop $gj
                  (if (i32.lt_u (local.get $ww) (local.get $W))
                    (then
                      (local.set $valid (i32.add (local.get $valid) (i32.const 1)))
                      ${tapWords(nv, relaxed, '$gk')})
                    (else (local.set $pw (i32.add (local.get $pw) (local.get $skipTap)))))
                  (local.set $ww (i32.add (local.get $ww) (local.get $dil)))
                  (local.set $pt (i32.add (local.get $pt) (local.get $colStep)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $gj (local.get $j))))
              (else (local.set $pw (i32.add (local.get $pw) (i32.mul (local.get $kw) (local.get $skipTap))))))
            (local.set $hh (i32.add (local.get $hh) (local.get $dil)))
            (local.set $i (i32.sub (local.get $i) (i32.const 1)))
            (br_if $gi (local.get $i)))
          (local.set $base (i32x4.splat (i32.shl (i32.mul (local.get $valid) (local.get $words)) (i32.const 5))))))
      ${finish('c')}
      (local.set $w (i32.add (local.get $w) (i32.const 1)))`;
  const body = pair
    ? `(if (i32.and (i32.ge_s (local.get $w) (local.get $wl)) (i32.lt_s (i32.add (local.get $w) (i32.const 1)) (local.get $wr)))
        (then
          ;; two interior pixels share each weight load
          ${zero('c')} ${zero('d')}
          ${fastTaps(true, 'p')}
          ${finish('c')}
          ${finish('d')}
          (local.set $w (i32.add (local.get $w) (i32.const 2))))
        (else
          ${single}))`
    : single;
  return String.raw`
  (func $xnorRowsPass${nv} (param $a i32) (param $wb i32) (param $alpha i32) (param $y i32) (param $slope i32) (param $res i32) (param $sgn i32)
    (param $H i32) (param $W i32) (param $words i32) (param $kh i32) (param $kw i32) (param $dil i32) (param $h i32) (param $wl i32) (param $wr i32)
    (param $ts i32) (param $ysb i32) (param $sgs i32) (param $rem i32)
    (local $w i32) (local $pa i32) (local $pt i32) (local $pw i32) (local $py i32) (local $pr i32) (local $ps i32)
    (local $i i32) (local $j i32) (local $k i32) (local $hh i32) (local $ww i32) (local $valid i32)
    (local $wordB i32) (local $colStep i32) (local $rowStep i32) (local $ph i32) (local $pwd i32) (local $skipTap i32)
    (local $base v128) (local $full v128) (local $lut v128) (local $m4 v128) (local $n v128) (local $s f32)
    (local $av v128) (local $lo v128) (local $hi v128) (local $av1 v128) (local $lo1 v128) (local $hi1 v128) (local $w0 v128) (local $w1 v128)
    ${range(nv).map((v) => `(local $c${v} v128)`).join(' ')}
    ${pair ? range(nv).map((v) => `(local $d${v} v128)`).join(' ') : ''}
    (local.set $lut (v128.const i8x16 0 1 1 2 1 2 2 3 1 2 2 3 2 3 3 4))
    (local.set $m4 (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $wordB (i32.shl (local.get $words) (i32.const 2)))
    (local.set $colStep (i32.mul (local.get $dil) (local.get $wordB)))
    (local.set $rowStep (i32.mul (local.get $colStep) (local.get $W)))
    (local.set $ph (i32.mul (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1)) (local.get $dil)))
    (local.set $pwd (i32.mul (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1)) (local.get $dil)))
    (local.set $skipTap (i32.mul (local.get $words) (local.get $ts)))
    (local.set $full (i32x4.splat (i32.shl (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $words)) (i32.const 5))))
    (local.set $py (i32.add (local.get $y) (i32.mul (i32.mul (local.get $h) (local.get $W)) (local.get $ysb))))
    (local.set $pr (i32.add (local.get $res) (i32.mul (i32.mul (local.get $h) (local.get $W)) (local.get $ysb))))
    (local.set $ps (i32.add (local.get $sgn) (i32.mul (i32.mul (local.get $h) (local.get $W)) (local.get $sgs))))
    (local.set $w (i32.const 0))
    (loop $pixel
      ${body}
      (br_if $pixel (i32.lt_u (local.get $w) (local.get $W)))))
`;
}

const passArgs = `(local.get $a) (i32.add (local.get $wb) (i32.mul (local.get $cb) (i32.const 48)))
            (i32.add (local.get $alpha) (i32.shl (local.get $cb) (i32.const 4))) (i32.add (local.get $y) (i32.shl (local.get $cb) (i32.const 4)))
            (select (i32.add (local.get $slope) (i32.shl (local.get $cb) (i32.const 4))) (i32.const 0) (local.get $slope))
            (select (i32.add (local.get $res) (i32.shl (local.get $cb) (i32.const 4))) (i32.const 0) (local.get $res))
            (select (i32.add (local.get $sgn) (i32.shr_u (local.get $cb) (i32.const 1))) (i32.const 0) (local.get $sgn))
            (local.get $H) (local.get $W) (local.get $words) (local.get $kh) (local.get $kw) (local.get $dil) (local.get $h) (local.get $rwl) (local.get $rwr)
            (local.get $ts) (local.get $ysb) (local.get $sgs) (local.get $rem)`;

const tablePassArgs = `(local.get $hdr) (i32.add (local.get $tw) (i32.shl (local.get $cb) (i32.const 5)))
            (i32.add (local.get $alpha) (i32.shl (local.get $cb) (i32.const 4))) (i32.add (local.get $y) (i32.shl (local.get $cb) (i32.const 4)))
            (select (i32.add (local.get $slope) (i32.shl (local.get $cb) (i32.const 4))) (i32.const 0) (local.get $slope))
            (select (i32.add (local.get $res) (i32.shl (local.get $cb) (i32.const 4))) (i32.const 0) (local.get $res))
            (select (i32.add (local.get $sgn) (i32.shr_u (local.get $cb) (i32.const 1))) (i32.const 0) (local.get $sgn))
            (local.get $W) (local.get $words) (local.get $kh) (local.get $kw) (local.get $dil) (local.get $h) (local.get $rwl) (local.get $rwr)
            (local.get $gstride) (local.get $ysb) (local.get $sgs) (i32.const 0)`;

/** Calls <fn><nv>(args) for nv = $nv (1..MAX_NV). */
function dispatch(fn: string, args: string, label: string): string {
  let s = `(br_table ${range(MAX_NV).map((v) => `${label}${v + 1}`).join(' ')} (i32.sub (local.get $nv) (i32.const 1)))`;
  for (let v = 1; v <= MAX_NV; v++) {
    s = `(block ${label}${v} ${s})
          (call ${fn}${v} ${args})${v < MAX_NV ? `\n          (br ${label})` : ''}`;
  }
  return `(block ${label} ${s})`;
}

/** xnorConvRows' table path (relaxed build only; see inferBinaryTables.ts): returns when taken. */
const tablePath = String.raw`
    ;; the table path (relaxed SIMD): Cout a multiple of 32 and this instance's scratch holds the ring
    (local.set $hdr (global.get $xnorScratchPtr))
    (local.set $R (i32.add (i32.mul (local.get $dil) (i32.sub (local.get $kh) (i32.const 1))) (i32.const 1)))
    (local.set $rowB (i32.shl (i32.mul (local.get $W) (local.get $words)) (i32.const 7)))
    (if (i32.and (i32.and (i32.ne (local.get $hdr) (i32.const 0)) (i32.eqz (i32.and (local.get $cout) (i32.const 31))))
          (i32.and (i32.and (i32.le_u (local.get $kh) (i32.const ${TABLE_HEADER_BYTES / 4})) (i32.le_u (local.get $words) (i32.const 7)))
            (i32.le_u (i32.add (i32.const ${TABLE_HEADER_BYTES}) (i32.mul (local.get $R) (local.get $rowB))) (global.get $xnorScratchLen))))
      (then
        (local.set $gstride (i32.shl (i32.shr_u (i32.add (local.get $cout) (i32.const 15)) (i32.const 4)) (i32.const 7)))
        (local.set $tw (i32.add (local.get $wb) (i32.mul (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $words)) (local.get $ts))))
        (local.set $nb (select (i32.sub (local.get $h0) (local.get $ph)) (i32.const 0) (i32.gt_s (local.get $h0) (local.get $ph))))
        (local.set $h (local.get $h0))
        (block $trows (loop $trow
          (br_if $trows (i32.ge_s (local.get $h) (local.get $h1)))
          ;; tables of input rows up to h + ph (row r in ring slot r mod R)
          (block $built (loop $build
            (br_if $built (i32.or (i32.gt_s (local.get $nb) (i32.add (local.get $h) (local.get $ph))) (i32.ge_s (local.get $nb) (local.get $H))))
            (call $xnorBuildTables
              (i32.add (local.get $a) (i32.shl (i32.mul (i32.mul (local.get $nb) (local.get $W)) (local.get $words)) (i32.const 2)))
              (i32.add (i32.add (local.get $hdr) (i32.const ${TABLE_HEADER_BYTES})) (i32.mul (i32.rem_u (local.get $nb) (local.get $R)) (local.get $rowB)))
              (i32.mul (local.get $W) (local.get $words)))
            (local.set $nb (i32.add (local.get $nb) (i32.const 1)))
            (br $build)))
          ;; the header: tap row i's table row, 0 outside the image
          (local.set $i (i32.const 0))
          (loop $hrow
            (local.set $r (i32.sub (i32.add (local.get $h) (i32.mul (local.get $i) (local.get $dil))) (local.get $ph)))
            (i32.store (i32.add (local.get $hdr) (i32.shl (local.get $i) (i32.const 2)))
              (select (i32.add (i32.add (local.get $hdr) (i32.const ${TABLE_HEADER_BYTES})) (i32.mul (i32.rem_u (local.get $r) (local.get $R)) (local.get $rowB)))
                (i32.const 0) (i32.lt_u (local.get $r) (local.get $H))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $hrow (i32.lt_u (local.get $i) (local.get $kh))))
          (if (i32.and (i32.ge_s (local.get $h) (local.get $ph)) (i32.lt_s (local.get $h) (i32.sub (local.get $H) (local.get $ph))))
            (then (local.set $rwl (local.get $wl)) (local.set $rwr (local.get $wr)))
            (else (local.set $rwl (i32.const 0)) (local.set $rwr (i32.const 0))))
          (local.set $cb (i32.const 0))
          (loop $tpass
            ;; Cout % 32 = 0: every pass has MAX_NV full vectors ($rem = 0)
            (call $xnorTabPass${MAX_NV} ${tablePassArgs})
            (local.set $cb (i32.add (local.get $cb) (i32.const ${MAX_NV})))
            (br_if $tpass (i32.lt_u (local.get $cb) (local.get $nvec))))
          (local.set $h (i32.add (local.get $h) (i32.const 1)))
          (br $trow)))
        (return)))
`;

export const inferBinaryWat = (relaxed: boolean) => String.raw`
  ${range(MAX_NV).map((v) => passFunction(v + 1, relaxed)).join('')}
  ${relaxed ? tablePassWat(MAX_NV) + buildTablesWat : ''}
  ;; This instance's (this thread's) scratch for the table path; 0 bytes: none.
  (global $xnorScratchPtr (mut i32) (i32.const 0))
  (global $xnorScratchLen (mut i32) (i32.const 0))
  ${signature('xnorScratch')}
    (global.set $xnorScratchPtr (local.get $ptr))
    (global.set $xnorScratchLen (local.get $bytes)))

  ;; Binary conv for inference, N = 1, stride 1, 'same' zero padding (pad dil·(k−1)/2), odd kh, kw:
  ;; y[(h·W + w)·ystride + o] = epilogue(alpha[o] · Σ in-image taps (32·words − 2·popcount(a xor wb)))
  ;; for output rows h in [h0, h1) only (pointers are those of row 0: threads split a layer by rows).
  ;; a: packed signs [H, W, words] (packSigns' convention); wb: packBinaryConvWeights' layout;
  ;; alpha: f32 [cout]. Epilogue: slope ≠ 0: PReLU with slope[o]; res ≠ 0: + res (y's layout);
  ;; sgn ≠ 0 (needs cout % 32 = 0, else traps): also the packed signs of y into sgn [H, W, cout/32].
  ;; Byte accumulators: kh·kw·words ≤ 31, else traps. Inputs are bits, so there is no NaN to propagate.
  ;; Scratch: only this instance's own (xnorScratch, the table path), so instances on other threads
  ;; may run other rows of the same layer at once.
  ${signature('xnorConvRows')}
    (local $nvec i32) (local $cb i32) (local $nv i32) (local $h i32) (local $ph i32) (local $pwd i32)
    (local $wl i32) (local $wr i32) (local $rwl i32) (local $rwr i32) (local $ts i32) (local $ysb i32) (local $sgs i32) (local $rem i32)
    (local $hdr i32) (local $R i32) (local $rowB i32) (local $nb i32) (local $r i32) (local $i i32) (local $tw i32) (local $gstride i32)
    (if (i32.and (i32.ne (local.get $sgn) (i32.const 0)) (i32.ne (i32.and (local.get $cout) (i32.const 31)) (i32.const 0))) (then unreachable))
    ;; more than 31 (tap, word) pairs could overflow a byte accumulator (8 per pair)
    (if (i32.gt_u (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $words)) (i32.const 31)) (then unreachable))
    (local.set $nvec (i32.shr_u (i32.add (local.get $cout) (i32.const 3)) (i32.const 2)))
    (local.set $ts (i32.mul (local.get $nvec) (i32.const 48)))
    (local.set $ysb (i32.shl (local.get $ystride) (i32.const 2)))
    (local.set $sgs (i32.shl (i32.shr_u (local.get $cout) (i32.const 5)) (i32.const 2)))
    (local.set $ph (i32.mul (i32.shr_u (i32.sub (local.get $kh) (i32.const 1)) (i32.const 1)) (local.get $dil)))
    (local.set $pwd (i32.mul (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1)) (local.get $dil)))
    (local.set $wl (local.get $pwd))
    (local.set $wr (select (i32.sub (local.get $W) (local.get $pwd)) (local.get $pwd) (i32.gt_s (i32.sub (local.get $W) (local.get $pwd)) (local.get $pwd))))
${relaxed ? tablePath : ''}    (local.set $h (local.get $h0))
    (block $rows (loop $row
      (br_if $rows (i32.ge_s (local.get $h) (local.get $h1)))
      ;; interior columns [wl, wr) only on rows whose taps are all in the image
      (if (i32.and (i32.ge_s (local.get $h) (local.get $ph)) (i32.lt_s (local.get $h) (i32.sub (local.get $H) (local.get $ph))))
        (then (local.set $rwl (local.get $wl)) (local.set $rwr (local.get $wr)))
        (else (local.set $rwl (i32.const 0)) (local.set $rwr (i32.const 0))))
      (local.set $cb (i32.const 0))
      (loop $pass
        (local.set $nv (select (i32.const ${MAX_NV}) (i32.sub (local.get $nvec) (local.get $cb)) (i32.gt_u (i32.sub (local.get $nvec) (local.get $cb)) (i32.const ${MAX_NV}))))
        (local.set $rem (select (i32.and (local.get $cout) (i32.const 3)) (i32.const 0) (i32.eq (i32.add (local.get $cb) (local.get $nv)) (local.get $nvec))))
        ${dispatch('$xnorRowsPass', passArgs, '$nv')}
        (local.set $cb (i32.add (local.get $cb) (i32.const ${MAX_NV})))
        (br_if $pass (i32.lt_u (local.get $cb) (local.get $nvec))))
      (local.set $h (i32.add (local.get $h) (i32.const 1)))
      (br $row))))
`;
