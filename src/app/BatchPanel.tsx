/** The batch list (one row per queued file) and "Download all" (a ZIP of the finished PNGs). */
import { useState } from 'react';
import { finishedOutputs, useBatch, type BatchItem } from './queue';
import { useStore } from './store';
import { saveBlob, zipFiles } from './zip';

const fmtPsnr = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v === Infinity ? '∞' : `${v.toFixed(2)} dB`);

function Row({ it }: { it: BatchItem }) {
  const progress = useStore((s) => (it.status === 'running' ? s.progress : null));
  const detail =
    it.status === 'running'
      ? progress && progress.total > 0
        ? `${Math.round((100 * progress.done) / progress.total)}%`
        : 'decoding…'
      : it.status === 'done' && it.mode === 'evaluate'
        ? `x2 PSNR ${fmtPsnr(it.psnrX2)}`
        : '';
  return (
    <li className={`batch-item ${it.status}`} data-testid="batch-item" data-status={it.status}>
      <span className="batch-name">{it.name}</span>
      <span className="batch-status" data-testid="batch-status">
        {it.status}
      </span>
      {detail && <span data-testid="batch-detail">{detail}</span>}
      {it.error && (
        <span className="warn" data-testid="batch-error">
          {it.error}
        </span>
      )}
    </li>
  );
}

export function BatchPanel() {
  const items = useBatch((s) => s.items);
  const [zipping, setZipping] = useState(false);
  if (items.length === 0) return null;
  const done = items.filter((it) => it.status === 'done').length;
  const downloadAll = async () => {
    setZipping(true);
    try {
      saveBlob(await zipFiles(finishedOutputs()), 'bitsr-batch.zip');
    } catch (e) {
      useStore.setState((s) => ({ errors: [...s.errors, `cannot make the ZIP: ${e instanceof Error ? e.message : String(e)}`] }));
    } finally {
      setZipping(false);
    }
  };
  return (
    <section className="batch" aria-label="batch">
      <div className="batch-head">
        <span>
          batch: {done}/{items.length} done
        </span>
        <button type="button" className="button" data-testid="download-all" disabled={done === 0 || zipping} onClick={() => void downloadAll()}>
          Download all (ZIP)
        </button>
      </div>
      <ol data-testid="batch">
        {items.map((it) => (
          <Row key={it.id} it={it} />
        ))}
      </ol>
    </section>
  );
}
