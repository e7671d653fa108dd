//! Bodies: fetched from the server when a message is opened (or prefetched for search),
//! then cached in the store and indexed for full-text search.

use relais_store::{FolderId, MessageId};

use crate::error::{EngineError, Result};
use crate::sync::BoxConnection;
use crate::Engine;

/// Messages larger than this are not prefetched (they are fetched when opened).
const PREFETCH_MAX_SIZE: u64 = 512 * 1024;

/// Bodies asked for in one UID FETCH (one round trip for the usual 200 prefetched).
const PREFETCH_BATCH: usize = 200;

/// The text a search indexes: the plain text, or the HTML's text.
pub fn searchable_text(raw: &[u8]) -> String {
    mail_parser::MessageParser::new()
        .parse(raw)
        .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
        .unwrap_or_default()
}

impl Engine {
    /// The raw message, from the cache or the server.
    pub fn raw_message(&self, id: MessageId) -> Result<Vec<u8>> {
        if let Some(body) = self.store()?.body(id)? {
            return Ok(body.raw);
        }
        let message = self
            .store()?
            .message(id)?
            .ok_or(EngineError::UnknownMessage)?;
        let folder = self
            .store()?
            .folder(message.summary.folder_id)?
            .ok_or(EngineError::UnknownMessage)?;
        let entitlement = self.entitlement(&message.summary.box_address)?;
        let mut conn = self.pooled(&entitlement)?;
        let raw = self.fetch_bodies(
            &mut conn,
            &entitlement.address,
            folder.id,
            &folder.name,
            &[message.summary.uid],
        )?;
        raw.into_iter()
            .next()
            .map(|(_, raw)| raw)
            .ok_or(EngineError::UnknownMessage)
    }

    /// Fetch and cache the bodies of `uids` in one folder; returns what came back.
    pub(crate) fn fetch_bodies(
        &self,
        conn: &mut BoxConnection,
        address: &relais_core::BoxAddress,
        folder_id: FolderId,
        folder: &str,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let name = conn.server_name(folder);
        conn.examine(&name)
            .map_err(|e| self.server_refused(address, e))?;
        let fetches = conn
            .session
            .fetch_bodies(&crate::sync::uid_set(uids))
            .map_err(|e| self.server_refused(address, e))?;
        let mut out = Vec::new();
        for (uid, raw) in &fetches {
            let (uid, raw) = (*uid, raw.as_slice());
            let text = searchable_text(raw);
            let mut store = self.store()?;
            if let Some(m) = store.message_by_uid(folder_id, uid)? {
                store.set_body(m.summary.id, raw, &text, crate::now_secs())?;
            }
            out.push((uid, raw.to_vec()));
        }
        Ok(out)
    }

    /// Prefetch the newest small bodies of a folder so that search sees their text.
    pub(crate) fn prefetch_bodies(
        &self,
        conn: &mut BoxConnection,
        address: &relais_core::BoxAddress,
        folder_id: FolderId,
        folder: &str,
        limit: u32,
    ) -> Result<usize> {
        let rows = self.store()?.list(folder_id, 0, limit)?;
        let mut missing = Vec::new();
        for row in rows {
            if row.size <= PREFETCH_MAX_SIZE && self.store()?.body(row.id)?.is_none() {
                missing.push(row.uid);
            }
        }
        missing.sort_unstable();
        let mut done = 0;
        for chunk in missing.chunks(PREFETCH_BATCH) {
            done += self
                .fetch_bodies(conn, address, folder_id, folder, chunk)?
                .len();
        }
        Ok(done)
    }
}
