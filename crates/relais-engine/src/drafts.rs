//! Drafts: saved locally (the UI autosaves every few seconds with [`Engine::save_draft`]) and
//! to the box's Drafts folder on the server (SPECIAL-USE `\Drafts`, flags `\Draft \Seen`),
//! each new server copy replacing the previous one (its UID is deleted), so that a colleague
//! of a shared box can pick the draft up ([`Engine::take_over_draft`]) and finish it.
//!
//! **A draft carries no author.** The server copy has no `X-Relais-Author` and no `Sender`
//! (they are removed before APPEND); the local row records who last saved it, for display
//! only. Whoever sends a draft is its author: Marie starts, Sophie finishes and sends ⇒ the
//! message says Sophie. The signature line is also added only when sending, so it is the
//! sender's.
//!
//! What a draft keeps: box, recipients (Bcc too: the server copy carries a `Bcc:` header, as
//! drafts do in other clients; it is never sent), subject, text (with the quoted part below
//! it), attachments (files by path; in-memory bytes are written under the profile's
//! `draft-files/`), threading headers. Not kept: the HTML alternative, receipt requests and the
//! patient's identity traits (the patient's address stays among the recipients).
//! A server copy needs at least one recipient (until then the draft is local only) and the
//! `i` right on the box.

use relais_core::{BoxAddress, SizeLimits};
use relais_mail::{render_with, MessageDisplay, Recipient};
use relais_store::{
    AuditAction, Draft, DraftAttachment, DraftContent, DraftId, FolderRole, Mailbox, MessageId,
};
use serde::Serialize;

use crate::error::EngineError;
use crate::send::{Compose, ComposeAttachment, SendError, SendReceipt, SendResult};
use crate::Engine;

/// What [`Engine::save_draft`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DraftSaved {
    pub id: DraftId,
    /// UID of the copy in the box's Drafts folder, when it was written.
    pub server_uid: Option<u32>,
    /// Why the server copy was not written (French), when it was not.
    pub server_error: Option<String>,
}

fn mailbox(r: &Recipient) -> Mailbox {
    Mailbox::new(
        r.display_name.clone().unwrap_or_default(),
        r.address.as_str(),
    )
}

fn recipient(m: &Mailbox) -> Option<Recipient> {
    let address = BoxAddress::parse(&m.address).ok()?;
    Some(match m.name.as_deref().filter(|n| !n.trim().is_empty()) {
        Some(n) => Recipient::named(address, n),
        None => Recipient::new(address),
    })
}

/// Split a draft body into the person's words and the quoted/forwarded part below them.
fn split_quote(body: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let mut offset = 0;
    for (i, line) in lines.iter().enumerate() {
        let l = line.trim_end();
        let next_quoted = lines.get(i + 1).is_some_and(|n| n.starts_with('>'));
        if l == "---------- Message transféré ----------"
            || (l.ends_with(" a écrit :") && next_quoted)
        {
            let (text, quoted) = body.split_at(offset);
            let text = text.trim_end().to_string();
            return (text, Some(format!("\n\n{quoted}")));
        }
        offset += line.len();
    }
    (body.to_string(), None)
}

/// Remove header fields `names` from the header block of `raw` (with their folded lines).
fn strip_headers(raw: &[u8], names: &[&str]) -> Vec<u8> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(end);
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        let folded = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if folded {
            if !skipping {
                out.extend_from_slice(line);
            }
            continue;
        }
        skipping = names.iter().any(|n| {
            line.len() > n.len()
                && line[..n.len()].eq_ignore_ascii_case(n.as_bytes())
                && line[n.len()] == b':'
        });
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

impl Engine {
    /// Save a draft locally (new when `compose.draft` is `None`) and replace its copy in the
    /// box's Drafts folder. The server copy is best effort: its failure is reported in
    /// [`DraftSaved::server_error`], the local save stands.
    pub fn save_draft(&self, compose: &Compose) -> SendResult<DraftSaved> {
        let entitlement = self.entitlement(&compose.from_box)?;
        let content = self.draft_content(compose)?;
        let now = crate::now_secs();
        let (id, old_uid) = match compose.draft {
            Some(id) => {
                let old = self
                    .store()?
                    .draft(id)?
                    .ok_or(SendError::UnknownDraft(id))?
                    .server_uid;
                self.store()?.update_draft(id, &content, now)?;
                (id, old)
            }
            None => (self.store()?.create_draft(&content, now)?, None),
        };
        let mut compose = compose.clone();
        compose.draft = Some(id);
        let (server_uid, server_error) =
            match self.replace_server_draft(&compose, &entitlement, old_uid) {
                Ok(uid) => (uid, None),
                Err(e) => (old_uid, Some(e.to_string())),
            };
        if server_uid != old_uid {
            self.store()?.set_draft_server_uid(id, server_uid)?;
        }
        Ok(DraftSaved {
            id,
            server_uid,
            server_error,
        })
    }

    /// What a draft keeps of `compose` (see the module doc).
    fn draft_content(&self, compose: &Compose) -> SendResult<DraftContent> {
        let person = self.person()?;
        let author = relais_core::Author::from_person(&person)
            .map_err(|e| SendError::Author(e.to_string()))?;
        let mut attachments = Vec::new();
        for a in &compose.attachments {
            attachments.push(self.draft_attachment(a)?);
        }
        let body = match &compose.quoted {
            Some(q) => format!("{}{q}", compose.text.trim_end()),
            None => compose.text.clone(),
        };
        Ok(DraftContent {
            box_address: compose.from_box.clone(),
            author,
            subject: compose.subject.clone(),
            body,
            to: compose.to.iter().map(mailbox).collect(),
            cc: compose.cc.iter().map(mailbox).collect(),
            bcc: compose.bcc.iter().map(mailbox).collect(),
            attachments,
            in_reply_to: compose.in_reply_to.clone(),
            references: compose.references.clone(),
        })
    }

    /// `compose` saved as a local draft only (its server copy, if any, is left as it is):
    /// what a held message gives back when its send is undone.
    pub(crate) fn keep_local_draft(&self, compose: &Compose) -> SendResult<DraftId> {
        let content = self.draft_content(compose)?;
        let now = crate::now_secs();
        match compose.draft {
            Some(id) => {
                self.store()?.update_draft(id, &content, now)?;
                Ok(id)
            }
            None => Ok(self.store()?.create_draft(&content, now)?),
        }
    }

    fn draft_attachment(&self, a: &ComposeAttachment) -> SendResult<DraftAttachment> {
        match a {
            ComposeAttachment::Path { path } => {
                let size = std::fs::metadata(path)
                    .map_err(|e| SendError::Attachment {
                        name: path.display().to_string(),
                        detail: e.to_string(),
                    })?
                    .len();
                let filename = a.filename();
                Ok(DraftAttachment {
                    content_type: relais_mail::guess_content_type(&filename).to_string(),
                    filename,
                    size,
                    path: path.display().to_string(),
                })
            }
            ComposeAttachment::Bytes {
                filename,
                content_type,
                bytes,
            } => {
                let mut rnd = [0u8; 8];
                getrandom::fill(&mut rnd).map_err(|e| EngineError::io("brouillon", e))?;
                let dir = self
                    .profile_dir()
                    .root()
                    .join("draft-files")
                    .join(rnd.iter().map(|b| format!("{b:02x}")).collect::<String>());
                let safe: String = filename
                    .chars()
                    .map(|c| {
                        if matches!(c, '/' | '\\' | '\0') {
                            '_'
                        } else {
                            c
                        }
                    })
                    .collect();
                let path = dir.join(if safe.is_empty() {
                    "piece-jointe".into()
                } else {
                    safe
                });
                crate::send::write_durably(&path, bytes)
                    .map_err(|e| EngineError::io("brouillon", e))?;
                Ok(DraftAttachment {
                    filename: filename.clone(),
                    content_type: content_type
                        .clone()
                        .unwrap_or_else(|| relais_mail::guess_content_type(filename).to_string()),
                    size: bytes.len() as u64,
                    path: path.display().to_string(),
                })
            }
        }
    }

    /// APPEND the new server copy, then delete the old UID. `Ok(None)`: no copy possible yet
    /// (no recipient, or no `i` right).
    fn replace_server_draft(
        &self,
        compose: &Compose,
        entitlement: &relais_core::Entitlement,
        old_uid: Option<u32>,
    ) -> SendResult<Option<u32>> {
        if !entitlement.rights.contains('i') || compose.recipient_addresses().is_empty() {
            return Ok(old_uid);
        }
        let mut unsigned = compose.clone();
        unsigned.sign = false;
        let out = self.outgoing(&unsigned, entitlement)?;
        let no_limits = SizeLimits {
            per_attachment: u64::MAX,
            per_message: None,
            patient_message: u64::MAX,
        };
        let rendered = render_with(&out, true, &no_limits)?;
        let mut raw = strip_headers(&rendered.bytes, &["X-Relais-Author", "Sender"]);
        if !compose.bcc.is_empty() {
            let list = compose
                .bcc
                .iter()
                .map(|r| r.address.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let mut with_bcc = format!("Bcc: {list}\r\n").into_bytes();
            with_bcc.extend_from_slice(&raw);
            raw = with_bcc;
        }
        let address = &entitlement.address;
        let mut conn = self.pooled(entitlement)?;
        let drafts = self.special_folder(&mut conn, address, FolderRole::Drafts)?;
        let request = format!("APPEND {drafts} (\\Draft \\Seen)");
        let appended = conn
            .session
            .append_message(&drafts, &["\\Draft", "\\Seen"], &raw);
        let new_uid = match appended {
            Ok(uid) => uid,
            Err(e) => {
                self.audit(
                    address,
                    AuditAction::Append,
                    &request,
                    &e.to_string(),
                    false,
                );
                return Err(self.server_refused(address, e).into());
            }
        };
        self.audit(address, AuditAction::Append, &request, "OK", true);
        if let Some(old) = old_uid.filter(|o| Some(*o) != new_uid) {
            // The new copy is written: the old one left behind is only untidy (and audited).
            if let Err(e) = self.delete_server_uid(&mut conn, address, &drafts, old) {
                tracing::warn!(error = %e, "ancienne copie du brouillon non supprimée");
            }
        }
        // The Drafts folder on the same connection: the window lists the new copy at once.
        if let Some(folder) = self.find_folder(address, &drafts)? {
            let never = std::sync::atomic::AtomicBool::new(false);
            let events = self.events.clone();
            if let Err(e) =
                self.sync_folder(entitlement, &mut conn, folder.id, &drafts, &events, &never)
            {
                // The copy is written; the live watch reads the folder again.
                tracing::warn!(error = %e, "dossier Brouillons non relu après l'enregistrement");
            }
        }
        Ok(new_uid)
    }

    /// `UID STORE \Deleted` + `UID EXPUNGE` of one draft copy, audited either way.
    fn delete_server_uid(
        &self,
        conn: &mut crate::sync::BoxConnection,
        address: &BoxAddress,
        folder: &str,
        uid: u32,
    ) -> SendResult<()> {
        let request = format!("UID STORE {uid} +FLAGS (\\Deleted); UID EXPUNGE {uid} in {folder}");
        let result = conn
            .select(folder)
            .and_then(|_| conn.session.expunge_uids(&uid.to_string()));
        match result {
            Ok(_) => {
                self.audit(address, AuditAction::Delete, &request, "OK", true);
                // The Drafts folder's list drops the row now, not at its next sync.
                if let Some(f) = self.find_folder(address, folder)? {
                    self.forget_uids(address, f.id, &[uid])?;
                }
                Ok(())
            }
            Err(e) => {
                self.audit(
                    address,
                    AuditAction::Delete,
                    &request,
                    &e.to_string(),
                    false,
                );
                Err(e.into())
            }
        }
    }

    /// A local draft as a [`Compose`] to edit or send.
    pub fn draft_compose(&self, id: DraftId) -> SendResult<Compose> {
        let draft = self
            .store()?
            .draft(id)?
            .ok_or(SendError::UnknownDraft(id))?;
        let c = draft.content;
        let (text, quoted) = split_quote(&c.body);
        let mut compose = Compose::new(c.box_address);
        compose.to = c.to.iter().filter_map(recipient).collect();
        compose.cc = c.cc.iter().filter_map(recipient).collect();
        compose.bcc = c.bcc.iter().filter_map(recipient).collect();
        compose.subject = c.subject;
        compose.text = text;
        compose.quoted = quoted;
        compose.attachments = c
            .attachments
            .iter()
            .map(|a| ComposeAttachment::path(&a.path))
            .collect();
        compose.in_reply_to = c.in_reply_to;
        compose.references = c.references;
        compose.draft = Some(id);
        Ok(compose)
    }

    /// Send a draft: its author is the person sending it now. The local draft is deleted when
    /// the message is queued, its server copy once the send was processed (both by
    /// [`Engine::send`], whatever path the draft takes).
    pub fn send_draft(&self, id: DraftId) -> SendResult<SendReceipt> {
        let compose = self.draft_compose(id)?;
        self.send(compose)
    }

    /// The drafts of a box that exist only on this computer (no recipient yet, or the box
    /// refused the copy): the Drafts folder lists the others as ordinary messages.
    pub fn local_drafts(&self, address: &BoxAddress) -> SendResult<Vec<Draft>> {
        let mut drafts = self.store()?.drafts(address)?;
        drafts.retain(|d| d.server_uid.is_none());
        Ok(drafts)
    }

    /// Go on writing a message of a Drafts folder: the local draft tied to that server copy
    /// when this person saved it, else a new local draft taken over from it
    /// ([`Engine::take_over_draft`]).
    pub fn open_draft(&self, message: MessageId) -> SendResult<DraftId> {
        let summary = self
            .store()?
            .message(message)?
            .ok_or(EngineError::UnknownMessage)?
            .summary;
        let folder = self
            .store()?
            .folder(summary.folder_id)?
            .ok_or(EngineError::UnknownMessage)?;
        if folder.role != Some(FolderRole::Drafts) {
            return Err(SendError::NotADraft);
        }
        let tied = self
            .store()?
            .drafts(&summary.box_address)?
            .into_iter()
            .find(|d| d.server_uid == Some(summary.uid));
        match tied {
            Some(draft) => Ok(draft.id),
            None => self.take_over_draft(message),
        }
    }

    /// Throw a draft away: the local row, then its copy in the box's Drafts folder.
    pub fn discard_draft(&self, id: DraftId) -> SendResult<()> {
        let draft = self
            .store()?
            .draft(id)?
            .ok_or(SendError::UnknownDraft(id))?;
        self.store()?.delete_draft(id)?;
        if let Some(uid) = draft.server_uid {
            self.delete_server_draft(&draft.content.box_address, uid)?;
        }
        Ok(())
    }

    /// Delete the server copy `uid` of a draft from the Drafts folder of `address` (audited).
    pub(crate) fn delete_server_draft(&self, address: &BoxAddress, uid: u32) -> SendResult<()> {
        let entitlement = self.entitlement(address)?;
        let mut conn = self.pooled(&entitlement)?;
        let drafts = self.special_folder(&mut conn, address, FolderRole::Drafts)?;
        self.delete_server_uid(&mut conn, address, &drafts, uid)
    }

    /// Pick up a draft a colleague left in the Drafts folder of a shared box (a synchronised
    /// message): it becomes a local draft of this person, tied to the same server copy (which
    /// their next save replaces and their send deletes).
    pub fn take_over_draft(&self, message: MessageId) -> SendResult<DraftId> {
        let summary = self
            .store()?
            .message(message)?
            .ok_or(EngineError::UnknownMessage)?
            .summary;
        let raw = self.raw_message(message)?;
        let shown = MessageDisplay::from_raw(&raw);
        let person = self.person()?;
        let author = relais_core::Author::from_person(&person)
            .map_err(|e| SendError::Author(e.to_string()))?;
        let to_mailboxes = |l: &[relais_mail::MailboxDisplay]| -> Vec<Mailbox> {
            l.iter()
                .map(|m| Mailbox::new(m.name.clone().unwrap_or_default(), m.address.clone()))
                .collect()
        };
        let bcc = header_value(&raw, "Bcc")
            .map(|v| {
                v.split(',')
                    .map(|a| a.trim().trim_matches(['<', '>']))
                    .filter(|a| !a.is_empty())
                    .map(|a| Mailbox::new("", a))
                    .collect()
            })
            .unwrap_or_default();
        let mut attachments = Vec::new();
        for info in &shown.attachments {
            if let Some(bytes) = relais_mail::attachment_bytes(&raw, info.index) {
                attachments.push(self.draft_attachment(&ComposeAttachment::Bytes {
                    filename: info.filename.clone(),
                    content_type: Some(info.content_type.clone()),
                    bytes,
                })?);
            }
        }
        let content = DraftContent {
            box_address: summary.box_address.clone(),
            author,
            subject: shown.subject.clone(),
            body: shown.text.clone(),
            to: to_mailboxes(&shown.to),
            cc: to_mailboxes(&shown.cc),
            bcc,
            attachments,
            in_reply_to: shown.in_reply_to.clone(),
            references: shown.references.clone(),
        };
        let id = self.store()?.create_draft(&content, crate::now_secs())?;
        self.store()?.set_draft_server_uid(id, Some(summary.uid))?;
        Ok(id)
    }
}

/// The unfolded value of the first header `name` of `raw`.
fn header_value(raw: &[u8], name: &str) -> Option<String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push_str(line);
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            if n.eq_ignore_ascii_case(name) {
                value = Some(v.trim().to_string());
            }
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_split() {
        let (t, q) = split_quote("Bonjour\n\nLe 01/02/2026 à 10:00, X a écrit :\n> a\n");
        assert_eq!(t, "Bonjour");
        assert_eq!(
            q.as_deref(),
            Some("\n\nLe 01/02/2026 à 10:00, X a écrit :\n> a\n")
        );
        let (t, q) = split_quote("Seul texte");
        assert_eq!((t.as_str(), q), ("Seul texte", None));
    }

    #[test]
    fn header_stripping() {
        let raw = b"From: a\r\nX-Relais-Author: id=1;\r\n name=x\r\nSender: s\r\nSubject: y\r\n\r\nSender: body\r\n";
        let out = strip_headers(raw, &["X-Relais-Author", "Sender"]);
        assert_eq!(
            out,
            b"From: a\r\nSubject: y\r\n\r\nSender: body\r\n".to_vec()
        );
    }
}
