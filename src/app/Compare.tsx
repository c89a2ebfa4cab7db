/** Before/after slider (one control for all scales), a zoom loupe, and the per-card "Inspect" button. */
import { useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useInspect } from './inspectState';
import { sliderKeyValue } from './sliderKeys';
import { useStore, type ScaleResult } from './store';

export function CompareSlider() {
  const value = useStore((s) => s.slider);
  const setSlider = useStore((s) => s.setSlider);
  const track = useRef<HTMLDivElement>(null);
  const fromPointer = (e: PointerEvent) => {
    const r = track.current!.getBoundingClientRect();
    setSlider(((e.clientX - r.left) / r.width) * 100);
  };
  const onKey = (e: KeyboardEvent) => {
    const next = sliderKeyValue(e.key, e.shiftKey, value);
    if (next === undefined) return;
    e.preventDefault();
    setSlider(next);
  };
  return (
    <div
      ref={track}
      className="slider"
      data-testid="compare-slider"
      role="slider"
      tabIndex={0}
      aria-label="before/after position"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={value}
      onKeyDown={onKey}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        fromPointer(e);
      }}
      onPointerMove={(e) => {
        if (e.currentTarget.hasPointerCapture(e.pointerId)) fromPointer(e);
      }}
    >
      <div className="slider-fill" style={{ width: `${value}%` }} />
      <div className="slider-thumb" style={{ left: `${value}%` }} />
    </div>
  );
}

/** Left of the split: `before` (bicubic or ground truth); right: bitsr. */
export function ComparePanel({ r, before, beforeLabel }: { r: ScaleResult; before: string; beforeLabel: string }) {
  const value = useStore((s) => s.slider);
  const [loupe, setLoupe] = useState<{ x: number; y: number; fx: number; fy: number } | null>(null);
  const after = r.sr ?? r.bicubic;
  // The compare view shows the smaller preview of a large image (the loupe reads the full one).
  const previewOf = new Map<string, string | undefined>([[r.sr ?? '', r.preview?.sr], [r.bicubic, r.preview?.bicubic], [r.gt ?? '', r.preview?.gt]]);
  const shown = (url: string) => previewOf.get(url) ?? url;
  const ZOOM = 4;
  const SIZE = 140;
  return (
    <>
      <div
        className="compare"
        // The box keeps the image's aspect ratio within the card's width and --compare-max-h, so a
        // 1×100 image is a thin strip, not a 28,000 px column (and the split stays on the pixels).
        style={{ aspectRatio: `${r.width} / ${r.height}`, width: `min(100%, calc(var(--compare-max-h) * ${r.width / r.height}))` }}
        onPointerMove={(e) => {
          const b = e.currentTarget.getBoundingClientRect();
          setLoupe({ x: e.clientX - b.left, y: e.clientY - b.top, fx: (e.clientX - b.left) / b.width, fy: (e.clientY - b.top) / b.height });
        }}
        onPointerLeave={() => setLoupe(null)}
      >
        <img src={shown(after)} alt={`bitsr x${r.scale}`} draggable={false} />
        <img src={shown(before)} alt={`${beforeLabel} x${r.scale}`} draggable={false} className="before" style={{ clipPath: `inset(0 ${100 - value}% 0 0)` }} />
        <div className="split" style={{ left: `${value}%` }} />
        <span className="tag left">{beforeLabel}</span>
        <span className="tag right">{r.sr ? 'bitsr' : 'bicubic'}</span>
        {loupe && (
          <div
            className="loupe"
            aria-hidden
            style={{
              left: loupe.x - SIZE / 2,
              top: loupe.y - SIZE / 2,
              width: SIZE,
              height: SIZE,
              backgroundImage: `url(${loupe.fx * 100 < value ? before : after})`,
              backgroundSize: `${r.width * ZOOM * (SIZE / SIZE)}px ${r.height * ZOOM}px`,
              backgroundPosition: `${SIZE / 2 - loupe.fx * r.width * ZOOM}px ${SIZE / 2 - loupe.fy * r.height * ZOOM}px`,
            }}
          />
        )}
      </div>
      <button type="button" className="button inspect-open" data-testid={`inspect-x${r.scale}`} onClick={(e) => useInspect.getState().open(r.scale, e.currentTarget)}>
        Inspect ×{r.scale}
      </button>
    </>
  );
}
