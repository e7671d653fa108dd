import {
  api,
  type CollabSupportView,
  type ConversationView,
  type StatusCounts,
  type StatusFilter,
} from '../api';

/** What the shared-box controls need: support per box, the filters' counters, dialogs. */
export class CollabStore {
  /** `collab_support` per box address (asked once per session and box). */
  support = $state<Record<string, CollabSupportView>>({});
  /** Counters of the folder shown (shared boxes only). */
  counts = $state<StatusCounts | null>(null);
  /** A claim on a colleague's message waiting for « Reprendre ? ». */
  confirm = $state<{ id: number; name: string } | null>(null);
  busy = $state(false);
  /** The conversation shown, or `null`. */
  conversation = $state.raw<ConversationView | null>(null);
  conversationOpen = $state(false);
  private asked = new Set<string>();
  private countsRequest = 0;

  /** Asks the server once whether claims work in `box` (PERMANENTFLAGS, rights, CONDSTORE). */
  ensureSupport(box: string): void {
    if (this.asked.has(box)) return;
    this.asked.add(box);
    api
      .collabSupport(box)
      .then((view) => (this.support[box] = view))
      .catch(() => this.asked.delete(box));
  }

  /** True unless the server said the feature is off (unknown yet counts as on). */
  enabled(box: string): boolean {
    return this.support[box]?.enabled ?? true;
  }

  async loadCounts(box: string, folder: string): Promise<void> {
    const request = ++this.countsRequest;
    try {
      const counts = await api.statusCounts(box, folder);
      if (request === this.countsRequest) this.counts = counts;
    } catch {
      if (request === this.countsRequest) this.counts = null;
    }
  }

  clearCounts(): void {
    this.countsRequest += 1;
    this.counts = null;
  }

  reset(): void {
    this.support = {};
    this.asked.clear();
    this.clearCounts();
    this.confirm = null;
    this.conversation = null;
    this.conversationOpen = false;
  }
}

export type { StatusFilter };

export const collab = new CollabStore();
