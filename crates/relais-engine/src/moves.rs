//! Moving messages between folders, and undoing the last move.
//!
//! Inside one box: one `UID MOVE` for the whole selection (RFC 6851; COPY + EXPUNGE on a
//! server without MOVE). The rows leave their folder as soon as the server said yes; the
//! destination is then synchronised on the same connection, so the moved messages are in the
//! store under their new UIDs (given by `COPYUID`, RFC 4315, or found by Message-ID) and the
//! receipt names them: undoing is the same move the other way.
//!
//! To another box of the same person (each box is its own IMAP login, so no server command
//! spans them): each message is appended, with its flags, to the destination first; only
//! when every copy is there are the originals expunged. A failure half-way leaves copies in
//! the destination and every original in place: a duplicate, never a loss. Both boxes audit
//! their half (`append`, `delete`).

use std::sync::atomic::AtomicBool;

use relais_core::BoxAddress;
use relais_net::{NetError, Refusal, Search};
use relais_store::{AuditAction, FolderId, MessageId};

use crate::error::{EngineError, Result};
use crate::Engine;

/// A move the server confirmed: what an undo moves back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveReceipt {
    /// The box of both folders.
    pub box_address: BoxAddress,
    /// Where the messages were.
    pub from_folder: FolderId,
    /// Where they are now.
    pub to_folder: FolderId,
    /// How many messages moved.
    pub moved: usize,
    /// The moved messages' ids in the destination, once synchronised there (empty when the
    /// destination could not be read again: the move cannot be undone from here).
    pub moved_ids: Vec<MessageId>,
}

impl Engine {
    /// Moves messages of one folder to another folder of the same box.
    pub fn move_messages(&self, ids: &[MessageId], destination: FolderId) -> Result<MoveReceipt> {
        let first = ids.first().ok_or(EngineError::UnknownMessage)?;
        let t = self.target(*first)?;
        let address = t.entitlement.address.clone();
        let mut uids = Vec::with_capacity(ids.len());
        let mut message_ids = Vec::with_capacity(ids.len());
        for id in ids {
            let message = self
                .store()?
                .message(*id)?
                .ok_or(EngineError::UnknownMessage)?;
            if message.summary.folder_id != t.folder_id {
                return Err(EngineError::MixedSelection);
            }
            uids.push(message.summary.uid);
            message_ids.extend(message.message_id);
        }
        uids.sort_unstable();
        uids.dedup();
        let to = self
            .store()?
            .folder(destination)?
            .ok_or_else(|| EngineError::UnknownFolder {
                address: address.clone(),
                folder: destination.0.to_string(),
            })?;
        let receipt = |moved, moved_ids| MoveReceipt {
            box_address: address.clone(),
            from_folder: t.folder_id,
            to_folder: to.id,
            moved,
            moved_ids,
        };
        if to.id == t.folder_id {
            return Ok(receipt(0, Vec::new()));
        }
        if to.box_address != address {
            let moved_ids = self.move_to_other_box(&t, ids, &uids, &to)?;
            return Ok(receipt(uids.len(), moved_ids));
        }
        if !(t.entitlement.rights.can_delete() && t.entitlement.rights.contains('i')) {
            return Err(self.not_allowed(&t, "déplacer des messages"));
        }

        let set = relais_net::uid_set(&uids);
        let request = format!("UID MOVE {set} {}", to.name);
        let mut conn = self.selected(&t)?;
        let server_name = conn.server_name(&to.name);
        let result = conn.session.move_uids(&set, &server_name);
        let reply = match result {
            Ok(reply) if reply.moved => reply,
            // Moved or deleted by another client since our sync: say so, rather than report
            // a move of nothing as done.
            Ok(_)
            | Err(NetError::ImapRefused {
                refusal: Refusal::ExpungeIssued,
                ..
            }) => {
                drop(conn);
                self.forget_uids(&address, t.folder_id, &uids)?;
                return self
                    .gone_elsewhere(&t, AuditAction::Move, &request)
                    .map(|()| receipt(0, Vec::new()));
            }
            Err(e) => {
                drop(conn);
                self.audit(&address, AuditAction::Move, &request, &e.to_string(), false);
                return Err(self.server_refused(&address, e));
            }
        };
        self.audit(&address, AuditAction::Move, &request, "OK", true);
        // None of these UIDs is in the source any more (moved, or gone before).
        self.forget_uids(&address, t.folder_id, &uids)?;

        // The destination now, on the same connection: the moved messages appear there at
        // once, with the ids an undo needs.
        let never = AtomicBool::new(false);
        let events = self.events.clone();
        let synced = self.sync_folder(&t.entitlement, &mut conn, to.id, &to.name, &events, &never);
        if let Err(e) = synced {
            // The move is done; only its undo is lost. The live watch reads the folder again.
            tracing::warn!(error = %e, "dossier de destination non relu après le déplacement");
            return Ok(receipt(uids.len(), Vec::new()));
        }
        let destination_uids = if reply.destination_uids.is_empty() {
            // No COPYUID: find them by Message-ID in the destination (selected by the sync).
            let mut found = Vec::new();
            for message_id in message_ids {
                let result = conn.session.search_uids(&Search::MessageId(message_id));
                found.extend(result.map_err(|e| self.server_refused(&address, e))?);
            }
            found
        } else {
            reply.destination_uids
        };
        drop(conn);
        let moved_ids = self.store()?.ids_of_uids(to.id, &destination_uids)?;
        Ok(receipt(uids.len(), moved_ids))
    }

    /// The move of `ids` (UIDs `uids` of `t`'s folder) into `to`, a folder of another box of
    /// the person: append each, then expunge the originals (see the module doc). Returns the
    /// moved messages' ids in the destination.
    fn move_to_other_box(
        &self,
        t: &crate::actions::Target,
        ids: &[MessageId],
        uids: &[u32],
        to: &relais_store::Folder,
    ) -> Result<Vec<MessageId>> {
        let from = &t.entitlement.address;
        if !t.entitlement.rights.can_delete() {
            return Err(self.not_allowed(t, "retirer des messages de cette boîte"));
        }
        let dest = self.entitlement(&to.box_address)?;
        if !dest.rights.contains('i') {
            return Err(EngineError::NotAllowed {
                address: dest.address.clone(),
                action: "y déposer des messages".into(),
            });
        }
        // Every original's bytes and flags first: nothing is written before all are read.
        let mut originals = Vec::with_capacity(ids.len());
        for id in ids {
            let message = self
                .store()?
                .message(*id)?
                .ok_or(EngineError::UnknownMessage)?;
            let mut flags = Vec::new();
            if message.summary.seen {
                flags.push("\\Seen");
            }
            if message.summary.flagged {
                flags.push("\\Flagged");
            }
            if message.summary.answered {
                flags.push("\\Answered");
            }
            originals.push((self.raw_message(*id)?, flags, message.message_id));
        }

        let mut conn = self.pooled(&dest)?;
        let server_name = conn.server_name(&to.name);
        let mut appended_uids = Vec::new();
        let mut message_ids = Vec::new();
        for (raw, flags, message_id) in &originals {
            let request = format!("APPEND {} (moved from {from})", to.name);
            match conn.session.append_message(&server_name, flags, raw) {
                Ok(uid) => {
                    self.audit(&dest.address, AuditAction::Append, &request, "OK", true);
                    appended_uids.extend(uid);
                    message_ids.extend(message_id.clone());
                }
                Err(e) => {
                    drop(conn);
                    self.audit(
                        &dest.address,
                        AuditAction::Append,
                        &request,
                        &e.to_string(),
                        false,
                    );
                    // Nothing was removed from the source: at worst some copies are doubled.
                    return Err(self.server_refused(&dest.address, e));
                }
            }
        }

        // Every copy is in the destination: the originals go.
        let set = relais_net::uid_set(uids);
        let request = format!(
            "UID STORE {set} +FLAGS (\\Deleted); UID EXPUNGE {set} (moved to {})",
            dest.address
        );
        let mut source = self.selected(t)?;
        let expunged = source.session.expunge_uids(&set);
        drop(source);
        match expunged {
            Ok(_) => self.audit(from, AuditAction::Delete, &request, "OK", true),
            Err(e) => {
                self.audit(from, AuditAction::Delete, &request, &e.to_string(), false);
                return Err(self.server_refused(from, e));
            }
        }
        self.forget_uids(from, t.folder_id, uids)?;

        // The destination, on its connection: the moved messages appear with their ids.
        let never = AtomicBool::new(false);
        let events = self.events.clone();
        if let Err(e) = self.sync_folder(&dest, &mut conn, to.id, &to.name, &events, &never) {
            tracing::warn!(error = %e, "dossier de destination non relu après le déplacement");
            return Ok(Vec::new());
        }
        let destination_uids = if appended_uids.len() == originals.len() {
            appended_uids
        } else {
            // No APPENDUID: find them by Message-ID in the destination (selected by the sync).
            let mut found = Vec::new();
            for message_id in message_ids {
                let result = conn.session.search_uids(&Search::MessageId(message_id));
                found.extend(result.map_err(|e| self.server_refused(&dest.address, e))?);
            }
            found
        };
        drop(conn);
        Ok(self.store()?.ids_of_uids(to.id, &destination_uids)?)
    }

    /// Moves the messages of `receipt` back where they were.
    pub fn undo_move(&self, receipt: &MoveReceipt) -> Result<MoveReceipt> {
        if receipt.moved_ids.is_empty() {
            return Err(EngineError::UnknownMessage);
        }
        self.move_messages(&receipt.moved_ids, receipt.from_folder)
    }
}
