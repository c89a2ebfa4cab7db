/**
 * A training worker: one tfjs-wasm instance (single-threaded in Node), so N workers use N
 * cores. Each step it reads the shared weights, computes the loss gradient on its shard of
 * the batch and writes it to its shared gradient buffer; then, asked by the coordinator, it
 * sums the workers' gradients and applies Adam over its own slice of the weights.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildGraph } from '../../src/model/graph';
import { forward, imageToTensor, initTf, tensorToImage, toTensors, type Params } from '../engine/forward';
import { spaceToDepth } from '../engine/kernels';
import { createOrtTeacher, type OrtTeacher } from '../engine/teacherOrt';
import { tf } from '../engine/tf';
import { Adam } from './adam';
import { buildBatch } from './data';
import { trainingLoss } from './loss';
import type { FromWorker, TeacherEngine, ToWorker, WorkerInit, WorkerReply } from './protocol';

const init = workerData as WorkerInit;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
/** Requests are answered one at a time, in order; a reply carries its request's id. */
let current = 0;
const reply = (m: WorkerReply, transfer: ArrayBuffer[] = []) => post({ ...m, id: current }, transfer);

await initTf('wasm');
const cfg = init.train;
const graph = buildGraph(cfg.net);
const shared = new Float32Array(init.params);
const gradOut = new Float32Array(init.grads);
const allGrads = init.allGrads.map((b) => new Float32Array(b));
const adam = new Adam(shared.length, { ...init.adam, buffers: { m: new Float32Array(init.moments.m), v: new Float32Array(init.moments.v) } });
const vars: Record<string, tf.Variable> = {};
for (const s of init.layout) vars[s.name] = tf.variable(tf.zeros(s.shape), true, `w${init.id}.${s.name}`);
const varList = init.layout.map((s) => vars[s.name]);

const teacher = init.teacher
  ? { graph: buildGraph(init.teacher.net), params: toTensors(buildGraph(init.teacher.net), init.teacher.params), stats: init.teacher.stats }
  : undefined;
if (teacher) Object.values(teacher.params).forEach((t) => tf.keep(t));
// The teacher's forward on ORT where it loads (teacherOrt.ts); else on tfjs, as the student's.
let ortTeacher: OrtTeacher | undefined;
let teacherEngine: TeacherEngine | undefined;
if (init.teacher && cfg.distill) {
  const want = cfg.distill.teacherEngine;
  if (want === 'tfjs') teacherEngine = { engine: 'tfjs', reason: 'teacherEngine: tfjs' };
  else {
    try {
      ortTeacher = await createOrtTeacher(teacher!.graph, init.teacher.params, init.teacher.stats);
      teacherEngine = { engine: 'ort' };
    } catch (e) {
      if (want === 'ort') throw new Error(`distill.teacherEngine is 'ort', but onnxruntime-node cannot run the teacher: ${(e as Error).message}`);
      teacherEngine = { engine: 'tfjs', reason: `onnxruntime-node: ${(e as Error).message.split('\n')[0]}` };
    }
  }
}

function loadWeights(): void {
  for (const s of init.layout) {
    tf.tidy(() => vars[s.name].assign(tf.tensor(shared.subarray(s.offset, s.offset + s.size), s.shape)));
  }
}

async function step(msg: Extract<ToWorker, { type: 'step' }>): Promise<void> {
  const t0 = performance.now();
  loadWeights();
  const p = cfg.patch;
  const S = cfg.net.scale;
  const n = msg.refs.length;
  const batch = buildBatch(init.dataset, msg.refs, p);
  if (msg.poison) batch.lr.fill(NaN, 0, 7); // fault injection (tests of the NaN guard)
  const tOrt = ortTeacher ? await ortTeacher.run({ data: batch.lr, shape: [n, p, p, 3] }) : undefined;
  // BatchNorm (ablation): the batch statistics of this shard, for the trainer's running statistics.
  const batchStats: Record<string, Float32Array> = {};
  const { value, grads } = tf.tidy(() => {
    const x = tf.tensor4d(batch.lr, [n, p, p, 3]);
    // The loss runs in the tail's depth-to-space input layout (forward's depthOutput): the target goes
    // there instead, once, without a gradient.
    const depth = cfg.net.variant === 'lr';
    const hr = tf.tensor4d(batch.hr, [n, p * S, p * S, 3]);
    const y = depth ? spaceToDepth(hr, S) : hr;
    let tOut: tf.Tensor | undefined;
    let tStages: tf.Tensor[] = [];
    if (tOrt) {
      const out = tf.tensor4d(tOrt.out.data, tOrt.out.shape);
      tOut = depth ? spaceToDepth(out, S) : out;
      tStages = tOrt.stages.map((s) => tf.tensor4d(s.data, s.shape));
    } else if (teacher) {
      const r = forward(teacher.graph, teacher.params as Params, teacher.stats, x, { keep: teacher.graph.stages, depthOutput: depth });
      tOut = r.out;
      tStages = teacher.graph.stages.map((k) => r.kept[k]);
    }
    return tf.variableGrads(() => {
      const r = forward(graph, vars as Params, init.stats, x, { keep: teacher ? graph.stages : [], depthOutput: depth, batchStats });
      const distill = teacher && cfg.distill ? { config: cfg.distill, teacherOut: tOut!, stages: graph.stages.map((k) => r.kept[k]), teacherStages: tStages } : undefined;
      return trainingLoss(r.out, y, distill, cfg.loss);
    }, varList);
  });
  const loss = value.dataSync()[0];
  let finite = Number.isFinite(loss);
  for (const s of init.layout) {
    const g = grads[vars[s.name].name];
    const a = g ? (g.dataSync() as Float32Array) : new Float32Array(s.size);
    if (finite) for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) { finite = false; break; }
    gradOut.set(a, s.offset);
  }
  tf.dispose([value, ...Object.values(grads)]);
  reply({ type: 'stepped', loss, finite, ms: performance.now() - t0, ...(Object.keys(batchStats).length ? { batchStats } : {}) });
}

function update(msg: Extract<ToWorker, { type: 'update' }>): void {
  const t0 = performance.now();
  const [a, b] = msg.slice;
  const g0 = allGrads[0];
  // The same float32 sums, in the same order, as one pass over the whole buffer would make.
  for (let k = 1; k < allGrads.length; k++) {
    const gk = allGrads[k];
    for (let i = a; i < b; i++) g0[i] += gk[i];
  }
  for (const r of msg.ranges) {
    const s = Math.max(r.start, a);
    const e = Math.min(r.end, b);
    if (s < e) adam.update(shared, g0, msg.t, s, e, r.lr, r.clip, msg.gradScale);
  }
  reply({ type: 'updated', ms: performance.now() - t0 });
}

function infer(msg: Extract<ToWorker, { type: 'infer' }>): void {
  loadWeights();
  const images = msg.images.map((im) => {
    const t = tf.tidy(() => forward(graph, vars as Params, init.stats, imageToTensor(im)).out);
    const out = tensorToImage(t);
    t.dispose();
    return { width: out.width, height: out.height, data: out.data };
  });
  reply({ type: 'inferred', images }, images.map((i) => i.data.buffer as ArrayBuffer));
}

// One request at a time, in order (a step awaits the ORT teacher): each waits for the one before.
let queue = Promise.resolve();
parentPort!.on('message', (msg: ToWorker) => {
  queue = queue.then(async () => {
    current = msg.id;
    try {
      if (msg.type === 'step') await step(msg);
      else if (msg.type === 'update') update(msg);
      else if (msg.type === 'infer') infer(msg);
      else if (msg.type === 'stop') process.exit(0);
    } catch (e) {
      reply({ type: 'error', message: (e as Error).stack ?? String(e) });
    }
  });
});
post({ type: 'ready', ...(teacherEngine ? { teacher: teacherEngine } : {}) });
