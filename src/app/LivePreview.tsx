/**
 * The live result of the scale now running: the worker's 'partial' messages draw each finished
 * tile core into a preview-sized canvas (never full size: the longer side is at most
 * PREVIEW_MAX_SIDE), with the PSNR over the tiles so far in Evaluate. The scale's final 'scale'
 * message replaces it with the normal result (store.ts clears it).
 */
import { useEffect, useRef } from 'react';
import { create } from 'zustand';
import type { FromWorker, Scale } from '../engine/protocol';

type PartialMsg = Extract<FromWorker, { type: 'partial' }>;

export interface LiveScale {
  done: number;
  total: number;
  psnr?: number;
  /** SSIM over windows inside finished tiles (core/metrics ScaleScorer). */
  ssim?: number;
  /** Preview-sized: the output scaled by `k` (≤ 1). */
  canvas: HTMLCanvasElement;
  k: number;
}

/** Longer side of the live canvas: encode.ts PREVIEW_MAX_SIDE (not imported: that module is the worker's). */
const LIVE_MAX_SIDE = 1280;

export const useLive = create<{ scales: Partial<Record<Scale, LiveScale>> }>(() => ({ scales: {} }));

let scratch: HTMLCanvasElement | undefined;

/** Draws a 'partial' message's tiles into its scale's live canvas (made on the scale's first one). */
export function applyPartial(m: PartialMsg): void {
  const prev = useLive.getState().scales[m.scale];
  let live = prev;
  if (!live) {
    const k = Math.min(1, LIVE_MAX_SIDE / Math.max(m.width, m.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(m.width * k));
    canvas.height = Math.max(1, Math.round(m.height * k));
    canvas.className = 'live-canvas';
    // Inline, so the card needs no stylesheet change: the card's width, the image's aspect.
    Object.assign(canvas.style, { display: 'block', width: '100%', maxHeight: 'min(70vh, 640px)', objectFit: 'contain', background: '#000' });
    canvas.setAttribute('data-testid', `live-canvas-x${m.scale}`);
    canvas.setAttribute('aria-label', `×${m.scale} result so far`);
    canvas.setAttribute('role', 'img');
    live = { done: 0, total: m.total, canvas, k };
  }
  const ctx = live.canvas.getContext('2d');
  scratch ??= document.createElement('canvas');
  const sctx = scratch.getContext('2d');
  if (ctx && sctx) {
    ctx.imageSmoothingEnabled = true;
    for (const t of m.tiles) {
      if (scratch.width < t.rw) scratch.width = t.rw;
      if (scratch.height < t.rh) scratch.height = t.rh;
      sctx.putImageData(new ImageData(new Uint8ClampedArray(t.rgba), t.rw, t.rh), 0, 0);
      ctx.drawImage(scratch, 0, 0, t.rw, t.rh, t.x * live.k, t.y * live.k, t.w * live.k, t.h * live.k);
    }
  }
  const next: LiveScale = { done: m.done, total: m.total, canvas: live.canvas, k: live.k, ...(m.psnr !== undefined ? { psnr: m.psnr } : {}), ...(m.ssim !== undefined ? { ssim: m.ssim } : {}) };
  useLive.setState((s) => ({ scales: { ...s.scales, [m.scale]: next } }));
}

/** Drops the live view of `scale` (its result arrived), or of every scale (a new job, or done). */
export function clearLive(scale?: Scale): void {
  useLive.setState((s) => {
    if (scale === undefined) return { scales: {} };
    const rest = { ...s.scales };
    delete rest[scale];
    return { scales: rest };
  });
}

const fmtLivePsnr = (v: number) => (v === Infinity ? '∞' : v.toFixed(2));

export function LivePreview({ scale, evaluate }: { scale: Scale; evaluate: boolean }) {
  const live = useLive((s) => s.scales[scale]);
  const host = useRef<HTMLDivElement>(null);
  const canvas = live?.canvas;
  useEffect(() => {
    const h = host.current;
    if (!h || !canvas) return;
    h.appendChild(canvas);
    return () => {
      if (canvas.parentNode === h) h.removeChild(canvas);
    };
  }, [canvas]);
  if (!live) return null;
  const tiles = `${live.done}/${live.total} tiles`;
  return (
    <div className="live" data-testid={`live-x${scale}`}>
      <div className="live-host" ref={host} />
      <p className="live-metrics" aria-live="polite">
        {evaluate ? (
          live.psnr !== undefined ? (
            <>
              PSNR bitsr <span data-testid={`psnr-live-x${scale}`}>{fmtLivePsnr(live.psnr)}</span> dB
              {live.ssim !== undefined && (
                <>
                  {' '}· SSIM <span data-testid={`ssim-live-x${scale}`}>{live.ssim.toFixed(4)}</span> (within finished tiles)
                </>
              )}{' '}
              (so far, {tiles}; exact values when the scale is done)
            </>
          ) : (
            <>PSNR bitsr: no pixel inside the shaved border yet ({tiles})</>
          )
        ) : (
          <>running: {tiles}</>
        )}
      </p>
    </div>
  );
}
