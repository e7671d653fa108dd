//! Actions on messages, done on the server and mirrored locally.
//!
//! The person's rights on the box are checked first, before any network call: a read-only
//! box refuses Delete at once. The local store changes only after the server said yes, so
//! a refused change leaves nothing to roll back; every attempt, refused or not, is in the
//! box's audit log (the command, never the content).

use relais_core::Entitlement;
use relais_store::{AuditAction, FlagUpdate, FolderRole, MessageId};

use crate::error::{EngineError, Result};
use relais_net::{FlagChange, NetError, Refusal};

use crate::pool::Pooled;
use crate::sync::flags_of;
use crate::Engine;

/// A flag the person can set or clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    Seen,
    Flagged,
    Answered,
}

impl Flag {
    fn imap(self) -> &'static str {
        match self {
            Flag::Seen => "\\Seen",
            Flag::Flagged => "\\Flagged",
            Flag::Answered => "\\Answered",
        }
    }
}

pub(crate) struct Target {
    pub(crate) entitlement: Entitlement,
    pub(crate) folder_id: relais_store::FolderId,
    pub(crate) folder: String,
    pub(crate) uid: u32,
    /// The message's MODSEQ as last synchronised (CONDSTORE), for `UNCHANGEDSINCE`.
    modseq: Option<u64>,
}

/// The `detail` of the refusal when another client changed or removed the message since
/// our last sync (CONDSTORE `[MODIFIED]`, RFC 7162 §3.1.3): nothing was changed, the
/// message's current state was fetched into the store, and the person is told.
pub const MODIFIED_ELSEWHERE: &str =
    "[MODIFIED] le message a été modifié entre-temps depuis un autre poste ; son état actuel est affiché, refaites l'action si besoin";
/// The same when the message is no longer in its folder (moved or deleted elsewhere).
pub const GONE_ELSEWHERE: &str =
    "le message n'est plus dans ce dossier : il a été déplacé ou supprimé depuis un autre poste";

impl Engine {
    pub(crate) fn target(&self, id: MessageId) -> Result<Target> {
        let message = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        let folder = self
            .store()?
            .folder(message.summary.folder_id)?
            .ok_or(EngineError::UnknownMessage)?;
        Ok(Target {
            entitlement: self.entitlement(&message.summary.box_address)?,
            folder_id: folder.id,
            folder: folder.name,
            uid: message.summary.uid,
            // The store holds the folder as it was at its HIGHESTMODSEQ of the last sync
            // (or the message's own MODSEQ, if fetched later): "unchanged since" that.
            modseq: message
                .modseq
                .max(self.store()?.folder_state(folder.id)?.highestmodseq),
        })
    }

    pub(crate) fn not_allowed(&self, t: &Target, action: &str) -> EngineError {
        EngineError::NotAllowed {
            address: t.entitlement.address.clone(),
            action: action.to_string(),
        }
    }

    pub(crate) fn selected(&self, t: &Target) -> Result<Pooled<'_>> {
        let mut conn = self.pooled(&t.entitlement)?;
        let name = conn.server_name(&t.folder);
        conn.select(&name)
            .map_err(|e| self.server_refused(&t.entitlement.address, e))?;
        Ok(conn)
    }

    /// Set or clear a flag.
    pub fn set_flag(&self, id: MessageId, flag: Flag, on: bool) -> Result<()> {
        let t = self.target(id)?;
        let rights = &t.entitlement.rights;
        let allowed = match flag {
            Flag::Seen => rights.can_seen(),
            _ => rights.can_write_flags(),
        };
        if !allowed {
            return Err(self.not_allowed(&t, "modifier les indicateurs des messages"));
        }
        let mut conn = self.selected(&t)?;
        // With CONDSTORE, only if nobody changed the message since we last saw it: a
        // colleague's concurrent change is then reported, never silently overwritten.
        let unchanged_since = t.modseq.filter(|_| conn.condstore);
        let change = if on {
            FlagChange::Add(vec![flag.imap().to_string()])
        } else {
            FlagChange::Remove(vec![flag.imap().to_string()])
        };
        let request = format!(
            "UID STORE {} {}FLAGS ({})",
            t.uid,
            if on { "+" } else { "-" },
            flag.imap()
        );
        // One round trip: the server answers with the flags it now has.
        let reply = conn
            .session
            .store_flags(&t.uid.to_string(), &change, unchanged_since);
        let reply = match reply {
            Ok(reply) => reply,
            Err(NetError::ImapRefused {
                refusal: Refusal::ExpungeIssued,
                ..
            }) => {
                drop(conn);
                return self.gone_elsewhere(&t, AuditAction::Flag, &request);
            }
            Err(e) => {
                drop(conn);
                self.audit(
                    &t.entitlement.address,
                    AuditAction::Flag,
                    &request,
                    &e.to_string(),
                    false,
                );
                return Err(self.server_refused(&t.entitlement.address, e));
            }
        };
        let mut now = reply.updated.into_iter().find(|f| f.uid == t.uid);
        let modified = !reply.modified.is_empty();
        if now.is_none() || modified {
            // Refused as modified elsewhere, or no state sent back: read what the server has.
            let condstore = conn.condstore;
            now = conn
                .session
                .fetch_flags(&t.uid.to_string(), condstore, None)
                .map_err(|e| self.server_refused(&t.entitlement.address, e))?
                .into_iter()
                .find(|f| f.uid == t.uid);
        }
        drop(conn);
        let Some(now) = now else {
            return self.gone_elsewhere(&t, AuditAction::Flag, &request);
        };
        self.apply_flags(
            &t.entitlement.address,
            t.folder_id,
            &[FlagUpdate {
                uid: t.uid,
                flags: flags_of(&now.flags),
                modseq: now.modseq,
            }],
        )?;
        if modified {
            self.audit(
                &t.entitlement.address,
                AuditAction::Flag,
                &request,
                MODIFIED_ELSEWHERE,
                false,
            );
            return Err(self.server_refused(&t.entitlement.address, MODIFIED_ELSEWHERE));
        }
        self.audit(
            &t.entitlement.address,
            AuditAction::Flag,
            &request,
            &reply.response,
            true,
        );
        Ok(())
    }

    /// Move a message to another folder of the same box, named by its IMAP name.
    pub fn move_to(&self, id: MessageId, destination: &str) -> Result<()> {
        let address = self.target(id)?.entitlement.address;
        let folder =
            self.find_folder(&address, destination)?
                .ok_or_else(|| EngineError::UnknownFolder {
                    address: address.clone(),
                    folder: destination.to_string(),
                })?;
        self.move_messages(&[id], folder.id).map(|_| ())
    }

    /// Delete: move to the box's Trash (or, in the Trash, expunge for good).
    pub fn delete(&self, id: MessageId) -> Result<()> {
        let t = self.target(id)?;
        if !t.entitlement.rights.can_delete() {
            return Err(self.not_allowed(&t, "supprimer des messages"));
        }
        let trash = self
            .store()?
            .folder_by_role(&t.entitlement.address, FolderRole::Trash)?;
        match trash {
            Some(trash) if trash.id != t.folder_id => {
                self.move_uid(&t, &trash.name, AuditAction::Delete)
            }
            _ => self.expunge_uids(&t, &[t.uid]),
        }
    }

    /// Empty the box's Trash.
    pub fn empty_trash(&self, address: &relais_core::BoxAddress) -> Result<usize> {
        let entitlement = self.entitlement(address)?;
        let trash = self
            .store()?
            .folder_by_role(address, FolderRole::Trash)?
            .ok_or_else(|| EngineError::UnknownFolder {
                address: address.clone(),
                folder: "Corbeille".into(),
            })?;
        if !entitlement.rights.can_delete() {
            return Err(EngineError::NotAllowed {
                address: address.clone(),
                action: "vider la corbeille".into(),
            });
        }
        let uids: Vec<u32> = self
            .store()?
            .uids(trash.id)?
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        if uids.is_empty() {
            return Ok(0);
        }
        let t = Target {
            entitlement,
            folder_id: trash.id,
            folder: trash.name,
            uid: 0,
            modseq: None,
        };
        self.expunge_uids(&t, &uids)?;
        Ok(uids.len())
    }

    fn move_uid(&self, t: &Target, destination: &str, action: AuditAction) -> Result<()> {
        let mut conn = self.selected(t)?;
        let dest = conn.server_name(destination);
        let request = format!("UID MOVE {} {destination}", t.uid);
        let result = conn.session.move_uids(&t.uid.to_string(), &dest);
        drop(conn);
        // Moved or deleted by another client since our sync: say so, rather than report a
        // move of nothing as done (the server's answer names no copied message).
        if let Ok(relais_net::MoveReply { moved: false, .. })
        | Err(NetError::ImapRefused {
            refusal: Refusal::ExpungeIssued,
            ..
        }) = &result
        {
            return self.gone_elsewhere(t, action, &request);
        }
        match result {
            Ok(_) => {
                self.audit(&t.entitlement.address, action, &request, "OK", true);
                // Gone from here; it appears in the destination at its next sync.
                self.forget_uids(&t.entitlement.address, t.folder_id, &[t.uid])?;
                Ok(())
            }
            Err(e) => {
                self.audit(
                    &t.entitlement.address,
                    action,
                    &request,
                    &e.to_string(),
                    false,
                );
                Err(self.server_refused(&t.entitlement.address, e))
            }
        }
    }

    /// The message was expunged by another session meanwhile: forget it, record the
    /// refusal, and say so.
    pub(crate) fn gone_elsewhere(
        &self,
        t: &Target,
        action: AuditAction,
        request: &str,
    ) -> Result<()> {
        self.audit(
            &t.entitlement.address,
            action,
            request,
            GONE_ELSEWHERE,
            false,
        );
        self.forget_uids(&t.entitlement.address, t.folder_id, &[t.uid])?;
        Err(self.server_refused(&t.entitlement.address, GONE_ELSEWHERE))
    }

    fn expunge_uids(&self, t: &Target, uids: &[u32]) -> Result<()> {
        let mut conn = self.selected(t)?;
        let set = crate::sync::uid_set(uids);
        let request = format!("UID STORE {set} +FLAGS (\\Deleted); UID EXPUNGE {set}");
        let result = conn.session.expunge_uids(&set);
        drop(conn);
        match result {
            Ok(_) => {
                self.audit(
                    &t.entitlement.address,
                    AuditAction::Delete,
                    &request,
                    "OK",
                    true,
                );
                self.forget_uids(&t.entitlement.address, t.folder_id, uids)?;
                Ok(())
            }
            Err(e) => {
                self.audit(
                    &t.entitlement.address,
                    AuditAction::Delete,
                    &request,
                    &e.to_string(),
                    false,
                );
                Err(self.server_refused(&t.entitlement.address, e))
            }
        }
    }
}
