// The only bridge to the Rust side. Every `invoke()` and `listen()` goes through this
// file, so the command names and payload shapes live in one place and stay typed.
// Keep these types in step with `src-tauri/src/commands.rs` and `src-tauri/src/dto.rs`
// (the engine contract: same names, same fields, snake_case on the wire).

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

/** A received message's read-receipt request and the person's choice (ECO.3.1.6). */
export type ReadReceiptState = 'not_asked' | 'asked' | 'sent' | 'declined';

export interface AppInfo {
  version: string;
  /** True when the app was started with a demo personas file. */
  demo_mode: boolean;
}

export type BoxKind = 'nominative' | 'organisational' | 'applicative' | 'patient';

export interface DemoBox {
  address: string;
  display_name: string;
  kind: BoxKind;
}

export interface DemoPersona {
  login: string;
  display_name: string;
  profession: string;
  /** The person's own box first, then the shared boxes they may open. */
  boxes: DemoBox[];
}

export interface PasswordSignIn {
  /** `null` selects the local demo operator; otherwise a profile file path or an address. */
  operator: string | null;
  login: string;
  password: string;
}

export interface EcpsSignIn {
  operator: string | null;
  /**
   * The identifier typed in the form, if any: preselects the person at Pro Santé Connect;
   * when the provider offers CIBA, the approval then happens without the browser.
   */
  login_hint?: string | null;
}

/** A failure reported by a command: `code` is stable, `message` is French, for display. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

function isCommandError(value: unknown): value is { code: string; message: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isCommandError(error)) throw new ApiError(error.code, error.message);
    // Tauri itself rejects with a plain string (unknown command, denied permission…).
    throw new ApiError('internal', String(error));
  }
}

// ─── Engine contract (mirrors src-tauri/src/dto.rs) ────────────────────────────────────
// Dates are Unix seconds; `null` stands for Rust's `None`; display texts are French.

/** Who is signed in and which boxes they may open (sign-in commands, `session_info`). */
export interface SessionInfo {
  person: PersonView;
  /** Own box first, then shared boxes by name. */
  boxes: BoxView[];
  /** True when the person has no nominative box and works only in service boxes. */
  no_nominative_box: boolean;
  /** What the discovery of the boxes could not do (French), right after a sign-in. */
  warnings?: string[];
}

/** The authenticated person (never the box). */
export interface PersonView {
  display_name: string;
  /** `8` + RPPS or `0` + ADELI; `null` for staff without one. */
  national_id: string | null;
  login: string;
  /** Address of the person's nominative box, when they have one. */
  own_box: string | null;
  /** The names are only what the person declared: shown « déclaré » wherever the author is. */
  declared: boolean;
  /** No directory knows the person and they have not declared their names yet. */
  needs_identity: boolean;
}

/** What a person no directory knows declares at their first sign-in. */
export interface IdentityDeclaration {
  given_name: string;
  family_name: string;
  profession: string;
}

/** The kind of a box the person may open. */
export type BoxKindView = 'nominative' | 'organisational' | 'applicative';

/** One box the person may open, with what they may do in it. */
export interface BoxView {
  address: string;
  kind: BoxKindView;
  display_name: string;
  /** IMAP rights (RFC 4314), canonical order, e.g. `lrswipkxtea`. */
  rights: string;
  can_send: boolean;
  can_delete: boolean;
  /** Unread messages in the box's inbox. */
  unread: number;
}

/** What a special folder is for. */
export type FolderRole = 'inbox' | 'sent' | 'drafts' | 'trash' | 'junk';

/** One folder of a box; `list_folders` returns them in tree order. */
export interface FolderView {
  box_address: string;
  /** IMAP name, passed back to `list_messages`. */
  name: string;
  /** The whole name as the person reads it (`Classés/Cardiologie`). */
  path: string;
  /** French role name for special folders, else the folder's own name. */
  display_name: string;
  role: FolderRole | null;
  /** 0 for a top-level folder, 1 for its children… */
  depth: number;
  unread: number;
  total: number;
}

/** One line of a message list. */
export interface MessageRow {
  id: number;
  box_address: string;
  folder: string;
  uid: number;
  from_name: string | null;
  from_addr: string;
  subject: string;
  /** Unix seconds. */
  date: number;
  seen: boolean;
  flagged: boolean;
  answered: boolean;
  has_attachments: boolean;
  /** Who in the service wrote it (`X-Relais-Author`). */
  author_name: string | null;
  thread_id: number | null;
  /** Messages of that thread in this listing (1 when alone); they are contiguous. */
  thread_size: number;
  /** Shared boxes: « Pris en charge par … » / « Traité ». */
  status?: StatusView | null;
  /** Shared boxes: « Répondu par Pierre DURAND, 14:32 ». */
  answered_by?: string | null;
  /** The sender is a patient writing from Mon espace santé. */
  from_patient?: boolean;
  /** The subject carried `XDM/1.0/DDM+` (shown without it): a document for the DMP. */
  dmp_document?: boolean;
  /** It closes the patient conversation (`X-MSS-MES: FIN`). */
  closed?: boolean;
}

/** The Ségur markers of a message, computed by the engine side (relais-mail). */
export interface SegurMarks {
  from_patient: boolean;
  patient: { ins: string; name: string | null } | null;
  closed: boolean;
  dmp_document: boolean;
  subject: string;
}

/** The shared status of a message in a box (IMAP keywords, docs/collaboration.md). */
export interface StatusView {
  /** The badge; `null` for a message to handle. */
  label: string | null;
  claimed_by: string | null;
  /** The claim is the signed-in person's. */
  mine: boolean;
  done: boolean;
}

export type StatusFilter = 'to_handle' | 'mine' | 'in_progress' | 'done';

/** An extension the box's server lacks, and what Relais does instead (French). */
export interface DegradedFeature {
  capability: string;
  effect: string;
}

export interface CollabSupportView {
  box_address: string;
  /** Claims and « Traité » work in this box. */
  enabled: boolean;
  keywords: boolean;
  condstore: boolean;
  can_write: boolean;
  /** Why it is off or weaker (French). */
  message: string | null;
}

export interface StatusCounts {
  all: number;
  to_handle: number;
  mine: number;
  done: number;
}

/** A claim, release or « Traité »: the status now, or why it was refused. */
export interface StatusOutcome {
  id: number;
  status: StatusView;
  /** `already_claimed`, `keywords_unsupported`, `busy`; `null` when done. */
  refused: string | null;
  message: string | null;
  claimant: string | null;
}

export interface ConversationMessageView {
  id: number;
  folder: string;
  outgoing: boolean;
  subject: string;
  from_name: string | null;
  from_addr: string | null;
  author: string | null;
  date: number;
  seen: boolean;
}

export interface ConversationThreadView {
  subject: string;
  last_date: number;
  messages: ConversationMessageView[];
}

export interface ConversationView {
  box_address: string;
  correspondent: string;
  threads: ConversationThreadView[];
}

/** One box of the Annuaire Santé. */
export interface DirectoryEntry {
  address: string;
  kind: string;
  /** « personnelle », « organisationnelle »… */
  kind_label: string;
  civility: string;
  first_name: string;
  last_name: string;
  display_name: string;
  national_id: string;
  category: string;
  profession: string;
  specialty: string;
  structure: string;
  service: string;
  postcode: string;
  town: string;
  department: string;
}

export interface DirectoryInfo {
  source: string;
  imported_at: number;
  rows: number;
}

export interface ImportProgress {
  phase: 'reading' | 'indexing' | 'done';
  bytes_read: number;
  bytes_total: number;
  rows: number;
  skipped: number;
  fraction: number;
}

export interface ImportReport {
  rows: number;
  skipped: number;
  skipped_lines: number[];
  ignored_columns: string[];
  missing_columns: string[];
  read_ms: number;
  index_ms: number;
  total_ms: number;
}

export interface DirectoryImportEnd {
  report: ImportReport | null;
  error: string | null;
  info: DirectoryInfo | null;
}

export interface DirectoryStateView {
  info: DirectoryInfo | null;
  importing: boolean;
  progress: ImportProgress | null;
}

/** A window of a listing: rows `offset .. offset + rows.length` of `total`. */
export interface MessagePage {
  total: number;
  offset: number;
  rows: MessageRow[];
}

/** A mail address with its display name. */
export interface AddressView {
  name: string | null;
  address: string;
}

/** The person who wrote a message sent from a shared box. */
export interface AuthorView {
  display_name: string;
  national_id: string | null;
  address: string | null;
}

/** One attachment of a message. */
export interface AttachmentView {
  index: number;
  filename: string;
  content_type: string;
  /** Bytes. */
  size: number;
}

/** A message opened in the reader. `get_message` does not change `\Seen`. */
export interface MessageView {
  row: MessageRow;
  to: AddressView[];
  cc: AddressView[];
  author: AuthorView | null;
  text: string | null;
  /** Sanitised by the engine (ammonia); remote images already replaced by placeholders. */
  html: string | null;
  has_remote_content: boolean;
  attachments: AttachmentView[];
  /** French explanation when the message could only be partly decoded. */
  malformed_note: string | null;
  message_id: string | null;
  /** Patient, Mon espace santé, closed conversation (ECO / Ségur reading side). */
  marks?: SegurMarks;
}

/** What to search for. Empty `text` matches everything that passes the filters. */
export interface SearchRequest {
  text: string;
  box_address: string | null;
  /** IMAP folder name; every folder when `null`. */
  folder: string | null;
  unread_only: boolean;
  /** Unix seconds, inclusive. */
  since: number | null;
  /** Unix seconds, exclusive. */
  until: number | null;
  /** Only messages with attachments. */
  with_attachments: boolean;
  /** Words the sender (name, address or author) must hold; '' for any. */
  from: string;
}

/** `sync-progress`: one folder's synchronisation moved on. */
export interface SyncProgress {
  box_address: string;
  folder: string;
  done: number;
  /** 0 while unknown. */
  total: number;
  finished: boolean;
}

/** `new-mail`: new messages arrived in a box's inbox. */
export interface NewMail {
  box_address: string;
  box_display_name: string;
  count: number;
}

/** `outbox-changed`: messages waiting to be sent, and refused ones. */
export interface OutboxChanged {
  queued: number;
  failed: number;
}

/** `connection`: whether the operator's servers are reachable. */
export interface Connection {
  online: boolean;
}

/** `session-ended`: the person must sign in again; `reason` is French. */
export interface SessionEnded {
  reason: string;
}

/** At start-up: a session behind the lock screen (always after a restart), or the open one. */
export interface Resumed {
  locked: boolean;
  info: SessionInfo | null;
}

/** A move the server confirmed, handed back as it came to undo it. */
export interface MoveDone {
  box_address: string;
  from_folder: number;
  to_folder: number;
  moved: number;
  /** The messages' ids in the destination; empty: the move cannot be undone. */
  moved_ids: number[];
}

/** `folders-changed`: a box's folders were created, renamed or deleted. */
export interface FoldersChanged {
  box_address: string;
}

/** `messages`: rows of a folder added, changed (flags, claims) or gone, by anyone. */
export interface MessagesEvent {
  change: 'added' | 'changed' | 'expunged';
  box_address: string;
  folder_id: number;
  ids: number[];
}

/** `box-error`: a box could not be synchronised or watched; `message` is French. */
export interface BoxError {
  box_address: string;
  message: string;
}

/** A link clicked in a message (`link-requested`): a web link to confirm, or a `mailto:`. */
export interface LinkRequest {
  url: string;
  host: string;
  mailto: string | null;
}

// ─── Composer, outbox, settings, lock (mirrors the second half of dto.rs) ─────────────

/** A file held for the composer on the Rust side. */
export interface HeldAttachment {
  token: number;
  filename: string;
  content_type: string;
  size: number;
}

/** The patient of a message in « Patient (INS) » mode, as typed. */
export interface PatientInput {
  ins: string;
  birth_name: string;
  first_names: string;
  /** `YYYY-MM-DD`. */
  birth_date: string;
  /** `F`, `M` or `I`. */
  sex: string;
  /** INSEE code of the place of birth. */
  birthplace: string;
}

export interface ComposeRequest {
  from_box: string;
  to: AddressView[];
  cc: AddressView[];
  bcc: AddressView[];
  subject: string;
  body: string;
  quoted: string | null;
  attachments: number[];
  delivery_receipt: boolean;
  read_receipt: boolean;
  allow_outside: boolean;
  patient: PatientInput | null;
  close_conversation: boolean;
  in_reply_to: string | null;
  references: string[];
  draft_id: number | null;
}

/** A reply or forward pre-filled by the engine. */
export interface ComposeView {
  from_box: string;
  to: AddressView[];
  cc: AddressView[];
  bcc: AddressView[];
  subject: string;
  /** The person's words so far (a reopened draft; empty for a reply or forward). */
  text: string;
  quoted: string | null;
  attachments: HeldAttachment[];
  in_reply_to: string | null;
  references: string[];
  /** The local draft this message goes on, when it is a reopened draft. */
  draft_id: number | null;
}

/** An IHE XDM package as relais-mail reads it (patient from METADATA.XML, documents). */
export interface XdmPackageView {
  subset: string;
  patient: {
    id: string | null;
    id_oid: string | null;
    ins: string | null;
    family_name: string | null;
    given_names: string | null;
    birth_date: string | null;
    birth_date_fr: string | null;
    sex: string | null;
  };
  documents: {
    path: string;
    title: string | null;
    mime_type: string | null;
    cda_code: string | null;
    text: string;
    html: string | null;
    size: number;
  }[];
  other_files: string[];
}

/** An operator found by DNS SRV for what the person typed, shown before it is used. */
export interface DiscoveredOperator {
  domain: string;
  /** « imap.example.fr:993 (TLS) ». */
  imap: string;
  submission: string;
}

/** One line of « Suivi » under a sent message: what came back about it. */
export interface ReturnedView {
  /** The report message, to open it as it came. */
  report: number;
  /** When it came (unix seconds). */
  at: number;
  state: 'delivered' | 'read' | 'failed' | 'delayed' | 'other';
  summary: string;
  /** What to do, when something is to be done. */
  advice: string | null;
}

/** A draft kept only on this computer (not yet in the box's Drafts folder). */
export interface LocalDraftView {
  id: number;
  box_address: string;
  subject: string;
  to: string[];
  /** Last saved (unix seconds). */
  updated_at: number;
}

export interface DraftSavedView {
  id: number;
  server_error: string | null;
}

export interface SendOutcome {
  sent: boolean;
  state: string;
  message_id: string;
  error: string | null;
  /** Its outbox row, for « Annuler l'envoi ». */
  outbox_id: number;
  /** Undo send: held until then (unix seconds), « Annuler l'envoi » offered meanwhile. */
  held_until: number | null;
}

export interface SendLimits {
  per_attachment: number;
  per_message: number | null;
  patient_message: number;
}

export interface InsCheck {
  valid: boolean;
  formatted: string | null;
  address: string | null;
  kind: string | null;
  /** The French message of `Ins::parse`. */
  error: string | null;
}

export interface PatientCheck {
  ins: InsCheck;
  birth_name_error: string | null;
  first_names_error: string | null;
  birth_date_error: string | null;
  sex_error: string | null;
  birthplace_error: string | null;
  summary: string | null;
}

export interface OutboxRowView {
  id: number;
  box_address: string;
  subject: string;
  state: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: number;
  /** Undo send: held until then (unix seconds), not yet tried. */
  held_until: number | null;
}

export interface AppSettings {
  lock_minutes: number;
  language: 'fr' | 'en';
  download_dir: string | null;
  /** Undo send delay in seconds (0–60, 0: off); `null`: the default (10 s). */
  undo_send_seconds: number | null;
}

export interface SettingsView {
  settings: AppSettings;
  /** The delay applied, in seconds (`RELAIS_LOCK_SECONDS` overrides the setting). */
  lock_seconds: number;
  lock_from_env: boolean;
  default_download_dir: string;
  /** The undo-send delay applied, in seconds. */
  undo_send_seconds: number;
}

export interface BoxSignatureView {
  box_address: string;
  signature: string | null;
  effective: string;
  title: string | null;
  entity: string | null;
  patient_facing_name: string;
}

export interface LockInfo {
  display_name: string;
  login: string;
  method: 'password' | 'ecps';
}

// Command arguments follow Tauri's default: a Rust parameter `box_address` is sent as
// `boxAddress`. The payloads themselves (DTOs) stay snake_case.
export const api = {
  appInfo: () => call<AppInfo>('app_info'),
  discoverOperator: (typed: string) => call<DiscoveredOperator>('discover_operator', { typed }),
  demoPersonas: () => call<DemoPersona[]>('demo_personas'),
  signInPassword: (request: PasswordSignIn) =>
    call<SessionInfo>('sign_in_password', { request }),
  signInEcps: (request: EcpsSignIn) => call<SessionInfo>('sign_in_ecps', { request }),
  sessionInfo: () => call<SessionInfo>('session_info'),
  declareIdentity: (request: IdentityDeclaration) =>
    call<SessionInfo>('declare_identity', { request }),
  listFolders: (boxAddress: string) =>
    call<FolderView[]>('list_folders', { boxAddress }),
  listMessages: (boxAddress: string, folder: string, offset: number, limit: number) =>
    call<MessagePage>('list_messages', { boxAddress, folder, offset, limit }),
  getMessage: (id: number) => call<MessageView>('get_message', { id }),
  /** « Toutes les boîtes de réception »: every inbox, threaded, no cap. */
  unifiedInbox: (offset: number, limit: number) => call<MessagePage>('unified_inbox', { offset, limit }),
  /** The current rows of messages a `messages` event named. */
  messageRows: (ids: number[]) => call<MessageRow[]>('message_rows', { ids }),
  search: (request: SearchRequest, offset: number, limit: number) =>
    call<MessagePage>('search', { request, offset, limit }),
  setSeen: (id: number, seen: boolean) => call<void>('set_seen', { id, seen }),
  setFlagged: (id: number, flagged: boolean) => call<void>('set_flagged', { id, flagged }),
  deleteMessage: (id: number) => call<void>('delete_message', { id }),
  createFolder: (boxAddress: string, name: string) => call<void>('create_folder', { boxAddress, name }),
  renameFolder: (boxAddress: string, folder: string, newName: string) =>
    call<void>('rename_folder', { boxAddress, folder, newName }),
  deleteFolder: (boxAddress: string, folder: string) => call<void>('delete_folder', { boxAddress, folder }),
  /** Moves messages of one folder into `folder` (IMAP name) of the same box. */
  moveMessages: (ids: number[], boxAddress: string, folder: string) =>
    call<MoveDone>('move_messages', { ids, boxAddress, folder }),
  /** Moves back what `done` moved. */
  undoMove: (done: MoveDone) => call<MoveDone>('undo_move', { done }),
  /** The same message with its remote images allowed, for this opening only. */
  showRemoteImages: (id: number) => call<MessageView>('show_remote_images', { id }),
  /** The raw message (RFC 5322 text), for « Voir la source ». */
  messageSource: (id: number) => call<string>('message_source', { id }),
  syncNow: () => call<void>('sync_now'),
  /**
   * Refused with `pending_outgoing` while messages wait in the outbox or drafts exist only
   * here, unless `discardPending` (the person confirmed they are to be destroyed).
   */
  signOut: (discardPending = false) => call<void>('sign_out', { discardPending }),
  resumeSession: () => call<Resumed | null>('resume_session'),
  /** The person is active: the engine's inactivity lock counts from now. */
  touchSession: () => call<void>('touch_session'),
  checkIns: (text: string) => call<InsCheck>('check_ins', { text }),
  checkPatient: (patient: PatientInput) => call<PatientCheck>('check_patient', { patient }),
  knownAddresses: () => call<AddressView[]>('known_addresses'),
  sendLimits: () => call<SendLimits>('send_limits'),
  attachPath: (path: string) => call<HeldAttachment>('attach_path', { path }),
  /** The file's bytes go as the raw body of the call, not as JSON. */
  attachBytes: async (filename: string, contentType: string, bytes: Uint8Array) => {
    try {
      return await invoke<HeldAttachment>('attach_bytes', bytes, {
        headers: { 'x-filename': encodeURIComponent(filename), 'x-content-type': contentType },
      });
    } catch (error) {
      if (isCommandError(error)) throw new ApiError(error.code, error.message);
      throw new ApiError('internal', String(error));
    }
  },
  releaseAttachment: (token: number) => call<void>('release_attachment', { token }),
  composeReply: (id: number, all: boolean) => call<ComposeView>('compose_reply', { id, all }),
  /** « Reprendre le brouillon » on a message of a Drafts folder. */
  openDraft: (id: number) => call<ComposeView>('open_draft', { id }),
  localDrafts: (boxAddress: string) => call<LocalDraftView[]>('local_drafts', { boxAddress }),
  openLocalDraft: (id: number) => call<ComposeView>('open_local_draft', { id }),
  discardDraft: (id: number) => call<void>('discard_draft', { id }),
  /** ECO.3.1.6: whether a message asks for a read receipt and what the person chose. */
  readReceiptState: (id: number) => call<ReadReceiptState>('read_receipt_state', { id }),
  /** The person's answer: send the receipt, or not; never automatic, remembered. */
  answerReadReceipt: (id: number, send: boolean) =>
    call<ReadReceiptState>('answer_read_receipt', { id, send }),
  composeForward: (id: number, asAttachment: boolean) =>
    call<ComposeView>('compose_forward', { id, asAttachment }),
  signature: (boxAddress: string) => call<string>('signature', { boxAddress }),
  saveDraft: (request: ComposeRequest) => call<DraftSavedView>('save_draft', { request }),
  sendMessage: (request: ComposeRequest) => call<SendOutcome>('send_message', { request }),
  /** « Annuler l'envoi »: the held message comes back as a draft. */
  recallSend: (id: number) => call<ComposeView>('recall_send', { id }),
  exportMessage: (id: number) => call<string>('export_message', { id }),
  xdmPackage: (id: number, index: number) => call<XdmPackageView>('xdm_package', { id, index }),
  returnedReports: (id: number) => call<ReturnedView[]>('returned_reports', { id }),
  reportSummaries: (id: number) => call<string[]>('report_summaries', { id }),
  saveAllAttachments: (id: number) => call<string[]>('save_all_attachments', { id }),
  outbox: () => call<OutboxRowView[]>('outbox'),
  outboxCounts: () => call<OutboxChanged>('outbox_counts'),
  retryOutbox: () => call<OutboxChanged>('retry_outbox'),
  sendOutboxNow: (id: number) => call<OutboxRowView>('send_outbox_now', { id }),
  removeOutbox: (id: number) => call<boolean>('remove_outbox', { id }),
  getSettings: () => call<SettingsView>('get_settings'),
  setSettings: (settings: AppSettings) => call<SettingsView>('set_settings', { settings }),
  boxSignature: (boxAddress: string) => call<BoxSignatureView>('box_signature', { boxAddress }),
  setBoxSignature: (boxAddress: string, signature: string | null, title: string | null, entity: string | null) =>
    call<BoxSignatureView>('set_box_signature', { boxAddress, signature, title, entity }),
  saveAttachment: (id: number, index: number) => call<string>('save_attachment', { id, index }),
  openAttachment: (id: number, index: number) => call<void>('open_attachment', { id, index }),
  /** A `data:` URL, for images only. */
  previewAttachment: (id: number, index: number) =>
    call<string>('preview_attachment', { id, index }),
  lockSession: () => call<void>('lock_session'),
  lockInfo: () => call<LockInfo>('lock_info'),
  unlockPassword: (password: string) => call<SessionInfo>('unlock_password', { password }),
  unlockEcps: () => call<SessionInfo>('unlock_ecps'),
  collabSupport: (boxAddress: string) => call<CollabSupportView>('collab_support', { boxAddress }),
  degradedFeatures: (boxAddress: string) => call<DegradedFeature[]>('degraded_features', { boxAddress }),
  claim: (id: number, force: boolean) => call<StatusOutcome>('claim', { id, force }),
  release: (id: number, force: boolean) => call<StatusOutcome>('release', { id, force }),
  markDone: (id: number, done: boolean) => call<StatusOutcome>('mark_done', { id, done }),
  listByStatus: (boxAddress: string, folder: string, filter: StatusFilter, offset: number, limit: number) =>
    call<MessagePage>('list_by_status', { boxAddress, folder, filter, offset, limit }),
  statusCounts: (boxAddress: string, folder: string) =>
    call<StatusCounts>('status_counts', { boxAddress, folder }),
  conversation: (boxAddress: string, correspondent: string) =>
    call<ConversationView>('conversation', { boxAddress, correspondent }),
  directoryInfo: () => call<DirectoryStateView>('directory_info'),
  directoryImport: (path: string) => call<DirectoryImportEnd>('directory_import', { path }),
  /** A file chosen in the webview: its bytes go as the raw body of the call. */
  directoryImportBytes: async (bytes: Uint8Array) => {
    try {
      return await invoke<DirectoryImportEnd>('directory_import_bytes', bytes);
    } catch (error) {
      if (isCommandError(error)) throw new ApiError(error.code, error.message);
      throw new ApiError('internal', String(error));
    }
  },
  directorySearch: (text: string) => call<DirectoryEntry[]>('directory_search', { text }),
  directoryHint: (address: string) => call<string | null>('directory_hint', { address }),
  /**
   * Cold-start benchmark: `signin` / `list` painted, `mailbox` (session resumed, the mailbox
   * screen mounted) — a no-op unless `RELAIS_PAINTED_MARKER` is set.
   */
  painted: (kind: 'list' | 'signin' | 'mailbox') => call<void>('painted', { kind }),
  /** Benchmark: whether the window plays its interactions (lib/benchInteractions.ts). */
  benchInteractions: () => call<boolean>('bench_interactions'),
  /** Benchmark: one measure taken in the window (a no-op outside the benchmark). */
  benchTook: (name: string, ms: number) => call<void>('bench_took', { name, ms }),
  /** Opens `url` in the system browser, never inside the app's window. */
  openExternal: (url: string) => call<void>('plugin:opener|open_url', { url }),
};

/** Events the back end emits, by name, with their payloads. */
export interface AppEvents {
  'sync-progress': SyncProgress;
  'new-mail': NewMail;
  'outbox-changed': OutboxChanged;
  connection: Connection;
  'session-ended': SessionEnded;
  'session-locked': null;
  'session-unlocked': null;
  synchronised: null;
  'box-error': BoxError;
  messages: MessagesEvent;
  'folders-changed': FoldersChanged;
  'link-requested': LinkRequest;
  'directory-progress': ImportProgress;
  'directory-done': DirectoryImportEnd;
}

/** Files dropped on the window (paths), while `handler` is registered. */
export async function onFileDrop(handler: (event: { kind: 'over' | 'drop' | 'leave'; paths: string[] }) => void): Promise<UnlistenFn> {
  const { getCurrentWebview } = await import('@tauri-apps/api/webview');
  return getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    if (payload.type === 'drop') handler({ kind: 'drop', paths: payload.paths });
    else if (payload.type === 'leave') handler({ kind: 'leave', paths: [] });
    else handler({ kind: 'over', paths: [] });
  });
}

export function onEvent<K extends keyof AppEvents & string>(
  name: K,
  handler: (payload: AppEvents[K]) => void,
): Promise<UnlistenFn> {
  return listen<AppEvents[K]>(name, (event) => handler(event.payload));
}
