//! Events the engine emits for the UI and the command line. Data flows one way:
//! server → sync → store → these events; the UI then reads the store.

use relais_core::BoxAddress;
use relais_store::{FolderId, MessageId};
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A folder's synchronisation advanced (`done` of `total` messages fetched).
    SyncProgress {
        box_address: BoxAddress,
        folder: String,
        done: u32,
        total: u32,
        finished: bool,
    },
    /// New messages arrived in a box's inbox (IDLE or sync).
    NewMail { box_address: BoxAddress, count: u32 },
    /// The outbox changed.
    OutboxChanged { queued: u32, failed: u32 },
    /// The connection to the operator is up or down.
    Connection { online: bool },
    /// The session ended (e.g. Pro Santé Connect refused the renewal).
    SessionEnded { reason: String },
    /// The session is locked: reads and actions are refused until the person signs in again.
    Locked,
    /// The person proved again who they are: the mail shows again.
    Unlocked,
    /// The first synchronisation of every box is over (each box's own result came before).
    Synchronised,
    /// A box could not be synchronised or watched (French message).
    BoxError {
        box_address: BoxAddress,
        message: String,
    },
    /// A box's folders changed (created, renamed, deleted): its folder list is to be read
    /// again.
    FoldersChanged { box_address: BoxAddress },
    /// Messages appeared in a folder (delivered, moved in, or found by a resync).
    MessagesAdded {
        box_address: BoxAddress,
        folder_id: FolderId,
        ids: Vec<MessageId>,
    },
    /// Flags changed on messages of a folder (read, flagged, claimed, done…), by this person
    /// or a colleague.
    MessagesChanged {
        box_address: BoxAddress,
        folder_id: FolderId,
        ids: Vec<MessageId>,
    },
    /// Messages left a folder (expunged, moved away), by this person or a colleague.
    MessagesExpunged {
        box_address: BoxAddress,
        folder_id: FolderId,
        ids: Vec<MessageId>,
    },
}

/// Where events go: a callback that must be cheap (it is called from sync threads).
pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;

/// A sink that drops everything (the command line without a progress bar).
pub fn discard() -> EventSink {
    Arc::new(|_| {})
}
