//! What came back about a sent message: the delivery reports (DSN, RFC 3464) and read
//! receipts (MDN, RFC 8098) that name it, found among the messages of its box that hold a
//! report part, dated after it. Each entry keeps the report's own message id, so the raw
//! report stays one click away.

use relais_mail::{parse_reports, ReportKind};
use relais_store::MessageId;
use serde::Serialize;

use crate::error::{EngineError, Result};
use crate::Engine;

/// Reports looked at for one sent message, at most: a box's reports of the following days.
const CANDIDATES: u32 = 500;

/// Reports may be dated a little before the message by a server's clock.
const CLOCK_SLACK_SECS: i64 = 3600;

/// One report about a sent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Returned {
    /// The report message itself (to open it raw).
    pub report: MessageId,
    /// When it arrived (its date, unix seconds).
    pub at: i64,
    /// What it says.
    pub kind: ReportKind,
    /// One French sentence (« Distribué à … », « Lu par … », « Non distribué à … : … »).
    pub summary: String,
    /// What to do about it, in French, when something is to be done.
    pub advice: Option<String>,
}

impl Engine {
    /// The reports that came back about a sent message (its delivery, its reading, its
    /// bounce), oldest first; empty when none came (yet), for a message outside a Sent
    /// folder, or without a Message-ID.
    pub fn returned_reports(&self, id: MessageId) -> Result<Vec<Returned>> {
        let message = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        // Only what the box sent has reports to wait for.
        let sent = self
            .store()?
            .folder(message.summary.folder_id)?
            .is_some_and(|f| f.role == Some(relais_store::FolderRole::Sent));
        let Some(message_id) = message.message_id.filter(|_| sent) else {
            return Ok(Vec::new());
        };
        let candidates = self.store()?.report_candidates(
            &message.summary.box_address,
            message.summary.date - CLOCK_SLACK_SECS,
            CANDIDATES,
        )?;
        let mut out = Vec::new();
        for candidate in candidates {
            let at = self
                .store()?
                .message(candidate)?
                .map(|m| m.summary.date)
                .unwrap_or_default();
            let raw = self.raw_message(candidate)?;
            for report in parse_reports(&raw) {
                if report.original_message_id.as_deref() != Some(message_id.as_str()) {
                    continue;
                }
                out.push(Returned {
                    report: candidate,
                    at,
                    advice: relais_mail::advice(&report.kind).map(str::to_owned),
                    kind: report.kind,
                    summary: report.summary,
                });
            }
        }
        Ok(out)
    }
}
