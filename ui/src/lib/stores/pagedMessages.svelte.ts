import { ApiError, type MessagePage, type MessageRow } from '../api';
import type { Problem } from '../errors';

/** Fetches rows `offset .. offset + limit` of one listing (a folder, a search…). */
export type PageFetcher = (offset: number, limit: number) => Promise<MessagePage>;

/** Rows per request: a few screens' worth, small enough to answer quickly. */
export const PAGE_SIZE = 200;

/**
 * The rows of one listing, fetched by windows of `pageSize` as the list scrolls and
 * kept once fetched. Only windows that are neither cached nor already being fetched
 * are requested, so scrolling back and forth costs nothing.
 *
 * A listing with 100 000 rows never holds more than the windows someone looked at.
 */
export class PagedMessages {
  /** Rows in the whole listing, as the last answer said. */
  total = $state(0);
  /** True once the first answer arrived (before that, `total` means nothing). */
  ready = $state(false);
  problem = $state<Problem | null>(null);
  /** Bumped whenever a window arrives: reading it makes `row()` reactive. */
  private version = $state(0);

  private readonly pages = new Map<number, MessageRow[]>();
  /** Windows fetched before the last `refresh()`: shown until their new copy arrives. */
  private readonly stale = new Set<number>();
  private readonly inflight = new Map<number, Promise<void>>();
  private generation = 0;
  private lastRange: [number, number] = [0, 0];

  constructor(
    private readonly fetcher: PageFetcher,
    readonly pageSize: number = PAGE_SIZE,
  ) {}

  /** The row at `index`, or `undefined` while its window is not loaded. */
  row(index: number): MessageRow | undefined {
    void this.version;
    return this.pages.get(Math.floor(index / this.pageSize))?.[index % this.pageSize];
  }

  /** Which windows are cached, for tests and diagnostics. */
  cachedPages(): number[] {
    void this.version;
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /** The cached row with engine id `id`, if loaded. */
  byId(id: number): MessageRow | undefined {
    void this.version;
    for (const rows of this.pages.values()) {
      const found = rows.find((candidate) => candidate.id === id);
      if (found) return found;
    }
    return undefined;
  }

  /** Changes a cached row's flags in place (the engine already applied the change). */
  patch(id: number, change: Partial<MessageRow>): void {
    for (const rows of this.pages.values()) {
      const at = rows.findIndex((candidate) => candidate.id === id);
      const row = rows[at];
      if (row) {
        // A new object, so that anything derived from the old one sees the change.
        rows[at] = { ...row, ...change };
        this.version += 1;
        return;
      }
    }
  }

  /** Makes sure rows `start .. end` (exclusive) are loaded, fetching missing windows only. */
  ensureRange(start: number, end: number): Promise<void> {
    this.lastRange = [start, end];
    const last = this.ready ? Math.min(end, this.total) : Math.max(end, start + 1);
    const first = Math.max(0, start);
    const waits: Promise<void>[] = [];
    for (let page = Math.floor(first / this.pageSize); page * this.pageSize < last; page++) {
      waits.push(this.ensurePage(page));
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** Fetches the listing again (new mail, a deletion) without blanking what is shown. */
  refresh(): Promise<void> {
    this.generation += 1;
    this.inflight.clear();
    const [start, end] = this.lastRange;
    const firstWanted = Math.floor(start / this.pageSize);
    const lastWanted = Math.floor(Math.max(start, end - 1) / this.pageSize);
    for (const page of [...this.pages.keys()]) {
      if (page < firstWanted || page > lastWanted) this.pages.delete(page);
      else this.stale.add(page);
    }
    this.version += 1;
    // The first window is asked for even when the listing was empty: that is how an empty
    // folder learns that mail arrived.
    return Promise.all([
      this.ensurePage(firstWanted),
      this.ensureRange(start, Math.max(end, start + 1)),
    ]).then(() => undefined);
  }

  private ensurePage(page: number): Promise<void> {
    if (this.pages.has(page) && !this.stale.has(page)) return Promise.resolve();
    const running = this.inflight.get(page);
    if (running) return running;
    const generation = this.generation;
    const request = this.fetcher(page * this.pageSize, this.pageSize).then(
      (answer) => {
        if (generation !== this.generation) return;
        this.inflight.delete(page);
        this.stale.delete(page);
        this.pages.set(page, answer.rows);
        if (answer.total !== this.total || !this.ready) {
          this.total = answer.total;
          this.dropPagesBeyond(answer.total);
        }
        this.ready = true;
        this.problem = null;
        this.version += 1;
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        // `ready` stays as it was: before a first answer, the next call tries again.
        this.inflight.delete(page);
        this.problem =
          error instanceof ApiError
            ? { code: error.code, message: error.message }
            : { code: 'internal', message: String(error) };
      },
    );
    this.inflight.set(page, request);
    return request;
  }

  private dropPagesBeyond(total: number): void {
    for (const page of [...this.pages.keys()]) {
      if (page * this.pageSize >= total) this.pages.delete(page);
    }
  }
}
