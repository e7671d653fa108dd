import type { SearchRequest } from '../api';
import { dayEnd, dayStart, frenchDayToIso } from '../format';

/** Pause after the last keystroke before searching. */
export const SEARCH_DEBOUNCE_MS = 150;

// The search field and its filters. The search runs when there are words or filters.
export class SearchStore {
  text = $state('');
  /** A box address, or '' for every box. */
  box = $state('');
  /** An IMAP folder name of the chosen box, or '' for every folder. */
  folder = $state('');
  /** Words the sender must hold, or ''. */
  from = $state('');
  unreadOnly = $state(false);
  withAttachments = $state(false);
  /** JJ/MM/AAAA as typed (maybe unfinished), or ''. */
  since = $state('');
  until = $state('');
  filtersOpen = $state(false);
  private timer: ReturnType<typeof setTimeout> | undefined;

  get active(): boolean {
    return (
      this.text.trim() !== '' ||
      this.from.trim() !== '' ||
      this.unreadOnly ||
      this.withAttachments ||
      frenchDayToIso(this.since) !== '' ||
      frenchDayToIso(this.until) !== ''
    );
  }

  get request(): SearchRequest {
    return {
      text: this.text.trim(),
      box_address: this.box || null,
      folder: this.box && this.folder ? this.folder : null,
      unread_only: this.unreadOnly,
      with_attachments: this.withAttachments,
      from: this.from.trim(),
      since: dayStart(frenchDayToIso(this.since)),
      until: dayEnd(frenchDayToIso(this.until)),
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
    this.folder = '';
    this.from = '';
    this.unreadOnly = false;
    this.withAttachments = false;
    this.since = '';
    this.until = '';
  }
}

export const search = new SearchStore();
