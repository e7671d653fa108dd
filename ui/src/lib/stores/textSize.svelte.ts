// The text size of the whole window (Ctrl+plus, Ctrl+minus, Ctrl+0, or the settings),
// applied as the root font size so that everything sized in rem follows, and kept in the
// webview's local storage: it belongs to this computer's screen, not to the account.

import { DEFAULT_TEXT_SIZE, parseTextSize, stepTextSize, type TextSizeChange } from '../textSize';

const STORAGE_KEY = 'relais.textSize';

/** The storage calls used; local storage in the app, a fake in tests. */
export type SizeStorage = Pick<Storage, 'getItem' | 'setItem'>;

function browserStorage(): SizeStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Storage can be refused (private mode); the size then lasts until the window closes.
    return null;
  }
}

export class TextSizeStore {
  /** Percent of the default size. */
  percent = $state(DEFAULT_TEXT_SIZE);
  /** The root font size in CSS pixels, for layouts computed in pixels (list rows). */
  rootPx = $state(16);

  constructor(private readonly storage: SizeStorage | null = browserStorage()) {}

  /** Reads the remembered size and applies it; before the first paint, at start-up. */
  load(): void {
    let stored: string | null = null;
    try {
      stored = this.storage?.getItem(STORAGE_KEY) ?? null;
    } catch (error) {
      console.warn('Relais: text size not readable', error);
    }
    this.apply(parseTextSize(stored));
  }

  /** Sets, applies and remembers `percent`. */
  set(percent: number): void {
    this.apply(percent);
    try {
      this.storage?.setItem(STORAGE_KEY, String(percent));
    } catch (error) {
      console.warn('Relais: text size not saved', error);
    }
  }

  /** One step bigger, smaller, or back to normal; returns the new size. */
  change(change: TextSizeChange): number {
    this.set(stepTextSize(this.percent, change));
    return this.percent;
  }

  private apply(percent: number): void {
    this.percent = percent;
    if (typeof document === 'undefined') {
      this.rootPx = (16 * percent) / 100;
      return;
    }
    const root = document.documentElement;
    root.style.fontSize = percent === DEFAULT_TEXT_SIZE ? '' : `${percent}%`;
    this.rootPx = parseFloat(getComputedStyle(root).fontSize) || (16 * percent) / 100;
  }
}

export const textSize = new TextSizeStore();
