/** Runs an exported bitsr ONNX model with onnxruntime-node: NCHW float32 RGB in [0,1] in and out. */
import { existsSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { createImage, type RgbImage } from '../../src/core/image';

export interface OnnxSr {
  scale: number;
  metadata: Record<string, string>;
  run(lr: RgbImage): Promise<RgbImage>;
  release(): Promise<void>;
}

/** Reads metadata_props straight from the protobuf (ORT-node does not expose custom metadata). */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  // ModelProto.metadata_props = field 14 (StringStringEntryProto: key = 1, value = 2).
  const out: Record<string, string> = {};
  const td = new TextDecoder();
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      if (p >= bytes.length) throw new Error('truncated protobuf');
      const b = bytes[p++];
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  while (p < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const len = varint();
      const end = p + len;
      if (end > bytes.length) throw new Error('truncated protobuf');
      if (field === 14) {
        let k = '';
        let v = '';
        let q = p;
        while (q < end) {
          const save = p;
          p = q;
          const kk = varint();
          const l = varint();
          const s = td.decode(bytes.subarray(p, p + l));
          if (kk >> 3 === 1) k = s;
          else if (kk >> 3 === 2) v = s;
          q = p + l;
          p = save;
        }
        out[k] = v;
      }
      p = end;
    } else throw new Error(`not an ONNX model (bad protobuf wire type ${wire})`);
  }
  return out;
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
