// Development harness: the real App with a fake engine (fixture data, 100 000 messages
// in the service inbox), to look at the mailbox before the engine is wired.
// Served by `npm run dev` at /harness.html; never part of the production build.

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { mount } from 'svelte';
import App from '../App.svelte';
import '../app.css';
import type { FolderView, MessageRow, MessageView, SessionInfo } from '../lib/api';
import { session } from '../lib/stores/session.svelte';

const OWN = 'marie.martin@ch-demo.mssante.fr';
const SERVICE = 'secretariat.cardio@ch-demo.mssante.fr';
const BIG = 100_000;
const NOW = Math.floor(Date.now() / 1000);

const info: SessionInfo = {
  person: {
    display_name: 'Marie MARTIN',
    national_id: '810100000041',
    login: OWN,
    own_box: OWN,
    declared: false,
    needs_identity: false,
  },
  boxes: [
    { address: OWN, kind: 'nominative', display_name: 'Marie MARTIN', rights: 'lrswipkxtea', can_send: true, can_delete: true, unread: 2 },
    { address: SERVICE, kind: 'organisational', display_name: 'Secrétariat de cardiologie', rights: 'lrswipkxtea', can_send: true, can_delete: true, unread: 37 },
    { address: 'accueil@ehpad-tilleuls.mssante.fr', kind: 'organisational', display_name: 'Accueil EHPAD Les Tilleuls', rights: 'lrs', can_send: false, can_delete: false, unread: 0 },
  ],
  no_nominative_box: false,
};

const roles: [string, string, FolderView['role']][] = [
  ['INBOX', 'Boîte de réception', 'inbox'],
  ['Sent', 'Envoyés', 'sent'],
  ['Drafts', 'Brouillons', 'drafts'],
  ['Trash', 'Corbeille', 'trash'],
  ['Junk', 'Indésirables', 'junk'],
];

function foldersOf(box: string): FolderView[] {
  const list = roles.map(([name, display_name, role]) => ({
    box_address: box,
    name,
    path: name,
    display_name,
    role,
    depth: 0,
    unread: name === 'INBOX' ? (box === SERVICE ? 37 : 2) : 0,
    total: name === 'INBOX' && box === SERVICE ? BIG : 40,
  }));
  list.splice(1, 0, { box_address: box, name: 'INBOX/Comptes rendus', path: 'INBOX/Comptes rendus', display_name: 'Comptes rendus', role: null, depth: 1, unread: 0, total: 12 });
  return list;
}

const senders = [
  ['Laboratoire de biologie', 'noreply-biologie@ch-demo.mssante.fr'],
  ['Dr Jacques LEROY', 'jacques.leroy@cardio-pau.mssante.fr'],
  ['Dr Hélène ROUX', 'helene.roux@cabinet-vignes.mssante.fr'],
  ['Accueil EHPAD Les Tilleuls', 'accueil@ehpad-tilleuls.mssante.fr'],
] as const;
const subjects = [
  'Résultats de biologie — DUBOIS Camille',
  'Demande de rendez-vous en consultation de cardiologie',
  'Compte rendu d’échographie cardiaque',
  'Courrier de sortie — GARCIA Louis',
  'Re: Holter ECG à programmer',
];
const authors = ['Marie MARTIN', 'Sophie BERNARD', 'Pierre DURAND'];

function row(box: string, folder: string, index: number): MessageRow {
  const sent = folder === 'Sent';
  const [name, addr] = senders[index % senders.length]!;
  // Rows 3..5 form a thread of three.
  const inThread = index >= 3 && index <= 5;
  return {
    id: (box === SERVICE ? 1 : 2) * 1_000_000 + (sent ? 500_000 : 0) + index,
    box_address: box,
    folder,
    uid: BIG - index,
    from_name: sent ? 'Secrétariat de cardiologie' : name,
    from_addr: sent ? box : addr,
    subject: inThread ? 'Re: Holter ECG à programmer' : subjects[index % subjects.length]!,
    date: NOW - index * 5400 - 600,
    seen: index % 4 !== 0 || index > 150,
    flagged: index % 11 === 2,
    answered: index % 7 === 1,
    has_attachments: index % 3 === 0,
    author_name: sent && box === SERVICE ? authors[index % authors.length]! : null,
    thread_id: inThread ? 77 : null,
    thread_size: inThread ? 3 : 1,
  };
}

function page(box: string, folder: string, offset: number, limit: number) {
  const total = folder === 'INBOX' && box === SERVICE ? BIG : 40;
  const rows = [];
  for (let i = offset; i < Math.min(offset + limit, total); i++) rows.push(row(box, folder, i));
  return { total, offset, rows };
}

function message(id: number): MessageView {
  const box = id >= 2_000_000 ? OWN : SERVICE;
  const sent = id % 1_000_000 >= 500_000;
  const index = id % 500_000;
  const base = row(box, sent ? 'Sent' : 'INBOX', index);
  return {
    row: base,
    to: [{ name: 'Secrétariat de cardiologie', address: SERVICE }],
    cc: index % 2 ? [{ name: 'Dr Pierre DURAND', address: 'pierre.durand@ch-demo.mssante.fr' }] : [],
    author: sent && box === SERVICE ? { display_name: base.author_name ?? 'Marie MARTIN', national_id: '810100000041', address: OWN } : null,
    text: 'Bonjour,\n\nVeuillez trouver ci-joint les résultats du bilan du 14/11.\n\nBien confraternellement,\nLaboratoire de biologie',
    html: '<p>Bonjour,</p><p>Veuillez trouver ci-joint les résultats du <strong>bilan du 14/11</strong>.</p><p>[image distante bloquée]</p><p>Bien confraternellement,<br>Laboratoire de biologie</p>',
    has_remote_content: index % 2 === 0,
    attachments: base.has_attachments
      ? [
          { index: 0, filename: 'resultats-DUBOIS-Camille.pdf', content_type: 'application/pdf', size: 248_112 },
          { index: 1, filename: 'IHE_XDM.zip', content_type: 'application/zip', size: 3_565_158 },
        ]
      : [],
    malformed_note: index === 6 ? 'La pièce jointe n° 2 est mal encodée ; elle a été ignorée.' : null,
    message_id: `${id}@ch-demo.mssante.fr`,
  };
}

mockIPC(
  (command, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    switch (command) {
      case 'app_info':
        return { version: '0.1.0', demo_mode: false };
      case 'list_folders':
        return foldersOf(a.boxAddress as string);
      case 'list_messages':
        return page(a.boxAddress as string, a.folder as string, a.offset as number, a.limit as number);
      case 'search': {
        const request = a.request as { box_address: string | null };
        return page(request.box_address ?? SERVICE, 'INBOX', a.offset as number, a.limit as number);
      }
      case 'get_message':
        return message(a.id as number);
      case 'local_drafts':
      case 'returned_reports':
      case 'report_summaries':
        return [];
      case 'set_seen':
      case 'set_flagged':
      case 'delete_message':
      case 'sync_now':
      case 'sign_out':
        return null;
      case 'degraded_features':
        return [];
      default:
        throw { code: 'unknown', message: `Commande inconnue : ${command}` };
    }
  },
  { shouldMockEvents: true },
);

session.info = info;
session.status = 'signed-in';
mount(App, { target: document.getElementById('app')! });

setTimeout(() => {
  void emit('sync-progress', { box_address: SERVICE, folder: 'INBOX', done: 61_250, total: BIG, finished: false });
  void emit('outbox-changed', { queued: 2, failed: 1 });
}, 300);

// `?folder=Sent` opens that folder of the service box; `?open=N` opens row N.
const params = new URLSearchParams(location.search);
setTimeout(() => {
  void (async () => {
    const { openBox, openFolder, openMessage } = await import('../lib/mailbox');
    await openBox(SERVICE);
    const folder = params.get('folder');
    if (folder) await openFolder(SERVICE, folder);
    const open = params.get('open');
    if (open !== null) await openMessage(Number(open));
  })();
}, 100);
