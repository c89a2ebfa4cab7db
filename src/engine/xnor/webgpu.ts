/**
 * The binary engine on WebGPU: the plan compiled into fused compute kernels (gpu/compile.ts, WGSL
 * from src/kernels/wgsl), binary convs as XNOR-popcount on packed u32 words. One model holds its
 * kernels' constants (weights, alphas, slopes) on the GPU; buffers for the values are made per
 * tile size and kept for the last few sizes (a tiled image has one size plus its edges).
 * No DOM or Node APIs beyond WebGPU: the browser and Node (Dawn, the `webgpu` package) both run it.
 */
import type { RgbImage } from '../../core/image';
import { buildKernel, type BuiltKernel } from '../../kernels/wgsl/build';
import { WORKGROUP } from '../../kernels/wgsl/context';
import { compileGpu } from './gpu/compile';
import { placeSlots, slotBytes, slotKey } from './gpu/liveness';
import type { ModelPlan } from './plan';

export interface GpuModel {
  readonly scale: number;
  /**
   * Planar RGB [3, h, w] in, planar [3, h·scale, w·scale] out, as runReference. `into` (at least
   * that many floats): the output is written there (a subarray of it is returned), so a caller
   * running many tiles reuses one array instead of a fresh one per tile.
   */
  run(lr: RgbImage, into?: Float32Array): Promise<RgbImage>;
  /** Compiles every pipeline now (run does it on first use); rejects naming a kernel that fails. */
  ready(): Promise<void>;
  /**
   * GPU time of each kernel on one tile (timestamp queries, one compute pass per kernel); needs a
   * device created with the 'timestamp-query' feature.
   */
  profile(lr: RgbImage): Promise<{ name: string; ms: number }[]>;
  /** Where the last run's wall time went (ms): writing the input and encoding, waiting for the GPU and the readback's mapping, copying the output out. */
  readonly lastRun: { encodeMs: number; waitMs: number; copyMs: number } | undefined;
  /** The kernels, for tests and the benchmark's report. */
  readonly kernels: readonly Pick<BuiltKernel, 'name' | 'wgsl' | 'f' | 'z'>[];
  release(): void;
}

/** Tile sizes whose buffers are kept. */
const KEEP_SIZES = 3;

interface TileBuffers {
  h: number;
  w: number;
  dims: GPUBuffer;
  input: GPUBuffer;
  output: GPUBuffer;
  readback: GPUBuffer;
  shared: GPUBuffer[];
  groups: GPUBindGroup[];
}

export function createGpuModel(device: GPUDevice, plan: ModelPlan): GpuModel {
  const program = compileGpu(plan);
  const kernels = program.kernels.map(buildKernel);
  const maxStorage = device.limits.maxStorageBuffersPerShaderStage;
  for (const k of kernels)
    if (k.bindings.length + 1 > maxStorage) throw new Error(`xnor-webgpu: kernel '${k.name}' needs ${k.bindings.length + 1} storage buffers, the device allows ${maxStorage}`);
  const scale = plan.scale;
  const inputKey = slotKey(program.input);
  const outputKey = slotKey(program.output);

  const consts = kernels.map((k) => {
    const b = device.createBuffer({ size: k.consts.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: `consts ${k.name}` });
    device.queue.writeBuffer(b, 0, k.consts);
    return b;
  });
  const layouts = kernels.map((k) =>
    device.createBindGroupLayout({
      label: k.name,
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
        ...k.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.write ? ('storage' as const) : ('read-only-storage' as const) } })),
      ],
    }),
  );
  let pipelines: Promise<GPUComputePipeline[]> | undefined;
  const pipeline = async (k: BuiltKernel, i: number): Promise<GPUComputePipeline> => {
    const module = device.createShaderModule({ code: k.wgsl, label: k.name });
    try {
      return await device.createComputePipelineAsync({ label: k.name, layout: device.createPipelineLayout({ bindGroupLayouts: [layouts[i]] }), compute: { module, entryPoint: 'main' } });
    } catch (e) {
      const info = await module.getCompilationInfo();
      const msgs = info.messages.map((m) => `${m.type} at ${m.lineNum}:${m.linePos}: ${m.message}`).join('; ');
      throw new Error(`xnor-webgpu: kernel '${k.name}' failed to compile: ${(e as Error).message}${msgs ? ` (${msgs})` : ''}`);
    }
  };
  const compile = (): Promise<GPUComputePipeline[]> =>
    (pipelines ??= Promise.all(kernels.map(pipeline)));

  const tiles: TileBuffers[] = [];
  const destroyTile = (t: TileBuffers) => [t.dims, t.input, t.output, t.readback, ...t.shared].forEach((b) => b.destroy());
  const tileFor = (h: number, w: number): TileBuffers => {
    const at = tiles.findIndex((t) => t.h === h && t.w === w);
    if (at >= 0) {
      const [t] = tiles.splice(at, 1);
      tiles.push(t);
      return t;
    }
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    const place = placeSlots(kernels, h, w, new Set([inputKey, outputKey]));
    const outBytes = slotBytes(program.output, h, w);
    for (const size of [...place.sizes, outBytes])
      if (size > maxBinding) throw new Error(`xnor-webgpu: a ${w}x${h} tile needs a ${size}-byte buffer, over the device's maxStorageBufferBindingSize ${maxBinding}; use smaller tiles`);
    const dims = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'dims' });
    device.queue.writeBuffer(dims, 0, new Int32Array([h, w, 0, 0]));
    const input = device.createBuffer({ size: slotBytes(program.input, h, w), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST, label: 'lr' });
    const output = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC, label: 'sr' });
    const readback = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'sr readback' });
    const shared = place.sizes.map((size, i) => device.createBuffer({ size: Math.max(4, size), usage: GPUBufferUsage.STORAGE, label: `values ${i}` }));
    const bufferOf = (key: string) => (key === inputKey ? input : key === outputKey ? output : shared[place.bufferOf.get(key)!]);
    const groups = kernels.map((k, i) =>
      device.createBindGroup({
        label: k.name,
        layout: layouts[i],
        entries: [
          { binding: 0, resource: { buffer: dims } },
          { binding: 1, resource: { buffer: consts[i] } },
          ...k.bindings.map((b) => ({ binding: b.binding, resource: { buffer: bufferOf(slotKey(b.slot)) } })),
        ],
      }),
    );
    const t = { h, w, dims, input, output, readback, shared, groups };
    tiles.push(t);
    while (tiles.length > KEEP_SIZES) destroyTile(tiles.shift()!);
    return t;
  };

  let released = false;
  let lostReason: string | undefined;
  void device.lost.then((info) => {
    lostReason = info.message || info.reason;
  });
  let queue: Promise<unknown> = Promise.resolve();
  let lastRun: GpuModel['lastRun'];

  const runOnce = async (lr: RgbImage, into?: Float32Array, timestamps?: GPUQuerySet): Promise<RgbImage> => {
    if (released) throw new Error('xnor-webgpu: the model was released');
    if (lostReason !== undefined) throw new Error(`xnor-webgpu: GPU device lost (${lostReason})`);
    const { width: w, height: h } = lr;
    if (lr.data.length < 3 * w * h) throw new Error(`xnor-webgpu: input holds ${lr.data.length} values, ${3 * w * h} needed for ${w}x${h}`);
    const n = 3 * w * h * scale * scale;
    if (into && into.length < n) throw new Error(`xnor-webgpu: the output array holds ${into.length} values, ${n} needed`);
    const pipes = await compile();
    const t = tileFor(h, w);
    const t0 = performance.now();
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    // AllowSharedBufferSource: the data may live in a SharedArrayBuffer.
    device.queue.writeBuffer(t.input, 0, lr.data as Float32Array<ArrayBuffer>, 0, 3 * w * h);
    const enc = device.createCommandEncoder({ label: 'xnor-webgpu' });
    let pass: GPUComputePassEncoder | undefined;
    kernels.forEach((k, i) => {
      if (timestamps) pass = enc.beginComputePass({ timestampWrites: { querySet: timestamps, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
      else pass ??= enc.beginComputePass();
      pass.setPipeline(pipes[i]);
      pass.setBindGroup(0, t.groups[i]);
      pass.dispatchWorkgroups(Math.ceil((w * k.f) / WORKGROUP[0]), Math.ceil((h * k.f) / WORKGROUP[1]), k.z);
      if (timestamps) pass.end();
    });
    if (!timestamps) pass!.end();
    enc.copyBufferToBuffer(t.output, 0, t.readback, 0, t.output.size);
    device.queue.submit([enc.finish()]);
    const t1 = performance.now();
    const oom = await device.popErrorScope();
    const invalid = await device.popErrorScope();
    const err = oom ?? invalid;
    if (err) throw new Error(`xnor-webgpu: ${err.message}`);
    await t.readback.mapAsync(GPUMapMode.READ);
    const t2 = performance.now();
    const data = into ? into.subarray(0, n) : new Float32Array(n);
    data.set(new Float32Array(t.readback.getMappedRange()));
    t.readback.unmap();
    lastRun = { encodeMs: t1 - t0, waitMs: t2 - t1, copyMs: performance.now() - t2 };
    return { width: w * scale, height: h * scale, data };
  };

  const profileOnce = async (lr: RgbImage) => {
    if (!device.features.has('timestamp-query')) throw new Error("xnor-webgpu: profiling needs a device with the 'timestamp-query' feature");
    const n = 2 * kernels.length;
    const querySet = device.createQuerySet({ type: 'timestamp', count: n });
    const resolved = device.createBuffer({ size: 8 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: 8 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      await runOnce(lr, undefined, querySet);
      const enc = device.createCommandEncoder();
      enc.resolveQuerySet(querySet, 0, n, resolved, 0);
      enc.copyBufferToBuffer(resolved, 0, read, 0, 8 * n);
      device.queue.submit([enc.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      const ns = new BigInt64Array(read.getMappedRange().slice(0));
      read.unmap();
      return kernels.map((k, i) => ({ name: k.name, ms: Number(ns[2 * i + 1] - ns[2 * i]) / 1e6 }));
    } finally {
      querySet.destroy();
      resolved.destroy();
      read.destroy();
    }
  };

  return {
    scale,
    get lastRun() {
      return lastRun;
    },
    kernels: kernels.map(({ name, wgsl, f, z }) => ({ name, wgsl, f, z })),
    run(lr, into) {
      // One run at a time: the tile's buffers and its readback are shared.
      const r = queue.then(() => runOnce(lr, into));
      queue = r.catch(() => undefined);
      return r;
    },
    profile(lr) {
      const r = queue.then(() => profileOnce(lr));
      queue = r.catch(() => undefined);
      return r;
    },
    async ready() {
      await compile();
    },
    release() {
      released = true;
      tiles.splice(0).forEach(destroyTile);
      consts.forEach((b) => b.destroy());
    },
  };
}
