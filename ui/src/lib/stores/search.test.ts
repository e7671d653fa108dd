import { describe, expect, it } from 'vitest';
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
});
