/**
 * xnorConvRows' table path (relaxed-SIMD build, Cout a multiple of 32, when the instance has
 * per-thread scratch, set by xnorScratch): the XOR moves out of the inner loop. For every input
 * pixel and 4-channel nibble q of its sign words, a 16-byte table T[x] = popcount(nibble_q(a) xor x)
 * is built once per input row (into a ring of 2·pad + 1 rows in the scratch); the inner loop looks
 * the weights' nibbles up in it, 16 output channels per byte shuffle: 2 operations per 64 bits (a
 * shuffle and an add) where the XOR path needs 3, and every tap reading the pixel shares its tables.
 * Byte accumulators (≤ 32 per (tap, word)) are widened to i16 after every tap row of ≤ 7 pairs.
 * Measured (Node 20, the shared 2-core Xeon, min of 24 interleaved calls at 256x256): 3x3 C64->64
 * 1.3-1.4x faster than the XOR path, 3x3 C32->32 1.07-1.1x; C64->16 was 0.75x and the plain
 * build's i8x16.swizzle (an extra saturating add per lookup) 0.75-0.85x, so neither uses it.
 */
import { epilogue, partial, range, signWord, type NExpr } from './binaryEpilogue';

/** Ring rows of tables start after this header (kh row pointers). */
export const TABLE_HEADER_BYTES = 64;

/** $xnorBuildTables(src, dst, n): the 8 tables of each of n input words at src, 128 bytes each at dst. */
export const buildTablesWat = String.raw`
  (func $xnorBuildTables (param $src i32) (param $dst i32) (param $n i32)
    (local $end i32) (local $v v128) (local $lo v128) (local $hi v128) (local $lut v128) (local $m4 v128) (local $iota v128)
    (local.set $lut (v128.const i8x16 0 1 1 2 1 2 2 3 1 2 2 3 2 3 3 4))
    (local.set $m4 (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $iota (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $word
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $v (v128.load32_splat (local.get $src)))
      ;; byte b of lo / hi: the low / high nibble of the word's byte b (nibbles q = 2b, 2b + 1)
      (local.set $lo (v128.and (local.get $v) (local.get $m4)))
      (local.set $hi (v128.and (i32x4.shr_u (local.get $v) (i32.const 4)) (local.get $m4)))
      ${range(8).map((q) => {
        const b = q >> 1;
        const src = q & 1 ? '$hi' : '$lo';
        return `(v128.store offset=${16 * q} (local.get $dst) (i8x16.relaxed_swizzle (local.get $lut)
        (v128.xor (local.get $iota) (i8x16.shuffle ${Array(16).fill(b).join(' ')} (local.get ${src}) (local.get ${src})))))`;
      }).join('\n      ')}
      (local.set $src (i32.add (local.get $src) (i32.const 4)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
      (br $word))))
`;

/** Counts of vector v (4 channels) from the i16 sums $<s>0..3: n = base − 2·count. */
const nFromTables = (s: string): NExpr => (v) =>
  `(i32x4.sub (local.get $base) (i32x4.shl (i32x4.extend_${v & 1 ? 'high' : 'low'}_i16x8_u (local.get $${s}${v >> 1})) (i32.const 1)))`;

/**
 * One output row of one pass of nv ≤ 8 vectors (ng = 1 or 2 groups of 16 channels); $wt points at
 * the pass's first group in the table-path weights, $hdr at the kh row pointers (0: row outside).
 */
export function tablePassWat(nv: number): string {
  const ng = nv > 4 ? 2 : 1;
  const last = nv - 1;
  const swz = (t: string, w: string) => `(i8x16.relaxed_swizzle ${t} ${w})`;
  /** Byte accumulators ($a, $b: pixel 1, 2), i16 sums ($s, $u). */
  const px = [['a', 's', '$pt'], ['b', 'u', '$pt2']];
  const zero = (n: number) => px.slice(0, n).map(([a, s]) => [...range(ng).map((g) => `$${a}${g}`), ...range(2 * ng).map((k) => `$${s}${k}`)]
    .map((l) => `(local.set ${l} (v128.const i32x4 0 0 0 0))`).join(' ')).join(' ');
  const flush = (n: number) => px.slice(0, n).map(([a, s]) => range(ng).map((g) => `
            (local.set $${s}${2 * g} (i16x8.add (local.get $${s}${2 * g}) (i16x8.extend_low_i8x16_u (local.get $${a}${g}))))
            (local.set $${s}${2 * g + 1} (i16x8.add (local.get $${s}${2 * g + 1}) (i16x8.extend_high_i8x16_u (local.get $${a}${g}))))
            (local.set $${a}${g} (v128.const i32x4 0 0 0 0))`).join('')).join('');
  /** One (tap, word): 8 nibble tables at $pt (and $pt2) against the weights at $pw; $pw moves on by $gstride. */
  const tapWord = (n: number, label: string) => `(local.set $q (i32.const 4))
            (loop ${label}
              ${[0, 16].map((o) => `${range(ng).map((g) => `(local.set $w${g} (v128.load offset=${o + 128 * g} (local.get $pw)))`).join(' ')}
              ${px.slice(0, n).map(([a, , p]) => `(local.set $t (v128.load offset=${o} (local.get ${p})))
              ${range(ng).map((g) => `(local.set $${a}${g} (i8x16.add (local.get $${a}${g}) ${swz('(local.get $t)', `(local.get $w${g})`)}))`).join(' ')}`).join('\n              ')}`).join('\n              ')}
              (local.set $pt (i32.add (local.get $pt) (i32.const 32)))
              ${n > 1 ? '(local.set $pt2 (i32.add (local.get $pt2) (i32.const 32)))' : ''}
              (local.set $pw (i32.add (local.get $pw) (i32.const 32)))
              (local.set $q (i32.sub (local.get $q) (i32.const 1)))
              (br_if ${label} (local.get $q)))
            (local.set $pw (i32.add (local.get $pw) (local.get $wskip)))`;
  /** Epilogue of one pixel from its i16 sums $<s>*, then the output pointers move on. */
  const finish = (s: string) => `${last > 0 ? epilogue(range(last), true, 'c', nFromTables(s)) : ''}
      (if (i32.eqz (local.get $rem))
        (then ${epilogue([last], true, 'c', nFromTables(s))})
        (else ${partial(last, nFromTables(s))}))
      ${nv === 8 ? `(if (local.get $sgn) (then (i32.store (local.get $ps) ${signWord('c')})))` : ''}
      (local.set $py (i32.add (local.get $py) (local.get $ysb)))
      (local.set $pr (i32.add (local.get $pr) (local.get $ysb)))
      (local.set $ps (i32.add (local.get $ps) (local.get $sgs)))`;
  return String.raw`
  (func $xnorTabPass${nv} (param $hdr i32) (param $wt i32) (param $alpha i32) (param $y i32) (param $slope i32) (param $res i32) (param $sgn i32)
    (param $W i32) (param $words i32) (param $kh i32) (param $kw i32) (param $dil i32) (param $h i32) (param $wl i32) (param $wr i32)
    (param $gstride i32) (param $ysb i32) (param $sgs i32) (param $rem i32)
    (local $w i32) (local $pw i32) (local $pt i32) (local $pt2 i32) (local $rp i32) (local $i i32) (local $j i32) (local $k i32) (local $q i32)
    (local $ww i32) (local $valid i32) (local $flushTap i32) (local $py i32) (local $pr i32) (local $ps i32) (local $pwd i32)
    (local $wordT i32) (local $colStep i32) (local $skipTap i32) (local $wskip i32)
    (local $base v128) (local $full v128) (local $t v128) (local $w0 v128) (local $w1 v128) (local $n v128) (local $s f32)
    ${range(ng).map((g) => `(local $a${g} v128) (local $b${g} v128)`).join(' ')}
    ${range(2 * ng).map((k) => `(local $s${k} v128) (local $u${k} v128)`).join(' ')}
    ${range(nv).map((v) => `(local $c${v} v128)`).join(' ')}
    (local.set $wordT (i32.shl (local.get $words) (i32.const 7)))
    (local.set $colStep (i32.mul (local.get $dil) (local.get $wordT)))
    (local.set $pwd (i32.mul (i32.shr_u (i32.sub (local.get $kw) (i32.const 1)) (i32.const 1)) (local.get $dil)))
    (local.set $skipTap (i32.mul (local.get $words) (local.get $gstride)))
    (local.set $wskip (i32.sub (local.get $gstride) (i32.const 128)))
    ;; bytes take ≤ 32 per (tap, word): widen after every tap row of ≤ 7 of them, else after every tap
    (local.set $flushTap (i32.gt_u (i32.mul (local.get $kw) (local.get $words)) (i32.const 7)))
    (local.set $full (i32x4.splat (i32.shl (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $words)) (i32.const 5))))
    (local.set $py (i32.add (local.get $y) (i32.mul (i32.mul (local.get $h) (local.get $W)) (local.get $ysb))))
    (local.set $pr (i32.add (local.get $res) (i32.mul (i32.mul (local.get $h) (local.get $W)) (local.get $ysb))))
    (local.set $ps (i32.add (local.get $sgn) (i32.mul (i32.mul (local.get $h) (local.get $W)) (local.get $sgs))))
    (local.set $w (i32.const 0))
    (loop $pixel
      (if (i32.and (i32.ge_s (local.get $w) (local.get $wl)) (i32.lt_s (i32.add (local.get $w) (i32.const 1)) (local.get $wr)))
        (then
          ;; two interior pixels: every tap in the image, each weight load feeds both
          ${zero(2)}
          (local.set $pw (local.get $wt))
          (local.set $i (i32.const 0))
          (loop $pi
            (local.set $pt (i32.add (i32.load (i32.add (local.get $hdr) (i32.shl (local.get $i) (i32.const 2))))
              (i32.mul (i32.sub (local.get $w) (local.get $pwd)) (local.get $wordT))))
            (local.set $j (local.get $kw))
            (loop $pj
              (local.set $pt2 (i32.add (local.get $pt) (local.get $wordT)))
              (local.set $k (local.get $words))
              (loop $pk
                ${tapWord(2, '$pq')}
                (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                (br_if $pk (local.get $k)))
              (local.set $pt (i32.add (i32.sub (local.get $pt) (local.get $wordT)) (local.get $colStep)))
              (if (local.get $flushTap) (then ${flush(2)}))
              (local.set $j (i32.sub (local.get $j) (i32.const 1)))
              (br_if $pj (local.get $j)))
            ${flush(2)}
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $pi (i32.lt_u (local.get $i) (local.get $kh))))
          ${flush(2)}
          (local.set $base (local.get $full))
          ${finish('s')}
          ${finish('u')}
          (local.set $w (i32.add (local.get $w) (i32.const 2))))
        (else
          ;; one pixel; only in-image taps count (zero padding)
          ${zero(1)}
          (local.set $valid (i32.const 0))
          (local.set $pw (local.get $wt))
          (local.set $i (i32.const 0))
          (loop $gi
            (local.set $rp (i32.load (i32.add (local.get $hdr) (i32.shl (local.get $i) (i32.const 2)))))
            (if (local.get $rp)
              (then
                (local.set $ww (i32.sub (local.get $w) (local.get $pwd)))
                (local.set $pt (i32.add (local.get $rp) (i32.mul (local.get $ww) (local.get $wordT))))
                (local.set $j (local.get $kw))
                (loop $gj
                  (if (i32.lt_u (local.get $ww) (local.get $W))
                    (then
                      (local.set $valid (i32.add (local.get $valid) (i32.const 1)))
                      (local.set $k (local.get $words))
                      (loop $gk
                        ${tapWord(1, '$gq')}
                        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
                        (br_if $gk (local.get $k)))
                      (local.set $pt (i32.sub (local.get $pt) (local.get $wordT)))
                      (if (local.get $flushTap) (then ${flush(1)})))
                    (else (local.set $pw (i32.add (local.get $pw) (local.get $skipTap)))))
                  (local.set $ww (i32.add (local.get $ww) (local.get $dil)))
                  (local.set $pt (i32.add (local.get $pt) (local.get $colStep)))
                  (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                  (br_if $gj (local.get $j)))
                ${flush(1)})
              (else (local.set $pw (i32.add (local.get $pw) (i32.mul (local.get $kw) (local.get $skipTap))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $gi (i32.lt_u (local.get $i) (local.get $kh))))
          ${flush(1)}
          (local.set $base (i32x4.splat (i32.shl (i32.mul (local.get $valid) (local.get $words)) (i32.const 5))))
          ${finish('s')}
          (local.set $w (i32.add (local.get $w) (i32.const 1)))))
      (br_if $pixel (i32.lt_u (local.get $w) (local.get $W)))))
`;
}
