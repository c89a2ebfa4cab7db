/** WAT building blocks shared by the binary conv's two counting paths (inferBinary*.ts). */

export const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** The exact i32 n = base − 2·count of output vector v (4 channels), as a WAT expression. */
export type NExpr = (v: number) => string;

/**
 * Epilogue of full vectors vs: $<acc>v = alpha·n (n exact, one rounding), PReLU (v ≥ 0 ? v : v·slope),
 * residual add, store.
 */
export function epilogue(vs: number[], relaxed: boolean, acc: string, n: NExpr): string {
  const sel = (a: string, b: string, m: string) => (relaxed ? `(i32x4.relaxed_laneselect ${a} ${b} ${m})` : `(v128.bitselect ${a} ${b} ${m})`);
  return `${vs.map((v) => `(local.set $${acc}${v} (f32x4.mul (v128.load offset=${16 * v} (local.get $alpha)) (f32x4.convert_i32x4_s ${n(v)})))`).join('\n    ')}
    (if (local.get $slope) (then
      ${vs.map((v) => `(local.set $${acc}${v} ${sel(`(local.get $${acc}${v})`, `(f32x4.mul (local.get $${acc}${v}) (v128.load offset=${16 * v} (local.get $slope)))`, `(f32x4.ge (local.get $${acc}${v}) (v128.const f32x4 0 0 0 0))`)})`).join('\n      ')}))
    (if (local.get $res) (then
      ${vs.map((v) => `(local.set $${acc}${v} (f32x4.add (local.get $${acc}${v}) (v128.load offset=${16 * v} (local.get $pr))))`).join('\n      ')}))
    ${vs.map((v) => `(v128.store offset=${16 * v} (local.get $py) (local.get $${acc}${v}))`).join('\n    ')}`;
}

/** The last vector when cout % 4 = $rem ≠ 0: lanes < $rem one at a time (nothing read or written past cout). */
export function partial(v: number, n: NExpr): string {
  return `(local.set $n ${n(v)})
    ${range(3).map((l) => {
      const off = 16 * v + 4 * l;
      return `(if (i32.gt_u (local.get $rem) (i32.const ${l})) (then
      (local.set $s (f32.mul (f32.convert_i32_s (i32x4.extract_lane ${l} (local.get $n))) (f32.load offset=${off} (local.get $alpha))))
      (if (local.get $slope) (then
        (local.set $s (select (local.get $s) (f32.mul (local.get $s) (f32.load offset=${off} (local.get $slope))) (f32.ge (local.get $s) (f32.const 0))))))
      (if (local.get $res) (then (local.set $s (f32.add (local.get $s) (f32.load offset=${off} (local.get $pr))))))
      (f32.store offset=${off} (local.get $py) (local.get $s))))`;
    }).join('\n    ')}`;
}

/** Packed signs of the 32 channels in $c0..$c7 (bit = v < 0, so −0 counts as +). */
export const signWord = (acc: string) => range(8)
  .map((v) => `(i32.shl (i32x4.bitmask (f32x4.lt (local.get $${acc}${v}) (v128.const f32x4 0 0 0 0))) (i32.const ${4 * v}))`)
  .reduce((e, t) => `(i32.or ${e} ${t})`);
