import { ApiError, api, type MessageView } from '../api';
import type { Problem } from '../errors';

export type BodyMode = 'html' | 'text';

// The message open in the reader pane.
export class ReaderStore {
  view = $state.raw<MessageView | null>(null);
  loading = $state(false);
  problem = $state<Problem | null>(null);
  /** Which body is shown when the message has both. */
  mode = $state<BodyMode>('html');
  private request = 0;

  get openId(): number | null {
    return this.view?.row.id ?? null;
  }

  /** The body actually shown: HTML when chosen and present, else the text. */
  get shownMode(): BodyMode {
    if (!this.view) return this.mode;
    if (this.mode === 'html' && this.view.html !== null) return 'html';
    return this.view.text !== null ? 'text' : 'html';
  }

  async open(id: number): Promise<MessageView | null> {
    const request = ++this.request;
    this.loading = true;
    this.problem = null;
    try {
      const view = await api.getMessage(id);
      if (request !== this.request) return null;
      this.view = view;
      this.mode = view.html !== null ? 'html' : 'text';
      return view;
    } catch (error) {
      if (request !== this.request) return null;
      this.view = null;
      this.problem =
        error instanceof ApiError
          ? { code: error.code, message: error.message }
          : { code: 'internal', message: String(error) };
      return null;
    } finally {
      if (request === this.request) this.loading = false;
    }
  }

  setMode(mode: BodyMode): void {
    this.mode = mode;
  }

  /** Keeps the shown flags in step with the list. */
  patch(id: number, change: Partial<MessageView['row']>): void {
    if (this.view?.row.id === id) this.view = { ...this.view, row: { ...this.view.row, ...change } };
  }

  clear(): void {
    this.request += 1;
    this.view = null;
    this.loading = false;
    this.problem = null;
  }
}

export const reader = new ReaderStore();
