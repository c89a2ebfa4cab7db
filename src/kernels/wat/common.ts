/** WAT building blocks shared by the kernel modules (register tiles, transposes, estimators). */

/** f32x4 acc + a·b: one fused multiply-add with relaxed SIMD (FMA here), else mul then add. */
export const madd = (fma: boolean, a: string, b: string, acc: string) =>
  fma ? `(f32x4.relaxed_madd (local.get ${a}) (local.get ${b}) (local.get ${acc}))` : `(f32x4.add (local.get ${acc}) (f32x4.mul (local.get ${a}) (local.get ${b})))`;

/** The 4 × 2-vector register tile of the conv kernels: accumulators $a0..$a7. */
export const accLocals = Array.from({ length: 8 }, (_, k) => `(local $a${k} v128)`).join(' ');
export const zeroAcc = Array.from({ length: 8 }, (_, k) => `(local.set $a${k} (v128.const i32x4 0 0 0 0))`).join('\n');
/** Tile update: for k = 0..3, s = splat(load(scalar k)); a[2k] += s·v0; a[2k+1] += s·v1. */
export const tileMacs = (fma: boolean, v0: string, v1: string, scalar: (k: number) => string): string =>
  [0, 1, 2, 3]
    .map((k) => [
      `(local.set $s (v128.load32_splat ${scalar(k)}))`,
      `(local.set $a${2 * k} ${madd(fma, '$s', v0, `$a${2 * k}`)})`,
      `(local.set $a${2 * k + 1} ${madd(fma, '$s', v1, `$a${2 * k + 1}`)})`,
    ].join('\n'))
    .join('\n');


export const estimatorSetup = String.raw`    ;; estimator: STE-clip 1{|x|<1}, else max(0, ra - rb*|x|)
    (local.set $ste (i32x4.splat (i32.sub (i32.const 0) (i32.eqz (local.get $est)))))
    (local.set $ra (select (result v128) (v128.const f32x4 2 2 2 2) (v128.const f32x4 4 4 4 4) (i32.eq (local.get $est) (i32.const 1))))
    (local.set $rb (select (result v128) (v128.const f32x4 2 2 2 2) (v128.const f32x4 8 8 8 8) (i32.eq (local.get $est) (i32.const 1))))
`;

/** i8x16.shuffle byte indices for i32 lanes (0–3: first operand, 4–7: second). */
export const lanes = (l: number[]) => l.flatMap((x) => [0, 1, 2, 3].map((b) => 4 * x + b)).join(' ');
/** 4×4 f32 transpose of locals a[0..3] into locals r[0..3] through $t0..$t3. */
export const transpose4 = (a: string[], r: string[]) => `
  (local.set $t0 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get ${a[0]}) (local.get ${a[1]})))
  (local.set $t1 (i8x16.shuffle ${lanes([0, 4, 1, 5])} (local.get ${a[2]}) (local.get ${a[3]})))
  (local.set $t2 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get ${a[0]}) (local.get ${a[1]})))
  (local.set $t3 (i8x16.shuffle ${lanes([2, 6, 3, 7])} (local.get ${a[2]}) (local.get ${a[3]})))
  (local.set ${r[0]} (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t0) (local.get $t1)))
  (local.set ${r[1]} (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t0) (local.get $t1)))
  (local.set ${r[2]} (i8x16.shuffle ${lanes([0, 1, 4, 5])} (local.get $t2) (local.get $t3)))
  (local.set ${r[3]} (i8x16.shuffle ${lanes([2, 3, 6, 7])} (local.get $t2) (local.get $t3)))`;
/** d sign/dx as estimated at x (a v128 expression), with $ste/$ra/$rb from estimatorSetup. */
export const estimatorOf = (x: string) => `(v128.bitselect
  (v128.and (f32x4.lt (f32x4.abs ${x}) (v128.const f32x4 1 1 1 1)) (v128.const f32x4 1 1 1 1))
  (f32x4.max (v128.const f32x4 0 0 0 0) (f32x4.sub (local.get $ra) (f32x4.mul (local.get $rb) (f32x4.abs ${x}))))
  (local.get $ste))`;
/** Sum of locals $v<p> for the listed p. */
export function sum16(ps: number[]): string {
  return ps.slice(1).reduce((e, p) => `(f32x4.add ${e} (local.get $v${p}))`, `(local.get $v${ps[0]})`);
}


/**
 * A tap's offset and in-image output range along one axis ('same' zero padding): for axis 'h', tap
 * row $i: $oh = (i − (kh−1)/2)·dil and rows [$h0, $h1) whose input row h + oh is inside [0, H).
 */
export const tapRange = (axis: 'h' | 'w'): string => {
  const [o, lo, hi, t, k, n] = axis === 'h' ? ['$oh', '$h0', '$h1', '$i', '$kh', '$H'] : ['$ow', '$w0', '$w1', '$j', '$kw', '$W'];
  return `(local.set ${o} (i32.mul (i32.sub (local.get ${t}) (i32.shr_u (i32.sub (local.get ${k}) (i32.const 1)) (i32.const 1))) (local.get $dil)))
      (local.set ${lo} (select (i32.sub (i32.const 0) (local.get ${o})) (i32.const 0) (i32.lt_s (local.get ${o}) (i32.const 0))))
      (local.set ${hi} (select (i32.sub (local.get ${n}) (local.get ${o})) (local.get ${n}) (i32.gt_s (local.get ${o}) (i32.const 0))))`;
};

/**
 * The 16 signed sums of four vectors $c0..$c3 (pattern bit j set: −c_j), stored at $q + P·stride
 * for P = 0..15 (stride: a local holding bytes): the sign-pattern tables' rows.
 */
export const signedSums16 = (stride: string): string => `
            (local.set $s01 (f32x4.add (local.get $c0) (local.get $c1)))
            (local.set $d01 (f32x4.sub (local.get $c0) (local.get $c1)))
            (local.set $s23 (f32x4.add (local.get $c2) (local.get $c3)))
            (local.set $d23 (f32x4.sub (local.get $c2) (local.get $c3)))
            (local.set $ns01 (f32x4.neg (local.get $s01)))
            (local.set $nd01 (f32x4.neg (local.get $d01)))
            (local.set $ns23 (f32x4.neg (local.get $s23)))
            (local.set $nd23 (f32x4.neg (local.get $d23)))
            ${Array.from({ length: 16 }, (_, P) => {
              const A = ['$s01', '$nd01', '$d01', '$ns01'][P & 3];
              const B = ['$s23', '$nd23', '$d23', '$ns23'][P >> 2];
              return `(v128.store (i32.add (local.get $q) (i32.mul (local.get ${stride}) (i32.const ${P}))) (f32x4.add (local.get ${A}) (local.get ${B})))`;
            }).join('\n')}`;

/** Zeroes memory from local $q up to local $end (bytes; a multiple of 16 apart, at least 16). */
export const zeroFill = `(loop $z
      (v128.store (local.get $q) (v128.const i32x4 0 0 0 0))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br_if $z (i32.lt_u (local.get $q) (local.get $end))))`;
