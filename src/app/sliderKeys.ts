/** The value a 0–100 slider moves to on a key press (WAI-ARIA slider keys), or undefined for other keys. */
export function sliderKeyValue(key: string, shift: boolean, value: number): number | undefined {
  const step = shift ? 10 : 1;
  const next = ({ ArrowLeft: value - step, ArrowDown: value - step, ArrowRight: value + step, ArrowUp: value + step, PageDown: value - 10, PageUp: value + 10, Home: 0, End: 100 } as Record<string, number>)[key];
  return next === undefined ? undefined : Math.max(0, Math.min(100, next));
}
