import type { OutboxChanged, SyncProgress } from '../api';

/** One folder being synchronised. */
export interface SyncState {
  box_address: string;
  folder: string;
  done: number;
  total: number;
}

// What the status bar shows: synchronisation per box, the outbox, the connection, and
// the last announcement for screen readers.
export class StatusStore {
  /** Running synchronisations, by box address. */
  syncs = $state<Record<string, SyncState>>({});
  outbox = $state<OutboxChanged>({ queued: 0, failed: 0 });
  online = $state(true);
  /** Text of the polite live region (new mail…). */
  announcement = $state('');

  syncProgress(event: SyncProgress): void {
    if (event.finished) {
      delete this.syncs[event.box_address];
      return;
    }
    this.syncs[event.box_address] = {
      box_address: event.box_address,
      folder: event.folder,
      done: event.done,
      total: event.total,
    };
  }

  outboxChanged(event: OutboxChanged): void {
    this.outbox = { queued: event.queued, failed: event.failed };
  }

  connection(online: boolean): void {
    this.online = online;
  }

  announce(text: string): void {
    // Changing the text, even to the same words, makes screen readers speak again.
    this.announcement = '';
    queueMicrotask(() => (this.announcement = text));
  }

  reset(): void {
    this.syncs = {};
    this.outbox = { queued: 0, failed: 0 };
    this.online = true;
    this.announcement = '';
  }
}

export const status = new StatusStore();
