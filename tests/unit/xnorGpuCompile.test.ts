/**
 * The WebGPU engine's compiler without a GPU: which kernels a plan becomes (the fusions), the
 * binary weight packing, and the buffer sharing per tile size. The kernels' numbers are checked
 * against the reference in a browser (tests/e2e/xnorWebgpu.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackBits } from '../../src/core/bitpack';
import { compileGpu } from '../../src/engine/xnor/gpu/compile';
import { placeSlots, slotBytes, slotKey } from '../../src/engine/xnor/gpu/liveness';
import { readPlan } from '../../src/engine/xnor/plan';
import { packBranchWeights } from '../../src/kernels/wgsl/binconv';
import { buildKernel } from '../../src/kernels/wgsl/build';
import type { KernelSpec, Stage } from '../../src/kernels/wgsl/ir';
import { randomModelBytes, shippedModels } from '../helpers/models';
import { mulberry } from '../helpers/synthetic';
import { handPlan } from '../helpers/xnorPlans';

const stageKinds = (k: KernelSpec) => k.stages.map((s: Stage) => (s.k === 'map' ? s.map.op : s.k));

describe('xnor-webgpu compiler', () => {
  const dir = shippedModels(process.cwd());
  it.skipIf(!dir)('a shipped model: head, one kernel per block, one tail kernel', () => {
    const plan = readPlan(new Uint8Array(readFileSync(join(dir!, 'bitsr-x2.onnx'))));
    const { kernels } = compileGpu(plan);
    expect(kernels.length).toBe(10);
    const [head, ...rest] = kernels;
    const tail = rest.pop()!;
    expect(head.producer.k).toBe('conv');
    expect(head.out.float && head.out.bits).toBeTruthy();
    // Normalize is read inside the head conv, from the planar input.
    expect(head.producer.k === 'conv' && head.producer.x.k === 'map' && head.producer.x.x.k === 'load' && head.producer.x.x.slot.name).toBe('lr');
    rest.forEach((k, i) => {
      expect(k.producer.k).toBe('binconv');
      // The last block also takes the global skip connection.
      expect(stageKinds(k)).toEqual(i < rest.length - 1 ? ['prelu', 'add'] : ['prelu', 'add', 'add']);
      expect(!!k.out.bits).toBe(i < rest.length - 1);
      expect(!!k.out.float).toBe(true);
    });
    expect(tail.producer.k).toBe('conv');
    expect(stageKinds(tail)).toEqual(['shuffle', 'add', 'addmean', 'clip']);
    const anchor = tail.stages[1];
    expect(anchor.k === 'add' && anchor.x !== 'self' && anchor.x.k).toBe('bicubic');
    expect(tail.out.float).toMatchObject({ name: 'sr', planar: true, c: 3, f: 2 });
  });

  it('an MRB block: the four branches are one kernel writing the concat, PReLU fused, only signs stored', () => {
    const plan = readPlan(randomModelBytes({ channels: 32, block: 'mrb', scale: 3 }, 1));
    const groups = compileGpu(plan).kernels.filter((k) => k.producer.k === 'binconv' && k.producer.branches.length > 1);
    expect(groups.length).toBe(2);
    for (const g of groups) {
      if (g.producer.k !== 'binconv') throw new Error('not a group');
      expect(g.producer.branches.map((b) => [b.offset, b.kh, b.kw, b.dil, b.cout])).toEqual([
        [0, 1, 5, 1, 8],
        [8, 1, 5, 2, 8],
        [16, 5, 1, 1, 8],
        [24, 5, 1, 2, 8],
      ]);
      expect(stageKinds(g)).toEqual(['prelu']);
      expect(g.out.float).toBeUndefined();
      expect(g.out.bits?.c).toBe(32);
    }
  });

  it('every variant builds: bindings within 8 storage buffers, one dispatch grid per kernel', () => {
    const plans = [
      readPlan(randomModelBytes({ channels: 64, block: 'mrb', activation: 'rprelu', scale: 4 }, 2)),
      readPlan(randomModelBytes({ channels: 8, variant: 'vdsr', block: 'mrb', scale: 2 }, 2)),
      readPlan(randomModelBytes({ channels: 8, activation: 'relu', anchor: false }, 2)),
      handPlan('binconv', 1),
      handPlan('mrb', 1),
      handPlan('general', 1),
    ];
    for (const plan of plans) {
      for (const k of compileGpu(plan).kernels.map(buildKernel)) {
        expect(k.bindings.length + 1).toBeLessThanOrEqual(8);
        expect(k.wgsl).toContain('fn main(');
        expect(k.z).toBeGreaterThanOrEqual(1);
      }
    }
  });

  it('a binary conv over 64 channels is split in 32-channel words; 48 channels straddle branches', () => {
    const k64 = compileGpu(readPlan(randomModelBytes({ channels: 64, scale: 2 }, 3))).kernels.map(buildKernel)[1];
    expect(k64.z).toBe(2);
    const mrb48 = compileGpu(handPlan('mrb', 1)).kernels.map(buildKernel)[1];
    expect(mrb48.z).toBe(2);
    expect(mrb48.wgsl.match(/fn word1[\s\S]*?\n}/)![0].match(/let full/g)!.length).toBe(2); // branches 2 and 3
  });

  it('packs binary weights as [o][tap][word], a set bit for a −1 weight, pad bits clear', () => {
    const r = mulberry(4);
    const cout = 5;
    const cin = 40;
    const kh = 1;
    const kw = 5;
    const bits = Uint8Array.from({ length: Math.ceil((cout * cin * kh * kw) / 8) }, () => Math.floor(r() * 256));
    const signs = unpackBits(bits, cout * cin * kh * kw);
    const w = packBranchWeights({ x: { kind: 'bits', name: 'x', c: cin, f: 1 }, bits, alpha: new Float32Array(cout), cin, cout, kh, kw, dil: 1, offset: 0 });
    expect(w.length).toBe(cout * kh * kw * 2);
    for (let o = 0; o < cout; o++)
      for (let t = 0; t < kh * kw; t++)
        for (let c = 0; c < 64; c++) {
          const bit = (w[(o * kh * kw + t) * 2 + (c >> 5)] >>> (c & 31)) & 1;
          expect(bit).toBe(c < cin && signs[(o * cin + c) * kh * kw + t] < 0 ? 1 : 0);
        }
  });

  it('shares buffers between values whose lifetimes do not overlap, each large enough', () => {
    const plan = readPlan(randomModelBytes({ channels: 32, scale: 2, blocks: 6 }, 5));
    const kernels = compileGpu(plan).kernels.map(buildKernel);
    const fixed = new Set(['float:lr', 'float:sr']);
    const { sizes, bufferOf } = placeSlots(kernels, 20, 30, fixed);
    const span = new Map<string, [number, number]>();
    const slot = new Map<string, Parameters<typeof slotBytes>[0]>();
    kernels.forEach((k, i) =>
      k.bindings.forEach((b) => {
        const key = slotKey(b.slot);
        if (fixed.has(key)) return;
        slot.set(key, b.slot);
        const s = span.get(key);
        span.set(key, s ? [s[0], i] : [i, i]);
      }),
    );
    expect([...bufferOf.keys()].sort()).toEqual([...span.keys()].sort());
    expect(sizes.length).toBeLessThan(span.size);
    for (const [a, sa] of span) {
      expect(sizes[bufferOf.get(a)!]).toBeGreaterThanOrEqual(slotBytes(slot.get(a)!, 20, 30));
      for (const [b, sb] of span) if (a < b && bufferOf.get(a) === bufferOf.get(b)) expect(sa[1] < sb[0] || sb[1] < sa[0], `${a} and ${b} overlap`).toBe(true);
    }
  });
});
