//! The audit log of each box: who did what, when, the request made and the server's answer,
//! failures included — **never message content** (no body, no subject, no attachment).
//! Entries are kept six months ([`Store::purge_audit`]).
//!
//! The store cannot tell content from a command, so callers write only commands and
//! answers (`UID MOVE 42 "Trash"`, `250 2.0.0 Ok: queued as …`). As a safety net, request and
//! response are cut to [`MAX_FIELD_CHARS`] characters.

use std::fmt;
use std::path::Path;

use relais_core::{BoxAddress, NationalId};
use rusqlite::{params, Connection, Row};
use serde::{Deserialize, Serialize};

use crate::error::Context;
use crate::{Result, Store, StoreError, StoreKey};

/// Longest request or response kept, in characters.
pub const MAX_FIELD_CHARS: usize = 1000;

/// How long entries are kept, in months.
pub const RETENTION_MONTHS: u32 = 6;

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Signed in to the box (IMAP/SMTP authentication).
    SignIn,
    /// Signed out.
    SignOut,
    /// Synchronised a folder.
    Sync,
    /// Sent a message.
    Send,
    /// Wrote a copy (Sent, Drafts) with APPEND.
    Append,
    /// Deleted a message (flag `\Deleted` or move to Trash).
    Delete,
    /// Moved a message.
    Move,
    /// Copied a message.
    Copy,
    /// Changed flags.
    Flag,
    /// Expunged a folder.
    Expunge,
    /// Asked a folder's status.
    Status,
    /// Created, renamed or deleted a folder.
    Folder,
    /// Anything else, named.
    Other(String),
}

impl AuditAction {
    /// The value stored in `audit.action`.
    pub fn as_str(&self) -> &str {
        match self {
            AuditAction::SignIn => "signin",
            AuditAction::SignOut => "signout",
            AuditAction::Sync => "sync",
            AuditAction::Send => "send",
            AuditAction::Append => "append",
            AuditAction::Delete => "delete",
            AuditAction::Move => "move",
            AuditAction::Copy => "copy",
            AuditAction::Flag => "flag",
            AuditAction::Expunge => "expunge",
            AuditAction::Status => "status",
            AuditAction::Folder => "folder",
            AuditAction::Other(name) => name,
        }
    }

    /// Reads a stored action; unknown names become [`AuditAction::Other`].
    pub fn parse(text: &str) -> AuditAction {
        match text {
            "signin" => AuditAction::SignIn,
            "signout" => AuditAction::SignOut,
            "sync" => AuditAction::Sync,
            "send" => AuditAction::Send,
            "append" => AuditAction::Append,
            "delete" => AuditAction::Delete,
            "move" => AuditAction::Move,
            "copy" => AuditAction::Copy,
            "flag" => AuditAction::Flag,
            "expunge" => AuditAction::Expunge,
            "status" => AuditAction::Status,
            "folder" => AuditAction::Folder,
            other => AuditAction::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One traced action, to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The box acted on.
    pub box_address: BoxAddress,
    /// When (unix milliseconds).
    pub at: i64,
    /// Who: the authenticated person's national identifier (or operator login).
    pub person: NationalId,
    /// What.
    pub action: AuditAction,
    /// The request made (a command, never message content).
    pub request: String,
    /// The server's answer.
    pub response: String,
    /// Whether it succeeded.
    pub ok: bool,
}

/// A recorded entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Row id.
    pub id: i64,
    /// The entry.
    #[serde(flatten)]
    pub entry: AuditEntry,
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(MAX_FIELD_CHARS) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

fn record_from_row(row: &Row<'_>, op: &'static str) -> rusqlite::Result<Result<AuditRecord>> {
    let id: i64 = row.get(0)?;
    let box_text: String = row.get(1)?;
    let at: i64 = row.get(2)?;
    let person: String = row.get(3)?;
    let action: String = row.get(4)?;
    let request: String = row.get(5)?;
    let response: String = row.get(6)?;
    let ok: bool = row.get(7)?;
    Ok((|| {
        Ok(AuditRecord {
            id,
            entry: AuditEntry {
                box_address: BoxAddress::parse(&box_text)
                    .map_err(|_| StoreError::Corrupt { op, column: "box" })?,
                at,
                person: NationalId::parse(&person).map_err(|_| StoreError::Corrupt {
                    op,
                    column: "person",
                })?,
                action: AuditAction::parse(&action),
                request,
                response,
                ok,
            },
        })
    })())
}

// The audit SQL, one home for the two places the log lives: the person's [`Journal`] (where
// the engine writes) and the profile's [`Store`] (the log of an earlier Relais, moved into the
// journal at the next open).

fn insert(conn: &Connection, entry: &AuditEntry, op: &'static str) -> Result<i64> {
    conn.query_row(
        "INSERT INTO audit (box, at, person, action, request, response, ok)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        params![
            entry.box_address.as_str(),
            entry.at,
            entry.person.to_string(),
            entry.action.as_str(),
            truncate(&entry.request),
            truncate(&entry.response),
            entry.ok,
        ],
        |row| row.get(0),
    )
    .op(op)
}

fn select(conn: &Connection, box_address: &BoxAddress, limit: u32) -> Result<Vec<AuditRecord>> {
    const OP: &str = "audit";
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, box, at, person, action, request, response, ok FROM audit
             WHERE box = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )
        .op(OP)?;
    let rows = stmt
        .query_map(params![box_address.as_str(), limit], |row| {
            record_from_row(row, OP)
        })
        .op(OP)?;
    crate::collect(rows, OP)
}

fn purge(conn: &Connection, now: i64, op: &'static str) -> Result<usize> {
    conn.execute(
        "DELETE FROM audit
         WHERE at < unixepoch(?1 / 1000, 'unixepoch', ?2) * 1000 + ?1 % 1000",
        params![now, format!("-{RETENTION_MONTHS} months")],
    )
    .op(op)
}

impl Store {
    /// Records an action in the audit log; returns its id.
    pub fn record(&mut self, entry: &AuditEntry) -> Result<i64> {
        const OP: &str = "record";
        let tx = self.write(OP)?;
        let id = insert(&tx, entry, OP)?;
        tx.commit().op(OP)?;
        Ok(id)
    }

    /// The most recent entries of a box, newest first.
    pub fn audit(&self, box_address: &BoxAddress, limit: u32) -> Result<Vec<AuditRecord>> {
        select(&self.conn, box_address, limit)
    }

    /// Drops entries older than six calendar months before `now` (unix milliseconds);
    /// returns how many.
    pub fn purge_audit(&mut self, now: i64) -> Result<usize> {
        const OP: &str = "purge_audit";
        let tx = self.write(OP)?;
        let removed = purge(&tx, now, OP)?;
        tx.commit().op(OP)?;
        Ok(removed)
    }
}

/// The audit journal of one person, in a database of its own beside the profile's store: the
/// store goes at sign-out, the journal stays, so the six months of ECO.4.1.1 hold across
/// sign-out and sign-in. Encrypted by SQLCipher with a key the caller keeps (the engine: in the
/// OS keyring, under the person).
#[derive(Debug)]
pub struct Journal {
    conn: Connection,
}

/// The journal's schema: the audit table of the store, alone.
const JOURNAL_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    id       INTEGER PRIMARY KEY,
    box      TEXT NOT NULL,
    at       INTEGER NOT NULL,
    person   TEXT NOT NULL,
    action   TEXT NOT NULL,
    request  TEXT NOT NULL,
    response TEXT NOT NULL,
    ok       INTEGER NOT NULL CHECK (ok IN (0, 1))
) STRICT;
CREATE INDEX IF NOT EXISTS audit_by_box ON audit (box, at DESC);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at);
PRAGMA user_version = 1;
";

impl Journal {
    /// Opens (creating it if needed) the encrypted journal at `path` with `key`. A key that does
    /// not open the file is [`StoreError::WrongKey`].
    pub fn open_encrypted(path: impl AsRef<Path>, key: &StoreKey) -> Result<Journal> {
        let conn = Connection::open(path).op("journal: open")?;
        crate::key::apply(&conn, key)?;
        conn.busy_timeout(crate::BUSY_TIMEOUT)
            .op("journal: busy_timeout")?;
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .op("journal: journal_mode")?;
        conn.execute_batch(JOURNAL_SCHEMA).op("journal: schema")?;
        Ok(Journal { conn })
    }

    /// Records an action; returns its id.
    pub fn record(&mut self, entry: &AuditEntry) -> Result<i64> {
        insert(&self.conn, entry, "journal: record")
    }

    /// The most recent entries of a box, newest first.
    pub fn entries(&self, box_address: &BoxAddress, limit: u32) -> Result<Vec<AuditRecord>> {
        select(&self.conn, box_address, limit)
    }

    /// Drops entries older than six calendar months before `now` (unix milliseconds).
    pub fn purge(&mut self, now: i64) -> Result<usize> {
        purge(&self.conn, now, "journal: purge")
    }

    /// Moves every entry of `store`'s own audit table (written by a Relais before the journal)
    /// into this journal, in one go: copied, then removed from the store. Returns how many.
    pub fn take_from(&mut self, store: &mut Store) -> Result<usize> {
        const OP: &str = "journal: take_from";
        let rows: Vec<AuditRecord> = {
            let mut stmt = store
                .conn
                .prepare("SELECT id, box, at, person, action, request, response, ok FROM audit")
                .op(OP)?;
            let rows = stmt.query_map([], |row| record_from_row(row, OP)).op(OP)?;
            crate::collect(rows, OP)?
        };
        if rows.is_empty() {
            return Ok(0);
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .op(OP)?;
        for row in &rows {
            insert(&tx, &row.entry, OP)?;
        }
        tx.commit().op(OP)?;
        // Removed from the store only once the journal holds them: a crash in between keeps
        // them twice, never loses them.
        let tx = store.write(OP)?;
        let max_id = rows.iter().map(|r| r.id).max().unwrap_or(0);
        tx.execute("DELETE FROM audit WHERE id <= ?1", params![max_id])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(rows.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_is_on_characters() {
        let long = "é".repeat(MAX_FIELD_CHARS + 10);
        assert_eq!(truncate(&long).chars().count(), MAX_FIELD_CHARS);
        assert_eq!(truncate("OK"), "OK");
    }

    #[test]
    fn actions_round_trip() {
        for action in [
            AuditAction::SignIn,
            AuditAction::Expunge,
            AuditAction::Other("mdn".into()),
        ] {
            assert_eq!(AuditAction::parse(action.as_str()), action);
        }
    }
}
