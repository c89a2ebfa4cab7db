/** The engine's tiling scheduler, size limits and placement parsing (Node; ORT-node runs the model). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputSizeError, outputSizeError } from '../../src/engine/limits';
import { parsePlacement } from '../../src/engine/placement';
import { CancelledError, runTiled, tileForBindingLimit } from '../../src/engine/tiler';
import { loadOnnxSr } from '../../training/eval/onnxModel';
import { randomImage } from '../helpers/synthetic';
import { writeRandomModels } from '../helpers/models';

describe('tiling scheduler', () => {
  it('tiled output equals untiled (max abs <= 1/255) with overlap = receptiveRadius', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bitsr-tiler-'));
    const [file] = writeRandomModels(dir, [3]);
    const m = await loadOnnxSr(file, { threads: 1 });
    const r = Number(m.metadata.receptiveRadius);
    expect(r).toBeGreaterThan(0);
    const img = randomImage(37, 29, 5);
    const whole = await runTiled(img, (t) => m.run(t), { scale: 3, tile: 1000, overlap: r });
    const progress: number[] = [];
    const tiled = await runTiled(img, (t) => m.run(t), { scale: 3, tile: 10, overlap: r, onTile: (d) => progress.push(d) });
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    let err = 0;
    for (let i = 0; i < whole.data.length; i++) err = Math.max(err, Math.abs(whole.data[i] - tiled.data[i]));
    expect(err).toBeLessThanOrEqual(1 / 255);
    await expect(runTiled(img, (t) => m.run(t), { scale: 3, tile: 10, overlap: r, isCancelled: () => true })).rejects.toBeInstanceOf(CancelledError);
    await m.release();
  });

  it('tile size respects the storage-binding limit', () => {
    expect(tileForBindingLimit(1 << 30, 128, 10)).toBe(512);
    const t = tileForBindingLimit(8 << 20, 128, 10);
    expect(128 * (t + 20) ** 2 * 4).toBeLessThanOrEqual(8 << 20);
  });

  it('size policy and placement parsing', () => {
    expect(inputSizeError(4096, 4096)).toBeNull();
    expect(inputSizeError(4097, 10)).toMatch(/maximum is 4096/);
    expect(outputSizeError(1024, 1024, 4)).toBeNull();
    expect(outputSizeError(2048, 1024, 4)).toMatch(/x4 output/);
    expect(parsePlacement('webgpu', ['[V:onnxruntime:, session_state.cc] All nodes placed on [WebGpuExecutionProvider]. Number of nodes: 40']).allNodesOnEp).toBe(true);
    expect(parsePlacement('webgpu', ['Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1', '  Sign (n1)']).allNodesOnEp).toBe(false);
    expect(parsePlacement('webgpu', []).allNodesOnEp).toBeNull();
  });
});
