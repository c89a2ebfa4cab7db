/**
 * KernelSpec -> WGSL module, its bindings, its constants and its dispatch grid. Pure TS.
 */
import { binconvBody } from './binconv';
import { KernelContext, WORKGROUP, i32, type Binding } from './context';
import { convBody } from './conv';
import type { KernelSpec } from './ir';

export interface BuiltKernel {
  name: string;
  wgsl: string;
  /** Storage buffers from @binding(2) on; 0 is the dims uniform {h, w} of the tile, 1 the constants. */
  bindings: Binding[];
  consts: Uint32Array<ArrayBuffer>;
  /** Invocations cover (h·f) × (w·f) × z for a tile of h × w (WORKGROUP-sized workgroups). */
  f: number;
  z: number;
}

/** Channels and factor of the kernel's final value. */
export function finalShape(spec: KernelSpec): { c: number; f: number } {
  const p = spec.producer;
  let c = p.k === 'pointwise' ? p.x.c : p.cout;
  let f = p.k === 'conv' ? p.x.f : p.k === 'pointwise' ? p.x.f : p.branches[0].x.f;
  for (const s of spec.stages)
    if (s.k === 'shuffle') {
      if (c % (s.s * s.s)) throw new Error(`${spec.name}: ${c} channels do not shuffle by ${s.s}`);
      c /= s.s * s.s;
      f *= s.s;
    }
  return { c, f };
}

export function buildKernel(spec: KernelSpec): BuiltKernel {
  const { out, stages, producer: p } = spec;
  if (!out.float && !out.bits) throw new Error(`${spec.name}: the kernel stores nothing`);
  const final = finalShape(spec);
  if (out.bits && stages.some((s) => s.k === 'shuffle')) throw new Error(`${spec.name}: sign packing after a pixel shuffle is not supported`);
  for (const s of [out.float, out.bits]) if (s && (s.c !== final.c || s.f !== final.f)) throw new Error(`${spec.name}: output ${s.name} is ${s.c}ch ×${s.f}, the kernel computes ${final.c}ch ×${final.f}`);
  const ctx = new KernelContext();
  let r: { body: string; z: number; f: number };
  if (p.k === 'conv') r = { ...convBody(ctx, p, spec, final), f: p.x.f };
  else if (p.k === 'binconv') r = { ...binconvBody(ctx, p, spec, final), f: p.branches[0].x.f };
  else {
    const fx = ctx.expr(p.x);
    const body = `
@compute @workgroup_size(${WORKGROUP[0]}, ${WORKGROUP[1]}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = i32(gid.x);
  let y = i32(gid.y);
  if (x >= dims.w * ${i32(p.x.f)} || y >= dims.h * ${i32(p.x.f)}) { return; }
  var bits = 0u;
  for (var c = 0; c < ${i32(p.x.c)}; c++) {
    var v = ${fx}(y, x, c);
    var py = y;
    var px = x;
    var pc = c;
    ${ctx.stagesCode(stages)}
    ${ctx.outputCode(out, final.c, final.f)}
  }
}`;
    r = { body, z: 1, f: p.x.f };
  }
  return { name: spec.name, wgsl: ctx.module(r.body), bindings: ctx.bindings, consts: ctx.consts(), f: r.f, z: r.z };
}
