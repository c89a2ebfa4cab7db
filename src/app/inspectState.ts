/** Which scale the inspect dialog shows (null: closed), and what had focus when it opened. */
import { create } from 'zustand';
import type { Scale } from '../engine/protocol';

interface InspectState {
  scale: Scale | null;
  opener: HTMLElement | null;
  open(scale: Scale, opener?: HTMLElement | null): void;
  setScale(scale: Scale): void;
  close(): void;
}

export const useInspect = create<InspectState>()((set, get) => ({
  scale: null,
  opener: null,
  open: (scale, opener = null) => set({ scale, opener }),
  setScale: (scale) => set({ scale }),
  close() {
    const { opener } = get();
    set({ scale: null, opener: null });
    opener?.focus();
  },
}));
