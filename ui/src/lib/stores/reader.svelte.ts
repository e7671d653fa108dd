import { ApiError, api, type MessageView, type ReadReceiptState, type ReturnedView } from '../api';
import type { Problem } from '../errors';

export type BodyMode = 'html' | 'text';

// The message open in the reader pane.
export class ReaderStore {
  view = $state.raw<MessageView | null>(null);
  loading = $state(false);
  problem = $state<Problem | null>(null);
  /** Which body is shown when the message has both. */
  mode = $state<BodyMode>('html');
  /** True once the person chose « Afficher les images » for the open message. */
  remoteShown = $state(false);
  /** The raw message, while « Voir la source » is on. */
  source = $state<string | null>(null);
  /** ECO.3.1.6: the open message's read-receipt request and the person's choice. */
  receipt = $state<ReadReceiptState>('not_asked');
  /** True while the answer to the read-receipt request is on its way. */
  answering = $state(false);
  /** On a sent message: what came back (delivered, read, bounced), oldest first. */
  returned = $state.raw<ReturnedView[]>([]);
  /** On a delivery report or read receipt itself: what it says, in French. */
  reportLines = $state.raw<string[]>([]);
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
      this.remoteShown = false;
      this.source = null;
      this.receipt = 'not_asked';
      this.returned = [];
      this.reportLines = [];
      void this.loadReceipt(id, request);
      void this.loadReports(id, request);
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

  /** Loads the open message again with its remote images, for this opening only. */
  async showRemoteImages(): Promise<void> {
    const id = this.openId;
    if (id === null) return;
    const request = this.request;
    try {
      const view = await api.showRemoteImages(id);
      if (request !== this.request || this.openId !== id) return;
      // Keep the flags the list already knows (the engine does not change them here).
      this.view = { ...view, row: this.view?.row ?? view.row };
      this.remoteShown = true;
      this.mode = 'html';
    } catch (error) {
      this.problem = problemOf(error);
    }
  }

  /** Whether the open message asks for a read receipt (asked by the engine, not guessed). */
  private async loadReceipt(id: number, request: number): Promise<void> {
    try {
      const state = await api.readReceiptState(id);
      if (request === this.request && this.openId === id) this.receipt = state;
    } catch (error) {
      if (request === this.request) this.problem = problemOf(error);
    }
  }

  /** What came back about the open message, and what it says if it is a report itself. */
  private async loadReports(id: number, request: number): Promise<void> {
    try {
      const [returned, lines] = await Promise.all([api.returnedReports(id), api.reportSummaries(id)]);
      if (request !== this.request || this.openId !== id) return;
      this.returned = returned;
      this.reportLines = lines;
    } catch (error) {
      if (request === this.request) this.problem = problemOf(error);
    }
  }

  /** « Envoyer l'accusé » (`send`) or « Ne pas envoyer »: the engine remembers the choice. */
  async answerReceipt(send: boolean): Promise<void> {
    const id = this.openId;
    if (id === null || this.answering) return;
    const request = this.request;
    this.answering = true;
    try {
      const state = await api.answerReadReceipt(id, send);
      if (request === this.request && this.openId === id) this.receipt = state;
    } catch (error) {
      this.problem = problemOf(error);
    } finally {
      this.answering = false;
    }
  }

  /** Shows or hides the raw source of the open message. */
  async toggleSource(): Promise<void> {
    if (this.source !== null) {
      this.source = null;
      return;
    }
    const id = this.openId;
    if (id === null) return;
    const request = this.request;
    try {
      const source = await api.messageSource(id);
      if (request === this.request && this.openId === id) this.source = source;
    } catch (error) {
      this.problem = problemOf(error);
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
    this.remoteShown = false;
    this.source = null;
    this.receipt = 'not_asked';
    this.returned = [];
    this.reportLines = [];
    this.loading = false;
    this.problem = null;
  }
}

function problemOf(error: unknown): Problem {
  return error instanceof ApiError
    ? { code: error.code, message: error.message }
    : { code: 'internal', message: String(error) };
}

export const reader = new ReaderStore();
