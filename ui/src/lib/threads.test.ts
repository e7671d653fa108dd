import { describe, expect, it } from 'vitest';
import type { MessageRow } from './api';
import { ThreadView, isThreadHead, isThreadMember } from './threads';

function row(id: number, thread_id: number | null, thread_size = 1): MessageRow {
  return {
    id,
    box_address: 'secretariat.cardio@ch-demo.mssante.fr',
    folder: 'INBOX',
    uid: id,
    from_name: null,
    from_addr: 'x@ch-demo.mssante.fr',
    subject: `Message ${id}`,
    date: 1_700_000_000 - id,
    seen: true,
    flagged: false,
    answered: false,
    has_attachments: false,
    author_name: null,
    thread_id,
    thread_size,
  };
}

describe('thread rows', () => {
  // A listing: a lone message, a thread of three, a lone message, a thread of two.
  const rows = [row(1, null), row(2, 7, 3), row(3, 7, 3), row(4, 7, 3), row(5, 8), row(6, 9, 2), row(7, 9, 2)];
  const at = (i: number) => [rows[i]!, rows[i - 1]] as const;

  it('marks the first message of a thread as its head, the others as members', () => {
    expect(isThreadHead(...at(0))).toBe(false);
    expect(isThreadHead(...at(1))).toBe(true);
    expect(isThreadMember(...at(2))).toBe(true);
    expect(isThreadMember(...at(3))).toBe(true);
    expect(isThreadHead(...at(4))).toBe(false); // thread of one: no toggle
    expect(isThreadMember(...at(4))).toBe(false);
    expect(isThreadHead(...at(5))).toBe(true);
    expect(isThreadMember(...at(6))).toBe(true);
  });
});

describe('ThreadView', () => {
  it('shows everything while no thread is collapsed', () => {
    const view = new ThreadView(7, new Map());
    expect(view.count).toBe(7);
    expect([0, 1, 2, 6].map((p) => view.toIndex(p))).toEqual([0, 1, 2, 6]);
  });

  it('hides the members of collapsed threads, in both directions', () => {
    // Threads at 1 (3 messages) and 5 (2 messages) collapsed: visible 0, 1, 4, 5.
    const view = new ThreadView(7, new Map([[1, 2], [5, 1]]));
    expect(view.count).toBe(4);
    expect([0, 1, 2, 3].map((p) => view.toIndex(p))).toEqual([0, 1, 4, 5]);
    expect([0, 1, 4, 5].map((i) => view.toPosition(i))).toEqual([0, 1, 2, 3]);
    // A hidden row is found at its thread's head.
    expect(view.toPosition(3)).toBe(1);
    expect(view.toPosition(6)).toBe(3);
  });

  it('works with 100 000 rows and a thread in a window not loaded yet', () => {
    const view = new ThreadView(100_000, new Map([[99_990, 5]]));
    expect(view.count).toBe(99_995);
    expect(view.toIndex(99_991)).toBe(99_996);
    expect(view.toPosition(99_999)).toBe(99_994);
  });

  it('ignores collapsed threads beyond the end of a listing that shrank', () => {
    const view = new ThreadView(3, new Map([[2, 4], [10, 2]]));
    expect(view.count).toBe(3);
  });
});
