/**
 * WebAssembly SIMD bodies of the fused training kernels (kernels.ts). The module imports the
 * tfjs-wasm backend's own memory, so it reads and writes tensors in place: pointers are the
 * backend's byte offsets. Plain JS loops are no faster than tfjs's separate wasm passes
 * (measured here: 0.34 ms for a branch-free sign over 8×24×24×32, 1.4 ms with a branch on
 * random signs); 128-bit SIMD is what makes fusing pay. Assembled with wabt at startup.
 *
 * NaN in, NaN out everywhere (x − x is 0 for finite x, NaN otherwise), so the trainer's NaN
 * guard still sees a poisoned batch.
 */
import { tf } from './tf';

const WAT = String.raw`
(module
  (import "env" "memory" (memory 1))

  ;; y = sign(x) with sign(0) = sign(-0) = +1. n: elements, a multiple of 4.
  (func (export "sign") (param $x i32) (param $y i32) (param $n i32)
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
  (func (export "signGrad") (param $dy i32) (param $x i32) (param $dx i32) (param $n i32) (param $est i32)
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
  (func (export "preluGrad") (param $dy i32) (param $x i32) (param $a i32) (param $dx i32) (param $da i32) (param $n i32) (param $C i32)
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
)`;

export interface SimdKernels {
  sign(x: number, y: number, n: number): void;
  signGrad(dy: number, x: number, dx: number, n: number, est: number): void;
  preluGrad(dy: number, x: number, a: number, dx: number, da: number, n: number, c: number): void;
}

let kernels: SimdKernels | undefined;

/** The SIMD kernels bound to the current wasm backend's memory, or undefined before initSimdKernels. */
export function simdKernels(): SimdKernels | undefined {
  return kernels;
}

/** Assembles the module and binds it to the tfjs-wasm heap. Call after the wasm backend is ready. */
export async function initSimdKernels(): Promise<void> {
  if (kernels) return;
  const backend = tf.findBackend('wasm') as unknown as { wasm?: { asm?: { memory?: WebAssembly.Memory } } } | null;
  const memory = backend?.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error('bitsr SIMD kernels: the tfjs-wasm backend does not expose its memory (tfjs version changed?)');
  const wabt = await (await import('wabt')).default();
  const mod = wabt.parseWat('bitsr-kernels.wat', WAT, { simd: true });
  const { buffer } = mod.toBinary({});
  mod.destroy();
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(buffer)), { env: { memory } });
  kernels = instance.exports as unknown as SimdKernels;
}
