/**
 * bitsr's tfjs kernels for the training hot path (used by layers.ts), one module per family in
 * kernels/ (their WAT in src/kernels/wat/, assembled by simdKernels.ts), registered by `registerKernels`, which
 * initTf calls; importing registers nothing.
 * - elementwise: sign, the estimator gradients, the PReLU backward. Each is one pass: WebAssembly
 *   SIMD on the wasm heap where the shape allows, else a JS body, which is also the cpu backend's
 *   implementation (the reference tests run there);
 * - weights: the binary conv's small weight ops (α, flipped dX kernel, latent-weight gradient);
 *   copies: zero padding, depth-to-space both ways; SIMD or JS on wasm, JS on cpu;
 * - wasm SIMD only, behind `...Applies` checks (layers.ts falls back to tfjs ops elsewhere): conv
 *   forward/dX and dW (conv); the XNOR binary conv (xnor) and the fused basic block's forward and
 *   backward and the binary conv's weight gradient by sign-pattern tables (binaryBlock); the conv
 *   backward for an output gradient of ±c, the tail under the L1 loss (signGrad); the fused MRB's
 *   forward and backward (mrbBlock);
 * - distillation's KL over channels and its gradient, one pass each (distill; JS on cpu);
 * - Identity on wasm shares the tensor's data instead of copying it (copies).
 */
import { registerBinaryBlockKernels } from './kernels/binaryBlock';
import { registerConvKernels } from './kernels/conv';
import { registerCopyKernels } from './kernels/copies';
import { registerDistillKernels } from './kernels/distill';
import { registerElementwiseKernels } from './kernels/elementwise';
import { registerMrbBlockKernels } from './kernels/mrbBlock';
import { registerSignGradKernels } from './kernels/signGrad';
import { registerWeightKernels } from './kernels/weights';
import { registerXnorKernels } from './kernels/xnor';

export { binaryBlockBackward, binaryBlockBackwardApplies, binaryBlockForward, binaryConvWeightGrad, binaryConvWeightGradApplies } from './kernels/binaryBlock';
export { convKernelApplies, convValid, convWeightGrad, convWeightGradApplies, flipKernel } from './kernels/conv';
export { depthToSpace, padSpatial, spaceToDepth } from './kernels/copies';
export { preluGradKernel, signGradKernel, signKernel } from './kernels/elementwise';
export { signGradApplies, signGradInputGrad, signGradWeightGrad, signScale } from './kernels/signGrad';
export { binaryWeightGrad, flipBinaryKernel, weightScaleKernel } from './kernels/weights';
export { xnorConv, xnorConvApplies } from './kernels/xnor';

let registered = false;

/** Registers every bitsr kernel (wasm and cpu) and replaces tfjs-wasm's Identity; once per process. */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  registerElementwiseKernels();
  registerCopyKernels();
  registerWeightKernels();
  registerConvKernels();
  registerXnorKernels();
  registerBinaryBlockKernels();
  registerSignGradKernels();
  registerMrbBlockKernels();
  registerDistillKernels();
}
