import { describe, expect, it, vi } from 'vitest';
import type { MessagePage, MessageRow } from '../api';
import { PagedMessages } from './pagedMessages.svelte';

const TOTAL = 100_000;

function rowAt(index: number): MessageRow {
  return {
    id: index + 1,
    box_address: 'secretariat.cardio@ch-demo.mssante.fr',
    folder: 'INBOX',
    uid: index + 1,
    from_name: null,
    from_addr: 'labo@ch-demo.mssante.fr',
    subject: `Résultat ${index}`,
    date: 1_700_000_000 - index,
    seen: false,
    flagged: false,
    answered: false,
    has_attachments: false,
    author_name: null,
    thread_id: null,
    thread_size: 1,
  };
}

/** A fake engine with `total` rows that answers page requests at once. */
function engine(total = TOTAL) {
  return vi.fn(async (offset: number, limit: number): Promise<MessagePage> => {
    const rows = [];
    for (let i = offset; i < Math.min(offset + limit, total); i++) rows.push(rowAt(i));
    return { total, offset, rows };
  });
}

describe('PagedMessages', () => {
  it('sees the first rows of a listing that was empty when refreshed', async () => {
    let total = 0;
    const fetch = vi.fn(async (offset: number, limit: number): Promise<MessagePage> => {
      const rows = [];
      for (let i = offset; i < Math.min(offset + limit, total); i++) rows.push(rowAt(i));
      return { total, offset, rows };
    });
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 50);
    expect(list.total).toBe(0);
    total = 1;
    await list.refresh();
    expect(list.total).toBe(1);
    expect(list.row(0)?.subject).toBe('Résultat 0');
  });

  it('fetches the first window, then only windows it does not have', async () => {
    const fetch = engine();
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 50);
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenLastCalledWith(0, 200);
    expect(list.total).toBe(TOTAL);
    expect(list.row(49)?.subject).toBe('Résultat 49');
    expect(list.row(200)).toBeUndefined();

    // Rows 150..260 span windows 0 (cached) and 1 (missing).
    await list.ensureRange(150, 260);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch).toHaveBeenLastCalledWith(200, 200);

    // Scrolling back costs nothing.
    await list.ensureRange(0, 400);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(list.cachedPages()).toEqual([0, 1]);
  });

  it('jumps far down a 100 000-row listing without loading what lies between', async () => {
    const fetch = engine();
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 30);
    await list.ensureRange(99_980, 100_000);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(fetch).toHaveBeenLastCalledWith(99_800, 200);
    expect(list.row(99_999)?.subject).toBe('Résultat 99999');
    expect(list.cachedPages()).toEqual([0, 499]);
  });

  it('asks once for a window already on its way', async () => {
    const fetch = engine();
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 10);
    const a = list.ensureRange(400, 420);
    const b = list.ensureRange(410, 430);
    await Promise.all([a, b]);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('never asks beyond the end of the listing', async () => {
    const fetch = engine(250);
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 10);
    await list.ensureRange(100, 10_000);
    expect(fetch.mock.calls).toEqual([
      [0, 200],
      [200, 200],
    ]);
  });

  it('refreshes the windows in view and keeps showing them meanwhile', async () => {
    let total = 1_000;
    const fetch = vi.fn(async (offset: number, limit: number): Promise<MessagePage> => {
      const rows = [];
      for (let i = offset; i < Math.min(offset + limit, total); i++) rows.push(rowAt(i));
      return { total, offset, rows };
    });
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 50);
    await list.ensureRange(600, 650);
    total = 999; // a message was deleted
    const refreshing = list.refresh();
    expect(list.row(610)).toBeDefined(); // not blanked while the answer comes
    await refreshing;
    expect(fetch).toHaveBeenLastCalledWith(600, 200);
    expect(list.total).toBe(999);
    expect(list.cachedPages()).toEqual([3]); // the window out of view was dropped
  });

  it('keeps the error of a failed window and tries again next time', async () => {
    const fetch = vi
      .fn<(offset: number, limit: number) => Promise<MessagePage>>()
      .mockRejectedValueOnce(new Error('réseau'))
      .mockImplementation(engine());
    const list = new PagedMessages(fetch, 200);
    await list.ensureRange(0, 10);
    expect(list.problem?.message).toContain('réseau');
    await list.ensureRange(0, 10);
    expect(list.problem).toBeNull();
    expect(list.row(0)).toBeDefined();
  });
});
