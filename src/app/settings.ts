/**
 * The settings the app remembers across visits (zustand persist, localStorage): the mode, the
 * selected scales and the compare choice. Never results or images. What is read back is checked
 * here: a missing, malformed or outdated value falls back to its default.
 */
import { SCALES, type Mode, type Scale } from '../engine/protocol';

export type CompareWith = 'bicubic' | 'gt';

export interface Settings {
  mode: Mode;
  /** A non-empty subset of SCALES, in SCALES order. */
  scales: Scale[];
  compareWith: CompareWith;
}

export const SETTINGS_KEY = 'bitsr-settings';
export const SETTINGS_VERSION = 1;

export const DEFAULT_SETTINGS: Settings = { mode: 'evaluate', scales: [...SCALES], compareWith: 'gt' };

/** The settings of `stored` (anything read back from storage), each field valid or its default. */
export function readSettings(stored: unknown): Settings {
  const o = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const mode: Mode = o.mode === 'evaluate' || o.mode === 'upscale' ? o.mode : DEFAULT_SETTINGS.mode;
  const list = Array.isArray(o.scales) ? o.scales : [];
  const picked = SCALES.filter((s) => list.includes(s));
  const scales = picked.length ? picked : [...DEFAULT_SETTINGS.scales];
  // No ground truth in Upscale: its default there is bicubic, as when the mode is switched.
  const compareWith: CompareWith = o.compareWith === 'bicubic' || (o.compareWith === 'gt' && mode === 'evaluate') ? o.compareWith : mode === 'evaluate' ? 'gt' : 'bicubic';
  return { mode, scales, compareWith };
}

/** `scales` with `scale` switched on or off; never empty (the last selected scale stays on). */
export function toggleScale(scales: readonly Scale[], scale: Scale): Scale[] {
  const on = scales.includes(scale);
  if (on && scales.length === 1) return [...scales];
  return SCALES.filter((s) => (s === scale ? !on : scales.includes(s)));
}
