// What the mailbox screen does, across stores: open a box, a folder, a message; search;
// delete; react to the engine's events. Components call these; stores stay single-purpose.

import { t } from '../i18n';
import {
  api,
  onEvent,
  type AddressView,
  type LinkRequest,
  type MessageRow,
  type MoveDone,
  type SessionInfo,
  type StatusFilter,
  type StatusOutcome,
} from './api';
import { problemText } from './errors';
import { ALL_INBOXES, boxes, type BoxSelection } from './stores/boxes.svelte';
import { INBOX, folders } from './stores/folders.svelte';
import { link } from './stores/link.svelte';
import { collab } from './stores/collab.svelte';
import { server } from './stores/server.svelte';
import { mayMove, powers } from './rights';
import { composer, type ComposeMode } from './stores/composer.svelte';
import { messages, type ListSource } from './stores/messages.svelte';
import { notice } from './stores/notice.svelte';
import { reader } from './stores/reader.svelte';
import { search } from './stores/search.svelte';
import { session } from './stores/session.svelte';
import { status } from './stores/status.svelte';

/** The list shown when no search runs, to come back to when the search is cleared. */
let browsing: ListSource = { kind: 'unified' };

export type { ComposeMode } from './stores/composer.svelte';

/** Fills the stores from the session and listens to the engine. Returns the clean-up. */
export function startMailbox(info: SessionInfo): () => void {
  boxes.set(info.boxes);
  folders.clear();
  status.reset();
  reader.clear();
  search.clear();
  collab.reset();
  server.reset();
  api
    .outboxCounts()
    .then((counts) => status.outboxChanged(counts))
    .catch(() => undefined);
  const first = info.boxes.find((box) => box.address === info.person.own_box) ?? info.boxes[0];
  void openBox(first ? first.address : ALL_INBOXES);
  // A box opened read-only, a shared name that is no box: said once, and long enough to read.
  if (info.warnings && info.warnings.length > 0) notice.show(info.warnings.join(' '), 20_000);
  return listenToEngine(catchUp);
}

/**
 * The engine synchronises from the moment the sign-in succeeds, before this screen hears
 * its events: once listening, read again what may have changed in between.
 */
function catchUp(): void {
  refreshCounts(0);
  const selected = boxes.selected;
  if (selected === ALL_INBOXES) {
    void messages.refresh();
  } else if (messages.source.kind !== 'folder') {
    void openBox(selected);
  } else {
    void folders.load(selected);
    void refreshList();
  }
}

export async function openBox(selection: BoxSelection): Promise<void> {
  boxes.select(selection);
  if (selection === ALL_INBOXES) {
    await showBrowsing({ kind: 'unified' });
    return;
  }
  const known = folders.of(selection);
  const list = known.length > 0 ? known : await folders.load(selection);
  const inbox = list.find((folder) => folder.role === 'inbox') ?? list[0];
  if (inbox && boxes.selected === selection) await openFolder(selection, inbox.name);
}

export async function openFolder(boxAddress: string, name: string): Promise<void> {
  const box = boxes.get(boxAddress);
  const folder = folders.find(boxAddress, name);
  if (!box || !folder) return;
  folders.select(name);
  await showBrowsing({ kind: 'folder', box, folder });
}

async function showBrowsing(source: ListSource): Promise<void> {
  browsing = source;
  search.clear();
  reader.clear();
  collab.confirm = null;
  const shown = messages.show(source);
  collabAfterShow();
  await shown;
}

// ─── Shared boxes: claims, « Traité », filters, conversations ──────────────────────────

/** The folder shown belongs to a shared (organisational) box. */
export function showsSharedFolder(): boolean {
  const source = messages.source;
  return source.kind === 'folder' && source.box.kind === 'organisational';
}

/** Counters and support of the shared box shown (nothing for other lists); what the shown
 * box's server lacks. */
function collabAfterShow(): void {
  const source = messages.source;
  if (source.kind === 'folder') server.ensure(source.box.address, (error) => notice.show(problemOf(error)));
  if (source.kind === 'folder' && source.box.kind === 'organisational') {
    collab.ensureSupport(source.box.address);
    void collab.loadCounts(source.box.address, source.folder.name);
  } else {
    collab.clearCounts();
  }
}

/** Reads the list again after a change (ours or a colleague's), and the open message's status. */
async function refreshList(): Promise<void> {
  await messages.refresh();
  collabAfterShow();
  const open = reader.view?.row;
  if (open) {
    const row = messages.list.byId(open.id);
    if (row) reader.patch(open.id, { status: row.status, answered_by: row.answered_by });
  }
}

/** The rows of `ids` as the engine now has them, patched in place (no list read). */
async function patchRows(ids: number[]): Promise<void> {
  try {
    for (const row of await api.messageRows(ids)) {
      // The flags and the team status only: the row keeps its place and thread.
      const { seen, flagged, answered, status, answered_by } = row;
      messages.patch(row.id, { seen, flagged, answered, status, answered_by });
      if (reader.view?.row.id === row.id) reader.patch(row.id, { status: row.status, answered_by: row.answered_by });
    }
  } catch (error) {
    console.warn('Relais: rows not updated, reading the list again', error);
    refreshListSoon();
  }
}

let listTimer: ReturnType<typeof setTimeout> | undefined;

/** The list again a moment after the last change event, so that a burst costs one read. */
function refreshListSoon(delay = 150): void {
  clearTimeout(listTimer);
  listTimer = setTimeout(() => void refreshList(), delay);
}

/** « À traiter », « Mes prises en charge », « Traités », or every message (`null`). */
export async function setStatusFilter(filter: StatusFilter | null): Promise<void> {
  const source = messages.source;
  if (source.kind !== 'folder') return;
  await showBrowsing({ ...source, filter });
}

async function statusChange(
  row: MessageRow,
  work: () => Promise<StatusOutcome>,
  done: string,
): Promise<void> {
  collab.busy = true;
  collab.confirm = null;
  try {
    const outcome = await work();
    messages.patch(row.id, { status: outcome.status });
    reader.patch(row.id, { status: outcome.status });
    const text = outcome.refused ? (outcome.message ?? '') : done;
    notice.show(text);
    status.announce(text);
    if (outcome.refused === 'keywords_unsupported') {
      const support = collab.support[row.box_address];
      if (support) collab.support[row.box_address] = { ...support, enabled: false, message: outcome.message };
    }
  } catch (error) {
    notice.show(problemOf(error));
  } finally {
    collab.busy = false;
  }
  // A filter may no longer hold the message; the counters moved.
  const source = messages.source;
  if (source.kind === 'folder' && source.filter) await refreshList();
  else collabAfterShow();
}

/**
 * « Prendre en charge ». A message a colleague holds asks first (« Déjà pris en charge par
 * … : reprendre ? ») and then takes it over; a race lost is said by the engine.
 */
export async function claimOpen(force = false): Promise<void> {
  const row = reader.view?.row;
  if (!row) return;
  const current = row.status;
  if (!force && current?.claimed_by && !current.mine) {
    collab.confirm = { id: row.id, name: current.claimed_by };
    return;
  }
  await statusChange(row, () => api.claim(row.id, force), t('collab.claimed'));
}

export async function releaseOpen(): Promise<void> {
  const row = reader.view?.row;
  if (!row) return;
  await statusChange(row, () => api.release(row.id, false), t('collab.released'));
}

export async function markDoneOpen(done: boolean): Promise<void> {
  const row = reader.view?.row;
  if (!row) return;
  await statusChange(
    row,
    () => api.markDone(row.id, done),
    t(done ? 'collab.doneNow' : 'collab.reopened'),
  );
}

/** « Voir la conversation »: every message exchanged with the open message's correspondent. */
export async function openConversation(): Promise<void> {
  const view = reader.view;
  if (!view) return;
  const box = view.row.box_address;
  const outgoing = view.row.from_addr.toLowerCase() === box.toLowerCase();
  const correspondent = outgoing ? view.to[0]?.address : view.row.from_addr;
  if (!correspondent) return;
  collab.conversation = null;
  collab.conversationOpen = true;
  try {
    collab.conversation = await api.conversation(box, correspondent);
  } catch (error) {
    collab.conversationOpen = false;
    notice.show(problemOf(error));
  }
}

/** Opens a message of the conversation in the reader. */
export async function openFromConversation(id: number): Promise<void> {
  collab.conversationOpen = false;
  const view = await reader.open(id);
  if (view && !view.row.seen) await setSeen(view.row, true);
}

/** Called on every change of the search field or its filters: searches once typing pauses. */
export function searchChanged(): void {
  search.schedule(() => {
    reader.clear();
    void messages.show(search.active ? { kind: 'search', request: search.request } : browsing);
  });
}

/** Empties the search and returns to the box or folder that was open. */
export function clearSearch(): void {
  search.clear();
  reader.clear();
  void messages.show(browsing);
}

/** Opens the row at listing index `index` in the reader and marks it read. */
export async function openMessage(index: number): Promise<void> {
  messages.select(index);
  const row = messages.list.row(index);
  if (!row) return;
  const view = await reader.open(row.id);
  if (view && !view.row.seen) await setSeen(view.row, true);
}

export function openSelected(): Promise<void> {
  return messages.selectedIndex < 0 ? Promise.resolve() : openMessage(messages.selectedIndex);
}

export async function setSeen(row: MessageRow, seen: boolean): Promise<void> {
  const box = boxes.get(row.box_address);
  // Without the `s` right the shared read state cannot change; leave it as it is.
  if (box && !powers(box).keepSeen) return;
  try {
    await api.setSeen(row.id, seen);
  } catch (error) {
    notice.show(problemOf(error));
    return;
  }
  messages.patch(row.id, { seen });
  reader.patch(row.id, { seen });
  const delta = seen ? -1 : 1;
  folders.addUnread(row.box_address, row.folder, delta);
  if (row.folder === INBOX) boxes.addUnread(row.box_address, delta);
}

export async function toggleFlagged(row: MessageRow): Promise<void> {
  const box = boxes.get(row.box_address);
  if (!powers(box).flag) {
    notice.show(t('notice.cannotFlag', { box: box?.display_name ?? row.box_address }));
    return;
  }
  const flagged = !row.flagged;
  try {
    await api.setFlagged(row.id, flagged);
  } catch (error) {
    notice.show(problemOf(error));
    return;
  }
  messages.patch(row.id, { flagged });
  reader.patch(row.id, { flagged });
}

/** Deletes the selected message, unless the box does not let this person delete. */
export async function deleteSelected(): Promise<void> {
  const row = messages.selected;
  if (!row) return;
  const box = boxes.get(row.box_address);
  if (!powers(box).remove) {
    notice.show(t('notice.cannotDelete', { box: box?.display_name ?? row.box_address }));
    return;
  }
  try {
    await api.deleteMessage(row.id);
  } catch (error) {
    notice.show(problemOf(error));
    return;
  }
  if (reader.openId === row.id) reader.clear();
  if (!row.seen) {
    folders.addUnread(row.box_address, row.folder, -1);
    if (row.folder === INBOX) boxes.addUnread(row.box_address, -1);
  }
  status.announce(t('notice.deleted'));
  await refreshList();
}

// ─── Folders and moves ─────────────────────────────────────────────────────────────────

/**
 * The chosen rows (or the selected one) when they all belong to one box, else `null` after
 * telling the person why: a move stays inside one box.
 */
export function chosenOfOneBox(): { first: MessageRow; rows: MessageRow[] } | null {
  const rows = messages.chosen;
  const first = rows[0];
  if (!first) {
    notice.show(t('move.nothing'));
    return null;
  }
  if (rows.some((row) => row.box_address !== first.box_address)) {
    notice.show(t('move.unifiedMixed'));
    return null;
  }
  return { first, rows };
}

/** Moves the chosen rows (or the selected one) into `folder` of their box (or of `toBox`). */
export async function moveChosen(folder: string, toBox?: string): Promise<void> {
  const chosen = chosenOfOneBox();
  if (!chosen) return;
  const { first, rows } = chosen;
  await moveMessages(
    first.box_address,
    rows.map((row) => row.id),
    folder,
    toBox ?? first.box_address,
  );
}

/** Moves messages of `box` into its folder `folder`, then offers to undo. */
export async function moveMessages(box: string, ids: number[], folder: string, toBox: string = box): Promise<void> {
  // Taken out of `box`, put into `toBox` (the same box, or another of the person's).
  const from = boxes.get(box);
  const to = boxes.get(toBox);
  if (!mayMove(from, to)) {
    const refused = !powers(from).remove ? from : to;
    notice.show(t('move.cannot', { box: refused?.display_name ?? box }));
    return;
  }
  let done: MoveDone;
  try {
    done = await api.moveMessages(ids, toBox, folder);
  } catch (error) {
    notice.show(problemOf(error));
    return;
  }
  if (reader.openId !== null && ids.includes(reader.openId)) reader.clear();
  messages.clearChecked();
  const name =
    toBox === box
      ? (folders.find(box, folder)?.display_name ?? folder)
      : `${to?.display_name ?? toBox} — ${folders.find(toBox, folder)?.display_name ?? folder}`;
  const text =
    done.moved === 1 ? t('move.doneOne', { folder: name }) : t('move.doneMany', { count: done.moved, folder: name });
  status.announce(text);
  lastMove = done.moved_ids.length > 0 ? done : null;
  notice.show(text, 10_000, lastMove ? { label: t('move.undo'), run: () => void undoLastMove() } : null);
  void folders.load(box);
  if (toBox !== box) void folders.load(toBox);
  await refreshList();
}

/** The last move, while it can be undone. */
let lastMove: MoveDone | null = null;

/** Moves back what the last move moved (the notice's « Annuler », or Ctrl+Z). */
export async function undoLastMove(): Promise<void> {
  const done = lastMove;
  if (!done) return;
  lastMove = null;
  notice.dismiss();
  try {
    await api.undoMove(done);
  } catch (error) {
    notice.show(problemOf(error));
    return;
  }
  status.announce(t('move.undone'));
  notice.show(t('move.undone'));
  void folders.load(done.box_address);
  await refreshList();
}

/** Creates `name` (`parent/child` for a subfolder) in `box`. */
export async function createFolder(box: string, name: string): Promise<boolean> {
  try {
    await api.createFolder(box, name);
  } catch (error) {
    notice.show(problemOf(error));
    return false;
  }
  await folders.load(box);
  notice.show(t('folders.created', { folder: name.split('/').pop() ?? name }));
  return true;
}

/**
 * Reloads the folders of `box` after `folder` was renamed or deleted; if the list showed it
 * (or one of its subfolders), opens the box's inbox instead of a folder that is gone.
 */
async function reloadFoldersLeaving(box: string, folder: string): Promise<void> {
  const list = await folders.load(box);
  if (folders.selected === folder || folders.selected.startsWith(`${folder}/`)) {
    const inbox = list.find((f) => f.role === 'inbox');
    if (inbox) await openFolder(box, inbox.name);
  }
}

export async function renameFolder(box: string, folder: string, newName: string): Promise<boolean> {
  try {
    await api.renameFolder(box, folder, newName);
  } catch (error) {
    notice.show(problemOf(error));
    return false;
  }
  await reloadFoldersLeaving(box, folder);
  notice.show(t('folders.renamed', { folder: newName.split('/').pop() ?? newName }));
  return true;
}

export async function deleteFolder(box: string, folder: string, shownName: string): Promise<boolean> {
  try {
    await api.deleteFolder(box, folder);
  } catch (error) {
    notice.show(problemOf(error));
    return false;
  }
  await reloadFoldersLeaving(box, folder);
  notice.show(t('folders.deleted', { folder: shownName }));
  return true;
}

/** The boxes the person may send from; the open one first when it allows it. */
function sendableBoxes(): { list: string[]; preferred: string } {
  const list = boxes.list.filter((box) => powers(box).send).map((box) => box.address);
  const own = session.info?.person.own_box ?? null;
  const selected = boxes.selected !== ALL_INBOXES ? boxes.selected : null;
  const preferred =
    (selected && list.includes(selected) ? selected : null) ??
    (own && list.includes(own) ? own : null) ??
    list[0] ??
    '';
  return { list, preferred };
}

/** New message, reply, reply-all, forward: opens the composer, pre-filled by the engine. */
export function compose(mode: ComposeMode, to: AddressView[] = []): void {
  if (composer.isOpen) return;
  const { list, preferred } = sendableBoxes();
  if (!preferred) {
    notice.show(t('notice.cannotSend'));
    return;
  }
  if (mode === 'new') {
    void composer.openNew(preferred, to);
    return;
  }
  const row = reader.view?.row ?? messages.selected;
  if (!row) return;
  void composer.openFrom(mode, row.id, list, preferred);
}

/** « Reprendre le brouillon »: a message of a Drafts folder opens in the composer. */
export function resumeDraft(id: number): void {
  if (composer.isOpen) return;
  const { preferred } = sendableBoxes();
  void composer.openDraft(() => api.openDraft(id), preferred ?? '');
}

/** A draft kept on this computer opens in the composer. */
export function resumeLocalDraft(id: number): void {
  if (composer.isOpen) return;
  const { preferred } = sendableBoxes();
  void composer.openDraft(() => api.openLocalDraft(id), preferred ?? '');
}

/** Throws a draft away (here and in the Drafts folder); `true` when it is gone. */
export async function discardDraft(id: number): Promise<boolean> {
  try {
    await api.discardDraft(id);
  } catch (error) {
    notice.show(problemOf(error));
    return false;
  }
  notice.show(t('drafts.discarded'));
  await refreshList();
  return true;
}

/** A link clicked in the message: a `mailto:` starts a message, a web link asks first. */
export function linkClicked(request: LinkRequest): void {
  if (request.mailto) {
    compose('new', [{ name: null, address: request.mailto }]);
    return;
  }
  link.ask(request);
}

/** The person confirmed the link: the system browser opens it. */
export async function openLink(url: string): Promise<void> {
  link.close();
  try {
    await api.openExternal(url);
  } catch (error) {
    notice.show(t('link.failed', { error: problemOf(error) }));
  }
}

/** After sending: say so, and read the Sent folder again soon. */
export function composerSent(): void {
  const outcome = composer.lastOutcome;
  if (outcome?.held_until) {
    // Undo send: « Annuler l'envoi » stays offered as long as the message is held.
    const left = Math.max(1, Math.round(outcome.held_until - Date.now() / 1000));
    const text = t('compose.held', { seconds: left });
    status.announce(text);
    const id = outcome.outbox_id;
    notice.show(text, left * 1000, { label: t('compose.undoSend'), run: () => void undoSend(id) });
  } else {
    const text =
      outcome && !outcome.sent && outcome.error
        ? t('compose.queued', { error: outcome.error })
        : t('compose.sent');
    status.announce(text);
    notice.show(text);
  }
  api
    .outboxCounts()
    .then((counts) => status.outboxChanged(counts))
    .catch(() => undefined);
  syncNow();
}

/**
 * « Annuler l'envoi »: the held message leaves the outbox before anything reached the
 * server, and comes back into the composer (or stays among the drafts, if another message
 * is being written).
 */
export async function undoSend(outboxId: number): Promise<void> {
  let view;
  try {
    view = await api.recallSend(outboxId);
  } catch (error) {
    notice.show(problemOf(error));
    return;
  } finally {
    api
      .outboxCounts()
      .then((counts) => status.outboxChanged(counts))
      .catch(() => undefined);
  }
  if (composer.isOpen) {
    status.announce(t('compose.recalledToDrafts'));
    notice.show(t('compose.recalledToDrafts'));
    return;
  }
  status.announce(t('compose.recalled'));
  notice.show(t('compose.recalled'));
  const recalled = view;
  await composer.openDraft(async () => recalled, recalled.from_box);
}

/** « Réessayer »: every message waiting in the outbox, now. */
export async function retryOutbox(): Promise<void> {
  try {
    status.outboxChanged(await api.retryOutbox());
  } catch (error) {
    notice.show(problemOf(error));
  }
}

export async function saveAttachment(id: number, index: number): Promise<void> {
  try {
    const path = await api.saveAttachment(id, index);
    notice.show(t('reader.saved', { path }));
  } catch (error) {
    notice.show(problemOf(error));
  }
}

/** « Tout enregistrer »: every attachment of the message into the download folder. */
export async function saveAllAttachments(id: number): Promise<void> {
  try {
    const paths = await api.saveAllAttachments(id);
    const first = paths[0] ?? '';
    const folder = first.slice(0, Math.max(first.lastIndexOf('/'), 0));
    notice.show(t('reader.savedAll', { count: paths.length, folder }));
  } catch (error) {
    notice.show(problemOf(error));
  }
}

/** « Exporter (.eml) »: the message as it came, for any mail client or an archive. */
export async function exportMessage(id: number): Promise<void> {
  try {
    const path = await api.exportMessage(id);
    notice.show(t('reader.exported', { path }));
  } catch (error) {
    notice.show(problemOf(error));
  }
}

/** « Imprimer »: the system print dialog, which also offers to save as PDF. */
export function printMessage(): void {
  if (!reader.view) return;
  window.print();
}

export async function openAttachment(id: number, index: number): Promise<void> {
  try {
    await api.openAttachment(id, index);
  } catch (error) {
    notice.show(problemOf(error));
  }
}

export async function previewAttachment(id: number, index: number): Promise<string | null> {
  try {
    return await api.previewAttachment(id, index);
  } catch (error) {
    notice.show(problemOf(error));
    return null;
  }
}

let countsTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Reads the unread counts again from the engine (after a synchronisation or new mail),
 * a moment after the last change so that a burst of events costs one call.
 */
export function refreshCounts(delay = 250): void {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(() => {
    api
      .sessionInfo()
      .then((info) => {
        for (const box of info.boxes) boxes.setUnread(box.address, box.unread);
      })
      .catch((error: unknown) => console.warn('Relais: unread counts unavailable', error));
  }, delay);
}

export function syncNow(): void {
  api.syncNow().catch((error: unknown) => notice.show(problemOf(error)));
}

export function problemOf(error: unknown): string {
  const problem =
    error && typeof error === 'object' && 'code' in error && 'message' in error
      ? { code: String(error.code), message: String(error.message) }
      : { code: 'internal', message: String(error) };
  return problemText(problem);
}

function showsBox(address: string, folder: string): boolean {
  const source = messages.source;
  if (source.kind === 'folder') {
    return source.box.address === address && source.folder.name === folder;
  }
  return source.kind === 'unified' && folder === INBOX;
}

/** Subscribes to the engine's events; returns a function that unsubscribes. */
function listenToEngine(ready: () => void): () => void {
  const pending = [
    onEvent('sync-progress', (event) => {
      status.syncProgress(event);
      if (!event.finished) return;
      refreshCounts();
      if (boxes.selected === event.box_address && messages.source.kind !== 'folder') {
        // The box was opened before its first synchronisation: open its inbox now.
        void openBox(event.box_address);
        return;
      }
      if (folders.of(event.box_address).length > 0) void folders.load(event.box_address);
      if (showsBox(event.box_address, event.folder)) void refreshList();
    }),
    onEvent('new-mail', (event) => {
      refreshCounts();
      const text = t(event.count === 1 ? 'status.newMailOne' : 'status.newMailMany', {
        count: event.count,
        box: event.box_display_name,
      });
      status.announce(text);
      // Also on screen: the desktop notification may be missing (no notification service).
      notice.show(text);
      if (showsBox(event.box_address, INBOX)) void refreshList();
    }),
    onEvent('messages', (event) => {
      refreshCounts();
      const shown = messages.source;
      const concerned =
        (shown.kind === 'folder' && shown.box.address === event.box_address) || shown.kind === 'unified';
      if (!concerned) return;
      if (event.change === 'changed') {
        // Flags or a claim changed (by Marie or a colleague): patch the rows on screen only.
        const onScreen = event.ids.filter((id) => messages.list.byId(id) !== undefined);
        if (onScreen.length > 0) void patchRows(onScreen);
        return;
      }
      // Added or gone: the places of the rows change, read the visible window again.
      refreshListSoon();
    }),
    onEvent('folders-changed', (event) => void folders.load(event.box_address)),
    onEvent('box-error', (event) => notice.show(event.message)),
    onEvent('outbox-changed', (event) => status.outboxChanged(event)),
    onEvent('connection', (event) => status.connection(event.online)),
    onEvent('session-ended', (event) => session.ended(event.reason)),
    onEvent('link-requested', (event) => linkClicked(event)),
  ].map((subscription) =>
    subscription.catch((error: unknown) => {
      // Outside Tauri (unit tests, the dev harness without mocks) there is nothing to hear.
      console.warn('Relais: cannot listen to the engine', error);
      return null;
    }),
  );
  void Promise.all(pending).then((stops) => {
    if (stops.some((stop) => stop !== null)) ready();
  });
  return () => {
    for (const subscription of pending) void subscription.then((stop) => stop?.());
  };
}
