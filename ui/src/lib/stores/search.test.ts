import { describe, expect, it } from 'vitest';
import { dayEnd, dayStart } from '../format';
import { SearchStore } from './search.svelte';

describe('search: the request the filters make', () => {
  it('sends the sender, attachments and folder filters, the folder only with its box', () => {
    const store = new SearchStore();
    expect(store.active).toBe(false);
    store.from = '  Leroy ';
    expect(store.active).toBe(true);
    store.withAttachments = true;
    store.folder = 'INBOX/Courriers';
    expect(store.request).toMatchObject({ from: 'Leroy', with_attachments: true, folder: null, box_address: null });
    store.box = 'secretariat.cardio@ch-demo.mssante.fr';
    expect(store.request.folder).toBe('INBOX/Courriers');
    store.clear();
    expect(store.active).toBe(false);
    expect(store.request).toMatchObject({ text: '', from: '', with_attachments: false, folder: null, unread_only: false });
  });

  it('reads the days as JJ/MM/AAAA, and waits until a day is complete', () => {
    const store = new SearchStore();
    store.since = '01/12/20';
    expect(store.active).toBe(false);
    expect(store.request.since).toBeNull();
    store.since = '01/12/2026';
    store.until = '31/12/2026';
    expect(store.active).toBe(true);
    expect(store.request.since).toBe(dayStart('2026-12-01'));
    expect(store.request.until).toBe(dayEnd('2026-12-31'));
  });
});
