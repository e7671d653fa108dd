//! The outbox: messages to send, durable before any network use.
//!
//! [`Store::enqueue`] commits the exact bytes to submit before the engine opens a connection,
//! so a crash, a lost network or a refused token never loses a message. The engine then moves
//! each message through these states with [`Store::set_outbox_state`]; every change is
//! recorded in `outbox_events` in the same transaction.
//!
//! | from | to | meaning |
//! |---|---|---|
//! | `queued` | `submitting` | SMTP submission starts; `attempts` + 1 |
//! | `queued` | `failed` | refused before sending (e.g. policy) |
//! | `submitting` | `submitted` | the server accepted the message: **never submit it again** |
//! | `submitting` | `queued` | temporary failure: retried after a back-off |
//! | `submitting` | `failed` | permanent refusal (5xx) |
//! | `submitted` | `appending` | the Sent copy is being written (IMAP APPEND) |
//! | `submitted` | `done` | no copy needed (the server stores it) |
//! | `appending` | `done` | the Sent copy is there |
//! | `appending` | `submitted` | APPEND failed: retried after a back-off, without re-sending |
//! | `failed` | `queued` | the person asks to retry: due at once, attempts reset |
//!
//! A message found in `submitting` or `appending` when Relais starts was interrupted
//! ([`Store::outbox_interrupted`]): the engine checks the Sent folder for its Message-ID
//! ([`Store::find_message_id`]) before choosing to re-submit.

use std::fmt;

use relais_core::{Author, BoxAddress};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::drafts::DraftId;
use crate::error::Context;
use crate::{bare_message_id, from_json, to_json, Result, Store, StoreError};

/// Row id of an outbox message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutboxId(pub i64);

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where an outbox message stands. See the module doc for the allowed changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waiting to be submitted (at `next_attempt_at`).
    Queued,
    /// SMTP submission in progress.
    Submitting,
    /// Accepted by the SMTP server; the Sent copy is still to be written.
    Submitted,
    /// IMAP APPEND to the Sent folder in progress.
    Appending,
    /// Sent, and its Sent copy written (or not needed).
    Done,
    /// Refused for good; kept until the person retries or removes it.
    Failed,
}

impl OutboxState {
    /// The value stored in `outbox.state`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Submitting => "submitting",
            OutboxState::Submitted => "submitted",
            OutboxState::Appending => "appending",
            OutboxState::Done => "done",
            OutboxState::Failed => "failed",
        }
    }

    /// Reads a stored state.
    pub fn parse(text: &str) -> Option<OutboxState> {
        Some(match text {
            "queued" => OutboxState::Queued,
            "submitting" => OutboxState::Submitting,
            "submitted" => OutboxState::Submitted,
            "appending" => OutboxState::Appending,
            "done" => OutboxState::Done,
            "failed" => OutboxState::Failed,
            _ => return None,
        })
    }

    /// Whether the send protocol allows going from `self` to `to`.
    pub fn can_become(self, to: OutboxState) -> bool {
        use OutboxState::*;
        matches!(
            (self, to),
            (Queued, Submitting)
                | (Queued, Failed)
                | (Submitting, Submitted)
                | (Submitting, Queued)
                | (Submitting, Failed)
                | (Submitted, Appending)
                | (Submitted, Done)
                | (Appending, Done)
                | (Appending, Submitted)
                | (Failed, Queued)
        )
    }

    /// Whether the message may have left (or is leaving): it must then never be dropped or
    /// edited.
    pub fn is_in_flight(self) -> bool {
        matches!(
            self,
            OutboxState::Submitting | OutboxState::Submitted | OutboxState::Appending
        )
    }
}

impl fmt::Display for OutboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Delay before retry number `attempts` + 1: one minute, doubling, at most an hour.
pub fn retry_delay(attempts: u32) -> i64 {
    let exponent = attempts.saturating_sub(1).min(6);
    (60_i64 << exponent).min(3600)
}

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxMessage {
    /// The box it is sent from.
    pub box_address: BoxAddress,
    /// Its `Message-ID` (angle brackets optional), stable across retries.
    pub message_id: String,
    /// The exact bytes to submit, and to append to Sent.
    pub raw: Vec<u8>,
    /// SMTP `MAIL FROM`.
    pub envelope_from: BoxAddress,
    /// SMTP `RCPT TO` (To, Cc and Bcc).
    pub recipients: Vec<BoxAddress>,
    /// Subject, for the outbox list.
    pub subject: String,
    /// Who wrote it.
    pub author: Author,
    /// The draft it was written in: deleted in the same transaction, or kept while the
    /// message is held (`hold_until`).
    pub from_draft: Option<DraftId>,
    /// Undo send: no attempt before this time (unix seconds); 0 for none.
    pub hold_until: i64,
}

/// An outbox message, without its bytes (see [`Store::outbox_raw`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Row id.
    pub id: OutboxId,
    /// The box it is sent from.
    pub box_address: BoxAddress,
    /// `Message-ID`, without angle brackets.
    pub message_id: String,
    /// SMTP `MAIL FROM`.
    pub envelope_from: BoxAddress,
    /// SMTP `RCPT TO`.
    pub recipients: Vec<BoxAddress>,
    /// Subject.
    pub subject: String,
    /// Who wrote it.
    pub author: Author,
    /// Size of the bytes to send.
    pub size: u64,
    /// Where it stands.
    pub state: OutboxState,
    /// Submissions tried.
    pub attempts: u32,
    /// The last failure (the server's answer), if any.
    pub last_error: Option<String>,
    /// When it is next due (unix seconds).
    pub next_attempt_at: i64,
    /// Undo send: held back until then (unix seconds; 0 when not held). See
    /// [`Store::recall`].
    pub hold_until: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// One state change of an outbox message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEvent {
    /// Unix seconds.
    pub at: i64,
    /// The new state.
    pub state: OutboxState,
    /// The error that caused it, if any.
    pub error: Option<String>,
}

const OUTBOX_COLUMNS: &str = "id, box, message_id, envelope_from, recipients, subject, author, \
     (SELECT length(raw) FROM outbox_raw WHERE outbox_id = outbox.id), state, attempts, last_error, next_attempt_at, created_at, updated_at, hold_until";

fn outbox_from_row(row: &Row<'_>, op: &'static str) -> rusqlite::Result<Result<OutboxMessage>> {
    let box_text: String = row.get(1)?;
    let envelope: String = row.get(3)?;
    let recipients: String = row.get(4)?;
    let author: String = row.get(6)?;
    let state: String = row.get(8)?;
    let id: i64 = row.get(0)?;
    let message_id: String = row.get(2)?;
    let subject: String = row.get(5)?;
    let size: i64 = row.get(7)?;
    let attempts: i64 = row.get(9)?;
    let last_error: Option<String> = row.get(10)?;
    let next_attempt_at: i64 = row.get(11)?;
    let created_at: i64 = row.get(12)?;
    let updated_at: i64 = row.get(13)?;
    let hold_until: i64 = row.get(14)?;
    let address = |text: &str, column| {
        BoxAddress::parse(text).map_err(|_| StoreError::Corrupt { op, column })
    };
    Ok((|| {
        Ok(OutboxMessage {
            id: OutboxId(id),
            box_address: address(&box_text, "box")?,
            message_id,
            envelope_from: address(&envelope, "envelope_from")?,
            recipients: from_json(&recipients, op, "recipients")?,
            subject,
            author: from_json(&author, op, "author")?,
            size: size.max(0) as u64,
            state: OutboxState::parse(&state).ok_or(StoreError::Corrupt {
                op,
                column: "state",
            })?,
            attempts: attempts.clamp(0, i64::from(u32::MAX)) as u32,
            last_error,
            next_attempt_at,
            hold_until,
            created_at,
            updated_at,
        })
    })())
}

impl Store {
    /// Puts a message in the outbox (state `queued`, due at once) and commits it before
    /// returning; deletes the draft it came from in the same transaction.
    pub fn enqueue(&mut self, message: &NewOutboxMessage, now: i64) -> Result<OutboxId> {
        const OP: &str = "enqueue";
        let held = message.hold_until > now;
        let tx = self.write(OP)?;
        let id: i64 = tx
            .query_row(
                "INSERT INTO outbox (box, message_id, envelope_from, recipients, subject,
                    author, state, attempts, next_attempt_at, created_at, updated_at,
                    hold_until, held_draft)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', 0, max(?7, ?8), ?7, ?7, ?8, ?9)
                 RETURNING id",
                params![
                    message.box_address.as_str(),
                    bare_message_id(&message.message_id),
                    message.envelope_from.as_str(),
                    to_json(&message.recipients, OP, "recipients")?,
                    message.subject,
                    to_json(&message.author, OP, "author")?,
                    now,
                    if held { message.hold_until } else { 0 },
                    message.from_draft.filter(|_| held).map(|d| d.0),
                ],
                |row| row.get(0),
            )
            .op(OP)?;
        tx.execute(
            "INSERT INTO outbox_raw (outbox_id, raw) VALUES (?1, ?2)",
            params![id, message.raw],
        )
        .op(OP)?;
        tx.execute(
            "INSERT INTO outbox_events (outbox_id, at, state) VALUES (?1, ?2, 'queued')",
            params![id, now],
        )
        .op(OP)?;
        if let Some(draft) = message.from_draft.filter(|_| !held) {
            tx.execute("DELETE FROM drafts WHERE id = ?1", [draft.0])
                .op(OP)?;
        }
        tx.commit().op(OP)?;
        Ok(OutboxId(id))
    }

    /// The draft a held message keeps (undo send), if any.
    pub fn held_draft(&self, id: OutboxId) -> Result<Option<DraftId>> {
        const OP: &str = "held_draft";
        let held: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT held_draft FROM outbox WHERE id = ?1",
                [id.0],
                |row| row.get(0),
            )
            .optional()
            .op(OP)?;
        Ok(held.flatten().map(DraftId))
    }

    /// « Annuler l'envoi »: removes a held message that was never tried (nothing reached a
    /// server) and returns the draft it kept. `None`: too late (it was tried, or it is not a
    /// held message), and nothing changed.
    pub fn recall(&mut self, id: OutboxId) -> Result<Option<DraftId>> {
        const OP: &str = "recall";
        let tx = self.write(OP)?;
        let held: Option<Option<i64>> = tx
            .query_row(
                "SELECT held_draft FROM outbox
                 WHERE id = ?1 AND state = 'queued' AND attempts = 0 AND held_draft IS NOT NULL",
                [id.0],
                |row| row.get(0),
            )
            .optional()
            .op(OP)?;
        let Some(Some(draft)) = held else {
            return Ok(None);
        };
        tx.execute("DELETE FROM outbox WHERE id = ?1", [id.0])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(Some(DraftId(draft)))
    }

    /// Moves an outbox message to a new state (see the module doc), with the error that caused
    /// it if any (the server's answer, never message content). Refuses changes the send
    /// protocol does not allow. Returns the message as it now stands.
    pub fn set_outbox_state(
        &mut self,
        id: OutboxId,
        state: OutboxState,
        error: Option<&str>,
        now: i64,
    ) -> Result<OutboxMessage> {
        const OP: &str = "set_outbox_state";
        let tx = self.write(OP)?;
        let current: Option<(String, i64)> = tx
            .query_row(
                "SELECT state, attempts FROM outbox WHERE id = ?1",
                [id.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .op(OP)?;
        let (from, attempts) = current.ok_or(StoreError::NotFound {
            op: OP,
            what: "outbox message",
            id: id.0,
        })?;
        let from = OutboxState::parse(&from).ok_or(StoreError::Corrupt {
            op: OP,
            column: "state",
        })?;
        if !from.can_become(state) {
            return Err(StoreError::InvalidTransition {
                id: id.0,
                from,
                to: state,
            });
        }
        let (attempts, next_attempt_at) = match (from, state) {
            (_, OutboxState::Submitting) => (attempts + 1, now),
            (OutboxState::Failed, OutboxState::Queued) => (0, now),
            (OutboxState::Submitting, OutboxState::Queued)
            | (OutboxState::Appending, OutboxState::Submitted) => {
                (attempts, now + retry_delay(attempts.clamp(0, 64) as u32))
            }
            _ => (attempts, now),
        };
        tx.execute(
            "UPDATE outbox SET state = ?2, attempts = ?3, last_error = coalesce(?4, last_error),
                    next_attempt_at = ?5, updated_at = ?6
             WHERE id = ?1",
            params![id.0, state.as_str(), attempts, error, next_attempt_at, now],
        )
        .op(OP)?;
        if state == OutboxState::Submitting {
            // Undo send is over once a submission starts: the kept draft goes with it.
            tx.execute(
                "DELETE FROM drafts WHERE id = (SELECT held_draft FROM outbox WHERE id = ?1)",
                [id.0],
            )
            .op(OP)?;
            tx.execute(
                "UPDATE outbox SET held_draft = NULL, hold_until = 0 WHERE id = ?1",
                [id.0],
            )
            .op(OP)?;
        }
        tx.execute(
            "INSERT INTO outbox_events (outbox_id, at, state, error) VALUES (?1, ?2, ?3, ?4)",
            params![id.0, now, state.as_str(), error],
        )
        .op(OP)?;
        let message = tx
            .query_row(
                &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1"),
                [id.0],
                |row| outbox_from_row(row, OP),
            )
            .op(OP)??;
        tx.commit().op(OP)?;
        Ok(message)
    }

    /// Messages due for work at `now`: `queued` ones to submit and `submitted` ones whose Sent
    /// copy is to be written, oldest due first.
    pub fn due(&self, now: i64) -> Result<Vec<OutboxMessage>> {
        self.due_by(now, now)
    }

    /// Messages due by `until` (a back-off cut short: the network came back), but never a
    /// held one before its time at `now` (undo send).
    pub fn due_by(&self, until: i64, now: i64) -> Result<Vec<OutboxMessage>> {
        self.outbox_where(
            "due",
            "state IN ('queued', 'submitted') AND next_attempt_at <= ?1 AND hold_until <= ?2
             ORDER BY next_attempt_at, id",
            &[&until, &now],
        )
    }

    /// Messages left in `submitting` or `appending` (a previous run stopped mid-way).
    pub fn outbox_interrupted(&self) -> Result<Vec<OutboxMessage>> {
        self.outbox_where(
            "outbox_interrupted",
            "state IN ('submitting', 'appending') ORDER BY id",
            &[],
        )
    }

    /// The whole outbox, most recent first (for the outbox view).
    pub fn outbox(&self) -> Result<Vec<OutboxMessage>> {
        self.outbox_where("outbox", "1 ORDER BY created_at DESC, id DESC", &[])
    }

    /// One outbox message.
    pub fn outbox_message(&self, id: OutboxId) -> Result<Option<OutboxMessage>> {
        Ok(self
            .outbox_where("outbox_message", "id = ?1", &[&id.0])?
            .into_iter()
            .next())
    }

    fn outbox_where(
        &self,
        op: &'static str,
        condition: &str,
        params: &[&dyn rusqlite::ToSql],
    ) -> Result<Vec<OutboxMessage>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE {condition}"
            ))
            .op(op)?;
        let rows = stmt
            .query_map(params, |row| outbox_from_row(row, op))
            .op(op)?;
        crate::collect(rows, op)
    }

    /// The exact bytes of an outbox message.
    pub fn outbox_raw(&self, id: OutboxId) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT raw FROM outbox_raw WHERE outbox_id = ?1",
                [id.0],
                |row| row.get(0),
            )
            .optional()
            .op("outbox_raw")
    }

    /// The state changes of an outbox message, oldest first.
    pub fn outbox_events(&self, id: OutboxId) -> Result<Vec<OutboxEvent>> {
        const OP: &str = "outbox_events";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT at, state, error FROM outbox_events WHERE outbox_id = ?1 ORDER BY id",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([id.0], |row| {
                let at: i64 = row.get(0)?;
                let state: String = row.get(1)?;
                let error: Option<String> = row.get(2)?;
                Ok(OutboxState::parse(&state)
                    .map(|state| OutboxEvent { at, state, error })
                    .ok_or(StoreError::Corrupt {
                        op: OP,
                        column: "state",
                    }))
            })
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// Removes an outbox message that is not in flight (queued, failed or done), with its
    /// events. Returns whether it existed.
    pub fn remove_outbox(&mut self, id: OutboxId) -> Result<bool> {
        const OP: &str = "remove_outbox";
        let tx = self.write(OP)?;
        let state: Option<String> = tx
            .query_row("SELECT state FROM outbox WHERE id = ?1", [id.0], |row| {
                row.get(0)
            })
            .optional()
            .op(OP)?;
        let Some(state) = state else {
            return Ok(false);
        };
        let state = OutboxState::parse(&state).ok_or(StoreError::Corrupt {
            op: OP,
            column: "state",
        })?;
        if state.is_in_flight() {
            return Err(StoreError::OutboxInFlight { id: id.0, state });
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", [id.0])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(true)
    }

    /// Removes `done` messages last updated before `before` (unix seconds); returns how many.
    pub fn purge_outbox_done(&mut self, before: i64) -> Result<usize> {
        const OP: &str = "purge_outbox_done";
        let tx = self.write(OP)?;
        let removed = tx
            .execute(
                "DELETE FROM outbox WHERE state = 'done' AND updated_at < ?1",
                [before],
            )
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_an_hour() {
        assert_eq!(retry_delay(0), 60);
        assert_eq!(retry_delay(1), 60);
        assert_eq!(retry_delay(2), 120);
        assert_eq!(retry_delay(3), 240);
        assert_eq!(retry_delay(7), 3600);
        assert_eq!(retry_delay(100), 3600);
    }

    #[test]
    fn transitions() {
        use OutboxState::*;
        assert!(Queued.can_become(Submitting));
        assert!(Submitting.can_become(Submitted));
        assert!(
            !Submitted.can_become(Queued),
            "never re-submit a sent message"
        );
        assert!(!Submitted.can_become(Submitting));
        assert!(!Submitted.can_become(Failed));
        assert!(!Done.can_become(Queued));
        assert!(Failed.can_become(Queued));
        assert!(Appending.can_become(Submitted));
        assert!(!Queued.can_become(Done));
    }
}
