// Collapsible threads over a paged listing.
//
// The engine lists a thread's messages contiguously, newest first (see `MessagePage` in
// dto.rs). Collapsing the thread whose first row is at index `head` hides the
// `thread_size - 1` rows after it. Threads are shown expanded until the user collapses
// them, so the list never needs rows it has not loaded to know its own length.

import type { MessageRow } from './api';

/** The thread a row starts, if it starts one: its first (newest) message. */
export function isThreadHead(row: MessageRow, previous: MessageRow | undefined): boolean {
  if (row.thread_id === null || row.thread_size <= 1) return false;
  return previous?.thread_id !== row.thread_id;
}

/** A row that belongs to a thread without starting it. */
export function isThreadMember(row: MessageRow, previous: MessageRow | undefined): boolean {
  return row.thread_id !== null && row.thread_size > 1 && previous?.thread_id === row.thread_id;
}

/**
 * Maps visible positions to listing indices while some threads are collapsed.
 * `collapsed` maps the listing index of a thread's first row to the rows it hides.
 */
export class ThreadView {
  /** Collapsed threads as [head index, hidden rows], sorted by head index. */
  private readonly ranges: [number, number][];

  constructor(
    readonly total: number,
    collapsed: ReadonlyMap<number, number>,
  ) {
    this.ranges = [...collapsed.entries()]
      .filter(([head, hidden]) => hidden > 0 && head >= 0 && head < total)
      .map(([head, hidden]): [number, number] => [head, Math.min(hidden, total - head - 1)])
      .sort((a, b) => a[0] - b[0]);
  }

  /** How many rows are visible. */
  get count(): number {
    return this.total - this.ranges.reduce((sum, [, hidden]) => sum + hidden, 0);
  }

  /** The listing index shown at visible position `position`. */
  toIndex(position: number): number {
    let index = position;
    for (const [head, hidden] of this.ranges) {
      if (head >= index) break;
      index += hidden;
    }
    return index;
  }

  /** The visible position of listing index `index` (a hidden row maps to its thread's head). */
  toPosition(index: number): number {
    let shift = 0;
    for (const [head, hidden] of this.ranges) {
      if (head >= index) break;
      if (index <= head + hidden) return head - shift;
      shift += hidden;
    }
    return index - shift;
  }
}
