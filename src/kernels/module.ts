/**
 * The kernel module's WAT text, one source for both users: the trainer assembles it at start-up
 * against the tfjs-wasm heap, and the build (build/kernelsPlugin.ts) assembles the browser's
 * prebuilt .wasm variants, so no assembler ships to the browser.
 */
import { binaryBlockDxWat, binWeightGradWat } from './wat/binaryBlock';
import { convWat, convWeightGradWat } from './wat/conv';
import { distillWat } from './wat/distill';
import { elementwiseWat } from './wat/elementwise';
import { inferBinaryWat } from './wat/inferBinary';
import { inferFloatWat } from './wat/inferFloat';
import { mrbBlockWat } from './wat/mrbBlock';
import { signGradWat } from './wat/signGrad';
import { weightOpsWat } from './wat/weights';
import { packSignsWat, xnorConv32Wat, xnorConvWat } from './wat/xnor';

export interface KernelVariant {
  /** Relaxed SIMD's fused multiply-add in the float multiply-accumulate loops. */
  fma: boolean;
  /** Imports a shared memory (threads: several instances over one heap). */
  shared: boolean;
}

/** Maximum pages of a shared memory (must be declared); 1 GiB. */
export const SHARED_MAX_PAGES = 16384;

export function kernelModuleWat(v: KernelVariant): string {
  const memory = v.shared ? `(memory 1 ${SHARED_MAX_PAGES} shared)` : '(memory 1)';
  return String.raw`
(module
  (import "env" "memory" ${memory})

${elementwiseWat}${weightOpsWat}${packSignsWat}${xnorConvWat}${binWeightGradWat}${convWeightGradWat(v.fma)}${convWat(v.fma)}
${binaryBlockDxWat}
${signGradWat}
${xnorConv32Wat}
${mrbBlockWat}
${distillWat}
${inferBinaryWat(v.fma)}
${inferFloatWat(v.fma)}
)`;
}

/** The file name of a prebuilt variant (under the site's kernels/ folder). */
export function kernelFileName(v: KernelVariant): string {
  return `bitsr-kernels${v.fma ? '-relaxed' : ''}${v.shared ? '-shared' : ''}.wasm`;
}

export const KERNEL_VARIANTS: readonly KernelVariant[] = [
  { fma: false, shared: false },
  { fma: true, shared: false },
  { fma: false, shared: true },
  { fma: true, shared: true },
];
