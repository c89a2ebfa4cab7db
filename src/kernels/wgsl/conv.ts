/**
 * Float conv (the head and the tail): one invocation per pixel and group of output channels, the
 * sum in the reference's order (bias, then rows, columns, input channels), then the kernel's stages
 * per output channel. Pure TS.
 */
import { WORKGROUP, i32, u32, type KernelContext } from './context';
import type { KernelSpec, Producer } from './ir';

type Conv = Extract<Producer, { k: 'conv' }>;

/** Output channels per invocation when no sign bits are packed (all of them when bits are). */
const GROUP = 16;

export function convBody(ctx: KernelContext, p: Conv, spec: KernelSpec, final: { c: number; f: number }): { body: string; z: number } {
  const { cin, cout, kh, kw, dil } = p;
  const groups = spec.out.bits ? 1 : Math.ceil(cout / GROUP);
  const g = Math.ceil(cout / groups);
  const coutP = groups * g;
  // [tap][cin][cout padded]: the innermost loop over a group's outputs reads consecutive words.
  const w = new Float32Array(kh * kw * cin * coutP);
  for (let o = 0; o < cout; o++)
    for (let c = 0; c < cin; c++)
      for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) w[((i * kw + j) * cin + c) * coutP + o] = p.w[((o * cin + c) * kh + i) * kw + j];
  const bias = new Float32Array(coutP);
  if (p.b) bias.set(p.b);
  const W0 = ctx.constant(w);
  const B0 = ctx.constant(bias);
  const fx = ctx.expr(p.x);
  const ph = (dil * (kh - 1)) / 2;
  const pw = (dil * (kw - 1)) / 2;
  const body = `
@compute @workgroup_size(${WORKGROUP[0]}, ${WORKGROUP[1]}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let H = dims.h * ${i32(p.x.f)};
  let W = dims.w * ${i32(p.x.f)};
  let x = i32(gid.x);
  let y = i32(gid.y);
  if (x >= W || y >= H) { return; }
  let o0 = gid.z * ${u32(g)};
  var acc: array<f32, ${g}>;
  for (var o = 0u; o < ${u32(g)}; o++) { acc[o] = kf(${u32(B0)} + o0 + o); }
  for (var i = 0; i < ${i32(kh)}; i++) {
    let yy = y + i * ${i32(dil)} - ${i32(ph)};
    if (yy < 0 || yy >= H) { continue; }
    for (var j = 0; j < ${i32(kw)}; j++) {
      let xx = x + j * ${i32(dil)} - ${i32(pw)};
      if (xx < 0 || xx >= W) { continue; }
      var wr = ${u32(W0)} + u32((i * ${i32(kw)} + j) * ${i32(cin)}) * ${u32(coutP)} + o0;
      for (var c = 0; c < ${i32(cin)}; c++) {
        let a = ${fx}(yy, xx, c);
        for (var o = 0u; o < ${u32(g)}; o++) { acc[o] = acc[o] + a * kf(wr + o); }
        wr = wr + ${u32(coutP)};
      }
    }
  }
  var bits = 0u;
  for (var o = 0u; o < ${u32(g)}; o++) {
    let oc = i32(o0 + o);
    if (oc >= ${i32(cout)}) { break; }
    var v = acc[o];
    var py = y;
    var px = x;
    var pc = oc;
    ${ctx.stagesCode(spec.stages)}
    ${ctx.outputCode(spec.out, final.c, final.f)}
  }
}`;
  return { body, z: groups };
}
