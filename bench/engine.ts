/**
 * `npm run bench:engine -- [--json] [--size N] [--runs N]`
 *
 * The binary engine in Node, one JSON report:
 * - per layer kind (bench/engineLayers.ts): the binary conv's ms, binary GOP/s and its ratio to the
 *   float conv on the same input, one thread, both kernel variants;
 * - end to end per scale: each shipped model on a size×size tile through the engine, against its
 *   float twin on the same engine (the same plan with each binary conv as a float conv of its ±1·α
 *   weights and float ±1 activations: what binarization buys in time), at 1 and 2 threads.
 * Report the CPU with every figure (the report's `cpu`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unpackBits } from '../src/core/bitpack';
import { readPlan, type ModelPlan, type PlanOp } from '../src/engine/xnor/plan';
import { isMain } from '../training/cli/args';
import { createNodeXnorEngine } from '../training/eval/xnorModel';
import { randomImage } from '../tests/helpers/synthetic';
import { benchLayers, cpuInfo } from './engineLayers';

/** The plan with every binary conv as a float conv of sign(W)·α (same outputs, float arithmetic). */
export function floatTwin(plan: ModelPlan): ModelPlan {
  const ops: PlanOp[] = plan.ops.map((o) => {
    if (o.op !== 'binconv') return o;
    const n = o.cout * o.cin * o.kh * o.kw;
    const signs = unpackBits(o.bits, n);
    const per = n / o.cout;
    const w = signs.map((v, k) => v * o.alpha[Math.floor(k / per)]);
    return { op: 'conv', in: o.in, out: o.out, w, kh: o.kh, kw: o.kw, dil: o.dil, cin: o.cin, cout: o.cout };
  });
  return { ...plan, ops };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function endToEnd(size: number, runs: number) {
  const rows = [];
  const img = randomImage(size, size, 1);
  for (const threads of [1, 2]) {
    const engine = await createNodeXnorEngine(threads);
    for (const s of [2, 3, 4]) {
      const bytes = new Uint8Array(readFileSync(join('models', `bitsr-x${s}.onnx`)));
      const bin = engine.load(bytes);
      // The float twin runs on the same kernels, memory and threads.
      const flt = engine.loadPlan(floatTwin(readPlan(bytes)));
      const t = { binary: [] as number[], float: [] as number[] };
      bin.run(img);
      flt.run(img);
      for (let r = 0; r < runs; r++) {
        // Interleaved, so a slower moment of a shared machine hits both.
        let t0 = performance.now();
        bin.run(img);
        t.binary.push(performance.now() - t0);
        t0 = performance.now();
        flt.run(img);
        t.float.push(performance.now() - t0);
      }
      const b = median(t.binary);
      const f = median(t.float);
      rows.push({ scale: s, threads, tile: size, binaryMs: +b.toFixed(2), floatMs: +f.toFixed(2), ratio: +(f / b).toFixed(2), outputMPixPerS: +((size * size * s * s) / b / 1e3).toFixed(2) });
    }
    engine.release();
  }
  return rows;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2).filter((x) => x !== '--');
  if (argv.includes('--help')) {
    console.log('usage: npm run bench:engine -- [--json] [--size N] [--runs N]');
    return;
  }
  const num = (k: string, d: number) => {
    const i = argv.indexOf(k);
    const v = i >= 0 ? Number(argv[i + 1]) : d;
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} must be a positive integer`);
    return v;
  };
  const size = num('--size', 256);
  const runs = num('--runs', 7);
  const layers = await benchLayers({ size, runs: Math.max(runs, 10) });
  const report = { schema: 'bitsr-bench-engine/1', date: new Date().toISOString(), cpu: cpuInfo(), node: process.version, layers, endToEnd: await endToEnd(size, runs) };
  console.log(JSON.stringify(report, null, 1));
  process.exit(0);
}

if (isMain(import.meta.url)) void main();
