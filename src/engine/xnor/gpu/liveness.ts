/**
 * Buffer sharing for one tile size: every stored value gets a buffer, and values whose lifetimes
 * (first write .. last read, in kernel order, inclusive) do not overlap share one. Pure TS; the
 * caller creates the buffers.
 */
import type { BuiltKernel } from '../../../kernels/wgsl/build';
import type { Slot } from '../../../kernels/wgsl/ir';

export interface Placement {
  /** Size in bytes of each shared buffer. */
  sizes: number[];
  /** Slot name (kind-qualified) -> index into sizes. */
  bufferOf: Map<string, number>;
}

export const slotKey = (s: Slot) => `${s.kind}:${s.name}`;

export function slotBytes(s: Slot, h: number, w: number): number {
  const px = h * s.f * w * s.f;
  return 4 * px * (s.kind === 'bits' ? Math.ceil(s.c / 32) : s.c);
}

/** `fixed`: slots with their own buffers (the input and output), left out. */
export function placeSlots(kernels: BuiltKernel[], h: number, w: number, fixed: Set<string>): Placement {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  const slots = new Map<string, Slot>();
  kernels.forEach((k, i) => {
    for (const b of k.bindings) {
      const key = slotKey(b.slot);
      if (fixed.has(key)) continue;
      slots.set(key, b.slot);
      if (b.write && !first.has(key)) first.set(key, i);
      last.set(key, i);
    }
  });
  for (const key of slots.keys()) if (!first.has(key)) throw new Error(`value ${key} is read but no kernel writes it`);
  const sizes: number[] = [];
  const busyUntil: number[] = [];
  const bufferOf = new Map<string, number>();
  for (const [key, start] of [...first.entries()].sort((a, b) => a[1] - b[1])) {
    const need = slotBytes(slots.get(key)!, h, w);
    // Smallest free buffer that fits; else grow the largest free one; else a new one.
    const free = sizes.map((_, i) => i).filter((i) => busyUntil[i] < start);
    const fits = free.filter((i) => sizes[i] >= need).sort((a, b) => sizes[a] - sizes[b]);
    let at = fits.length ? fits[0] : free.sort((a, b) => sizes[b] - sizes[a])[0];
    if (at === undefined) {
      at = sizes.length;
      sizes.push(0);
      busyUntil.push(-1);
    }
    sizes[at] = Math.max(sizes[at], need);
    busyUntil[at] = last.get(key)!;
    bufferOf.set(key, at);
  }
  return { sizes, bufferOf };
}
