import { useEffect, useRef, useState, type DragEvent } from 'react';
import { SCALES, type ModelEntry, type Scale } from '../engine/protocol';
import { MAX_INPUT_SIDE, MAX_OUTPUT_PIXELS } from '../engine/limits';
import { ComparePanel, CompareSlider } from './Compare';
import { useStore, type ScaleResult } from './store';

function EpBadge() {
  const ep = useStore((s) => s.ep);
  if (!ep) return <span className="badge" data-testid="ep-badge">engine starting…</span>;
  const placement = ep.allNodesOnEp === true ? 'every node on it' : ep.allNodesOnEp === false ? 'some nodes on the CPU' : 'placement not yet known';
  return (
    <span className={`badge ep-${ep.ep}`} data-testid="ep-badge" data-ep={ep.ep} title={ep.placement}>
      <b>{ep.ep}</b>
      {ep.ep === 'wasm' ? ` · ${ep.threads} thread${ep.threads === 1 ? '' : 's'}` : ''} — {ep.reason} · {placement}
    </span>
  );
}

const fmtBytes = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(2)} MB`);
const fmtOps = (s: string | undefined) => (s ? `${(Number(s) / 1e9).toFixed(2)} G OPs (320×180)` : 'OPs n/a');

function ModelInfo({ m }: { m: ModelEntry | undefined }) {
  if (!m) return <div className="model-info">no model: bicubic only</div>;
  return (
    <div className="model-info">
      {m.file} · {fmtBytes(m.bytes)} · {m.metadata.params ? `${Number(m.metadata.params).toLocaleString('en-US')} params · ` : ''}
      {fmtOps(m.metadata.ops)}
    </div>
  );
}

function ScaleCard({ scale, r }: { scale: Scale; r: ScaleResult | undefined }) {
  const models = useStore((s) => s.models);
  const mode = useStore((s) => s.source?.mode ?? s.mode);
  const compareWith = useStore((s) => s.compareWith);
  const source = useStore((s) => s.source);
  const m = models?.find((x) => x.scale === scale);
  const base = (source?.name ?? 'image').replace(/\.[^.]+$/, '');
  const before = compareWith === 'gt' && r?.gt ? r.gt : r?.bicubic;
  return (
    <section className="card" aria-label={`x${scale}`}>
      <h2>×{scale}</h2>
      <ModelInfo m={m} />
      {r ? (
        <>
          {before && <ComparePanel r={r} before={before} beforeLabel={compareWith === 'gt' && r.gt ? 'ground truth' : 'bicubic'} />}
          <table className="metrics">
            <tbody>
              {mode === 'evaluate' && r.metrics && (
                <>
                  <tr>
                    <th>PSNR bitsr</th>
                    <td>{r.metrics.sr ? <span data-testid={`psnr-sr-x${scale}`}>{r.metrics.sr.psnr.toFixed(2)}</span> : '—'} dB</td>
                  </tr>
                  <tr>
                    <th>PSNR bicubic</th>
                    <td><span data-testid={`psnr-bicubic-x${scale}`}>{r.metrics.bicubic.psnr.toFixed(2)}</span> dB</td>
                  </tr>
                  <tr>
                    <th>SSIM bitsr / bicubic</th>
                    <td>
                      {r.metrics.sr ? <span data-testid={`ssim-sr-x${scale}`}>{r.metrics.sr.ssim.toFixed(4)}</span> : '—'} /{' '}
                      <span data-testid={`ssim-bicubic-x${scale}`}>{r.metrics.bicubic.ssim.toFixed(4)}</span>
                    </td>
                  </tr>
                </>
              )}
              <tr>
                <th>output</th>
                <td>{r.width}×{r.height}</td>
              </tr>
              <tr>
                <th>time</th>
                <td data-testid={`time-x${scale}`}>{r.ms !== undefined ? `${r.ms.toFixed(0)} ms` : '—'}</td>
              </tr>
            </tbody>
          </table>
          {r.error && <p className="warn">{r.error}</p>}
          <a className="button" data-testid={`download-x${scale}`} href={r.sr ?? r.bicubic} download={`${base}-x${scale}-${r.sr ? 'bitsr' : 'bicubic'}.png`}>
            Download ×{scale} PNG
          </a>
        </>
      ) : (
        <p className="pending">{source ? 'waiting…' : 'no image yet'}</p>
      )}
    </section>
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
  const s = useStore();
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const f = pickFile(e.clipboardData?.items) ?? pickFile(e.clipboardData?.files);
      if (f) {
        e.preventDefault();
        useStore.getState().open(f);
      }
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const f = pickFile(e.dataTransfer?.files) ?? pickFile(e.dataTransfer?.items);
    if (f) s.open(f);
    else useStore.setState({ errors: ['the dropped item is not a file'] });
  };

  const pct = s.progress && s.progress.total > 0 ? Math.round((100 * s.progress.done) / s.progress.total) : 0;
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

      <div className="toolbar">
        <div className="modes" role="radiogroup" aria-label="mode">
          <button role="radio" aria-checked={s.mode === 'evaluate'} data-testid="mode-evaluate" className={s.mode === 'evaluate' ? 'on' : ''} onClick={() => s.setMode('evaluate')}>
            Evaluate
          </button>
          <button role="radio" aria-checked={s.mode === 'upscale'} data-testid="mode-upscale" className={s.mode === 'upscale' ? 'on' : ''} onClick={() => s.setMode('upscale')}>
            Upscale
          </button>
        </div>
        <label className="button">
          Open image…
          <input ref={input} type="file" accept="image/*" data-testid="image-input" hidden onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) s.open(f);
            e.target.value = '';
          }} />
        </label>
        <span className="hint">or drop / paste an image ({s.mode === 'evaluate' ? 'it is the ground truth; bitsr sees its bicubic downscale' : 'it is the low-resolution input'})</span>
      </div>

      {(s.busy || s.progress) && (
        <div className="progress-row">
          <div className="progress" data-testid="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label="inference progress">
            <div style={{ width: `${pct}%` }} />
          </div>
          <span>{s.progress ? `${s.progress.done}/${s.progress.total} tiles` : 'decoding…'}</span>
          <button data-testid="cancel" disabled={!s.busy} onClick={() => s.cancel()}>
            Cancel
          </button>
        </div>
      )}

      {s.errors.length > 0 && (
        <div className="error" data-testid="error" role="alert">
          {s.errors.map((e, i) => (
            <p key={i}>{e}</p>
          ))}
          <button onClick={() => s.dismissErrors()}>Dismiss</button>
        </div>
      )}
      {s.notice && <div className="notice">{s.notice}</div>}

      {s.source && (
        <div className="source">
          {s.source.name}: {s.source.width}×{s.source.height}
          {s.source.grayscale ? ' · grayscale' : ''}
          {s.source.alpha ? ' · alpha (upscaled with bicubic)' : ''} · {s.source.mode}
        </div>
      )}

      <div className="compare-bar">
        <span>compare</span>
        <select aria-label="compare with" value={s.compareWith} onChange={(e) => s.setCompareWith(e.target.value as 'bicubic' | 'gt')}>
          <option value="bicubic">bicubic | bitsr</option>
          <option value="gt" disabled={(s.source?.mode ?? s.mode) !== 'evaluate'}>
            ground truth | bitsr
          </option>
        </select>
        <CompareSlider />
      </div>

      <main className="grid">
        {SCALES.map((scale) => (
          <ScaleCard key={scale} scale={scale} r={s.results[scale]} />
        ))}
      </main>

      <footer>
        Limits: input up to {MAX_INPUT_SIDE}×{MAX_INPUT_SIDE}; each output up to {(MAX_OUTPUT_PIXELS / 1e6).toFixed(1)} MP. Metrics: Y channel, {''}
        border of <i>scale</i> pixels shaved, as <code>npm run eval</code>.
      </footer>
    </div>
  );
}
