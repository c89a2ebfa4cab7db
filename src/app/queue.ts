/**
 * The batch queue: several files run one at a time through the store's single-image job
 * (store.open), so the main view keeps showing the image being processed. Each row keeps only
 * its result PNG Blobs (compressed, held by the browser's blob store) for "Download all"; the
 * object URLs for display are the store's, which it revokes when the next image decodes, so
 * only the image shown has any. Nothing full-size is decoded for a row.
 */
import { create } from 'zustand';
import type { FromWorker, Mode, Scale } from '../engine/protocol';
import { onEngineMessage, useStore } from './store';

export type ItemStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface BatchItem {
  id: number;
  name: string;
  status: ItemStatus;
  error?: string;
  /** Evaluate mode: the x2 PSNR of bitsr (bicubic when no x2 model), dB. */
  psnrX2?: number;
  mode?: Mode;
}

export interface ZipFile {
  name: string;
  blob: Blob;
}

interface Entry {
  file: File;
  job: number | null;
  outputs: Partial<Record<Scale, ZipFile>>;
  error?: string;
}

export const useBatch = create<{ items: BatchItem[] }>(() => ({ items: [] }));

const entries = new Map<number, Entry>();
let nextId = 1;
let unsubscribe: (() => void) | null = null;

const baseName = (name: string) => name.replace(/\.[^.]+$/, '') || 'image';

function update(id: number, patch: Partial<BatchItem>): void {
  useBatch.setState((s) => ({ items: s.items.map((it) => (it.id === id ? { ...it, ...patch } : it)) }));
}

const running = () => useBatch.getState().items.find((it) => it.status === 'running');

/** True while a row is queued or running. */
export function batchActive(): boolean {
  return useBatch.getState().items.some((it) => it.status === 'queued' || it.status === 'running');
}

function startNext(): void {
  const next = useBatch.getState().items.find((it) => it.status === 'queued');
  if (!next) return;
  const e = entries.get(next.id)!;
  const store = useStore.getState();
  store.open(e.file);
  e.job = useStore.getState().job;
  update(next.id, { status: 'running', mode: store.mode });
}

function onMessage(m: FromWorker): void {
  const it = running();
  if (!it || !('job' in m) || m.job === undefined) return;
  const e = entries.get(it.id)!;
  if (m.job !== e.job) return;
  switch (m.type) {
    case 'error':
      e.error = e.error ? `${e.error}; ${m.message}` : m.message;
      break;
    case 'scale': {
      const blob = m.sr ?? m.bicubic;
      e.outputs[m.scale] = { name: `${baseName(it.name)}-x${m.scale}-${m.sr ? 'bitsr' : 'bicubic'}.png`, blob };
      if (m.scale === 2 && m.metrics) update(it.id, { psnrX2: (m.metrics.sr ?? m.metrics.bicubic).psnr });
      break;
    }
    case 'done': {
      const failed = e.error !== undefined && Object.keys(e.outputs).length === 0;
      update(it.id, {
        status: m.cancelled ? 'cancelled' : failed ? 'failed' : 'done',
        ...(e.error !== undefined ? { error: e.error } : {}),
      });
      e.file = new File([], e.file.name); // the source bytes are not needed any more
      startNext();
      break;
    }
  }
}

/**
 * Opens files: one file with no batch running opens exactly as before (no list); several, or
 * any while a batch runs, are queued. A new batch started when idle replaces the old list.
 */
export function openFiles(files: readonly File[]): void {
  if (files.length === 0) return;
  const active = batchActive();
  if (files.length === 1 && !active) {
    useStore.getState().open(files[0]);
    return;
  }
  unsubscribe ??= onEngineMessage(onMessage);
  if (!active) {
    entries.clear();
    useBatch.setState({ items: [] });
  }
  const added: BatchItem[] = files.map((file) => {
    const id = nextId++;
    entries.set(id, { file, job: null, outputs: {} });
    return { id, name: file.name || 'image', status: 'queued' };
  });
  useBatch.setState((s) => ({ items: [...s.items, ...added] }));
  if (!running()) startNext();
}

/** Cancel: queued rows are marked cancelled and the running job (batch or single) is cancelled. */
export function cancelBatch(): void {
  useBatch.setState((s) => ({ items: s.items.map((it) => (it.status === 'queued' ? { ...it, status: 'cancelled' } : it)) }));
  useStore.getState().cancel();
}

/** Every finished row's PNGs, one per scale, with names unique within the archive. */
export function finishedOutputs(): ZipFile[] {
  const out: ZipFile[] = [];
  const used = new Set<string>();
  for (const it of useBatch.getState().items) {
    if (it.status !== 'done') continue;
    for (const f of Object.values(entries.get(it.id)?.outputs ?? {})) {
      let name = f.name;
      for (let k = 2; used.has(name); k++) name = f.name.replace(/\.png$/, `-${k}.png`);
      used.add(name);
      out.push({ name, blob: f.blob });
    }
  }
  return out;
}
