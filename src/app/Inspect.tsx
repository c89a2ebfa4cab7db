/**
 * The inspect dialog: one scale full-window, from fit-to-window up to 8 device pixels per image
 * pixel (pixelated, from the full-size images, never the previews), with a before/after divider
 * on the image itself, scale tabs that keep the region (inspectView.ts: zoom and centre are
 * relative to the image), and in Evaluate a difference map against the ground truth.
 *
 * Gestures are plain pointer events, no gesture library: one pointer pans, two pinch (zoom about
 * their midpoint, pan with it); the wheel zooms about the cursor; keys +/- zoom, arrows pan, 0 fits.
 */
import { sliderKeyValue } from './sliderKeys';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent } from 'react';
import { createPortal } from 'react-dom';
import { SCALES, type Scale } from '../engine/protocol';
import { useInspect } from './inspectState';
import { clampView, cssScale, FIT, panBy, placement, zoomAt, type Box, type View } from './inspectView';
import { useStore, type ScaleResult } from './store';
import './inspect.css';

/** The difference map's gain: |a − b| × DIFF_GAIN, clipped to 255. */
export const DIFF_GAIN = 4;
const KEY_ZOOM = 1.5;
const KEY_PAN = 60; // CSS px

async function pixelsOf(url: string): Promise<ImageData> {
  const blob = await (await fetch(url)).blob();
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const c = document.createElement('canvas');
  c.width = bmp.width;
  c.height = bmp.height;
  const ctx = c.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  return ctx.getImageData(0, 0, c.width, c.height);
}

/** |a − g| per RGB channel × DIFF_GAIN, opaque. */
function absDiff(a: ImageData, g: ImageData): ImageData {
  if (a.width !== g.width || a.height !== g.height) throw new Error(`sizes differ: ${a.width}×${a.height} vs ${g.width}×${g.height}`);
  const out = new ImageData(a.width, a.height);
  const d = out.data;
  for (let i = 0; i < d.length; i += 4) {
    d[i] = Math.min(255, Math.abs(a.data[i] - g.data[i]) * DIFF_GAIN);
    d[i + 1] = Math.min(255, Math.abs(a.data[i + 1] - g.data[i + 1]) * DIFF_GAIN);
    d[i + 2] = Math.min(255, Math.abs(a.data[i + 2] - g.data[i + 2]) * DIFF_GAIN);
    d[i + 3] = 255;
  }
  return out;
}

interface Diffs {
  key: string;
  after?: ImageData;
  before?: ImageData;
  error?: string;
}

function useDiffs(r: ScaleResult | undefined, on: boolean): Diffs | null {
  const [diffs, setDiffs] = useState<Diffs | null>(null);
  const after = r?.sr ?? r?.bicubic;
  const key = `${after}|${r?.bicubic}|${r?.gt}`;
  useEffect(() => {
    if (!on || !r?.gt || !after) return;
    let live = true;
    (async () => {
      try {
        const [a, b, g] = await Promise.all([pixelsOf(after), pixelsOf(r.bicubic), pixelsOf(r.gt!)]);
        if (live) setDiffs({ key, after: absDiff(a, g), before: absDiff(b, g) });
      } catch (e) {
        if (live) setDiffs({ key, error: `difference map failed: ${e instanceof Error ? e.message : String(e)}` });
      }
    })();
    return () => {
      live = false;
    };
  }, [on, key, after, r?.bicubic, r?.gt]);
  return diffs && diffs.key === key ? diffs : null;
}

function DiffCanvas({ data, style, label }: { data: ImageData; style: CSSProperties; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c) return;
    c.width = data.width;
    c.height = data.height;
    c.getContext('2d')!.putImageData(data, 0, 0);
  }, [data]);
  return <canvas ref={ref} className="inspect-img" style={style} role="img" aria-label={label} data-testid="inspect-diff-canvas" />;
}

function focusables(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('button, select, [tabindex]:not([tabindex="-1"])')].filter((e) => !(e as HTMLButtonElement).disabled);
}

export function Inspect() {
  const scale = useInspect((s) => s.scale);
  return scale === null ? null : createPortal(<InspectDialog scale={scale} />, document.body);
}

function InspectDialog({ scale }: { scale: Scale }) {
  const results = useStore((s) => s.results);
  const evaluate = useStore((s) => (s.source?.mode ?? s.mode) === 'evaluate');
  const { setScale, close } = useInspect.getState();
  const r = results[scale];
  const hasGt = evaluate && !!r?.gt;
  const [view, setView] = useState<View>(FIT);
  const [divider, setDivider] = useState(50);
  const [beforeKind, setBeforeKind] = useState<'gt' | 'bicubic'>(hasGt ? 'gt' : 'bicubic');
  const [diff, setDiff] = useState(false);
  const [size, setSize] = useState({ W: 0, H: 0 });
  const dialog = useRef<HTMLDivElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const dividerPointer = useRef<number | null>(null);
  const dpr = typeof window === 'undefined' ? 1 : window.devicePixelRatio || 1;
  const box: Box = { W: size.W || 1, H: size.H || 1, w: r?.width ?? 1, h: r?.height ?? 1, dpr };
  const boxRef = useRef(box);
  boxRef.current = box;
  const shown = clampView(box, view);
  const pos = placement(box, shown);
  const devicePx = cssScale(box, shown) * dpr;
  const showDiff = diff && hasGt;
  const diffs = useDiffs(r, showDiff);

  const update = useCallback((f: (b: Box, v: View) => View) => setView((v) => f(boxRef.current, clampView(boxRef.current, v))), []);

  // Focus on open; the page behind does not scroll while the dialog is up.
  useEffect(() => {
    dialog.current?.focus();
    const overflow = document.body.style.overflow;
    document.body.style.overflow = 'hidden';
    return () => {
      document.body.style.overflow = overflow;
    };
  }, []);

  useLayoutEffect(() => {
    const el = stage.current;
    if (!el) return;
    const measure = () => setSize({ W: el.clientWidth, H: el.clientHeight });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // React's wheel listener is passive; this one must preventDefault (the page must not scroll).
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const b = el.getBoundingClientRect();
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      update((bx, v) => zoomAt(bx, v, Math.exp(-dy * 0.002), e.clientX - b.left - b.width / 2, e.clientY - b.top - b.height / 2));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [update]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
      return;
    }
    if (e.key === 'Tab' && dialog.current) {
      const f = focusables(dialog.current);
      if (!f.length) return;
      const i = f.indexOf(document.activeElement as HTMLElement);
      if (e.shiftKey && i <= 0) {
        e.preventDefault();
        f[f.length - 1].focus();
      } else if (!e.shiftKey && (i === f.length - 1 || i < 0)) {
        e.preventDefault();
        f[0].focus();
      }
      return;
    }
    if ((e.target as HTMLElement).tagName === 'SELECT' || e.ctrlKey || e.metaKey || e.altKey) return;
    const act: Record<string, (b: Box, v: View) => View> = {
      '+': (b, v) => zoomAt(b, v, KEY_ZOOM),
      '=': (b, v) => zoomAt(b, v, KEY_ZOOM),
      '-': (b, v) => zoomAt(b, v, 1 / KEY_ZOOM),
      _: (b, v) => zoomAt(b, v, 1 / KEY_ZOOM),
      '0': () => FIT,
      ArrowLeft: (b, v) => panBy(b, v, KEY_PAN, 0),
      ArrowRight: (b, v) => panBy(b, v, -KEY_PAN, 0),
      ArrowUp: (b, v) => panBy(b, v, 0, KEY_PAN),
      ArrowDown: (b, v) => panBy(b, v, 0, -KEY_PAN),
    };
    const f = act[e.key];
    if (!f) return;
    e.preventDefault();
    update(f);
  };

  // All pointers are handled here, on the stage. One pointer pans, or drags the divider when it went
  // down on the divider's handle; two pinch (zoom by the change of their distance about their
  // midpoint, pan with it), even when one finger landed on the handle.
  const fromPointer = (e: PointerEvent) => {
    const b = stage.current!.getBoundingClientRect();
    setDivider(Math.max(0, Math.min(100, Math.round(((e.clientX - b.left) / b.width) * 100))));
  };
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const onHandle = (e.target as HTMLElement).closest('.inspect-divider') !== null;
    dividerPointer.current = pointers.current.size === 1 && onHandle ? e.pointerId : null;
    if (dividerPointer.current !== null) {
      e.preventDefault();
      fromPointer(e);
    }
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const ps = pointers.current;
    const prev = ps.get(e.pointerId);
    if (!prev) return;
    if (dividerPointer.current === e.pointerId) {
      fromPointer(e);
      return;
    }
    const before = [...ps.values()];
    ps.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (ps.size === 1) {
      update((b, v) => panBy(b, v, e.clientX - prev.x, e.clientY - prev.y));
    } else if (ps.size === 2) {
      const after = [...ps.values()];
      const dist = (p: typeof after) => Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y);
      const mid = (p: typeof after) => ({ x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 });
      const d0 = dist(before);
      if (d0 < 1) return;
      const m0 = mid(before);
      const m1 = mid(after);
      const rect = e.currentTarget.getBoundingClientRect();
      update((b, v) => panBy(b, zoomAt(b, v, dist(after) / d0, m0.x - rect.left - rect.width / 2, m0.y - rect.top - rect.height / 2), m1.x - m0.x, m1.y - m0.y));
    }
  };
  const onPointerEnd = (e: PointerEvent<HTMLDivElement>) => {
    pointers.current.delete(e.pointerId);
    if (dividerPointer.current === e.pointerId) dividerPointer.current = null;
  };

  // The divider's keys (its drag is in the stage's pointer handlers above).
  const onDividerKey = (e: KeyboardEvent) => {
    const next = sliderKeyValue(e.key, e.shiftKey, divider);
    if (next === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    setDivider(next);
  };

  const after = r ? (r.sr ?? r.bicubic) : undefined;
  const afterLabel = r?.sr ? 'bitsr' : 'bicubic';
  const before = r ? (beforeKind === 'gt' && hasGt ? r.gt! : r.bicubic) : undefined;
  const beforeLabel = beforeKind === 'gt' && hasGt ? 'ground truth' : 'bicubic';
  const imgStyle: CSSProperties = { left: pos.left, top: pos.top, width: pos.width, height: pos.height };
  const available = SCALES.filter((s) => results[s]);

  return (
    <div className="inspect-backdrop">
      <div
        ref={dialog}
        className="inspect"
        role="dialog"
        aria-modal="true"
        aria-labelledby="inspect-title"
        tabIndex={-1}
        data-testid="inspect"
        onKeyDown={onKeyDown}
      >
        <div className="inspect-bar">
          <h2 id="inspect-title">Inspect ×{scale}</h2>
          <div role="group" aria-label="scale" className="inspect-scales">
            {available.map((s) => (
              <button key={s} type="button" aria-pressed={s === scale} className={s === scale ? 'on' : ''} data-testid={`inspect-scale-x${s}`} onClick={() => setScale(s)}>
                ×{s}
              </button>
            ))}
          </div>
          <label>
            before{' '}
            <select data-testid="inspect-before" value={hasGt ? beforeKind : 'bicubic'} onChange={(e) => setBeforeKind(e.target.value as 'gt' | 'bicubic')} disabled={showDiff}>
              <option value="gt" disabled={!hasGt}>
                ground truth
              </option>
              <option value="bicubic">bicubic</option>
            </select>
          </label>
          <button type="button" data-testid="inspect-diff" aria-pressed={showDiff} disabled={!hasGt} title={hasGt ? undefined : 'Evaluate mode only: needs the ground truth'} onClick={() => setDiff((d) => !d)}>
            Difference ×{DIFF_GAIN}
          </button>
          <button type="button" onClick={() => setView(FIT)}>
            Fit
          </button>
          <span className="inspect-zoom" data-testid="inspect-zoom" aria-live="polite">
            {devicePx.toFixed(1)} device px / pixel
          </span>
          <button type="button" className="inspect-close" data-testid="inspect-close" onClick={() => close()}>
            Close
          </button>
        </div>
        <p className="inspect-hint">
          Wheel, pinch or +/− zoom (up to 8 device px per image pixel) · drag or arrows pan · 0 fits · Esc closes.
          {showDiff && ` Difference map: |bicubic − ground truth| left, |${afterLabel} − ground truth| right, amplified ×${DIFF_GAIN}.`}
        </p>
        <div
          ref={stage}
          className="inspect-stage"
          data-testid="inspect-stage"
          data-zoom={shown.z}
          data-cx={shown.cx}
          data-cy={shown.cy}
          data-device-px={devicePx}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerEnd}
          onPointerCancel={onPointerEnd}
        >
          {!r || !after || !before ? (
            <p className="pending">no result at ×{scale}</p>
          ) : (
            <>
              <div className="inspect-layer">
                {showDiff && diffs?.after ? (
                  <DiffCanvas data={diffs.after} style={imgStyle} label={`|${afterLabel} − ground truth| ×${DIFF_GAIN}, x${scale}`} />
                ) : (
                  <img className="inspect-img" data-testid="inspect-after" src={after} alt={`${afterLabel} x${scale}`} draggable={false} style={imgStyle} />
                )}
              </div>
              <div className="inspect-layer" style={{ clipPath: `inset(0 ${100 - divider}% 0 0)` }}>
                {showDiff && diffs?.before ? (
                  <DiffCanvas data={diffs.before} style={imgStyle} label={`|bicubic − ground truth| ×${DIFF_GAIN}, x${scale}`} />
                ) : (
                  <img className="inspect-img" data-testid="inspect-before-img" src={before} alt={`${beforeLabel} x${scale}`} draggable={false} style={imgStyle} />
                )}
              </div>
              <div
                className="inspect-divider"
                data-testid="inspect-divider"
                role="slider"
                tabIndex={0}
                aria-label="before/after divider"
                aria-valuemin={0}
                aria-valuemax={100}
                aria-valuenow={divider}
                style={{ left: `${divider}%` }}
                onKeyDown={onDividerKey}
              >
                <span className="inspect-knob" aria-hidden />
              </div>
              <span className="tag left">{showDiff ? `|bicubic − GT| ×${DIFF_GAIN}` : beforeLabel}</span>
              <span className="tag right">{showDiff ? `|${afterLabel} − GT| ×${DIFF_GAIN}` : afterLabel}</span>
              {showDiff && diffs?.error && <p className="warn">{diffs.error}</p>}
            </>
          )}
        </div>
      </div>
    </div>
  );
}
