import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageView } from '../../lib/api';
import { ReaderStore } from '../../lib/stores/reader.svelte';
import Reader from './Reader.svelte';

const view: MessageView = {
  row: {
    id: 1,
    box_address: 'secretariat.cardio@ch-demo.mssante.fr',
    folder: 'Sent',
    uid: 1,
    from_name: 'Secrétariat de cardiologie',
    from_addr: 'secretariat.cardio@ch-demo.mssante.fr',
    subject: 'Compte rendu',
    date: 1_763_300_000,
    seen: true,
    flagged: false,
    answered: false,
    has_attachments: true,
    author_name: 'Marie MARTIN',
    thread_id: null,
    thread_size: 1,
  },
  to: [{ name: null, address: 'jacques.leroy@cardio-pau.mssante.fr' }],
  cc: [],
  author: { display_name: 'Marie MARTIN', national_id: '810100000041', address: null },
  text: 'Bonjour',
  html: '<p>Bonjour</p>',
  has_remote_content: true,
  attachments: [{ index: 0, filename: 'cr.pdf', content_type: 'application/pdf', size: 248_112 }],
  malformed_note: null,
  message_id: null,
};

let component: ReturnType<typeof mount> | undefined;
afterEach(() => {
  if (component) unmount(component);
  document.body.innerHTML = '';
});

describe('Reader', () => {
  it('shows the author and renders HTML in a sandboxed frame (no scripts, no same origin: pop-ups only, for links)', () => {
    const store = new ReaderStore();
    store.view = view;
    const target = document.createElement('div');
    document.body.append(target);
    const noop = () => {};
    component = mount(Reader, {
      target,
      props: { store, onreply: noop, onreplyall: noop, onforward: noop, ondelete: noop, ontoggleflag: noop, onmarkunread: noop, onsoon: noop },
    });
    flushSync();
    expect(target.textContent).toContain('Rédigé par Marie MARTIN');
    expect(target.textContent).toContain('Les images distantes sont bloquées.');
    expect(target.textContent).toContain('242\u00a0Ko');
    const frame = target.querySelector('iframe')!;
    expect(frame.getAttribute('sandbox')).toBe('allow-popups');
    expect(frame.getAttribute('srcdoc')).toContain("default-src 'none'");
  });
});
