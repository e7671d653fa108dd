//! Moving messages between the folders of one box, and undoing the last move.
//!
//! One `UID MOVE` for the whole selection (RFC 6851; COPY + EXPUNGE on a server without
//! MOVE). The rows leave their folder as soon as the server said yes; the destination is
//! then synchronised on the same connection, so the moved messages are in the store under
//! their new UIDs (given by `COPYUID`, RFC 4315, or found by Message-ID) and the receipt
//! names them: undoing is the same move the other way.

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
        if to.box_address != address {
            return Err(EngineError::MoveAcrossBoxes { address });
        }
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

    /// Moves the messages of `receipt` back where they were.
    pub fn undo_move(&self, receipt: &MoveReceipt) -> Result<MoveReceipt> {
        if receipt.moved_ids.is_empty() {
            return Err(EngineError::UnknownMessage);
        }
        self.move_messages(&receipt.moved_ids, receipt.from_folder)
    }
}
