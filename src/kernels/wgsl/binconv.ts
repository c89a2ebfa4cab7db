/**
 * Binary convs on packed signs: XNOR-popcount. One invocation per pixel and 32-channel word of the
 * (concatenated) output; it loads each tap's input words once, then for every output channel
 * counts the mismatches (a XOR w) over the valid taps: Σ ±1·±1 = n·cin − 2·mismatches, an exact
 * integer, times alpha. Out-of-image taps contribute 0 (the zero padding), pad bits are 0 in both
 * the input and the weights. The stages and the packing of the output's signs follow per channel.
 * Pure TS.
 */
import { WORKGROUP, i32, u32, type KernelContext } from './context';
import type { Branch, KernelSpec, Producer } from './ir';

type BinConv = Extract<Producer, { k: 'binconv' }>;

/** u32 words [o][tap][input word]: bit k of word j set iff weight (o, 32j + k, tap) is −1 (file bit 0). */
export function packBranchWeights(b: Branch): Uint32Array {
  const { cin, cout, kh, kw } = b;
  const words = Math.ceil(cin / 32);
  const out = new Uint32Array(cout * kh * kw * words);
  for (let o = 0; o < cout; o++)
    for (let c = 0; c < cin; c++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++) {
          const e = ((o * cin + c) * kh + i) * kw + j;
          if ((b.bits[e >> 3] >> (7 - (e & 7))) & 1) continue;
          const at = (o * kh * kw + i * kw + j) * words + (c >> 5);
          out[at] = (out[at] | (1 << (c & 31))) >>> 0;
        }
  return out;
}

function segment(ctx: KernelContext, b: Branch, o0: number, o1: number, spec: KernelSpec, final: { c: number; f: number }): string {
  const words = Math.ceil(b.cin / 32);
  const taps = b.kh * b.kw;
  const xin = ctx.bind(b.x);
  const W0 = ctx.constant(packBranchWeights(b));
  const A0 = ctx.constant(b.alpha);
  const ph = (b.dil * (b.kh - 1)) / 2;
  const pw = (b.dil * (b.kw - 1)) / 2;
  const load: string[] = [];
  const count: string[] = [];
  for (let i = 0; i < b.kh; i++)
    for (let j = 0; j < b.kw; j++) {
      const t = i * b.kw + j;
      const regs = Array.from({ length: words }, (_, k) => `a${t}_${k}`);
      load.push(
        `var m${t} = 0u; ${regs.map((r) => `var ${r} = 0u;`).join(' ')}`,
        `{ let yy = y + ${i32(i * b.dil - ph)}; let xx = x + ${i32(j * b.dil - pw)};`,
        `  if (yy >= 0 && yy < H && xx >= 0 && xx < W) { let q = u32(yy * W + xx) * ${u32(words)}; ${regs.map((r, k) => `${r} = ${xin}[q + ${u32(k)}];`).join(' ')} m${t} = 0xffffffffu; n = n + 1; } }`,
      );
      regs.forEach((r, k) => count.push(`mis = mis + countOneBits((${r} ^ K[wb + ${u32(t * words + k)}]) & m${t});`));
    }
  return `
    {
      var n = 0;
      ${load.join('\n      ')}
      let full = n * ${i32(b.cin)};
      for (var o = ${u32(o0)}; o < ${u32(o1)}; o++) {
        let wb = ${u32(W0)} + o * ${u32(taps * words)};
        var mis = 0u;
        ${count.join('\n        ')}
        var v = f32(full - 2 * i32(mis)) * kf(${u32(A0)} + o);
        var py = y;
        var px = x;
        var pc = ${i32(b.offset)} + i32(o);
        ${ctx.stagesCode(spec.stages)}
        ${ctx.outputCode(spec.out, final.c, final.f)}
      }
    }`;
}

export function binconvBody(ctx: KernelContext, p: BinConv, spec: KernelSpec, final: { c: number; f: number }): { body: string; z: number } {
  const branches = [...p.branches].sort((a, b) => a.offset - b.offset);
  const f = branches[0].x.f;
  if (branches.some((b) => b.x.f !== f)) throw new Error(`${spec.name}: binary conv branches at different sizes`);
  const words = Math.ceil(p.cout / 32);
  const fns: string[] = [];
  for (let g = 0; g < words; g++) {
    const lo = 32 * g;
    const hi = Math.min(p.cout, lo + 32);
    const segs = branches
      .filter((b) => b.offset < hi && b.offset + b.cout > lo)
      .map((b) => segment(ctx, b, Math.max(lo, b.offset) - b.offset, Math.min(hi, b.offset + b.cout) - b.offset, spec, final));
    fns.push(`fn word${g}(y: i32, x: i32, H: i32, W: i32) {\n    var bits = 0u;${segs.join('')}\n}`);
  }
  const body = `${fns.join('\n')}
@compute @workgroup_size(${WORKGROUP[0]}, ${WORKGROUP[1]}, 1)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let H = dims.h * ${i32(f)};
  let W = dims.w * ${i32(f)};
  let x = i32(gid.x);
  let y = i32(gid.y);
  if (x >= W || y >= H) { return; }
  switch gid.z {
${fns.map((_, g) => `    case ${u32(g)}: { word${g}(y, x, H, W); }`).join('\n')}
    default: {}
  }
}`;
  return { body, z: words };
}
