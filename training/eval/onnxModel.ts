/** Runs an exported bitsr ONNX model with onnxruntime-node: NCHW float32 RGB in [0,1] in and out. */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createImage, type RgbImage } from '../../src/core/image';
import { readOnnxMetadata } from '../../src/model/onnxMetadata';

export interface OnnxSr {
  scale: number;
  metadata: Record<string, string>;
  run(lr: RgbImage): Promise<RgbImage>;
  release(): Promise<void>;
}

export async function loadOnnxSr(path: string, opts: { threads?: number } = {}): Promise<OnnxSr> {
  if (!existsSync(path)) throw new Error(`model file not found: ${path}`);
  const bytes = readFileSync(path);
  let metadata: Record<string, string>;
  let session: ort.InferenceSession;
  try {
    metadata = readOnnxMetadata(bytes);
    session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: 'all',
      intraOpNumThreads: opts.threads ?? 0,
    });
  } catch (e) {
    throw new Error(`cannot load model ${path}: not a valid ONNX file (${firstLine((e as Error).message)})`);
  }
  const scale = Number(metadata.scale);
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`model ${path} has no valid 'scale' metadata; not a bitsr model`);
  if (!session.inputNames.includes('lr') || !session.outputNames.includes('sr')) {
    throw new Error(`model ${path} must have input 'lr' and output 'sr' (has ${session.inputNames} -> ${session.outputNames})`);
  }
  return {
    scale,
    metadata,
    async run(lr) {
      const { width: w, height: h } = lr;
      const input = new ort.Tensor('float32', lr.data, [1, 3, h, w]);
      const out = await session.run({ lr: input });
      const sr = out.sr;
      const [, c, oh, ow] = sr.dims as number[];
      if (c !== 3 || oh !== h * scale || ow !== w * scale) throw new Error(`model output ${sr.dims} does not match x${scale} of ${w}x${h}`);
      const img = createImage(ow, oh);
      img.data.set(sr.data as Float32Array);
      return lr.grayscale ? { ...img, grayscale: true } : img;
    },
    release: () => session.release(),
  };
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 200);
}
