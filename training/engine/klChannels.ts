/**
 * Distillation's KL term (docs/method.md, Eq. 5) as one tfjs op with its own backward: the mean over
 * pixels of KL(softmax s ‖ softmax t) over the channels (the last axis). One pass each way
 * (kernels/distill.ts) instead of tfjs's ~12 full-size ops each way, Exp the slowest of them.
 */
import { klChannelsSum, klChannelsSumGrad } from './kernels/distill';
import { tf } from './tf';

let op: ((s: tf.Tensor, t: tf.Tensor) => tf.Scalar) | undefined;

/** mean over pixels of Σ_c p_c (log p_c − log q_c), p = softmax(s), q = softmax(t) over the last axis. */
export function klChannels(s: tf.Tensor, t: tf.Tensor): tf.Scalar {
  op ??= tf.customGrad((si, ti, save) => {
    const [ss, tt] = [si as tf.Tensor, ti as tf.Tensor];
    (save as tf.GradSaveFunc)([ss, tt]);
    const scale = ss.shape.at(-1)! / ss.size;
    return {
      value: tf.reshape(klChannelsSum(ss, tt, scale), []),
      gradFunc: (dy, [s0, t0]) => klChannelsSumGrad(s0, t0, dy as tf.Tensor, scale),
    };
  }) as (s: tf.Tensor, t: tf.Tensor) => tf.Scalar;
  return op(s, t);
}
