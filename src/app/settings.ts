/**
 * The settings the app remembers across visits (zustand persist, localStorage): the mode, the
 * selected scales, the compare choice and the model tier. Never results or images. What is read back is checked
 * here: a missing, malformed or outdated value falls back to its default.
 */
import { SCALES, type Mode, type Scale } from '../engine/protocol';
import { TIER_CHOICES, type TierChoice } from '../engine/tiers';

export type CompareWith = 'bicubic' | 'gt';

export interface Settings {
  mode: Mode;
  /** A non-empty subset of SCALES, in SCALES order. */
  scales: Scale[];
  compareWith: CompareWith;
  /** Which model tier runs where a scale has two (engine/tiers.ts). */
  tier: TierChoice;
}

export const SETTINGS_KEY = 'bitsr-settings';
export const SETTINGS_VERSION = 1;

export const DEFAULT_SETTINGS: Settings = { mode: 'evaluate', scales: [...SCALES], compareWith: 'gt', tier: 'auto' };

/** The settings of `stored` (anything read back from storage), each field valid or its default. */
export function readSettings(stored: unknown): Settings {
  const o = (stored && typeof stored === 'object' ? stored : {}) as Record<string, unknown>;
  const mode: Mode = o.mode === 'evaluate' || o.mode === 'upscale' ? o.mode : DEFAULT_SETTINGS.mode;
  const list = Array.isArray(o.scales) ? o.scales : [];
  const picked = SCALES.filter((s) => list.includes(s));
  const scales = picked.length ? picked : [...DEFAULT_SETTINGS.scales];
  // No ground truth in Upscale: its default there is bicubic, as when the mode is switched.
  const compareWith: CompareWith = o.compareWith === 'bicubic' || (o.compareWith === 'gt' && mode === 'evaluate') ? o.compareWith : mode === 'evaluate' ? 'gt' : 'bicubic';
  const tier = TIER_CHOICES.includes(o.tier as TierChoice) ? (o.tier as TierChoice) : DEFAULT_SETTINGS.tier;
  return { mode, scales, compareWith, tier };
}

/** `scales` with `scale` switched on or off; never empty (the last selected scale stays on). */
export function toggleScale(scales: readonly Scale[], scale: Scale): Scale[] {
  const on = scales.includes(scale);
  if (on && scales.length === 1) return [...scales];
  return SCALES.filter((s) => (s === scale ? !on : scales.includes(s)));
}
