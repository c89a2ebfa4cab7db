/** The published bicubic Y-PSNR/SSIM table (docs/protocol.md) reproduced by the eval protocol, ±0.02 dB. */
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { bicubicUpscaler, evaluateSet } from '../../training/eval/evaluate';
import { BENCH, hasSharedData, skipReason } from '../helpers/sharedData';

const TABLE: Array<[string, number, number, number?]> = [
  ['Set5', 2, 33.66, 0.9299],
  ['Set5', 3, 30.39, 0.8682],
  ['Set5', 4, 28.42, 0.8104],
  ['Set14', 2, 30.24],
  ['Set14', 3, 27.55],
  ['Set14', 4, 26.0],
  ['B100', 2, 29.56],
  ['B100', 4, 25.96],
];

describe.skipIf(!hasSharedData)(`bicubic table (${hasSharedData ? BENCH : skipReason()})`, () => {
  for (const [set, scale, want, wantSsim] of TABLE) {
    it(`${set} x${scale}: ${want} dB`, async () => {
      const r = await evaluateSet(resolve(BENCH, set), scale, bicubicUpscaler(scale));
      expect(Math.abs(r.psnr - want)).toBeLessThanOrEqual(0.02);
      if (wantSsim !== undefined) expect(Math.abs(r.ssim - wantSsim)).toBeLessThanOrEqual(0.002);
    });
  }
});
