import type { SearchRequest } from '../api';
import { dayEnd, dayStart } from '../format';

/** Pause after the last keystroke before searching. */
export const SEARCH_DEBOUNCE_MS = 150;

// The search field and its filters. The search runs when there are words or filters.
export class SearchStore {
  text = $state('');
  /** A box address, or '' for every box. */
  box = $state('');
  unreadOnly = $state(false);
  /** `YYYY-MM-DD` from the date inputs, or ''. */
  since = $state('');
  until = $state('');
  filtersOpen = $state(false);
  private timer: ReturnType<typeof setTimeout> | undefined;

  get active(): boolean {
    return this.text.trim() !== '' || this.unreadOnly || this.since !== '' || this.until !== '';
  }

  get request(): SearchRequest {
    return {
      text: this.text.trim(),
      box_address: this.box || null,
      folder: null,
      unread_only: this.unreadOnly,
      since: this.since ? dayStart(this.since) : null,
      until: this.until ? dayEnd(this.until) : null,
    };
  }

  /** Runs `run` once typing pauses; each call restarts the wait. */
  schedule(run: () => void, delayMs = SEARCH_DEBOUNCE_MS): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(run, delayMs);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.text = '';
    this.box = '';
    this.unreadOnly = false;
    this.since = '';
    this.until = '';
  }
}

export const search = new SearchStore();
