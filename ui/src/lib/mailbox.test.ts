import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, type BoxView, type MessagePage, type MessageRow } from './api';
import { deleteSelected } from './mailbox';
import { boxes } from './stores/boxes.svelte';
import { messages } from './stores/messages.svelte';
import { notice } from './stores/notice.svelte';

vi.mock('./api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('./api')>();
  return {
    ...actual,
    api: { ...actual.api, listMessages: vi.fn(), deleteMessage: vi.fn() },
  };
});

const SERVICE = 'secretariat.cardio@ch-demo.mssante.fr';

function box(can_delete: boolean): BoxView {
  return {
    address: SERVICE,
    kind: 'organisational',
    display_name: 'Secrétariat de cardiologie',
    rights: can_delete ? 'lrswipkxtea' : 'lrs',
    can_send: can_delete,
    can_delete,
    unread: 0,
  };
}

const row: MessageRow = {
  id: 42,
  box_address: SERVICE,
  folder: 'INBOX',
  uid: 42,
  from_name: 'Laboratoire',
  from_addr: 'noreply-biologie@ch-demo.mssante.fr',
  subject: 'Résultats',
  date: 1_763_300_000,
  seen: true,
  flagged: false,
  answered: false,
  has_attachments: false,
  author_name: null,
  thread_id: null,
  thread_size: 1,
};

async function showOneMessage(view: BoxView) {
  boxes.set([view]);
  const page: MessagePage = { total: 1, offset: 0, rows: [row] };
  vi.mocked(api.listMessages).mockResolvedValue(page);
  await messages.show({
    kind: 'folder',
    box: view,
    folder: {
      box_address: SERVICE,
      name: 'INBOX',
      path: 'INBOX',
      display_name: 'Boîte de réception',
      role: 'inbox',
      depth: 0,
      unread: 0,
      total: 1,
    },
  });
  messages.select(0);
}

beforeEach(() => {
  vi.mocked(api.deleteMessage).mockReset();
  notice.dismiss();
});

afterEach(() => notice.dismiss());

describe('deleting with Suppr', () => {
  it('explains in French when the box does not let this person delete', async () => {
    await showOneMessage(box(false));
    await deleteSelected();
    expect(api.deleteMessage).not.toHaveBeenCalled();
    expect(notice.text).toBe(
      'Vous ne pouvez pas supprimer de message dans « Secrétariat de cardiologie » : vos droits sur cette boîte ne le permettent pas.',
    );
  });

  it('asks the engine to delete when the box allows it', async () => {
    await showOneMessage(box(true));
    vi.mocked(api.deleteMessage).mockResolvedValue(undefined);
    await deleteSelected();
    expect(api.deleteMessage).toHaveBeenCalledWith(42);
    expect(notice.text).toBeNull();
  });
});
