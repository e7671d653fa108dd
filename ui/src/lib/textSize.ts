// The text size of the whole window, as a percentage of the root font size: the steps,
// and which keys change it. Pure, so Vitest covers it without a page.

/** The sizes offered, smallest to largest, in percent of the webview's default (16 px). */
export const TEXT_SIZES: readonly number[] = [85, 90, 100, 110, 120, 135, 150];

export const DEFAULT_TEXT_SIZE = 100;

export type TextSizeChange = 'bigger' | 'smaller' | 'reset';

/** The step after `current` in the direction asked, staying at the ends. */
export function stepTextSize(current: number, change: TextSizeChange): number {
  if (change === 'reset') return DEFAULT_TEXT_SIZE;
  // A size that is not a step (an older setting) goes to the nearest step that way.
  if (change === 'bigger') {
    return TEXT_SIZES.find((size) => size > current) ?? TEXT_SIZES[TEXT_SIZES.length - 1] ?? DEFAULT_TEXT_SIZE;
  }
  return [...TEXT_SIZES].reverse().find((size) => size < current) ?? TEXT_SIZES[0] ?? DEFAULT_TEXT_SIZE;
}

/** A size read back from storage: one of the steps, else the default. */
export function parseTextSize(stored: string | null | undefined): number {
  const value = Number(stored);
  return TEXT_SIZES.includes(value) ? value : DEFAULT_TEXT_SIZE;
}

/** The part of a `KeyboardEvent` that tells a text-size key. */
export interface TextSizeKey {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
}

/**
 * Ctrl+plus, Ctrl+minus and Ctrl+0 (Cmd on a Mac), as browsers zoom. `+` is Shift+`=` on
 * a US keyboard and has its own key on a French one, so `=` counts too; the numeric
 * keypad's keys are read by `code`, and so is 0, which is `à` on an AZERTY keyboard.
 */
export function textSizeChangeFor(event: TextSizeKey): TextSizeChange | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  if (event.key === '+' || event.key === '=' || event.code === 'NumpadAdd') return 'bigger';
  if (event.key === '-' || event.key === '_' || event.code === 'NumpadSubtract') return 'smaller';
  if (event.key === '0' || event.code === 'Digit0' || event.code === 'Numpad0') return 'reset';
  return null;
}
