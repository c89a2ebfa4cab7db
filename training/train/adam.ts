/**
 * Adam (Kingma & Ba) over flat float32 buffers, bias-corrected, epsilon added to sqrt(v̂):
 *
 *   m ← β1·m + (1−β1)·g,  v ← β2·v + (1−β2)·g²,  θ ← θ − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + ε)
 *
 * the same update as tfjs's `tf.train.adam(lr, β1, β2, ε)` (tests/unit/adam.test.ts). The update
 * runs per range of the buffer so the caller can give each parameter its own learning rate and an
 * optional clip of the updated weight to [−clip, clip]; the trainer uses both for binary latent
 * weights (`lrBinaryScale`, `latentClip`), which tfjs's optimizer has no counterpart for. The
 * arithmetic is double precision per element, rounded to float32 on store.
 */
export interface AdamOptions {
  beta1: number;
  beta2: number;
  /** Default 1e-8. */
  eps?: number;
  /** The moment buffers to use (e.g. views of SharedArrayBuffers the training workers update); default: new ones. */
  buffers?: { m: Float32Array; v: Float32Array };
}

/** A range of the flat buffer with its learning rate and clip (0: none). */
export interface AdamRange {
  start: number;
  end: number;
  lr: number;
  clip: number;
}

export class Adam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(size: number, o: AdamOptions) {
    if (o.buffers && (o.buffers.m.length !== size || o.buffers.v.length !== size)) throw new Error(`Adam: moment buffers must hold ${size} values`);
    this.m = o.buffers?.m ?? new Float32Array(size);
    this.v = o.buffers?.v ?? new Float32Array(size);
    this.beta1 = o.beta1;
    this.beta2 = o.beta2;
    this.eps = o.eps ?? 1e-8;
  }

  /**
   * Update step t (1-based) of theta[start, end) with gradient `grad[i] * gradScale` (the scale
   * turns a sum of worker gradients into their mean), learning rate `lr`, and `clip` > 0 clamping
   * the new weights.
   */
  update(theta: Float32Array, grad: Float32Array, t: number, start: number, end: number, lr: number, clip = 0, gradScale = 1): void {
    const { m, v, beta1: b1, beta2: b2, eps } = this;
    const a = lr / (1 - Math.pow(b1, t));
    const ic2 = 1 / (1 - Math.pow(b2, t));
    for (let i = start; i < end; i++) {
      const g = grad[i] * gradScale;
      const mi = b1 * m[i] + (1 - b1) * g;
      const vi = b2 * v[i] + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      let w = theta[i] - (a * mi) / (Math.sqrt(vi * ic2) + eps);
      if (clip > 0) w = w < -clip ? -clip : w > clip ? clip : w;
      theta[i] = w;
    }
  }
}
