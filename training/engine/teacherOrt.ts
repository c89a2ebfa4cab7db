/**
 * The distillation teacher's forward on onnxruntime-node, one thread per training worker.
 *
 * The teacher is frozen (no gradient flows into it) and all float: its convs are what the trainer's
 * wasm runs slowest (128-bit SIMD, ~21 GFLOP/s a core here), while ORT's native kernels run the same
 * network at ~65-75 GFLOP/s on one thread (measured on this Xeon, AVX-512). So the teacher runs as
 * the app's own export of it (src/model/onnxExport.ts), in the trainer's NHWC layout, with the SR
 * before its clip and the stage ends as extra outputs: the values forward() gives, in another
 * summation order (tests/integration/teacherOrt.test.ts).
 */
import type { NetGraph } from '../../src/model/graph';
import { exportOnnx } from '../../src/model/onnxExport';
import type { DataStats } from './checkpoint';

/** An NHWC float tensor. */
export interface Nhwc {
  data: Float32Array;
  shape: [number, number, number, number];
}

export interface OrtTeacher {
  /** The teacher on x (NHWC, the net's input): its SR before the clip and its 4 stage outputs. */
  run(x: Nhwc): Promise<{ out: Nhwc; stages: Nhwc[] }>;
  release(): Promise<void>;
}

/**
 * The teacher as an ORT session. Throws where onnxruntime-node's native binding does not load or
 * the net does not export (batch norm): the caller falls back to forward().
 */
export async function createOrtTeacher(g: NetGraph, params: Record<string, Float32Array>, stats: DataStats): Promise<OrtTeacher> {
  const ort = await import('onnxruntime-node');
  const bytes = exportOnnx(g, params, stats, {}, { nhwc: true, taps: [g.output, ...g.stages] });
  // One thread: each training worker already has a core of its own.
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const fetches = ['tap0', ...g.stages.map((_, i) => `tap${i + 1}`)];
  return {
    async run(x) {
      const r = await session.run({ lr: new ort.Tensor('float32', x.data, x.shape) }, fetches);
      const get = (name: string): Nhwc => {
        const t = r[name];
        if (t.dims.length !== 4) throw new Error(`teacher output ${name} has ${t.dims.length} dimensions`);
        return { data: t.data as Float32Array, shape: t.dims.map(Number) as Nhwc['shape'] };
      };
      return { out: get('tap0'), stages: fetches.slice(1).map(get) };
    },
    release: () => session.release(),
  };
}
