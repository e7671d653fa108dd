//! Messages of a folder: envelopes, flags, structure, author, threads, and bodies cached on
//! demand.
//!
//! The engine inserts what it fetched with [`Store::insert_messages`] (a whole batch in one
//! transaction), applies flag changes with [`Store::update_flags`] and expunges with
//! [`Store::remove_uids`]. Message content of a UID never changes in IMAP, so inserting a UID
//! that is already stored only refreshes its flags and mod-sequence.
//!
//! Threads: a new message joins the thread of the first stored message of the same box whose
//! Message-ID is its own (a copy in another folder), its `In-Reply-To`, or one of its
//! `References` (most recent first); otherwise it starts a thread whose id is its own id.
//! A reply stored before the message it answers keeps its own thread.

use std::fmt;

use relais_core::{Author, BoxAddress, NationalId};
use rusqlite::{params, OptionalExtension, Row, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::Context;
use crate::folders::{opt_u32, FolderId};
use crate::{bare_message_id, from_json, to_json, Result, Store, StoreError};

/// Row id of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A name and address as found in a received header (`From`, `To`, `Cc`).
///
/// Kept as text, not as a [`BoxAddress`]: mail from outside the trust space may carry
/// addresses that the domain type refuses, and the store must keep what the server said.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Mailbox {
    /// Display name, if any (« Dr Pierre DURAND »).
    pub name: Option<String>,
    /// The address as written.
    pub address: String,
}

impl Mailbox {
    /// A mailbox with a display name.
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> Mailbox {
        Mailbox {
            name: Some(name.into()),
            address: address.into(),
        }
    }

    /// The address as a validated [`BoxAddress`], when it is one.
    pub fn box_address(&self) -> Option<BoxAddress> {
        BoxAddress::parse(&self.address).ok()
    }
}

/// One MIME part in a message's body structure.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct MessagePart {
    /// IMAP part id (`1`, `1.2`…).
    pub part_id: String,
    /// `type/subtype`, lowercase (`application/pdf`).
    pub content_type: String,
    /// File name, if any.
    pub filename: Option<String>,
    /// Size in bytes as the server reports it (encoded).
    pub size: u64,
    /// Whether it is shown as an attachment.
    pub attachment: bool,
}

/// IMAP flags of a message: the system flags, and the keywords (`$Forwarded`, `$MDNSent`…).
/// `\Recent` is ignored (it is session state, not a flag to store).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Flags {
    /// `\Seen`.
    pub seen: bool,
    /// `\Answered`.
    pub answered: bool,
    /// `\Flagged`.
    pub flagged: bool,
    /// `\Deleted`.
    pub deleted: bool,
    /// `\Draft`.
    pub draft: bool,
    /// Every other flag, as given, without duplicates.
    pub keywords: Vec<String>,
}

impl Flags {
    /// Reads a space-separated IMAP flag list (`\Seen \Flagged $Forwarded`); parentheses are
    /// tolerated, system flags are case-insensitive.
    pub fn parse(text: &str) -> Flags {
        let mut flags = Flags::default();
        let cleaned = text.replace(['(', ')'], " ");
        for flag in cleaned.split_whitespace() {
            match flag.to_ascii_lowercase().as_str() {
                "\\seen" => flags.seen = true,
                "\\answered" => flags.answered = true,
                "\\flagged" => flags.flagged = true,
                "\\deleted" => flags.deleted = true,
                "\\draft" => flags.draft = true,
                "\\recent" => {}
                _ => {
                    if !flags.keywords.iter().any(|k| k.eq_ignore_ascii_case(flag)) {
                        flags.keywords.push(flag.to_owned());
                    }
                }
            }
        }
        flags
    }

    /// Only `\Seen`.
    pub fn seen() -> Flags {
        Flags {
            seen: true,
            ..Flags::default()
        }
    }

    /// The system flags, space separated, in a fixed order (`\Seen \Answered`).
    pub fn system_string(&self) -> String {
        let mut out = Vec::new();
        for (set, name) in [
            (self.seen, "\\Seen"),
            (self.answered, "\\Answered"),
            (self.flagged, "\\Flagged"),
            (self.deleted, "\\Deleted"),
            (self.draft, "\\Draft"),
        ] {
            if set {
                out.push(name);
            }
        }
        out.join(" ")
    }

    /// Whether a keyword is set (case-insensitive, as IMAP compares them).
    pub fn has_keyword(&self, keyword: &str) -> bool {
        self.keywords
            .iter()
            .any(|k| k.eq_ignore_ascii_case(keyword))
    }
}

impl fmt::Display for Flags {
    /// The whole IMAP flag list, system flags first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let system = self.system_string();
        let keywords = self.keywords.join(" ");
        match (system.is_empty(), keywords.is_empty()) {
            (false, false) => write!(f, "{system} {keywords}"),
            (false, true) => f.write_str(&system),
            _ => f.write_str(&keywords),
        }
    }
}

/// A message as fetched from the server, to insert in a folder.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NewMessage {
    /// IMAP UID in the folder.
    pub uid: u32,
    /// `Message-ID` (angle brackets optional).
    pub message_id: Option<String>,
    /// `In-Reply-To` (angle brackets optional).
    pub in_reply_to: Option<String>,
    /// `References`, oldest first (angle brackets optional).
    pub references: Vec<String>,
    /// Decoded subject.
    pub subject: String,
    /// `From`.
    pub from: Option<Mailbox>,
    /// `To`.
    pub to: Vec<Mailbox>,
    /// `Cc`.
    pub cc: Vec<Mailbox>,
    /// Date of the message (unix seconds): `Date:` or INTERNALDATE.
    pub date: i64,
    /// RFC822.SIZE.
    pub size: u64,
    /// Flags at fetch time.
    pub flags: Flags,
    /// MODSEQ at fetch time (CONDSTORE), if any.
    pub modseq: Option<u64>,
    /// Body structure summary.
    pub structure: Vec<MessagePart>,
    /// The author from `X-Relais-Author`, see [`NewMessage::author_from_header`].
    pub author: Option<Author>,
    /// It closes the patient conversation (`relais_mail::closes_conversation`).
    pub closes_conversation: bool,
}

impl NewMessage {
    /// The author named by an `X-Relais-Author` header value, or `None` when there is none
    /// or it is invalid (a malformed header must not stop a sync; it is simply not trusted).
    pub fn author_from_header(value: Option<&str>) -> Option<Author> {
        value.and_then(|v| Author::parse_header_value(v).ok())
    }

    /// Whether any part is an attachment.
    pub fn has_attachments(&self) -> bool {
        self.structure.iter().any(|part| part.attachment)
    }
}

/// A flag change reported by the server for one UID.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FlagUpdate {
    /// The UID.
    pub uid: u32,
    /// All its flags now.
    pub flags: Flags,
    /// Its MODSEQ now, if known (otherwise the stored one is kept).
    pub modseq: Option<u64>,
}

/// What a row of a message list needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    /// Row id.
    pub id: MessageId,
    /// Its folder.
    pub folder_id: FolderId,
    /// Its box.
    pub box_address: BoxAddress,
    /// IMAP UID.
    pub uid: u32,
    /// Subject.
    pub subject: String,
    /// `From`.
    pub from: Option<Mailbox>,
    /// Who wrote it, for the « Auteur » column (from `X-Relais-Author`).
    pub author: Option<Author>,
    /// Unix seconds.
    pub date: i64,
    /// Bytes.
    pub size: u64,
    /// `\Seen`.
    pub seen: bool,
    /// `\Flagged`.
    pub flagged: bool,
    /// `\Answered`.
    pub answered: bool,
    /// `\Deleted` (still listed until expunged).
    pub deleted: bool,
    /// Whether some part is an attachment.
    pub has_attachments: bool,
    /// Thread id (the id of the first stored message of the thread).
    pub thread_id: MessageId,
    /// It closes the patient conversation (`X-MSS-MES: FIN`).
    pub closes_conversation: bool,
}

/// A message with everything stored about it except its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The list row.
    #[serde(flatten)]
    pub summary: MessageSummary,
    /// `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To`, without angle brackets.
    pub in_reply_to: Option<String>,
    /// `References`, without angle brackets, oldest first.
    pub references: Vec<String>,
    /// `To`.
    pub to: Vec<Mailbox>,
    /// `Cc`.
    pub cc: Vec<Mailbox>,
    /// All flags.
    pub flags: Flags,
    /// Body structure summary.
    pub structure: Vec<MessagePart>,
    /// Last known MODSEQ.
    pub modseq: Option<u64>,
    /// Whether the body is cached.
    pub has_body: bool,
}

/// A cached body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    /// The RFC 5322 bytes as fetched.
    pub raw: Vec<u8>,
    /// The plain text the engine extracted (indexed for search).
    pub text: String,
    /// When it was fetched (unix seconds).
    pub fetched_at: i64,
}

/// Columns of a [`MessageSummary`], for `FROM messages AS m JOIN folders AS f`.
pub(crate) const SUMMARY_COLUMNS: &str = "m.id, m.folder_id, f.box, m.uid, m.subject, \
     m.from_name, m.from_addr, m.author_name, m.author_id, m.author_addr, m.date, m.size, \
     m.seen, m.flagged, m.answered, m.deleted, m.has_attachments, m.thread_id, \
     m.closes_conversation";
pub(crate) const SUMMARY_COUNT: usize = 19;

pub(crate) fn summary_from_row(
    row: &Row<'_>,
    op: &'static str,
) -> rusqlite::Result<Result<MessageSummary>> {
    let box_text: String = row.get(2)?;
    let from_name: Option<String> = row.get(5)?;
    let from_addr: Option<String> = row.get(6)?;
    let author_name: Option<String> = row.get(7)?;
    let author_id: Option<String> = row.get(8)?;
    let author_addr: Option<String> = row.get(9)?;
    let Ok(box_address) = BoxAddress::parse(&box_text) else {
        return Ok(Err(StoreError::Corrupt { op, column: "box" }));
    };
    let from = match (from_name, from_addr) {
        (None, None) => None,
        (name, address) => Some(Mailbox {
            name,
            address: address.unwrap_or_default(),
        }),
    };
    Ok(Ok(MessageSummary {
        id: MessageId(row.get(0)?),
        folder_id: FolderId(row.get(1)?),
        box_address,
        uid: opt_u32(row.get(3)?).unwrap_or_default(),
        subject: row.get(4)?,
        from,
        author: decode_author(author_name, author_id, author_addr),
        date: row.get(10)?,
        size: row.get::<_, i64>(11)?.max(0) as u64,
        seen: row.get(12)?,
        flagged: row.get(13)?,
        answered: row.get(14)?,
        deleted: row.get(15)?,
        has_attachments: row.get(16)?,
        thread_id: MessageId(row.get(17)?),
        closes_conversation: row.get(18)?,
    }))
}

/// The author columns were written from a valid [`Author`]; anything else reads as none.
fn decode_author(
    name: Option<String>,
    id: Option<String>,
    address: Option<String>,
) -> Option<Author> {
    let national_id = NationalId::parse(&id?).ok()?;
    let address = match address {
        Some(text) => Some(BoxAddress::parse(&text).ok()?),
        None => None,
    };
    Author::new(&name?, national_id, address).ok()
}

fn flags_from_columns(system: &str, keywords: &str) -> Flags {
    Flags::parse(&format!("{system} {keywords}"))
}

fn parse_references(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Candidate Message-IDs of a new message's thread: its own, `In-Reply-To`, then
/// `References` from the most recent.
fn thread_candidates(message: &NewMessage) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    let own = message.message_id.as_deref().map(bare_message_id);
    let parent = message.in_reply_to.as_deref().map(bare_message_id);
    let references = message.references.iter().rev().map(|r| bare_message_id(r));
    for id in own.into_iter().chain(parent).chain(references) {
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

fn folder_box(tx: &Transaction<'_>, folder: FolderId, op: &'static str) -> Result<String> {
    tx.query_row("SELECT box FROM folders WHERE id = ?1", [folder.0], |row| {
        row.get(0)
    })
    .optional()
    .op(op)?
    .ok_or(StoreError::NotFound {
        op,
        what: "folder",
        id: folder.0,
    })
}

fn opt_json<T: Serialize>(values: &[T], op: &'static str, what: &'static str) -> Result<String> {
    to_json(values, op, what)
}

impl Store {
    /// Inserts fetched messages in a folder, all in one transaction, and returns their ids in
    /// the order given. A UID already stored only gets its flags and MODSEQ refreshed.
    pub fn insert_messages(
        &mut self,
        folder: FolderId,
        messages: &[NewMessage],
    ) -> Result<Vec<MessageId>> {
        const OP: &str = "insert_messages";
        let tx = self.write(OP)?;
        let box_address = folder_box(&tx, folder, OP)?;
        // The highest id ever given, not the highest present: an expunged message's id is
        // never given again (migration 5).
        let mut next_id: i64 = tx
            .query_row(
                "SELECT MAX(IFNULL((SELECT last FROM id_sequence WHERE name = 'messages'), 0),
                            IFNULL((SELECT MAX(id) FROM messages), 0)) + 1",
                [],
                |row| row.get(0),
            )
            .op(OP)?;
        let first_id = next_id;
        let mut ids = Vec::with_capacity(messages.len());
        {
            let mut existing = tx
                .prepare_cached("SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .op(OP)?;
            let mut refresh = tx
                .prepare_cached(
                    "UPDATE messages SET flags = ?2, keywords = ?3, seen = ?4, answered = ?5,
                            flagged = ?6, deleted = ?7, draft = ?8,
                            modseq = coalesce(?9, modseq)
                     WHERE id = ?1",
                )
                .op(OP)?;
            let mut thread_of = tx
                .prepare_cached(
                    "SELECT m.thread_id FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                     WHERE m.message_id = ?1 AND f.box = ?2 LIMIT 1",
                )
                .op(OP)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO messages (id, folder_id, uid, message_id, in_reply_to, refs,
                        subject, from_name, from_addr, to_json, cc_json, date, size, flags,
                        keywords, seen, answered, flagged, deleted, draft, has_attachments,
                        structure, author_name, author_id, author_addr, thread_id, modseq,
                        closes_conversation)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                        ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
                )
                .op(OP)?;
            for message in messages {
                let flags = &message.flags;
                let system = flags.system_string();
                let keywords = flags.keywords.join(" ");
                let modseq = message.modseq.map(|m| m as i64);
                let found: Option<i64> = existing
                    .query_row(params![folder.0, message.uid], |row| row.get(0))
                    .optional()
                    .op(OP)?;
                if let Some(id) = found {
                    refresh
                        .execute(params![
                            id,
                            system,
                            keywords,
                            flags.seen,
                            flags.answered,
                            flags.flagged,
                            flags.deleted,
                            flags.draft,
                            modseq,
                        ])
                        .op(OP)?;
                    ids.push(MessageId(id));
                    continue;
                }
                let id = next_id;
                next_id += 1;
                let mut thread_id = id;
                for candidate in thread_candidates(message) {
                    let thread: Option<i64> = thread_of
                        .query_row(params![candidate, box_address], |row| row.get(0))
                        .optional()
                        .op(OP)?;
                    if let Some(thread) = thread {
                        thread_id = thread;
                        break;
                    }
                }
                let references: Vec<&str> = message
                    .references
                    .iter()
                    .map(|r| bare_message_id(r))
                    .filter(|r| !r.is_empty())
                    .collect();
                insert
                    .execute(params![
                        id,
                        folder.0,
                        message.uid,
                        message.message_id.as_deref().map(bare_message_id),
                        message.in_reply_to.as_deref().map(bare_message_id),
                        references.join(" "),
                        message.subject,
                        message.from.as_ref().and_then(|f| f.name.as_deref()),
                        message.from.as_ref().map(|f| f.address.as_str()),
                        opt_json(&message.to, OP, "to")?,
                        opt_json(&message.cc, OP, "cc")?,
                        message.date,
                        message.size as i64,
                        system,
                        keywords,
                        flags.seen,
                        flags.answered,
                        flags.flagged,
                        flags.deleted,
                        flags.draft,
                        message.has_attachments(),
                        opt_json(&message.structure, OP, "structure")?,
                        message.author.as_ref().map(Author::display_name),
                        message.author.as_ref().map(|a| a.national_id().to_string()),
                        message
                            .author
                            .as_ref()
                            .and_then(Author::address)
                            .map(BoxAddress::as_str),
                        thread_id,
                        modseq,
                        message.closes_conversation,
                    ])
                    .op(OP)?;
                ids.push(MessageId(id));
            }
        }
        if next_id > first_id {
            tx.execute(
                "INSERT INTO id_sequence (name, last) VALUES ('messages', ?1)
                 ON CONFLICT (name) DO UPDATE SET last = max(last, excluded.last)",
                [next_id - 1],
            )
            .op(OP)?;
        }
        tx.commit().op(OP)?;
        Ok(ids)
    }

    /// Applies flag changes to UIDs of a folder, in one transaction; returns how many stored
    /// messages changed (UIDs not stored are skipped).
    pub fn update_flags(&mut self, folder: FolderId, updates: &[FlagUpdate]) -> Result<usize> {
        const OP: &str = "update_flags";
        let tx = self.write(OP)?;
        let mut changed = 0;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE messages SET flags = ?3, keywords = ?4, seen = ?5, answered = ?6,
                            flagged = ?7, deleted = ?8, draft = ?9, modseq = coalesce(?10, modseq)
                     WHERE folder_id = ?1 AND uid = ?2",
                )
                .op(OP)?;
            for update in updates {
                let flags = &update.flags;
                changed += stmt
                    .execute(params![
                        folder.0,
                        update.uid,
                        flags.system_string(),
                        flags.keywords.join(" "),
                        flags.seen,
                        flags.answered,
                        flags.flagged,
                        flags.deleted,
                        flags.draft,
                        update.modseq.map(|m| m as i64),
                    ])
                    .op(OP)?;
            }
        }
        tx.commit().op(OP)?;
        Ok(changed)
    }

    /// Removes expunged UIDs of a folder (with their bodies and index rows), in one
    /// transaction; returns how many were stored.
    pub fn remove_uids(&mut self, folder: FolderId, uids: &[u32]) -> Result<usize> {
        const OP: &str = "remove_uids";
        let tx = self.write(OP)?;
        let mut removed = 0;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2")
                .op(OP)?;
            for uid in uids {
                removed += stmt.execute(params![folder.0, uid]).op(OP)?;
            }
        }
        tx.commit().op(OP)?;
        Ok(removed)
    }

    /// The ids of the stored messages with these UIDs in `folder` (unknown UIDs are skipped),
    /// for events that name the rows a window shows.
    pub fn ids_of_uids(&self, folder: FolderId, uids: &[u32]) -> Result<Vec<MessageId>> {
        const OP: &str = "ids_of_uids";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM messages WHERE folder_id = ?1 AND uid = ?2")
            .op(OP)?;
        let mut ids = Vec::with_capacity(uids.len());
        for uid in uids {
            let id: Option<i64> = stmt
                .query_row(params![folder.0, uid], |row| row.get(0))
                .optional()
                .op(OP)?;
            ids.extend(id.map(MessageId));
        }
        Ok(ids)
    }

    /// The messages of a box dated at or after `since` that hold a delivery report or a read
    /// receipt (a `message/delivery-status` or `message/disposition-notification` part),
    /// oldest first, at most `limit`: where what came back about a sent message is.
    pub fn report_candidates(
        &self,
        box_address: &BoxAddress,
        since: i64,
        limit: u32,
    ) -> Result<Vec<MessageId>> {
        const OP: &str = "report_candidates";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.id FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE f.box = ?1 AND m.date >= ?2
                   AND (m.structure LIKE '%delivery-status%'
                        OR m.structure LIKE '%disposition-notification%')
                 ORDER BY m.date, m.id LIMIT ?3",
            )
            .op(OP)?;
        let ids = stmt
            .query_map(params![box_address.as_str(), since, limit], |row| {
                row.get(0).map(MessageId)
            })
            .op(OP)?
            .collect::<rusqlite::Result<Vec<MessageId>>>()
            .op(OP)?;
        Ok(ids)
    }

    /// Every stored UID of a folder with its flags, by ascending UID (to compare with the
    /// server).
    pub fn uids(&self, folder: FolderId) -> Result<Vec<(u32, Flags)>> {
        const OP: &str = "uids";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT uid, flags, keywords FROM messages WHERE folder_id = ?1 ORDER BY uid",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([folder.0], |row| {
                let uid: i64 = row.get(0)?;
                let system: String = row.get(1)?;
                let keywords: String = row.get(2)?;
                Ok((uid as u32, flags_from_columns(&system, &keywords)))
            })
            .op(OP)?;
        rows.collect::<rusqlite::Result<_>>().op(OP)
    }

    /// A page of a folder's messages, most recent first.
    pub fn list(&self, folder: FolderId, offset: u32, limit: u32) -> Result<Vec<MessageSummary>> {
        const OP: &str = "list";
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE m.folder_id = ?1 ORDER BY m.date DESC, m.id DESC LIMIT ?2 OFFSET ?3"
            ))
            .op(OP)?;
        let rows = stmt
            .query_map(params![folder.0, limit, offset], |row| {
                summary_from_row(row, OP)
            })
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// A folder's messages as `(id, thread id)`, in list order (most recent first), without
    /// their envelopes: a 100,000-message folder is ordered from the covering index
    /// `messages_by_date_thread` alone, so a listing costs this thin read, then
    /// [`Store::summaries`] of the one page on screen.
    pub fn list_order(&self, folder: FolderId) -> Result<Vec<(MessageId, MessageId)>> {
        const OP: &str = "list_order";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, thread_id FROM messages INDEXED BY messages_by_date_thread
                 WHERE folder_id = ?1 ORDER BY date DESC, id DESC",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([folder.0], |row| {
                Ok((MessageId(row.get(0)?), MessageId(row.get(1)?)))
            })
            .op(OP)?;
        rows.collect::<rusqlite::Result<_>>().op(OP)
    }

    /// Several folders' (message id, thread id), newest first across all of them (the
    /// unified inbox): each folder's order comes from the covering index, merged here.
    pub fn list_order_across(&self, folders: &[FolderId]) -> Result<Vec<(MessageId, MessageId)>> {
        const OP: &str = "list_order_across";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, thread_id, date FROM messages INDEXED BY messages_by_date_thread
                 WHERE folder_id = ?1 ORDER BY date DESC, id DESC",
            )
            .op(OP)?;
        let mut all: Vec<(i64, MessageId, MessageId)> = Vec::new();
        for folder in folders {
            let rows = stmt
                .query_map([folder.0], |row| {
                    Ok((
                        row.get::<_, i64>(2)?,
                        MessageId(row.get(0)?),
                        MessageId(row.get(1)?),
                    ))
                })
                .op(OP)?;
            for row in rows {
                all.push(row.op(OP)?);
            }
        }
        all.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
        Ok(all
            .into_iter()
            .map(|(_, id, thread)| (id, thread))
            .collect())
    }

    /// The summaries of `ids`, in the order of `ids`; an id no longer stored is left out.
    pub fn summaries(&self, ids: &[MessageId]) -> Result<Vec<MessageSummary>> {
        const OP: &str = "summaries";
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE m.id = ?1"
            ))
            .op(OP)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let mut rows = stmt
                .query_map([id.0], |row| summary_from_row(row, OP))
                .op(OP)?;
            if let Some(row) = rows.next() {
                out.push(row.op(OP)??);
            }
        }
        Ok(out)
    }

    /// The messages of a thread, oldest first.
    pub fn thread(&self, thread_id: MessageId) -> Result<Vec<MessageSummary>> {
        const OP: &str = "thread";
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE m.thread_id = ?1 ORDER BY m.date, m.id"
            ))
            .op(OP)?;
        let rows = stmt
            .query_map([thread_id.0], |row| summary_from_row(row, OP))
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// The stored copies of a Message-ID in a box (angle brackets optional), e.g. to find
    /// whether a sent message already reached the Sent folder.
    pub fn find_message_id(
        &self,
        box_address: &BoxAddress,
        message_id: &str,
    ) -> Result<Vec<MessageSummary>> {
        const OP: &str = "find_message_id";
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE m.message_id = ?1 AND f.box = ?2 ORDER BY m.id"
            ))
            .op(OP)?;
        let rows = stmt
            .query_map(
                params![bare_message_id(message_id), box_address.as_str()],
                |row| summary_from_row(row, OP),
            )
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// How many messages a folder holds.
    pub fn count(&self, folder: FolderId) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1",
                [folder.0],
                |row| row.get::<_, i64>(0),
            )
            .op("count")
            .map(|n| n as u64)
    }

    /// Unread messages of a folder (not `\Seen`, not `\Deleted`).
    pub fn unread_in_folder(&self, folder: FolderId) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages WHERE folder_id = ?1 AND seen = 0 AND deleted = 0",
                [folder.0],
                |row| row.get::<_, i64>(0),
            )
            .op("unread_in_folder")
            .map(|n| n as u64)
    }

    /// Unread messages of a box, for its badge: every folder except Sent, Drafts, Trash and
    /// Junk.
    pub fn unread_in_box(&self, box_address: &BoxAddress) -> Result<u64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE f.box = ?1 AND m.seen = 0 AND m.deleted = 0
                   AND (f.role IS NULL OR f.role IN ('inbox', 'archive'))",
                [box_address.as_str()],
                |row| row.get::<_, i64>(0),
            )
            .op("unread_in_box")
            .map(|n| n as u64)
    }

    /// Everything stored about a message except its body.
    pub fn message(&self, id: MessageId) -> Result<Option<Message>> {
        self.message_where("message", "m.id = ?1", params![id.0])
    }

    /// A message by folder and UID.
    pub fn message_by_uid(&self, folder: FolderId, uid: u32) -> Result<Option<Message>> {
        self.message_where(
            "message_by_uid",
            "m.folder_id = ?1 AND m.uid = ?2",
            params![folder.0, uid],
        )
    }

    fn message_where(
        &self,
        op: &'static str,
        condition: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Option<Message>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS}, m.message_id, m.in_reply_to, m.refs, m.to_json,
                        m.cc_json, m.flags, m.keywords, m.structure, m.modseq,
                        EXISTS (SELECT 1 FROM bodies AS b WHERE b.message_id = m.id)
                 FROM messages AS m JOIN folders AS f ON f.id = m.folder_id WHERE {condition}"
            ))
            .op(op)?;
        let found = stmt
            .query_row(params, |row| {
                let summary = summary_from_row(row, op)?;
                let n = SUMMARY_COUNT;
                let message_id: Option<String> = row.get(n)?;
                let in_reply_to: Option<String> = row.get(n + 1)?;
                let refs: String = row.get(n + 2)?;
                let to: String = row.get(n + 3)?;
                let cc: String = row.get(n + 4)?;
                let system: String = row.get(n + 5)?;
                let keywords: String = row.get(n + 6)?;
                let structure: String = row.get(n + 7)?;
                let modseq: Option<i64> = row.get(n + 8)?;
                let has_body: bool = row.get(n + 9)?;
                Ok((|| {
                    Ok(Message {
                        summary: summary?,
                        message_id,
                        in_reply_to,
                        references: parse_references(&refs),
                        to: from_json(&to, op, "to_json")?,
                        cc: from_json(&cc, op, "cc_json")?,
                        flags: flags_from_columns(&system, &keywords),
                        structure: from_json(&structure, op, "structure")?,
                        modseq: modseq.map(|m| m as u64),
                        has_body,
                    })
                })())
            })
            .optional()
            .op(op)?;
        found.transpose()
    }

    /// Caches the body of a message: the raw bytes and the plain text the engine extracted
    /// from them (indexed for search). Replaces any earlier body.
    pub fn set_body(&mut self, id: MessageId, raw: &[u8], text: &str, now: i64) -> Result<()> {
        const OP: &str = "set_body";
        let tx = self.write(OP)?;
        let exists = tx
            .query_row("SELECT 1 FROM messages WHERE id = ?1", [id.0], |_| Ok(()))
            .optional()
            .op(OP)?
            .is_some();
        if !exists {
            return Err(StoreError::NotFound {
                op: OP,
                what: "message",
                id: id.0,
            });
        }
        tx.execute(
            "INSERT INTO bodies (message_id, raw, text, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (message_id) DO UPDATE SET
                raw = excluded.raw, text = excluded.text, fetched_at = excluded.fetched_at",
            params![id.0, raw, text, now],
        )
        .op(OP)?;
        tx.commit().op(OP)
    }

    /// The cached body of a message, if fetched.
    pub fn body(&self, id: MessageId) -> Result<Option<Body>> {
        self.conn
            .query_row(
                "SELECT raw, text, fetched_at FROM bodies WHERE message_id = ?1",
                [id.0],
                |row| {
                    Ok(Body {
                        raw: row.get(0)?,
                        text: row.get(1)?,
                        fetched_at: row.get(2)?,
                    })
                },
            )
            .optional()
            .op("body")
    }

    /// Drops cached bodies fetched before `before` (unix seconds), e.g. to bound the cache;
    /// their text leaves the search index. Returns how many were dropped.
    pub fn evict_bodies(&mut self, before: i64) -> Result<usize> {
        const OP: &str = "evict_bodies";
        let tx = self.write(OP)?;
        let dropped = tx
            .execute("DELETE FROM bodies WHERE fetched_at < ?1", [before])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip() {
        let flags = Flags::parse("(\\Seen \\flagged $Forwarded \\Recent $forwarded Urgent)");
        assert!(flags.seen && flags.flagged && !flags.answered && !flags.deleted);
        assert_eq!(flags.keywords, vec!["$Forwarded", "Urgent"]);
        assert_eq!(flags.to_string(), "\\Seen \\Flagged $Forwarded Urgent");
        assert_eq!(Flags::parse(&flags.to_string()), flags);
        assert!(flags.has_keyword("$FORWARDED"));
        assert_eq!(Flags::default().to_string(), "");
        assert_eq!(Flags::parse("Urgent").to_string(), "Urgent");
    }

    #[test]
    fn thread_candidates_order() {
        let message = NewMessage {
            message_id: Some("<c@x>".into()),
            in_reply_to: Some("<b@x>".into()),
            references: vec!["<a@x>".into(), "<b@x>".into()],
            ..NewMessage::default()
        };
        assert_eq!(thread_candidates(&message), vec!["c@x", "b@x", "a@x"]);
    }
}
