import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BoxView, FolderView, MessagePage, MessageRow } from '../../lib/api';
import { MessagesStore } from '../../lib/stores/messages.svelte';
import MessageList from './MessageList.svelte';

const SERVICE = 'secretariat.cardio@ch-demo.mssante.fr';
const OWN = 'marie.martin@ch-demo.mssante.fr';

const serviceBox: BoxView = {
  address: SERVICE,
  kind: 'organisational',
  display_name: 'Secrétariat de cardiologie',
  rights: 'lrswipkxtea',
  can_send: true,
  can_delete: true,
  unread: 0,
};
const ownBox: BoxView = { ...serviceBox, address: OWN, kind: 'nominative', display_name: 'Marie MARTIN' };

const folder = (box: string, name: string, role: FolderView['role']): FolderView => ({
  box_address: box,
  name,
  path: name,
  display_name: name,
  role,
  depth: 0,
  unread: 0,
  total: 3,
});

function sentRow(id: number, box: string, author: string | null): MessageRow {
  return {
    id,
    box_address: box,
    folder: 'Sent',
    uid: id,
    from_name: 'Secrétariat de cardiologie',
    from_addr: box,
    subject: `Compte rendu ${id}`,
    date: 1_763_300_000 - id * 3600,
    seen: true,
    flagged: false,
    answered: false,
    has_attachments: id === 2,
    author_name: author,
    thread_id: null,
    thread_size: 1,
  };
}

const rows = [
  sentRow(1, SERVICE, 'Marie MARTIN'),
  sentRow(2, SERVICE, 'Sophie BERNARD'),
  sentRow(3, SERVICE, null),
];

let component: ReturnType<typeof mount> | undefined;

beforeAll(() => {
  // happy-dom does no layout: give the list a viewport so that rows get rendered.
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 900 });
});

afterEach(() => {
  if (component) unmount(component);
  component = undefined;
  document.body.innerHTML = '';
});

async function render(box: BoxView, shown: FolderView) {
  const fetch = vi.fn(
    async (offset: number, limit: number): Promise<MessagePage> => ({
      total: rows.length,
      offset,
      rows: rows.slice(offset, offset + limit).map((row) => ({ ...row, box_address: box.address })),
    }),
  );
  const store = new MessagesStore(() => fetch);
  await store.show({ kind: 'folder', box, folder: shown });
  const target = document.createElement('div');
  document.body.append(target);
  component = mount(MessageList, {
    target,
    props: { store, box, folder: shown, label: 'Messages', emptyText: 'Vide', onopen: () => {} },
  });
  flushSync();
  // The virtualiser measures after mounting; let it publish its first rows.
  await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
  return { target, fetch };
}

/** Column names as a screen reader hears them (decorative glyphs are aria-hidden). */
const headers = (target: Element) =>
  [...target.querySelectorAll('[role="columnheader"]')].map((cell) => {
    const copy = cell.cloneNode(true) as Element;
    copy.querySelectorAll('[aria-hidden="true"]').forEach((hidden) => hidden.remove());
    return copy.textContent?.trim();
  });

describe('MessageList', () => {
  it('shows who wrote each message in the Sent folder of a service box', async () => {
    const { target, fetch } = await render(serviceBox, folder(SERVICE, 'Sent', 'sent'));
    expect(headers(target)).toContain('Auteur');
    const dataRows = target.querySelectorAll('[role="row"][data-index]');
    expect(dataRows).toHaveLength(3);
    const authors = [...target.querySelectorAll('.author')].map((cell) => cell.textContent?.trim());
    expect(authors).toEqual(['Marie MARTIN', 'Sophie BERNARD', '']);
    expect(target.querySelector('[role="grid"]')?.getAttribute('aria-rowcount')).toBe('4');
    // One window fetched for three rows.
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('has no Auteur column in the inbox of a service box', async () => {
    const { target } = await render(serviceBox, folder(SERVICE, 'INBOX', 'inbox'));
    expect(headers(target)).not.toContain('Auteur');
    expect(target.querySelectorAll('.author')).toHaveLength(0);
    expect(target.querySelectorAll('[role="row"][data-index]')).toHaveLength(3);
  });

  it('has no Auteur column in the Sent folder of a personal box', async () => {
    const { target } = await render(ownBox, folder(OWN, 'Sent', 'sent'));
    expect(headers(target)).not.toContain('Auteur');
    expect(target.querySelectorAll('.author')).toHaveLength(0);
  });

  it('labels the columns in French and shows subjects and dates', async () => {
    const { target } = await render(serviceBox, folder(SERVICE, 'Sent', 'sent'));
    expect(headers(target)).toEqual(
      expect.arrayContaining(['Expéditeur', 'Objet', 'Date', 'Pièce jointe', 'Suivi']),
    );
    expect(target.textContent).toContain('Compte rendu 2');
    expect(target.querySelector('[data-index="1"]')?.textContent).toContain('Avec pièce jointe');
  });
});
