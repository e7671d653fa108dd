import {
  api,
  type BoxView,
  type FolderView,
  type MessageRow,
  type SearchRequest,
  type StatusFilter,
} from '../api';
import { ThreadView, isThreadHead } from '../threads';
import { PagedMessages, type PageFetcher } from './pagedMessages.svelte';
import { INBOX } from './folders.svelte';

/** What the message list shows. */
export type ListSource =
  | { kind: 'folder'; box: BoxView; folder: FolderView; filter?: StatusFilter | null }
  | { kind: 'unified' }
  | { kind: 'search'; request: SearchRequest };

/** How each source is fetched. The unified inboxes are a search with no words. */
export function fetcherFor(source: ListSource): PageFetcher {
  switch (source.kind) {
    case 'folder': {
      const filter = source.filter;
      if (filter) {
        return (offset, limit) =>
          api.listByStatus(source.box.address, source.folder.name, filter, offset, limit);
      }
      return (offset, limit) =>
        api.listMessages(source.box.address, source.folder.name, offset, limit);
    }
    case 'unified':
      return (offset, limit) => api.unifiedInbox(offset, limit);
    case 'search':
      return (offset, limit) => api.search(source.request, offset, limit);
  }
}

// The message list: its source, its paged rows, collapsed threads and the selected row.
export class MessagesStore {
  source = $state.raw<ListSource>({ kind: 'unified' });
  list = $state.raw<PagedMessages>(new PagedMessages(() => Promise.resolve(empty)));
  /** Collapsed threads: listing index of the first row → rows hidden after it. */
  collapsed = $state.raw<ReadonlyMap<number, number>>(new Map());
  /** Listing index of the selected row, or -1. */
  selectedIndex = $state(-1);

  constructor(private readonly makeFetcher: (source: ListSource) => PageFetcher = fetcherFor) {}

  /** Visible rows once collapsed threads are hidden. */
  get view(): ThreadView {
    return new ThreadView(this.list.total, this.collapsed);
  }

  get selected(): MessageRow | undefined {
    return this.selectedIndex < 0 ? undefined : this.list.row(this.selectedIndex);
  }

  /** Shows `source` from its first row. */
  show(source: ListSource): Promise<void> {
    this.source = source;
    this.list = new PagedMessages(this.makeFetcher(source));
    this.collapsed = new Map();
    this.selectedIndex = -1;
    return this.list.ensureRange(0, this.list.pageSize);
  }

  /** Fetches again after a change the engine reported; keeps the selection's place. */
  refresh(): Promise<void> {
    this.collapsed = new Map();
    return this.list.refresh().then(() => {
      if (this.selectedIndex >= this.list.total) this.selectedIndex = this.list.total - 1;
    });
  }

  select(index: number): void {
    if (index < 0 || index >= this.list.total) return;
    this.selectedIndex = index;
    void this.list.ensureRange(Math.max(0, index - 20), index + 20);
  }

  /** Moves the selection by `delta` visible rows (collapsed threads count as one). */
  move(delta: number): void {
    const view = this.view;
    if (view.count === 0) return;
    const from = this.selectedIndex < 0 ? (delta > 0 ? -1 : view.count) : view.toPosition(this.selectedIndex);
    const position = Math.min(view.count - 1, Math.max(0, from + delta));
    this.select(view.toIndex(position));
  }

  isCollapsed(index: number): boolean {
    return this.collapsed.has(index);
  }

  /** Collapses or expands the thread whose first row is at `index`. */
  toggleThread(index: number): void {
    const row = this.list.row(index);
    if (!row || !isThreadHead(row, index > 0 ? this.list.row(index - 1) : undefined)) return;
    const next = new Map(this.collapsed);
    if (next.has(index)) next.delete(index);
    else next.set(index, row.thread_size - 1);
    this.collapsed = next;
    // A selection inside a thread that just closed moves to the thread's first row.
    if (this.selectedIndex > index && this.selectedIndex < index + row.thread_size) {
      this.selectedIndex = index;
    }
  }

  /** Updates a row in place after a flag change (the engine confirmed it). */
  patch(
    id: number,
    change: Partial<Pick<MessageRow, 'seen' | 'flagged' | 'answered' | 'status' | 'answered_by'>>,
  ): void {
    this.list.patch(id, change);
  }
}

const empty = { total: 0, offset: 0, rows: [] };

export const messages = new MessagesStore();
