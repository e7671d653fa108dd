//! The one home of local changes made after the server said yes: each is written to the
//! store and announced with the ids of the rows it touched, so that a window updates the
//! rows it shows instead of reading its lists again.

use relais_core::BoxAddress;
use relais_store::{FlagUpdate, FolderId};

use crate::error::Result;
use crate::events::Event;
use crate::Engine;

impl Engine {
    /// New flags of messages, as the server now has them.
    pub(crate) fn apply_flags(
        &self,
        address: &BoxAddress,
        folder_id: FolderId,
        updates: &[FlagUpdate],
    ) -> Result<usize> {
        let changed = self.store()?.update_flags(folder_id, updates)?;
        let uids: Vec<u32> = updates.iter().map(|u| u.uid).collect();
        let ids = self.store()?.ids_of_uids(folder_id, &uids)?;
        if !ids.is_empty() {
            (self.events)(Event::MessagesChanged {
                box_address: address.clone(),
                folder_id,
                ids,
            });
        }
        Ok(changed)
    }

    /// Messages no longer in their folder on the server (moved, deleted, expunged).
    pub(crate) fn forget_uids(
        &self,
        address: &BoxAddress,
        folder_id: FolderId,
        uids: &[u32],
    ) -> Result<usize> {
        let ids = self.store()?.ids_of_uids(folder_id, uids)?;
        let removed = self.store()?.remove_uids(folder_id, uids)?;
        if !ids.is_empty() {
            (self.events)(Event::MessagesExpunged {
                box_address: address.clone(),
                folder_id,
                ids,
            });
        }
        Ok(removed)
    }
}
