//! The outbox: every message is written to the local store before any network use, then moved
//! through `queued → submitting → submitted → appending → done`, each change committed
//! (with its error, if any) before the next network step.
//!
//! # Exactly once — the protocol
//!
//! 1. **Render once.** The Message-ID is generated once and the exact bytes are stored
//!    ([`relais_store::Store::enqueue`], one SQLite transaction, committed before any
//!    connection is opened). Retries send these bytes, never a re-rendering.
//! 2. **One worker per profile.** Outbox work runs under an exclusive lock on
//!    `<profile>/outbox.lock` (an OS file lock, released by the kernel when the process
//!    dies). So a row found in `submitting`/`appending` by a worker holding the lock is
//!    always the leftover of a *dead* process, never another live process's send (the app and
//!    `relais outbox retry` may run at the same time).
//! 3. `queued → submitting` (committed) → SMTP (`MAIL`/`RCPT` with DSN when asked, `DATA`) →
//!    on the server's final `250`, `submitted` is committed **at once**. A `submitted` row is
//!    never submitted again (the store refuses `submitted → queued`).
//! 4. `submitted → appending` (committed) → `UID SEARCH HEADER Message-ID <id>` in the box's
//!    Sent folder (found by its SPECIAL-USE `\Sent`): if the copy is already there, nothing
//!    is appended; otherwise `APPEND` the **same bytes** with `\Seen` → `done`.
//! 5. Audit (`send`: who, Message-ID, number of recipients, the server's reply; `append`),
//!    then the `OutboxChanged` event.
//!
//! What a restart finds, and does ([`Engine::resume_interrupted`], run by
//! [`Engine::retry_outbox`]):
//!
//! | killed… | row left in | recovery |
//! |---|---|---|
//! | before SMTP | `submitting` | Sent has no copy → submit again (nothing had left) |
//! | during DATA | `submitting` | the server never got the final `.`: it discards the unfinished transaction (RFC 5321 §4.1.1.4; Postfix does) → submit again |
//! | after the `250`, before APPEND | `submitted` | APPEND only; never re-submitted |
//! | during APPEND | `appending` | search Sent by Message-ID: found → `done`; not found → APPEND |
//!
//! **The one window no client can close.** SMTP has no idempotent submission and a client
//! cannot ask the server whether it accepted a message. Between the server's acceptance of
//! the final `.` and our commit of `submitted` (one network round trip plus one SQLite
//! commit, i.e. milliseconds) a kill leaves a row in `submitting` that *was* accepted. Relais
//! then checks Sent (a copy there proves it left: e.g. another device finished it) and, when
//! there is none, submits again — with the same Message-ID, so the duplicate is recognisable
//! by the recipient's software — and records in the row's history that the send was
//! interrupted. We chose "at least once" in this window because a lost health message is
//! worse than a recognisable duplicate, and we never write to Sent before the server accepted
//! (a Sent copy must not claim a message left when it did not).
//!
//! Failures: temporary ones (server unreachable, 4xx, TLS, authentication) leave the row
//! `queued` with `last_error` in French and a back-off (1 min doubling to 1 h); a permanent
//! refusal (5xx, too large) makes it `failed`, shown with the server's answer until the
//! person retries ([`Engine::retry_failed`]) or removes it.
//!
//! Test hook: in debug builds only, `RELAIS_CRASH_AT=before_smtp|after_smtp|during_append`
//! aborts the process at that point (the kill-at-each-step tests). "During DATA" is tested by
//! killing the process from a proxy in the middle of the data transfer.

use std::fs::File;

use relais_net::NetError;
use relais_store::{AuditAction, OutboxId, OutboxMessage, OutboxState};
use serde::Serialize;

use crate::error::{EngineError, Result};
use crate::events::Event;
use crate::sync::BoxConnection;
use crate::Engine;

/// What processing one outbox message did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxOutcome {
    pub id: OutboxId,
    pub message_id: String,
    pub state: OutboxState,
    /// The submission server's final reply, when it answered in this pass.
    pub server_reply: Option<String>,
    /// The error of this pass (French), if any.
    pub error: Option<String>,
}

/// The outbox worker lock of a profile (see the module doc, point 2).
struct OutboxLock {
    _file: File,
}

fn crash_point(name: &str) {
    if cfg!(debug_assertions)
        && std::env::var("RELAIS_CRASH_AT").is_ok_and(|v| v.split(',').any(|p| p == name))
    {
        std::process::abort();
    }
}

/// Whether a submission error means "will never pass as is".
fn permanent(e: &NetError) -> bool {
    match e {
        NetError::Refused { code, .. } => (500..600).contains(code),
        NetError::TooLarge { .. } | NetError::BccHeader => true,
        _ => false,
    }
}

impl Engine {
    fn outbox_lock(&self) -> Result<OutboxLock> {
        let path = self.profile_dir().root().join("outbox.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EngineError::io("verrou de la boîte d'envoi", e))?;
        file.lock()
            .map_err(|e| EngineError::io("verrou de la boîte d'envoi", e))?;
        Ok(OutboxLock { _file: file })
    }

    pub(crate) fn outbox_changed(&self) {
        let rows = match self.store().and_then(|s| Ok(s.outbox()?)) {
            Ok(rows) => rows,
            Err(e) => {
                // The counts on screen stay as they were; the next change sends them again.
                tracing::warn!(error = %e, "boîte d'envoi illisible : compteurs non mis à jour");
                return;
            }
        };
        let queued = rows
            .iter()
            .filter(|r| r.state != OutboxState::Done && r.state != OutboxState::Failed)
            .count() as u32;
        let failed = rows
            .iter()
            .filter(|r| r.state == OutboxState::Failed)
            .count() as u32;
        (self.events)(Event::OutboxChanged { queued, failed });
    }

    /// The outbox, most recent first: state, attempts, last error (French), next attempt.
    pub fn outbox(&self) -> Result<Vec<OutboxMessage>> {
        Ok(self.store()?.outbox()?)
    }

    /// When the next waiting message is due (unix seconds), if any waits.
    pub fn next_outbox_attempt(&self) -> Result<Option<i64>> {
        Ok(self
            .store()?
            .outbox()?
            .iter()
            .filter(|m| matches!(m.state, OutboxState::Queued | OutboxState::Submitted))
            .map(|m| m.next_attempt_at.max(m.hold_until))
            .min())
    }

    /// Finish what a killed process left in flight (`submitting`, `appending`; see the module
    /// doc). Run at start, and by [`Engine::retry_outbox`].
    pub fn resume_interrupted(&self) -> Result<Vec<OutboxOutcome>> {
        let _lock = self.outbox_lock()?;
        self.resume_locked()
    }

    fn resume_locked(&self) -> Result<Vec<OutboxOutcome>> {
        let rows = self.store()?.outbox_interrupted()?;
        let mut out = Vec::new();
        for row in rows {
            out.push(self.process_locked(row.id)?);
        }
        if !out.is_empty() {
            self.outbox_changed();
        }
        Ok(out)
    }

    /// The runtime's outbox worker looks again (its wait changes: a held message was
    /// queued). Without a runtime (the CLI, tests), nothing: the caller drives the outbox.
    pub(crate) fn wake_outbox(&self) {
        if let Some(wake) = crate::lock(&self.outbox_waker).as_ref() {
            wake();
        }
    }

    pub(crate) fn set_outbox_waker(&self, waker: crate::OutboxWaker) {
        *crate::lock(&self.outbox_waker) = Some(waker);
    }

    /// Resume interrupted sends, then process every message due by `now` (unix seconds; a
    /// later time cuts back-offs short, never an undo-send hold).
    pub fn retry_outbox(&self, now: i64) -> Result<Vec<OutboxOutcome>> {
        let _lock = self.outbox_lock()?;
        let mut out = self.resume_locked()?;
        let due = self.store()?.due_by(now, crate::now_secs())?;
        for row in due {
            out.push(self.process_locked(row.id)?);
        }
        self.outbox_changed();
        Ok(out)
    }

    /// The person asks to retry a `failed` (or waiting) message now.
    pub fn retry_failed(&self, id: OutboxId) -> Result<OutboxOutcome> {
        let _lock = self.outbox_lock()?;
        let row = self
            .store()?
            .outbox_message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        if row.state == OutboxState::Failed {
            self.store()?
                .set_outbox_state(id, OutboxState::Queued, None, crate::now_secs())?;
        }
        let outcome = self.process_locked(id)?;
        self.outbox_changed();
        Ok(outcome)
    }

    /// « Annuler l'envoi »: a held message that was not tried yet leaves the outbox and comes
    /// back as the draft it was written in. Too late (it was tried) is
    /// [`crate::SendError::TooLateToRecall`], and the message goes on.
    pub fn recall_send(&self, id: OutboxId) -> crate::send::SendResult<crate::Compose> {
        let recalled = {
            let _lock = self.outbox_lock()?;
            self.store()?.recall(id)?
        };
        self.outbox_changed();
        let draft = recalled.ok_or(crate::SendError::TooLateToRecall)?;
        self.draft_compose(draft)
    }

    /// Remove a message that is not in flight (queued, failed or done).
    pub fn remove_from_outbox(&self, id: OutboxId) -> Result<bool> {
        let _lock = self.outbox_lock()?;
        let removed = self.store()?.remove_outbox(id)?;
        self.outbox_changed();
        Ok(removed)
    }

    pub(crate) fn process_one(&self, id: OutboxId) -> Result<OutboxOutcome> {
        let _lock = self.outbox_lock()?;
        let outcome = self.process_locked(id)?;
        self.outbox_changed();
        Ok(outcome)
    }

    /// Move one message as far as it goes. The caller holds the outbox lock.
    fn process_locked(&self, id: OutboxId) -> Result<OutboxOutcome> {
        // A held message's kept draft goes when its submission starts (in the store's
        // transaction); its copy in the Drafts folder then goes too.
        // (The store's guard is let go between the two look-ups: it is not re-entrant.)
        let held = self.store()?.held_draft(id)?;
        let held_copy = match held {
            Some(draft) => self
                .store()?
                .draft(draft)?
                .and_then(|d| d.server_uid.map(|uid| (draft, d.content.box_address, uid))),
            None => None,
        };
        let outcome = self.process_steps(id)?;
        if let Some((draft, address, uid)) = held_copy {
            if self.store()?.draft(draft)?.is_none() {
                if let Err(e) = self.delete_server_draft(&address, uid) {
                    // The message is on its way; a copy left behind is only untidy.
                    tracing::warn!(error = %e, "copie du brouillon non supprimée du serveur");
                }
            }
        }
        Ok(outcome)
    }

    /// The steps of [`Engine::process_locked`].
    fn process_steps(&self, id: OutboxId) -> Result<OutboxOutcome> {
        let mut server_reply = None;
        let mut error = None;
        // Each pass of the loop does one step; a step that fails returns.
        for _ in 0..8 {
            let row = self
                .store()?
                .outbox_message(id)?
                .ok_or(EngineError::UnknownMessage)?;
            let now = crate::now_secs();
            match row.state {
                OutboxState::Queued => {
                    self.store()?
                        .set_outbox_state(id, OutboxState::Submitting, None, now)?;
                    crash_point("before_smtp");
                    match self.submit_row(&row) {
                        Ok(reply) => {
                            self.store()?.set_outbox_state(
                                id,
                                OutboxState::Submitted,
                                None,
                                crate::now_secs(),
                            )?;
                            crash_point("after_smtp");
                            server_reply = Some(reply);
                        }
                        Err(e) => {
                            let text = e.to_string();
                            let next = match &e {
                                EngineError::Net(n) if permanent(n) => OutboxState::Failed,
                                _ => OutboxState::Queued,
                            };
                            self.store()?.set_outbox_state(
                                id,
                                next,
                                Some(&text),
                                crate::now_secs(),
                            )?;
                            error = Some(text);
                            break;
                        }
                    }
                }
                OutboxState::Submitting => {
                    // Left by a dead process (we hold the lock). Sent has a copy only if it
                    // had left; otherwise the server did not finish accepting it, or we are in
                    // the one ambiguous window (see the module doc): submit again.
                    match self.sent_copy_exists(&row) {
                        Ok(true) => {
                            self.store()?.set_outbox_state(
                                id,
                                OutboxState::Submitted,
                                Some("Envoi interrompu : une copie est déjà dans Envoyés, le message était parti."),
                                now,
                            )?;
                        }
                        Ok(false) => {
                            self.store()?.set_outbox_state(
                                id,
                                OutboxState::Queued,
                                Some("Envoi interrompu avant la confirmation du serveur : renvoyé avec le même Message-ID."),
                                now,
                            )?;
                        }
                        Err(e) => {
                            error = Some(e.to_string());
                            break;
                        }
                    }
                }
                OutboxState::Submitted | OutboxState::Appending => {
                    match self.append_to_sent(&row) {
                        Ok(()) => {
                            self.store()?.set_outbox_state(
                                id,
                                OutboxState::Done,
                                None,
                                crate::now_secs(),
                            )?;
                            self.forget_dsn(&row.message_id)?;
                        }
                        Err(e) => {
                            let text = format!(
                                "Message envoyé, mais la copie dans Envoyés n'a pas pu être écrite : {e}"
                            );
                            if row.state == OutboxState::Appending
                                || self
                                    .store()?
                                    .outbox_message(id)?
                                    .is_some_and(|r| r.state == OutboxState::Appending)
                            {
                                self.store()?.set_outbox_state(
                                    id,
                                    OutboxState::Submitted,
                                    Some(&text),
                                    crate::now_secs(),
                                )?;
                            }
                            error = Some(text);
                            break;
                        }
                    }
                }
                OutboxState::Done | OutboxState::Failed => {
                    if row.state == OutboxState::Failed && error.is_none() {
                        error = row.last_error.clone();
                    }
                    break;
                }
            }
        }
        let row = self
            .store()?
            .outbox_message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        Ok(OutboxOutcome {
            id,
            message_id: row.message_id,
            state: row.state,
            server_reply,
            error,
        })
    }

    /// SMTP submission of the stored bytes; audited either way.
    fn submit_row(&self, row: &OutboxMessage) -> Result<String> {
        let raw = self
            .store()?
            .outbox_raw(row.id)?
            .ok_or(EngineError::UnknownMessage)?;
        let dsn = self.dsn_requested(&row.message_id)?;
        let request = format!(
            "SMTP MAIL FROM:<{}>{} RCPT TO: {} destinataire(s), Message-ID <{}>",
            row.envelope_from,
            if dsn { " NOTIFY=SUCCESS,FAILURE" } else { "" },
            row.recipients.len(),
            row.message_id
        );
        // lettre ends DATA with `\r\n.\r\n` after the bytes it is given: give it the message
        // without its final CRLF, so that what the server receives is exactly `raw` (the
        // bytes appended to Sent).
        let wire = raw.strip_suffix(b"\r\n").unwrap_or(&raw);
        let result = self.credentials().and_then(|credentials| {
            relais_net::submit(
                &self.operator,
                &self.tls,
                &credentials,
                &row.box_address,
                &row.envelope_from,
                &row.recipients,
                wire,
                dsn,
            )
            .map_err(EngineError::from)
        });
        match result {
            Ok(report) => {
                let reply = format!("{} {}", report.code, report.text);
                self.audit(&row.box_address, AuditAction::Send, &request, &reply, true);
                Ok(reply)
            }
            Err(e) => {
                self.audit(
                    &row.box_address,
                    AuditAction::Send,
                    &request,
                    &e.to_string(),
                    false,
                );
                Err(e)
            }
        }
    }

    /// The server name of the box's Sent folder: SPECIAL-USE `\Sent`, else the store's
    /// role, else `Sent`.
    pub(crate) fn special_folder(
        &self,
        conn: &mut BoxConnection,
        address: &relais_core::BoxAddress,
        role: relais_store::FolderRole,
    ) -> Result<String> {
        // The synchronised folder list knows the roles already: no LIST needed.
        if let Some(f) = self.store()?.folder_by_role(address, role)? {
            return Ok(conn.server_name(&f.name));
        }
        let pattern = format!("{}*", conn.prefix);
        let wanted = match role {
            relais_store::FolderRole::Drafts => relais_net::SpecialUse::Drafts,
            _ => relais_net::SpecialUse::Sent,
        };
        let listed = conn
            .session
            .list_folders(&pattern, false)
            .map_err(|e| self.server_refused(address, e))?;
        if let Some(found) = listed.into_iter().find(|f| f.role == Some(wanted)) {
            return Ok(found.name);
        }
        Ok(conn.server_name(match role {
            relais_store::FolderRole::Drafts => "Drafts",
            _ => "Sent",
        }))
    }

    fn sent_uids(
        &self,
        conn: &mut BoxConnection,
        row: &OutboxMessage,
        sent: &str,
    ) -> Result<usize> {
        let address = &row.box_address;
        conn.select(sent)
            .map_err(|e| self.server_refused(address, e))?;
        let uids = conn
            .session
            .search_uids(&relais_net::Search::MessageId(row.message_id.clone()))
            .map_err(|e| self.server_refused(address, e))?;
        Ok(uids.len())
    }

    fn sent_copy_exists(&self, row: &OutboxMessage) -> Result<bool> {
        let entitlement = self.entitlement(&row.box_address)?;
        let mut conn = self.pooled(&entitlement)?;
        let sent =
            self.special_folder(&mut conn, &row.box_address, relais_store::FolderRole::Sent)?;
        let n = self.sent_uids(&mut conn, row, &sent)?;
        Ok(n > 0)
    }

    /// The Sent folder read again after a copy was written, so that the window lists it
    /// (whoever sent it: the composer, or the outbox worker after an undo-send delay).
    fn reread_sent(&self, entitlement: &relais_core::Entitlement, sent: &str) {
        let reread = || -> Result<()> {
            let Some(folder) = self.find_folder(&entitlement.address, sent)? else {
                return Ok(());
            };
            let mut conn = self.pooled(entitlement)?;
            let never = std::sync::atomic::AtomicBool::new(false);
            let events = self.events.clone();
            self.sync_folder(entitlement, &mut conn, folder.id, sent, &events, &never)?;
            Ok(())
        };
        if let Err(e) = reread() {
            // The copy is written; the next synchronisation lists it.
            tracing::warn!(error = %e, "dossier Envoyés non relu après l'envoi");
        }
    }

    /// Step 4 of the protocol: `appending`, search Sent, APPEND the same bytes if absent.
    fn append_to_sent(&self, row: &OutboxMessage) -> Result<()> {
        let entitlement = self.entitlement(&row.box_address)?;
        let mut conn = self.pooled(&entitlement)?;
        let sent =
            self.special_folder(&mut conn, &row.box_address, relais_store::FolderRole::Sent)?;
        if row.state == OutboxState::Submitted {
            self.store()?.set_outbox_state(
                row.id,
                OutboxState::Appending,
                None,
                crate::now_secs(),
            )?;
        }
        if self.sent_uids(&mut conn, row, &sent)? > 0 {
            return Ok(());
        }
        let raw = self
            .store()?
            .outbox_raw(row.id)?
            .ok_or(EngineError::UnknownMessage)?;
        let request = format!("APPEND {sent} (\\Seen) Message-ID <{}>", row.message_id);
        let result = conn.session.append_message(&sent, &["\\Seen"], &raw);
        drop(conn);
        match result {
            Ok(appended) => {
                let uid = appended
                    .map(|u| format!(" [APPENDUID {u}]"))
                    .unwrap_or_default();
                self.audit(
                    &row.box_address,
                    AuditAction::Append,
                    &request,
                    &format!("OK{uid}"),
                    true,
                );
                crash_point("during_append");
                self.reread_sent(&entitlement, &sent);
                Ok(())
            }
            Err(e) => {
                self.audit(
                    &row.box_address,
                    AuditAction::Append,
                    &request,
                    &e.to_string(),
                    false,
                );
                Err(self.server_refused(&row.box_address, e))
            }
        }
    }
}
