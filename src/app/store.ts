/**
 * The single app state (zustand). The engine's worker messages are reduced here. The settings
 * (mode, scales, compare choice; settings.ts) persist in localStorage, nothing else.
 */
import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { cachedMeasurement, cachedTierProbes, saveMeasurement, saveTierProbe, startEngine, urlOptions, type EngineClient } from '../engine/client';
import type { EpInfo, FromWorker, MetricPair, Mode, ModelEntry, Scale } from '../engine/protocol';
import type { Tier, TierChoice } from '../engine/tiers';
import { applyPartial, clearLive } from './LivePreview';
import { DEFAULT_SETTINGS, readSettings, SETTINGS_KEY, SETTINGS_VERSION, toggleScale, type CompareWith, type Settings } from './settings';

export interface ScaleResult {
  scale: Scale;
  width: number;
  height: number;
  sr?: string; // object URLs
  bicubic: string;
  gt?: string;
  /** Object URLs of smaller copies for the compare view (large images only). */
  preview?: { sr?: string; bicubic?: string; gt?: string };
  /** Inference alone, ms. */
  ms?: number;
  /** Model start-up (fetch + session creation) this job spent on the scale, ms. */
  startupMs?: number;
  /** The model that ran: its file, tier and why. */
  model?: { file: string; tier: Tier; reason: string };
  metrics?: { sr?: MetricPair; bicubic: MetricPair };
  error?: string;
}

export interface Source {
  name: string;
  width: number;
  height: number;
  grayscale: boolean;
  alpha: boolean;
  url: string;
  mode: Mode;
  /** The scales the job runs (fixed when it was submitted, like its mode). */
  scales: Scale[];
}

export interface AppState {
  mode: Mode;
  /** The scales the next image runs (a non-empty subset of SCALES). */
  scales: Scale[];
  /** Which model tier runs where a scale has two; auto: measured on this device (engine/tiers.ts). */
  tier: TierChoice;
  ep: EpInfo | null;
  models: ModelEntry[] | null;
  job: number | null;
  busy: boolean;
  progress: { done: number; total: number } | null;
  source: Source | null;
  results: Partial<Record<Scale, ScaleResult>>;
  /** Scales not run for the current image, with the limit that stopped them. */
  skipped: Partial<Record<Scale, string>>;
  errors: string[];
  notice: string | null;
  compareWith: CompareWith;
  slider: number;
  setMode(m: Mode): void;
  /** Switches `scale` on or off; the last selected scale stays on. */
  toggleScale(scale: Scale): void;
  setCompareWith(c: CompareWith): void;
  setTier(t: TierChoice): void;
  setSlider(v: number): void;
  open(file: Blob): void;
  cancel(): void;
  dismissErrors(): void;
}

let engine: EngineClient | null = null;
const pendingNames = new Map<number, string>();

function revokeAll(s: AppState): void {
  for (const r of Object.values(s.results)) for (const u of [r?.sr, r?.bicubic, r?.gt, r?.preview?.sr, r?.preview?.bicubic, r?.preview?.gt]) if (u) URL.revokeObjectURL(u);
  if (s.source) URL.revokeObjectURL(s.source.url);
}

export const useStore = create<AppState>()(
  persist(
    (set, get) => ({
      ...DEFAULT_SETTINGS,
      ep: null,
      models: null,
      job: null,
      busy: false,
      progress: null,
      source: null,
      results: {},
      skipped: {},
      errors: [],
      notice: null,
      slider: 50,
      setMode: (mode) => set({ mode, compareWith: mode === 'evaluate' ? 'gt' : 'bicubic' }),
      toggleScale: (scale) => set({ scales: toggleScale(get().scales, scale) }),
      setCompareWith: (compareWith) => set({ compareWith }),
      setTier: (tier) => set({ tier }),
      setSlider: (v) => set({ slider: Math.max(0, Math.min(100, Math.round(v))) }),
      open(file) {
        if (!engine) return;
        const s = get();
        if (s.job !== null) engine.cancel(s.job);
        const job = engine.process(file, s.mode, s.scales, s.tier);
        pendingNames.set(job, (file as File).name || 'pasted image');
        set({ job, busy: true, progress: null, errors: [], notice: null });
      },
      cancel() {
        const { job } = get();
        if (engine && job !== null) engine.cancel(job);
      },
      dismissErrors: () => set({ errors: [], notice: null }),
    }),
    {
      name: SETTINGS_KEY,
      version: SETTINGS_VERSION,
      storage: createJSONStorage(() => localStorage),
      partialize: (s): Settings => ({ mode: s.mode, scales: s.scales, compareWith: s.compareWith, tier: s.tier }),
      // Older versions and anything malformed are read field by field (readSettings), never trusted.
      migrate: (stored) => readSettings(stored),
      merge: (stored, current) => ({ ...current, ...readSettings(stored) }),
    },
  ),
);

function onMessage(m: FromWorker): void {
  const s = useStore.getState();
  const current = 'job' in m && m.job !== undefined ? m.job === s.job : true;
  switch (m.type) {
    case 'ep':
      useStore.setState({ ep: m.info });
      break;
    case 'models':
      useStore.setState({ models: m.models });
      break;
    case 'error':
      if (current) useStore.setState({ errors: [...s.errors, m.message] });
      break;
    case 'decoded':
      if (!current) break;
      // Only now are the old results replaced: a file that fails to decode loses nothing.
      revokeAll(s);
      clearLive();
      useStore.setState({
        results: {},
        skipped: {},
        // The job's own mode (fixed when it was submitted), not whatever the toggle says now.
        source: { name: pendingNames.get(m.job) ?? 'image', width: m.width, height: m.height, grayscale: m.grayscale, alpha: m.alpha, url: URL.createObjectURL(m.source), mode: m.mode, scales: m.scales },
      });
      break;
    case 'skipped':
      if (current) useStore.setState({ skipped: { ...s.skipped, [m.scale]: m.message } });
      break;
    case 'progress':
      if (current) useStore.setState({ progress: { done: m.done, total: m.total } });
      break;
    case 'partial':
      // Tile pixels go straight to the scale's live canvas (LivePreview), not into this store.
      if (current) applyPartial(m);
      break;
    case 'scale': {
      if (!current) break;
      const r: ScaleResult = {
        scale: m.scale,
        width: m.width,
        height: m.height,
        bicubic: URL.createObjectURL(m.bicubic),
        ...(m.sr ? { sr: URL.createObjectURL(m.sr) } : {}),
        ...(m.gt ? { gt: URL.createObjectURL(m.gt) } : {}),
        ...(m.previews ? { preview: Object.fromEntries(Object.entries(m.previews).map(([k, b]) => [k, URL.createObjectURL(b)])) } : {}),
        ...(m.ms !== undefined ? { ms: m.ms } : {}),
        ...(m.startupMs !== undefined ? { startupMs: m.startupMs } : {}),
        ...(m.model ? { model: m.model } : {}),
        ...(m.metrics ? { metrics: m.metrics } : {}),
        ...(m.error ? { error: m.error } : {}),
      };
      useStore.setState({ results: { ...s.results, [m.scale]: r } });
      clearLive(m.scale);
      break;
    }
    case 'done':
      pendingNames.delete(m.job);
      if (current) clearLive();
      if (current) useStore.setState({ busy: false, job: null, ...(m.cancelled ? { notice: 'Cancelled: the scales finished so far are kept.' } : {}) });
      break;
  }
}

const engineListeners = new Set<(m: FromWorker) => void>();

/** Another reader of the worker's messages (the batch queue), called after the store reduced them. */
export function onEngineMessage(fn: (m: FromWorker) => void): () => void {
  engineListeners.add(fn);
  return () => engineListeners.delete(fn);
}

export function startApp(): void {
  if (engine) return;
  const cached = cachedMeasurement();
  engine = startEngine({ ...urlOptions(location.search), ...(cached ? { cached } : {}), tierProbes: cachedTierProbes() }, (m) => {
    if (m.type === 'measured') saveMeasurement(m.measurement);
    if (m.type === 'tierMeasured') saveTierProbe(m.key, m.ms);
    onMessage(m);
    for (const fn of engineListeners) fn(m);
  });
}
