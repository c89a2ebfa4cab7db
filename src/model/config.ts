/**
 * The network configuration: one JSON object drives training, ONNX export and the app's model
 * info. See docs/method.md for the method (BTM) and the MRB block.
 */
export type Estimator = 'ste' | 'approxsign' | 'sharp';

export interface NetConfig {
  /** Human-readable name. */
  name: string;
  scale: 2 | 3 | 4;
  /** 'lr': works at LR resolution with a sub-pixel (conv -> pixel shuffle) tail (what the app ships).
   *  'vdsr': the input is bicubic-upsampled first and the net works at HR resolution (the paper's VDSR-IBTM). */
  variant: 'lr' | 'vdsr';
  channels: number;
  blocks: number;
  /** 'basic': BinAct -> BinConv3x3 -> act, + skip. 'mrb': the paper's multiple receptive-field block (Eq. 3). */
  block: 'basic' | 'mrb';
  /** false gives the full-precision twin (teacher / reference): same graph, real convs, no BinAct. */
  binary: boolean;
  /** Activation after binary convs. 'rprelu' is the paper's regulable activation (Eq. 6). 'relu' is for the no-BTM ablation. */
  activation: 'prelu' | 'rprelu' | 'relu';
  /** BatchNorm after each binary conv (only for the ablation's "with BN" baseline; cannot be exported). */
  batchNorm: boolean;
  /** BTM: Xavier-uniform init of binary convs and data-init normalization (mean/std of the training LR). */
  btm: boolean;
  /** Add a bicubic upsampling of the (centred) input to the output (an "anchor" skip; docs/training.md). */
  anchor: boolean;
  /** Gradient estimators for sign(): activations and latent weights separately. */
  estimatorAct: Estimator;
  estimatorWeight: Estimator;
  /** Multiplier of the Xavier init of the full-precision tail (0.1; docs/training.md, tail initialisation). */
  tailInitGain: number;
}

export const DEFAULT_NET: NetConfig = {
  name: 'bitsr',
  scale: 4,
  variant: 'lr',
  channels: 32,
  blocks: 8,
  block: 'mrb',
  binary: true,
  activation: 'prelu',
  batchNorm: false,
  btm: true,
  anchor: true,
  estimatorAct: 'approxsign',
  estimatorWeight: 'ste',
  tailInitGain: 0.1,
};

export function parseNetConfig(raw: unknown): NetConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('network config must be a JSON object');
  const c = { ...DEFAULT_NET, ...(raw as Partial<NetConfig>) };
  const fail = (m: string) => {
    throw new Error(`invalid network config: ${m}`);
  };
  if (![2, 3, 4].includes(c.scale)) fail(`scale must be 2, 3 or 4 (got ${c.scale})`);
  if (!['lr', 'vdsr'].includes(c.variant)) fail(`variant must be 'lr' or 'vdsr'`);
  if (!Number.isInteger(c.channels) || c.channels < 4 || c.channels % 4 !== 0) fail(`channels must be a multiple of 4 (got ${c.channels})`);
  if (!Number.isInteger(c.blocks) || c.blocks < 1) fail(`blocks must be >= 1`);
  if (!['basic', 'mrb'].includes(c.block)) fail(`block must be 'basic' or 'mrb'`);
  if (!['prelu', 'rprelu', 'relu'].includes(c.activation)) fail(`activation must be prelu, rprelu or relu`);
  for (const e of [c.estimatorAct, c.estimatorWeight]) if (!['ste', 'approxsign', 'sharp'].includes(e)) fail(`unknown estimator ${e}`);
  return c;
}
