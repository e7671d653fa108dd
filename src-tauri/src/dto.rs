//! The data the engine hands to the UI: command results, command arguments and event
//! payloads. This file is the contract between the Rust side and `ui/src/lib/api.ts`,
//! which mirrors every type here field by field; change both together.
//!
//! Conventions:
//! - field and variant names are `snake_case` on the wire, exactly as written here;
//! - dates are Unix timestamps in seconds (UTC), formatted by the UI in local time;
//! - `Option` is `null` in JSON, never a missing key;
//! - texts meant for display (`display_name`, `malformed_note`, `reason`) are French.
//!
//! Commands (all `async`, failing with `CommandError { code, message }`):
//!
//! | command | arguments | result |
//! |---|---|---|
//! | `sign_in_password` | `request: PasswordSignIn` | [`SessionInfo`] |
//! | `sign_in_ecps` | `request: EcpsSignIn` | [`SessionInfo`] |
//! | `session_info` | — | [`SessionInfo`] |
//! | `list_folders` | `box_address: String` | `Vec<`[`FolderView`]`>` |
//! | `list_messages` | `box_address, folder: String, offset, limit: u32` | [`MessagePage`] |
//! | `unified_inbox` | `offset, limit: u32` | [`MessagePage`] (every inbox, threaded, no cap) |
//! | `message_rows` | `ids: Vec<i64>` | `Vec<`[`MessageRow`]`>` (the current rows of messages an event named) |
//! | `get_message` | `id: i64` | [`MessageView`] |
//! | `search` | `request: `[`SearchRequest`]`, offset, limit: u32` | [`MessagePage`] |
//! | `set_seen` | `id: i64, seen: bool` | `()` |
//! | `set_flagged` | `id: i64, flagged: bool` | `()` |
//! | `delete_message` | `id: i64` | `()` |
//! | `sync_now` | — | `()` |
//! | `sign_out` | `discard_pending: bool` | `()` (refused with `pending_outgoing` while mail waits) |
//! | `resume_session` | — | `Option<`[`Resumed`]`>` |
//! | `touch_session` | — | `()` |
//! | `check_ins` | `text` | [`InsCheck`] |
//! | `check_patient` | `patient: `[`PatientInput`] | [`PatientCheck`] |
//! | `known_addresses` | — | `Vec<`[`AddressView`]`>` |
//! | `send_limits` | — | [`SendLimits`] |
//! | `attach_path` | `path` | [`HeldAttachment`] |
//! | `attach_bytes` | raw body, headers `x-filename`, `x-content-type` | [`HeldAttachment`] |
//! | `release_attachment` | `token: u64` | `()` |
//! | `compose_reply` | `id: i64, all: bool` | [`ComposeView`] |
//! | `compose_forward` | `id: i64, as_attachment: bool` | [`ComposeView`] |
//! | `signature` | `box_address` | `String` |
//! | `save_draft` | `request: `[`ComposeRequest`] | [`DraftSavedView`] |
//! | `send_message` | `request: `[`ComposeRequest`] | [`SendOutcome`] |
//! | `outbox` / `outbox_counts` / `retry_outbox` | — | `Vec<`[`OutboxRowView`]`>` / [`OutboxChanged`] |
//! | `send_outbox_now` / `remove_outbox` | `id: i64` | [`OutboxRowView`] / `bool` |
//! | `save_attachment` / `open_attachment` | `id: i64, index: u32` | saved path / `()` |
//! | `preview_attachment` | `id: i64, index: u32` | `data:` URL (images only) |
//! | `get_settings` / `set_settings` | — / `settings: `[`AppSettings`] | [`SettingsView`] |
//! | `box_signature` / `set_box_signature` | `box_address` / `+ signature` | [`BoxSignatureView`] |
//! | `lock_session` / `lock_info` | — | `()` / [`LockInfo`] |
//! | `unlock_password` | `password` | [`SessionInfo`] |
//! | `unlock_ecps` | — | [`SessionInfo`] |
//!
//! Command arguments keep Tauri's default naming: plain `#[tauri::command]`, the UI sends
//! the Rust parameter `box_address` as `boxAddress`. Only the DTOs are snake_case.
//!
//! Events (names in the `EVENT_*` constants): `sync-progress` [`SyncProgress`],
//! `new-mail` [`NewMail`], `outbox-changed` [`OutboxChanged`], `connection`
//! [`Connection`], `session-ended` [`SessionEnded`], `link-requested` [`LinkRequest`].

use serde::{Deserialize, Serialize};

/// Event: progress of the synchronisation of one folder.
pub const EVENT_SYNC_PROGRESS: &str = "sync-progress";
/// Event: new messages arrived in a box.
pub const EVENT_NEW_MAIL: &str = "new-mail";
/// Event: the outbox changed (queued or failed counts).
pub const EVENT_OUTBOX_CHANGED: &str = "outbox-changed";
/// Event: the servers became reachable or unreachable.
pub const EVENT_CONNECTION: &str = "connection";
/// Event: the session ended (refresh refused, signed out elsewhere…).
pub const EVENT_SESSION_ENDED: &str = "session-ended";
/// The engine locked the session (its inactivity timer, or the person): show the lock screen.
pub const EVENT_SESSION_LOCKED: &str = "session-locked";
/// The person signed in again behind the lock.
pub const EVENT_SESSION_UNLOCKED: &str = "session-unlocked";
/// The first synchronisation of every box is over.
pub const EVENT_SYNCHRONISED: &str = "synchronised";
/// A box could not be synchronised or watched: [`BoxError`].
pub const EVENT_BOX_ERROR: &str = "box-error";
/// Rows added, changed or gone in a folder: [`MessagesEvent`].
pub const EVENT_MESSAGES: &str = "messages";
/// A box's folders were created, renamed or deleted: [`FoldersChanged`].
pub const EVENT_FOLDERS_CHANGED: &str = "folders-changed";
/// Event: a link was clicked in a message ([`LinkRequest`]).
pub const EVENT_LINK_REQUESTED: &str = "link-requested";

/// A link clicked in a message, for the UI to confirm (web) or to compose (`mailto:`).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub struct LinkRequest {
    /// The real target, in full.
    pub url: String,
    /// Its host, shown apart so that a look-alike name stands out (empty for `mailto:`).
    pub host: String,
    /// The address of a `mailto:` link.
    pub mailto: Option<String>,
}

/// Who is signed in and which boxes they may open; returned by the sign-in commands
/// and by `session_info`.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SessionInfo {
    /// The authenticated person (never the box).
    pub person: PersonView,
    /// Every box the person may open: their own box first, then shared boxes by name.
    pub boxes: Vec<BoxView>,
    /// True when the person has no nominative box and works only in service boxes.
    pub no_nominative_box: bool,
    /// What the discovery of the boxes could not do, in French (shown once after sign-in;
    /// empty for a resumed session).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The authenticated person, as shown in the top bar and in the author line.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct PersonView {
    /// « Marie MARTIN ».
    pub display_name: String,
    /// `8` + RPPS or `0` + ADELI; `None` for staff without one (e.g. care assistants).
    pub national_id: Option<String>,
    /// The identifier the person signed in with.
    pub login: String,
    /// Address of the person's nominative box, when they have one.
    pub own_box: Option<String>,
    /// The names are only what the person declared (no directory knows them): shown
    /// « déclaré » wherever the author is shown.
    pub declared: bool,
    /// No directory knows the person and they have not declared their names yet: the
    /// window asks them once (`declare_identity`).
    pub needs_identity: bool,
}

/// The kind of an MSSanté box.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BoxKindView {
    /// BAL personnelle.
    Nominative,
    /// BAL organisationnelle (de service), shared by a team.
    Organisational,
    /// BAL applicative (software sending automatically).
    Applicative,
}

/// One box the person may open, with what they may do in it.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct BoxView {
    /// The box's address (its `From:` when sending).
    pub address: String,
    /// Nominative, organisational or applicative.
    pub kind: BoxKindView,
    /// « Secrétariat de cardiologie ».
    pub display_name: String,
    /// The person's IMAP rights on the box (RFC 4314), canonical order, e.g. `lrswipkxtea`.
    pub rights: String,
    /// Whether the person may send as this box.
    pub can_send: bool,
    /// Whether the person may delete messages in this box.
    pub can_delete: bool,
    /// Unread messages in the box's inbox.
    pub unread: u32,
}

/// What a special folder is for (IMAP SPECIAL-USE, RFC 6154, plus INBOX).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FolderRole {
    /// INBOX.
    Inbox,
    /// `\Sent`.
    Sent,
    /// `\Drafts`.
    Drafts,
    /// `\Trash`.
    Trash,
    /// `\Junk`.
    Junk,
}

/// One folder of a box. `list_folders` returns them in tree order (a parent, then its
/// children), special folders first.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct FolderView {
    /// The box the folder belongs to.
    pub box_address: String,
    /// The IMAP name, as passed back to `list_messages` (`INBOX`, `Sent`, `INBOX/Archives`).
    pub name: String,
    /// The whole name as the person reads it (`Classés/Cardiologie`): what a new name or a
    /// subfolder is built from.
    pub path: String,
    /// The name to show: the French role name for special folders (« Boîte de réception »,
    /// « Envoyés », « Brouillons », « Corbeille », « Indésirables »), else the last part of
    /// the IMAP name, decoded.
    pub display_name: String,
    /// The special use, if any.
    pub role: Option<FolderRole>,
    /// Nesting level: 0 for a top-level folder, 1 for its children…
    pub depth: u32,
    /// Unread messages in the folder.
    pub unread: u32,
    /// All messages in the folder.
    pub total: u32,
}

/// One line of a message list.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct MessageRow {
    /// The engine's stable identifier for the message (local store id).
    pub id: i64,
    /// The box holding the message.
    pub box_address: String,
    /// The IMAP folder name holding the message.
    pub folder: String,
    /// IMAP UID in that folder.
    pub uid: u32,
    /// Display name of `From:`, if any.
    pub from_name: Option<String>,
    /// Address of `From:`.
    pub from_addr: String,
    /// The sender is a patient writing from Mon espace santé (`patient.mssante.fr`).
    pub from_patient: bool,
    /// The subject carried the `XDM/1.0/DDM+` prefix (a document for the DMP); `subject`
    /// is shown without it.
    pub dmp_document: bool,
    /// It closes the patient conversation (`X-MSS-MES: FIN`): « Close » in the list.
    pub closed: bool,
    /// Decoded subject; empty when there is none.
    pub subject: String,
    /// Date of the message (Unix seconds): `Date:` header, else the arrival date.
    pub date: i64,
    /// `\Seen`.
    pub seen: bool,
    /// `\Flagged`.
    pub flagged: bool,
    /// `\Answered`.
    pub answered: bool,
    /// Whether the message has attachments.
    pub has_attachments: bool,
    /// Who in the service wrote the message (from `X-Relais-Author`), when present.
    pub author_name: Option<String>,
    /// The thread the message belongs to, if the engine threaded it.
    pub thread_id: Option<i64>,
    /// Number of messages of that thread in this listing (1 when alone).
    pub thread_size: u32,
    /// The shared status (« Pris en charge par … », « Traité »), when there is one.
    #[serde(default)]
    pub status: Option<StatusView>,
    /// « Répondu par Pierre DURAND, 14:32 » when an answer from the box exists.
    #[serde(default)]
    pub answered_by: Option<String>,
}

/// The shared status of a message in a box (claims as IMAP keywords, see
/// `docs/collaboration.md`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub struct StatusView {
    /// The badge: « Pris en charge par Marie MARTIN », « Traité par vous », « Traité »; `None`
    /// for a message to handle.
    pub label: Option<String>,
    /// The claimant's name (« Marie MARTIN »), « un·e collègue » when unknown.
    pub claimed_by: Option<String>,
    /// The claim is the signed-in person's.
    pub mine: bool,
    /// « Traité ».
    pub done: bool,
}

/// A window of a message listing (`list_messages`, `search`).
///
/// Order: newest thread first (a thread dates from its newest message); the messages of a
/// thread are **contiguous**, newest first. The UI collapses a thread by hiding the
/// `thread_size - 1` rows that follow its first row.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct MessagePage {
    /// Number of rows in the whole listing.
    pub total: u32,
    /// Index of `rows[0]` in the listing.
    pub offset: u32,
    /// At most `limit` rows from `offset`.
    pub rows: Vec<MessageRow>,
}

/// A mail address with its display name.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct AddressView {
    /// Display name, when the header has one.
    pub name: Option<String>,
    /// The address itself.
    pub address: String,
}

/// The person who wrote a message sent from a shared box (`X-Relais-Author`).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct AuthorView {
    /// « Marie MARTIN ».
    pub display_name: String,
    /// `8` + RPPS or `0` + ADELI, when the author has one.
    pub national_id: Option<String>,
    /// The author's own box, when they have one.
    pub address: Option<String>,
}

/// One attachment of a message.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct AttachmentView {
    /// Position among the message's attachments, for the commands that open or save it.
    pub index: u32,
    /// Decoded file name (the engine invents one when the part has none).
    pub filename: String,
    /// MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
}

/// A message opened in the reader. `get_message` does not change `\Seen`: the UI calls
/// `set_seen` itself.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct MessageView {
    /// The same line as in the list, with fresh flags.
    pub row: MessageRow,
    /// `To:` recipients.
    pub to: Vec<AddressView>,
    /// `Cc:` recipients.
    pub cc: Vec<AddressView>,
    /// The author from `X-Relais-Author`, when present and valid.
    pub author: Option<AuthorView>,
    /// The plain-text body, when there is one (or one derived from the HTML).
    pub text: Option<String>,
    /// The HTML body, already sanitised by the engine (ammonia): no scripts, no event
    /// handlers, no forms; remote images replaced by placeholders; `cid:` images inlined
    /// as `data:` URLs or left as `cid:`.
    pub html: Option<String>,
    /// Whether the original HTML referred to remote content (images, styles) that was removed.
    pub has_remote_content: bool,
    /// Attachments, in message order.
    pub attachments: Vec<AttachmentView>,
    /// French explanation when the message could only be partly decoded.
    pub malformed_note: Option<String>,
    /// The `Message-ID` header, without angle brackets.
    pub message_id: Option<String>,
    /// The Ségur markers (patient, Mon espace santé, closed conversation, subject without
    /// `XDM/1.0/DDM+`), computed by relais-mail.
    pub marks: relais_mail::SegurMarks,
}

/// What to search for (`search`). Empty `text` matches every message that passes the
/// filters: the unified inbox is `{ text: "", box_address: None, folder: Some("INBOX") }`.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SearchRequest {
    /// Words to find in sender, recipients, subject and body.
    pub text: String,
    /// Only this box; every box of the session when `None`.
    pub box_address: Option<String>,
    /// Only this folder (IMAP name); every folder when `None`.
    pub folder: Option<String>,
    /// Only messages without `\Seen`.
    pub unread_only: bool,
    /// Messages dated at or after this time (Unix seconds).
    pub since: Option<i64>,
    /// Messages dated before this time (Unix seconds).
    pub until: Option<i64>,
    /// Only messages with attachments.
    #[serde(default)]
    pub with_attachments: bool,
    /// Words the sender must hold (name, address or author).
    #[serde(default)]
    pub from: String,
}

/// Payload of `sync-progress`: one folder's synchronisation moved on.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SyncProgress {
    /// The box being synchronised.
    pub box_address: String,
    /// The folder being synchronised (IMAP name).
    pub folder: String,
    /// Messages fetched so far.
    pub done: u32,
    /// Messages to fetch in total (0 when unknown yet).
    pub total: u32,
    /// True on the last event of this folder's pass.
    pub finished: bool,
}

/// Payload of `new-mail`: new messages arrived in a box's inbox.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct NewMail {
    /// The box that received them.
    pub box_address: String,
    /// Its display name, for the announcement.
    pub box_display_name: String,
    /// How many arrived.
    pub count: u32,
}

/// Payload of `outbox-changed`: the messages waiting to be sent.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct OutboxChanged {
    /// Messages waiting to be sent (or retried).
    pub queued: u32,
    /// Messages the server refused for good, waiting for the user.
    pub failed: u32,
}

/// Payload of `connection`: whether the operator's servers are reachable.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct Connection {
    /// True when the engine can reach IMAP and SMTP.
    pub online: bool,
}

/// A box whose folder list changed.
#[derive(Debug, Clone, Serialize)]
pub struct FoldersChanged {
    pub box_address: String,
}

/// A box that could not be synchronised or watched, with the French reason.
#[derive(Debug, Clone, Serialize)]
pub struct BoxError {
    pub box_address: String,
    pub message: String,
}

/// Messages of one folder that appeared (`added`), changed (`changed`: read, flagged,
/// claimed… by this person or a colleague) or left it (`expunged`).
#[derive(Debug, Clone, Serialize)]
pub struct MessagesEvent {
    pub change: &'static str,
    pub box_address: String,
    pub folder_id: i64,
    pub ids: Vec<i64>,
}

/// What `resume_session` found at start-up: a session behind the lock screen (after a
/// restart, always), or the open session when the window was reloaded.
#[derive(Debug, Clone, Serialize)]
pub struct Resumed {
    pub locked: bool,
    pub info: Option<SessionInfo>,
}

/// Payload of `session-ended`: the person must sign in again.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SessionEnded {
    /// French explanation, shown on the sign-in screen.
    pub reason: String,
}

// ─── Composer, outbox, settings, lock (see compose.rs, settings.rs, lock.rs) ─────────

/// A file held for the composer on the Rust side; the UI refers to it by `token`.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct HeldAttachment {
    pub token: u64,
    pub filename: String,
    pub content_type: String,
    /// Bytes.
    pub size: u64,
}

/// The patient of a message in « Patient (INS) » mode, as typed.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub struct PatientInput {
    /// The matricule INS, spaces allowed.
    pub ins: String,
    pub birth_name: String,
    pub first_names: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// `F`, `M` or `I`.
    pub sex: String,
    /// INSEE code of the place of birth (5 characters).
    pub birthplace: String,
}

/// What the composer sends to `save_draft` and `send_message`.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct ComposeRequest {
    /// The box it is sent from.
    pub from_box: String,
    pub to: Vec<AddressView>,
    pub cc: Vec<AddressView>,
    pub bcc: Vec<AddressView>,
    pub subject: String,
    /// The person's words, with the signature line they may have edited.
    pub body: String,
    /// The quoted or forwarded text below, when replying or forwarding.
    pub quoted: Option<String>,
    /// Tokens of held attachments.
    pub attachments: Vec<u64>,
    pub delivery_receipt: bool,
    pub read_receipt: bool,
    /// The person confirmed sending outside the MSSanté trust space.
    pub allow_outside: bool,
    pub patient: Option<PatientInput>,
    /// `X-MSS-NIL: FIN` (patient mode only).
    pub close_conversation: bool,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The draft this message was saved as, once autosaved.
    pub draft_id: Option<i64>,
}

/// A reply or forward pre-filled by the engine.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct ComposeView {
    pub from_box: String,
    pub to: Vec<AddressView>,
    pub cc: Vec<AddressView>,
    pub bcc: Vec<AddressView>,
    pub subject: String,
    /// The person's words so far (a draft; empty for a reply or forward).
    pub text: String,
    pub quoted: Option<String>,
    pub attachments: Vec<HeldAttachment>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The local draft this message goes on (a reopened draft), saved and sent as such.
    pub draft_id: Option<i64>,
}

/// A draft kept only on this computer (not yet in the box's Drafts folder).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct LocalDraftView {
    pub id: i64,
    pub box_address: String,
    pub subject: String,
    /// The recipients' addresses, for the list line.
    pub to: Vec<String>,
    /// Last saved (unix seconds).
    pub updated_at: i64,
}

/// `save_draft`'s result.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct DraftSavedView {
    pub id: i64,
    /// Why the copy in the box's Drafts folder was not written (French), if it was not.
    pub server_error: Option<String>,
}

/// `send_message`'s result.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SendOutcome {
    /// The submission server accepted it.
    pub sent: bool,
    /// Outbox state: `done`, `submitted`, `queued`…
    pub state: String,
    pub message_id: String,
    /// Why it waits in the outbox (French).
    pub error: Option<String>,
    /// Its outbox row, for « Annuler l'envoi ».
    pub outbox_id: i64,
    /// Undo send: held until then (unix seconds), « Annuler l'envoi » offered meanwhile.
    pub held_until: Option<i64>,
}

/// Size limits checked before sending (bytes).
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SendLimits {
    pub per_attachment: u64,
    pub per_message: Option<u64>,
    pub patient_message: u64,
}

/// The live check of a matricule INS.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct InsCheck {
    pub valid: bool,
    /// `2 85 03 64 445 123 79`.
    pub formatted: Option<String>,
    /// `<INS>@patient.mssante.fr`.
    pub address: Option<String>,
    /// `nir` or `nia`.
    pub kind: Option<String>,
    /// The French message of `Ins::parse`.
    pub error: Option<String>,
}

/// The check of a patient's INS and identity traits, field by field.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct PatientCheck {
    pub ins: InsCheck,
    pub birth_name_error: Option<String>,
    pub first_names_error: Option<String>,
    pub birth_date_error: Option<String>,
    pub sex_error: Option<String>,
    pub birthplace_error: Option<String>,
    /// « DUBOIS Camille, née le 14/03/1985 (F), lieu de naissance 64445 » when all is valid.
    pub summary: Option<String>,
}

/// One message of the outbox that has not left yet.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct OutboxRowView {
    pub id: i64,
    pub box_address: String,
    pub subject: String,
    /// `queued`, `submitting`, `submitted`, `appending` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    /// Undo send: held until then (unix seconds), not yet tried.
    pub held_until: Option<i64>,
}

/// The app's own settings (not per box).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub struct AppSettings {
    /// Minutes without input before the window locks (1–240; default 10).
    pub lock_minutes: u32,
    /// `fr` or `en`.
    pub language: String,
    /// Where attachments are saved; the system's download folder when `None`.
    pub download_dir: Option<String>,
    /// Undo send: seconds a sent message waits while « Annuler l'envoi » is offered (0–60;
    /// 0 turns it off). `None`: the default, 10 s. Absent from older settings files.
    #[serde(default)]
    pub undo_send_seconds: Option<u32>,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            lock_minutes: 10,
            language: "fr".to_owned(),
            download_dir: None,
            undo_send_seconds: None,
        }
    }
}

/// The settings with what they resolve to on this computer.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct SettingsView {
    pub settings: AppSettings,
    /// The delay actually applied, in seconds (`RELAIS_LOCK_SECONDS` overrides the setting).
    pub lock_seconds: u32,
    /// True when `RELAIS_LOCK_SECONDS` sets the delay.
    pub lock_from_env: bool,
    /// The folder used when `download_dir` is `None`.
    pub default_download_dir: String,
    /// The undo-send delay actually applied, in seconds.
    pub undo_send_seconds: u32,
}

/// A box's signature line.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct BoxSignatureView {
    pub box_address: String,
    /// The configured line (`{name}` stands for the sender), `None` for the default.
    pub signature: Option<String>,
    /// The line the signed-in person gets now.
    pub effective: String,
    /// The person's title in the name a patient sees (« Dr »), `None` when not set.
    pub title: Option<String>,
    /// The entity in that name (« CH de Démo »), `None` for the default.
    pub entity: Option<String>,
    /// What a patient sees in `From:` (ECO.2.2.7), e.g. « Dr_Marie_MARTIN_CH de Démo ».
    pub patient_facing_name: String,
}

/// Who must sign in again to unlock the window.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct LockInfo {
    pub display_name: String,
    pub login: String,
    /// `password` or `ecps`: how the person signed in.
    pub method: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_snake_case_with_nulls() {
        let row = MessageRow {
            id: 7,
            box_address: "secretariat.cardio@ch-demo.mssante.fr".to_owned(),
            folder: "Sent".to_owned(),
            uid: 42,
            from_name: None,
            from_addr: "secretariat.cardio@ch-demo.mssante.fr".to_owned(),
            subject: "Compte rendu".to_owned(),
            date: 1_700_000_000,
            seen: true,
            flagged: false,
            answered: false,
            has_attachments: true,
            author_name: Some("Marie MARTIN".to_owned()),
            thread_id: None,
            thread_size: 1,
            status: None,
            answered_by: None,
            from_patient: false,
            dmp_document: false,
            closed: false,
        };
        let json = serde_json::to_value(&row).expect("serialisable");
        assert_eq!(json["box_address"], "secretariat.cardio@ch-demo.mssante.fr");
        assert_eq!(json["author_name"], "Marie MARTIN");
        assert!(json["from_name"].is_null());
        assert!(json["thread_id"].is_null());

        let folder = FolderView {
            box_address: row.box_address.clone(),
            name: "Sent".to_owned(),
            path: "Sent".to_owned(),
            display_name: "Envoyés".to_owned(),
            role: Some(FolderRole::Sent),
            depth: 0,
            unread: 0,
            total: 1,
        };
        let json = serde_json::to_value(&folder).expect("serialisable");
        assert_eq!(json["role"], "sent");
        assert_eq!(
            serde_json::to_value(BoxKindView::Organisational).expect("serialisable"),
            "organisational"
        );
    }

    #[test]
    fn search_request_reads_what_the_ui_sends() {
        let request: SearchRequest = serde_json::from_str(
            r#"{"text":"","box_address":null,"folder":"INBOX","unread_only":true,"since":null,"until":1700000000}"#,
        )
        .expect("the UI's shape");
        assert_eq!(request.folder.as_deref(), Some("INBOX"));
        assert!(request.unread_only);
        assert_eq!(request.until, Some(1_700_000_000));
    }
}

// ─── Shared box: claims, filters, conversations ─────────────────────────────────────────

/// Whether a box can hold the shared status (`collab_support`).
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct CollabSupportView {
    pub box_address: String,
    /// Claims and « Traité » are possible (keywords kept, `w` right).
    pub enabled: bool,
    pub keywords: bool,
    pub condstore: bool,
    pub can_write: bool,
    /// Why it is off or weaker, in French.
    pub message: Option<String>,
}

/// The counters next to the filters (`status_counts`).
#[derive(Serialize, Clone, Debug, Default)]
#[serde(rename_all = "snake_case")]
pub struct StatusCounts {
    pub all: u64,
    pub to_handle: u64,
    pub mine: u64,
    pub done: u64,
}

/// The outcome of a claim, a release or « Traité ».
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct StatusOutcome {
    pub id: i64,
    /// The status now; on a refusal, the status that holds.
    pub status: StatusView,
    /// `None` when done; `already_claimed` (a colleague holds it: confirm, then force),
    /// `keywords_unsupported`, `busy`, or an engine error code.
    pub refused: Option<String>,
    /// French explanation of the refusal (« Déjà pris en charge par Sophie BERNARD. »).
    pub message: Option<String>,
    /// The colleague who holds it, for `already_claimed`.
    pub claimant: Option<String>,
}

/// One message of a conversation.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct ConversationMessageView {
    pub id: i64,
    pub folder: String,
    pub outgoing: bool,
    pub subject: String,
    pub from_name: Option<String>,
    pub from_addr: Option<String>,
    /// Who in the service wrote an outgoing message.
    pub author: Option<String>,
    pub date: i64,
    pub seen: bool,
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct ConversationThreadView {
    pub subject: String,
    pub last_date: i64,
    pub messages: Vec<ConversationMessageView>,
}

/// Everything the box exchanged with one correspondent (`conversation`).
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct ConversationView {
    pub box_address: String,
    pub correspondent: String,
    pub threads: Vec<ConversationThreadView>,
}

// ─── Annuaire Santé ────────────────────────────────────────────────────────────────────

/// Event: progress of a directory import ([`relais_directory::ImportProgress`]).
pub const EVENT_DIRECTORY_PROGRESS: &str = "directory-progress";
/// Event: a directory import ended ([`DirectoryImportEnd`]).
pub const EVENT_DIRECTORY_DONE: &str = "directory-done";

/// The end of an import: its report, or the French reason it failed.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct DirectoryImportEnd {
    pub report: Option<relais_directory::ImportReport>,
    pub error: Option<String>,
    pub info: Option<relais_directory::DirectoryInfo>,
}

/// What Settings shows about the directory (`directory_info`).
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "snake_case")]
pub struct DirectoryStateView {
    pub info: Option<relais_directory::DirectoryInfo>,
    /// An import is running.
    pub importing: bool,
    /// The last progress of the running import.
    pub progress: Option<relais_directory::ImportProgress>,
}
