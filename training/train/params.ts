/**
 * The trainer's parameter store: every parameter of the network in one flat float32 buffer (shared
 * with the workers, which read the weights from it each step), with a named slot per parameter.
 */
import type { ParamSlot } from './protocol';

export class ParamStore {
  readonly layout: ParamSlot[];
  /** Total float32 count. */
  readonly total: number;
  readonly sab: SharedArrayBuffer;
  /** The weights, in layout order. */
  readonly theta: Float32Array;

  constructor(params: ReadonlyArray<{ name: string; shape: number[] }>) {
    const layout: ParamSlot[] = [];
    let total = 0;
    for (const p of params) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      layout.push({ name: p.name, shape: p.shape, offset: total, size });
      total += size;
    }
    this.layout = layout;
    this.total = total;
    this.sab = new SharedArrayBuffer(total * 4);
    this.theta = new Float32Array(this.sab);
  }

  /** Copies each named array into its slot (every slot must have one). */
  load(values: Record<string, Float32Array>): void {
    for (const s of this.layout) this.theta.set(values[s.name], s.offset);
  }

  /** A copy of one buffer in this layout (the weights by default), by parameter name. */
  named(buf: Float32Array = this.theta, prefix = ''): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const s of this.layout) out[prefix + s.name] = buf.slice(s.offset, s.offset + s.size);
    return out;
  }

  /** Fills a buffer of this layout from named arrays (`prefix + name`); a missing name leaves zeros. */
  fill(buf: Float32Array, values: Record<string, Float32Array>, prefix = ''): void {
    for (const s of this.layout) buf.set(values[prefix + s.name] ?? new Float32Array(s.size), s.offset);
  }
}
