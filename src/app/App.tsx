import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { SCALES, type Mode, type ModelEntry, type Scale } from '../engine/protocol';
import type { TierChoice } from '../engine/tiers';
import { limitsText } from '../engine/limits';
import { ComparePanel, CompareSlider } from './Compare';
import { fmtInference, fmtStartup } from './format';
import { LivePreview, useLive } from './LivePreview';
import { useStore, type ScaleResult } from './store';
import { BatchPanel } from './BatchPanel';
import { droppedFiles, isImageFile } from './files';
import { cancelBatch, openFiles } from './queue';

function EpBadge() {
  const ep = useStore((s) => s.ep);
  if (!ep) return <span className="badge" data-testid="ep-badge">engine starting…</span>;
  const placement = ep.allNodesOnEp === true ? 'every node on it' : ep.allNodesOnEp === false ? 'some nodes on the CPU' : 'placement not yet known';
  return (
    <span className={`badge ep-${ep.ep}`} data-testid="ep-badge" data-ep={ep.ep} data-engine={ep.engine} title={ep.placement}>
      <b>{ep.engine}</b>
      {ep.ep === 'wasm' ? ` · ${ep.threads} thread${ep.threads === 1 ? '' : 's'}` : ''} — {ep.reason} · {placement}
    </span>
  );
}

const fmtBytes = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(2)} MB`);
const fmtOps = (s: string | undefined) => (s && Number.isFinite(Number(s)) ? `${(Number(s) / 1e9).toFixed(2)} G OPs (320×180)` : 'OPs n/a');
const fmtParams = (s: string | undefined) => (s && Number.isFinite(Number(s)) ? `${Number(s).toLocaleString('en-US')} params · ` : '');

/** PSNR for display: identical images give +∞ (shown as ∞), a metric that could not be computed —. */
export function fmtPsnr(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  if (v === Infinity) return '∞';
  return v.toFixed(2);
}

export function fmtSsim(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(4);
}

function Psnr({ v, testId }: { v: number | undefined; testId: string }) {
  const text = fmtPsnr(v);
  return (
    <>
      <span data-testid={testId} title={v === Infinity ? 'identical to the ground truth' : undefined}>
        {text}
      </span>
      {text === '—' ? '' : ' dB'}
      {v === Infinity ? ' (identical)' : ''}
    </>
  );
}

function ModelInfo({ m, tiers, why }: { m: ModelEntry | undefined; tiers: number; why?: string }) {
  if (!m) return <div className="model-info">no model: bicubic only</div>;
  return (
    <div className="model-info" data-testid={`model-x${m.scale}`} data-tier={m.tier} title={why}>
      {tiers > 1 ? <span className="tier">{m.tier}</span> : null}
      {m.file} · {fmtBytes(m.bytes)} · {fmtParams(m.metadata.params)}
      {fmtOps(m.metadata.ops)}
    </div>
  );
}

function ScaleCard({ scale, r }: { scale: Scale; r: ScaleResult | undefined }) {
  const models = useStore((s) => s.models);
  const mode = useStore((s) => s.source?.mode ?? s.mode);
  const compareWith = useStore((s) => s.compareWith);
  const source = useStore((s) => s.source);
  const skipped = useStore((s) => s.skipped[scale]);
  const busy = useStore((s) => s.busy);
  const selected = useStore((s) => (s.source ? s.source.scales : s.scales).includes(scale));
  const running = useLive((s) => s.scales[scale] !== undefined);
  // The model that ran (a result names it), else the one the next image would run by default.
  const ofScale = models?.filter((x) => x.scale === scale) ?? [];
  const m = ofScale.find((x) => x.file === r?.model?.file) ?? ofScale.find((x) => x.tier === 'lite') ?? ofScale[0];
  const base = (source?.name ?? 'image').replace(/\.[^.]+$/, '');
  const before = compareWith === 'gt' && r?.gt ? r.gt : r?.bicubic;
  return (
    <section className="card" aria-label={`x${scale}`}>
      <h2>×{scale}</h2>
      <ModelInfo m={m} tiers={ofScale.length} why={r?.model?.reason} />
      {r ? (
        <>
          {before && <ComparePanel r={r} before={before} beforeLabel={compareWith === 'gt' && r.gt ? 'ground truth' : 'bicubic'} />}
          <table className="metrics">
            <tbody>
              {mode === 'evaluate' && r.metrics && (
                <>
                  <tr>
                    <th scope="row">PSNR bitsr</th>
                    <td>{r.metrics.sr ? <Psnr v={r.metrics.sr.psnr} testId={`psnr-sr-x${scale}`} /> : '—'}</td>
                  </tr>
                  <tr>
                    <th scope="row">PSNR bicubic</th>
                    <td>
                      <Psnr v={r.metrics.bicubic.psnr} testId={`psnr-bicubic-x${scale}`} />
                    </td>
                  </tr>
                  <tr>
                    <th scope="row">SSIM bitsr / bicubic</th>
                    <td>
                      {r.metrics.sr ? <span data-testid={`ssim-sr-x${scale}`}>{fmtSsim(r.metrics.sr.ssim)}</span> : '—'} /{' '}
                      <span data-testid={`ssim-bicubic-x${scale}`}>{fmtSsim(r.metrics.bicubic.ssim)}</span>
                    </td>
                  </tr>
                </>
              )}
              <tr>
                <th scope="row">output</th>
                <td>{r.width}×{r.height}</td>
              </tr>
              <tr>
                <th scope="row">time</th>
                <td>
                  <span data-testid={`time-x${scale}`} title="inference alone, and output megapixels per second">
                    {fmtInference(r.ms, r.width * r.height)}
                  </span>
                  {fmtStartup(r.startupMs) && (
                    <>
                      <br />
                      <span className="startup" data-testid={`startup-x${scale}`} title="fetching the model and creating its session, before the first image at this scale">
                        {fmtStartup(r.startupMs)}
                      </span>
                    </>
                  )}
                </td>
              </tr>
            </tbody>
          </table>
          {r.error && <p className="warn">{r.error}</p>}
          <a className="button" data-testid={`download-x${scale}`} href={r.sr ?? r.bicubic} download={`${base}-x${scale}-${r.sr ? 'bitsr' : 'bicubic'}.png`}>
            Download ×{scale} PNG
          </a>
        </>
      ) : running ? (
        <LivePreview scale={scale} evaluate={mode === 'evaluate'} />
      ) : skipped ? (
        <p className="warn" data-testid={`skipped-x${scale}`}>
          skipped: {skipped}
        </p>
      ) : (
        <p className="pending" data-testid={`pending-x${scale}`}>
          {!selected ? (source ? 'not selected for this image' : 'not selected') : !source ? 'no image yet' : busy ? 'waiting…' : 'not run: the job was cancelled before this scale'}
        </p>
      )}
    </section>
  );
}

const MODES: ReadonlyArray<{ mode: Mode; label: string }> = [
  { mode: 'evaluate', label: 'Evaluate' },
  { mode: 'upscale', label: 'Upscale' },
];

/** Evaluate / Upscale: a radio group with a roving tab stop; arrow keys move and select. */
function ModeSwitch() {
  const mode = useStore((s) => s.mode);
  const setMode = useStore((s) => s.setMode);
  const refs = useRef<Array<HTMLButtonElement | null>>([]);
  const onKey = (e: KeyboardEvent, i: number) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    const to = step !== undefined ? (i + step + MODES.length) % MODES.length : e.key === 'Home' ? 0 : e.key === 'End' ? MODES.length - 1 : -1;
    if (to < 0) return;
    e.preventDefault();
    setMode(MODES[to].mode);
    refs.current[to]?.focus();
  };
  return (
    <div className="modes" role="radiogroup" aria-label="mode">
      {MODES.map((m, i) => (
        <button
          key={m.mode}
          ref={(el) => {
            refs.current[i] = el;
          }}
          type="button"
          role="radio"
          aria-checked={mode === m.mode}
          tabIndex={mode === m.mode ? 0 : -1}
          data-testid={`mode-${m.mode}`}
          className={mode === m.mode ? 'on' : ''}
          onClick={() => setMode(m.mode)}
          onKeyDown={(e) => onKey(e, i)}
        >
          {m.label}
        </button>
      ))}
    </div>
  );
}

/** Which model tier runs where a scale ships two (lite and full); hidden when none does. */
function TierSelector() {
  const tier = useStore((s) => s.tier);
  const setTier = useStore((s) => s.setTier);
  const hasFull = useStore((s) => !!s.models?.some((m) => m.tier === 'full'));
  if (!hasFull) return null;
  return (
    <label className="tier-select">
      model{' '}
      <select data-testid="tier-select" value={tier} onChange={(e) => setTier(e.target.value as TierChoice)}>
        <option value="auto">auto (full if fast enough here)</option>
        <option value="lite">lite (fastest)</option>
        <option value="full">full (best quality)</option>
      </select>
    </label>
  );
}

/** Which scales the next image runs: checkboxes, any non-empty subset (the last one cannot be unchecked). */
function ScaleSelector() {
  const scales = useStore((s) => s.scales);
  const toggle = useStore((s) => s.toggleScale);
  return (
    <fieldset className="scales">
      <legend>scales</legend>
      {SCALES.map((scale) => {
        const on = scales.includes(scale);
        const last = on && scales.length === 1;
        return (
          <label key={scale} title={last ? 'at least one scale is run' : undefined}>
            <input type="checkbox" data-testid={`scale-toggle-x${scale}`} checked={on} disabled={last} onChange={() => toggle(scale)} />×{scale}
          </label>
        );
      })}
    </fieldset>
  );
}

function pickFile(items: DataTransferItemList | FileList | null | undefined): File | null {
  if (!items) return null;
  for (const it of Array.from(items as ArrayLike<DataTransferItem | File>)) {
    if (it instanceof File) return it;
    if (it.kind === 'file') {
      const f = it.getAsFile();
      if (f) return f;
    }
  }
  return null;
}

export function App() {
  // Only the fields the page shows: the compare slider's position and the cards' own state do
  // not re-render it (useShallow: a new object each call, equal when its fields are).
  const { mode, busy, progress, errors, notice, source, compareWith, results, dismissErrors, setCompareWith } = useStore(
    useShallow((s) => ({
      mode: s.mode,
      busy: s.busy,
      progress: s.progress,
      errors: s.errors,
      notice: s.notice,
      source: s.source,
      compareWith: s.compareWith,
      results: s.results,
      dismissErrors: s.dismissErrors,
      setCompareWith: s.setCompareWith,
    })),
  );
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const f = pickFile(e.clipboardData?.items) ?? pickFile(e.clipboardData?.files);
      if (f) {
        e.preventDefault();
        openFiles([f]);
      }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = pickFile(e.dataTransfer?.files) ?? pickFile(e.dataTransfer?.items);
    if (!f) {
      useStore.setState({ errors: ['the dropped item is not a file'] });
      return;
    }
    // Several files, or folders (walked for images), form a batch; one file opens as before.
    const files = droppedFiles(e.dataTransfer);
    if (Array.isArray(files)) openFiles(files);
    else void files.then((fs) => (fs.length > 0 ? openFiles(fs) : useStore.setState({ errors: ['the dropped folder holds no image'] })));
  };

  const pct = progress && progress.total > 0 ? Math.round((100 * progress.done) / progress.total) : 0;
  return (
    <div
      className={`page${dragging ? ' dragging' : ''}`}
      data-testid="drop-zone"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <header>
        <h1>bitsr</h1>
        <p className="tagline">Binary-network super-resolution, entirely in your browser: no image leaves this device.</p>
        <EpBadge />
      </header>

      <main>
        <div className="toolbar">
          <ModeSwitch />
          <ScaleSelector />
          <TierSelector />
          <button type="button" className="button" data-testid="open-image" onClick={() => input.current?.click()}>
            Open image…
          </button>
          <input
            ref={input}
            type="file"
            accept="image/*"
            data-testid="image-input"
            multiple
            hidden
            onChange={(e) => {
              openFiles(Array.from(e.target.files ?? []));
              e.target.value = '';
            }}
          />
          <button type="button" className="button" data-testid="pick-folder" onClick={() => folder.current?.click()}>
            Pick folder…
          </button>
          <input
            ref={folder}
            type="file"
            data-testid="folder-input"
            hidden
            {...{ webkitdirectory: '' }}
            onChange={(e) => {
              openFiles(Array.from(e.target.files ?? []).filter(isImageFile));
              e.target.value = '';
            }}
          />
          <span className="hint">or drop / paste an image ({mode === 'evaluate' ? 'it is the ground truth; bitsr sees its bicubic downscale' : 'it is the low-resolution input'})</span>
        </div>

        {/* A job with no tiles (every scale skipped or bicubic only) has no progress to show once done. */}
        {(busy || (progress && progress.total > 0)) && (
          <div className="progress-row">
            <div className="progress" data-testid="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="inference progress">
              <div style={{ width: `${pct}%` }} />
            </div>
            <span data-testid="progress-text">{progress ? `${progress.done}/${progress.total} tiles` : 'decoding…'}</span>
            <button data-testid="cancel" disabled={!busy} onClick={() => cancelBatch()}>
              Cancel
            </button>
          </div>
        )}

        <BatchPanel />

        {errors.length > 0 && (
          <div className="error" data-testid="error" role="alert">
            {errors.map((e, i) => (
              <p key={i}>{e}</p>
            ))}
            <button onClick={() => dismissErrors()}>Dismiss</button>
          </div>
        )}
        {notice && (
          <div className="notice" data-testid="notice" role="status">
            {notice}
          </div>
        )}

        {source && (
          <div className="source">
            {source.name}: {source.width}×{source.height}
            {source.grayscale ? ' · grayscale' : ''}
            {source.alpha ? ' · alpha (upscaled with bicubic)' : ''} · {source.mode}
          </div>
        )}

        <div className="compare-bar">
          <span>compare</span>
          <select aria-label="compare with" value={compareWith} onChange={(e) => setCompareWith(e.target.value as 'bicubic' | 'gt')}>
            <option value="bicubic">bicubic | bitsr</option>
            <option value="gt" disabled={(source?.mode ?? mode) !== 'evaluate'}>
              ground truth | bitsr
            </option>
          </select>
          <CompareSlider />
        </div>

        <div className="grid">
          {SCALES.map((scale) => (
            <ScaleCard key={scale} scale={scale} r={results[scale]} />
          ))}
        </div>
      </main>

      <footer data-testid="limits">
        <p>Size limits. {limitsText('evaluate')}</p>
        <p>{limitsText('upscale')}</p>
        <p>
          Metrics: Y channel, border of <i>scale</i> pixels shaved, as <code>npm run eval</code>.
        </p>
      </footer>
    </div>
  );
}
