/**
 * The training loss (docs/method.md, Eq. 5): L1 to the HR target, and with a distillation teacher
 *
 *   L = λ · L1(SR, HR) + β · L1(SR, SR_teacher) + γ · Σ_i KL(softmax G_S^i ‖ softmax G_T^i)
 *
 * (`loss: 'l2'` puts the mean squared error in place of L1(SR, HR).)
 *
 * with the softmax over channels and the KL averaged over pixels. Pure tensor functions: the
 * worker calls them inside `tf.variableGrads`.
 */
import { klChannels } from '../engine/klChannels';
import { tf } from '../engine/tf';
import type { DistillConfig } from './config';

/** KL(softmax(s) || softmax(t)) over channels, mean over pixels (one fused op each way). */
export { klChannels };

/**
 * The loss of one batch: `out` the student's output, `target` the HR (both in the same layout),
 * and with distillation the teacher's output and the student's and teacher's stage outputs (in
 * the same order).
 */
export function trainingLoss(
  out: tf.Tensor,
  target: tf.Tensor,
  distill?: { config: DistillConfig; teacherOut: tf.Tensor; stages: tf.Tensor[]; teacherStages: tf.Tensor[] },
  pixel: 'l1' | 'l2' = 'l1',
): tf.Scalar {
  // With 'l2' the tail's output gradient is no longer ±c: its conv takes the general backward.
  const l1 = pixel === 'l2' ? tf.mean(tf.squaredDifference(out, target)) : tf.mean(tf.abs(tf.sub(out, target)));
  if (!distill) return l1 as tf.Scalar;
  const d = distill.config;
  let loss = tf.add(tf.mul(l1, d.lambda), tf.mul(tf.mean(tf.abs(tf.sub(out, distill.teacherOut))), d.beta));
  distill.stages.forEach((s, i) => {
    loss = tf.add(loss, tf.mul(klChannels(s, distill.teacherStages[i]), d.gamma));
  });
  return loss as tf.Scalar;
}
