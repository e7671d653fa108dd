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
  /** Ids of the rows chosen together (Ctrl/Shift+click, Shift+arrows); empty: just the selected row. */
  checked = $state.raw<ReadonlySet<number>>(new Set());
  /** Listing index a Shift range starts from. */
  private anchor = -1;

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
    this.checked = new Set();
    this.anchor = -1;
    return this.list.ensureRange(0, this.list.pageSize);
  }

  /** Fetches again after a change the engine reported; keeps the selection's place. */
  refresh(): Promise<void> {
    this.collapsed = new Map();
    return this.list.refresh().then(() => {
      if (this.selectedIndex >= this.list.total) this.selectedIndex = this.list.total - 1;
      // Rows that left the list (moved, deleted) are no longer chosen.
      if (this.checked.size > 0) {
        this.checked = new Set([...this.checked].filter((id) => this.list.byId(id) !== undefined));
      }
    });
  }

  select(index: number): void {
    if (index < 0 || index >= this.list.total) return;
    this.selectedIndex = index;
    this.anchor = index;
    void this.list.ensureRange(Math.max(0, index - 20), index + 20);
  }

  /** The rows an action applies to: the chosen ones, else the selected one. */
  get chosen(): MessageRow[] {
    if (this.checked.size > 0) {
      return [...this.checked].flatMap((id) => {
        const row = this.list.byId(id);
        return row ? [row] : [];
      });
    }
    const row = this.selected;
    return row ? [row] : [];
  }

  isChecked(index: number): boolean {
    const row = this.list.row(index);
    return row !== undefined && this.checked.has(row.id);
  }

  /** Ctrl+click: adds the row to the chosen ones, or takes it out. */
  toggleChecked(index: number): void {
    const row = this.list.row(index);
    if (!row) return;
    const next = new Set(this.checked);
    // The row selected before the first Ctrl+click is part of the choice.
    const selected = this.selected;
    if (next.size === 0 && selected && selected.id !== row.id) next.add(selected.id);
    if (next.has(row.id)) next.delete(row.id);
    else next.add(row.id);
    this.checked = next;
    this.select(index);
  }

  /** Shift+click or Shift+arrow: every visible row from the anchor to `index`. */
  extendTo(index: number): void {
    if (index < 0 || index >= this.list.total) return;
    const anchor = this.anchor < 0 ? index : this.anchor;
    const view = this.view;
    const from = Math.min(view.toPosition(anchor), view.toPosition(index));
    const to = Math.max(view.toPosition(anchor), view.toPosition(index));
    const next = new Set<number>();
    for (let position = from; position <= to; position++) {
      const row = this.list.row(view.toIndex(position));
      if (row) next.add(row.id);
    }
    this.checked = next;
    this.selectedIndex = index;
  }

  /** Shift+arrow: extends the choice by `delta` visible rows. */
  extend(delta: number): void {
    const view = this.view;
    if (view.count === 0) return;
    if (this.selectedIndex < 0) {
      this.move(delta);
      return;
    }
    const position = Math.min(view.count - 1, Math.max(0, view.toPosition(this.selectedIndex) + delta));
    this.extendTo(view.toIndex(position));
  }

  clearChecked(): void {
    this.checked = new Set();
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
