//! Drafts being written, each with its author, so that a colleague who opens a draft of the
//! shared box sees who started it.
//!
//! Recipients are kept as typed ([`Mailbox`] text): saving a draft must never fail because an
//! address is half written; addresses are validated when the message is sent.

use std::fmt;

use relais_core::{Author, BoxAddress};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::Context;
use crate::folders::{box_exists, opt_u32};
use crate::messages::Mailbox;
use crate::{bare_message_id, from_json, to_json, Result, Store, StoreError};

/// Row id of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftId(pub i64);

impl fmt::Display for DraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A file attached to a draft (its bytes stay where the person picked them until sending).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct DraftAttachment {
    /// File name shown and sent.
    pub filename: String,
    /// `type/subtype`.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Where the file is on this computer.
    pub path: String,
}

/// What a draft holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftContent {
    /// The box it will be sent from.
    pub box_address: BoxAddress,
    /// Who writes it.
    pub author: Author,
    /// Subject.
    pub subject: String,
    /// Body text.
    pub body: String,
    /// `To`.
    pub to: Vec<Mailbox>,
    /// `Cc`.
    pub cc: Vec<Mailbox>,
    /// `Bcc`.
    pub bcc: Vec<Mailbox>,
    /// Attached files.
    pub attachments: Vec<DraftAttachment>,
    /// The message answered, if any (without angle brackets).
    pub in_reply_to: Option<String>,
    /// `References` of the answer, oldest first.
    pub references: Vec<String>,
}

/// A stored draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    /// Row id.
    pub id: DraftId,
    /// Its content.
    #[serde(flatten)]
    pub content: DraftContent,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// UID of its copy in the box's Drafts folder, once saved there.
    pub server_uid: Option<u32>,
}

const DRAFT_COLUMNS: &str = "id, box, author, subject, body, to_json, cc_json, bcc_json, \
     attachments, in_reply_to, refs, created_at, updated_at, server_uid";

fn draft_from_row(row: &Row<'_>, op: &'static str) -> rusqlite::Result<Result<Draft>> {
    let id: i64 = row.get(0)?;
    let box_text: String = row.get(1)?;
    let author: String = row.get(2)?;
    let subject: String = row.get(3)?;
    let body: String = row.get(4)?;
    let to: String = row.get(5)?;
    let cc: String = row.get(6)?;
    let bcc: String = row.get(7)?;
    let attachments: String = row.get(8)?;
    let in_reply_to: Option<String> = row.get(9)?;
    let refs: String = row.get(10)?;
    let created_at: i64 = row.get(11)?;
    let updated_at: i64 = row.get(12)?;
    let server_uid: Option<i64> = row.get(13)?;
    Ok((|| {
        Ok(Draft {
            id: DraftId(id),
            content: DraftContent {
                box_address: BoxAddress::parse(&box_text)
                    .map_err(|_| StoreError::Corrupt { op, column: "box" })?,
                author: from_json(&author, op, "author")?,
                subject,
                body,
                to: from_json(&to, op, "to_json")?,
                cc: from_json(&cc, op, "cc_json")?,
                bcc: from_json(&bcc, op, "bcc_json")?,
                attachments: from_json(&attachments, op, "attachments")?,
                in_reply_to,
                references: refs.split_whitespace().map(str::to_owned).collect(),
            },
            created_at,
            updated_at,
            server_uid: opt_u32(server_uid),
        })
    })())
}

fn references_text(references: &[String]) -> String {
    references
        .iter()
        .map(|r| bare_message_id(r))
        .filter(|r| !r.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Store {
    /// Saves a new draft; returns its id.
    pub fn create_draft(&mut self, content: &DraftContent, now: i64) -> Result<DraftId> {
        const OP: &str = "create_draft";
        let tx = self.write(OP)?;
        if !box_exists(&tx, &content.box_address, OP)? {
            return Err(StoreError::UnknownBox { op: OP });
        }
        let id: i64 = tx
            .query_row(
                "INSERT INTO drafts (box, author, subject, body, to_json, cc_json, bcc_json,
                    attachments, in_reply_to, refs, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
                 RETURNING id",
                params![
                    content.box_address.as_str(),
                    to_json(&content.author, OP, "author")?,
                    content.subject,
                    content.body,
                    to_json(&content.to, OP, "to")?,
                    to_json(&content.cc, OP, "cc")?,
                    to_json(&content.bcc, OP, "bcc")?,
                    to_json(&content.attachments, OP, "attachments")?,
                    content.in_reply_to.as_deref().map(bare_message_id),
                    references_text(&content.references),
                    now,
                ],
                |row| row.get(0),
            )
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(DraftId(id))
    }

    /// Replaces the content of a draft. Its server copy (if any) is now stale: the engine
    /// replaces it and saves the new UID with [`Store::set_draft_server_uid`].
    pub fn update_draft(&mut self, id: DraftId, content: &DraftContent, now: i64) -> Result<()> {
        const OP: &str = "update_draft";
        let tx = self.write(OP)?;
        if !box_exists(&tx, &content.box_address, OP)? {
            return Err(StoreError::UnknownBox { op: OP });
        }
        let changed = tx
            .execute(
                "UPDATE drafts SET box = ?2, author = ?3, subject = ?4, body = ?5, to_json = ?6,
                    cc_json = ?7, bcc_json = ?8, attachments = ?9, in_reply_to = ?10, refs = ?11,
                    updated_at = ?12
                 WHERE id = ?1",
                params![
                    id.0,
                    content.box_address.as_str(),
                    to_json(&content.author, OP, "author")?,
                    content.subject,
                    content.body,
                    to_json(&content.to, OP, "to")?,
                    to_json(&content.cc, OP, "cc")?,
                    to_json(&content.bcc, OP, "bcc")?,
                    to_json(&content.attachments, OP, "attachments")?,
                    content.in_reply_to.as_deref().map(bare_message_id),
                    references_text(&content.references),
                    now,
                ],
            )
            .op(OP)?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                op: OP,
                what: "draft",
                id: id.0,
            });
        }
        tx.commit().op(OP)
    }

    /// Records the UID of the draft's copy in the Drafts folder (`None`: no copy).
    pub fn set_draft_server_uid(&mut self, id: DraftId, uid: Option<u32>) -> Result<()> {
        const OP: &str = "set_draft_server_uid";
        let tx = self.write(OP)?;
        let changed = tx
            .execute(
                "UPDATE drafts SET server_uid = ?2 WHERE id = ?1",
                params![id.0, uid],
            )
            .op(OP)?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                op: OP,
                what: "draft",
                id: id.0,
            });
        }
        tx.commit().op(OP)
    }

    /// One draft.
    pub fn draft(&self, id: DraftId) -> Result<Option<Draft>> {
        const OP: &str = "draft";
        self.conn
            .query_row(
                &format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = ?1"),
                [id.0],
                |row| draft_from_row(row, OP),
            )
            .optional()
            .op(OP)?
            .transpose()
    }

    /// The drafts of a box, most recently changed first.
    pub fn drafts(&self, box_address: &BoxAddress) -> Result<Vec<Draft>> {
        const OP: &str = "drafts";
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {DRAFT_COLUMNS} FROM drafts WHERE box = ?1 ORDER BY updated_at DESC, id DESC"
            ))
            .op(OP)?;
        let rows = stmt
            .query_map([box_address.as_str()], |row| draft_from_row(row, OP))
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// Deletes a draft; returns whether it existed.
    pub fn delete_draft(&mut self, id: DraftId) -> Result<bool> {
        const OP: &str = "delete_draft";
        let tx = self.write(OP)?;
        let removed = tx
            .execute("DELETE FROM drafts WHERE id = ?1", [id.0])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(removed > 0)
    }
}
