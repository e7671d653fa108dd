//! The read model: what a window or the command line shows of the store, read in one place.
//! Box and folder counts, a folder's page grouped by thread (one threading rule: the store's
//! thread id, see [`group_threads`]), a message with its folder, and search across every
//! box. The shells translate these into their own shapes; none reads the store itself.
//!
//! A folder's listing (ids in thread order, no rows) is kept until the store changes: every
//! event that says rows changed bumps a generation, and the next page reads it again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use relais_core::{BoxAddress, Entitlement};
use relais_store::{Folder, FolderId, Message, MessageId, MessageSummary, SearchQuery};

use crate::error::{EngineError, Result};
use crate::{lock, Engine};

/// One message of a folder listing: where it stands is its place in the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListedMessage {
    pub id: MessageId,
    pub thread: MessageId,
    /// How many messages its thread holds in this folder.
    pub size: u32,
}

/// A folder with its counts.
#[derive(Debug, Clone)]
pub struct FolderCounts {
    pub folder: Folder,
    pub unread: u64,
    pub total: u64,
}

/// One row of a folder page, with its thread.
#[derive(Debug, Clone)]
pub struct PageRow {
    pub summary: MessageSummary,
    pub thread: MessageId,
    pub thread_size: u32,
}

/// A page of a folder, threaded.
#[derive(Debug, Clone)]
pub struct FolderPage {
    pub folder: Folder,
    /// Messages in the whole listing.
    pub total: u32,
    pub rows: Vec<PageRow>,
}

/// What to search, across boxes.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    /// One box, or every box of the person.
    pub box_address: Option<BoxAddress>,
    /// A folder by name (in each searched box that has it).
    pub folder: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub unread_only: bool,
    /// Only messages with attachments.
    pub with_attachments: bool,
    /// Words the sender must hold (name, address or author); empty for any.
    pub from: String,
    /// At most this many results, newest first.
    pub limit: u32,
}

/// A search hit with the name of its folder.
#[derive(Debug, Clone)]
pub struct Found {
    pub summary: MessageSummary,
    pub folder: String,
}

/// A folder's listing as of one generation of the store.
struct KeptListing {
    folder: FolderId,
    generation: u64,
    rows: Arc<Vec<ListedMessage>>,
}

/// The listings kept between two changes of the store.
#[derive(Default)]
pub(crate) struct Listings {
    generation: Arc<AtomicU64>,
    kept: Mutex<Option<KeptListing>>,
}

impl Listings {
    /// The counter that the event sink bumps on every change of rows.
    pub(crate) fn generation(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.generation)
    }
}

/// A folder's messages grouped by thread: newest thread first (a thread dates from its
/// newest message), each thread's messages contiguous, newest first. `order` is
/// `(id, thread id)` newest first ([`relais_store::Store::list_order`]).
pub fn group_threads(order: Vec<(MessageId, MessageId)>) -> Vec<ListedMessage> {
    let mut threads: Vec<MessageId> = Vec::new();
    let mut groups: HashMap<MessageId, Vec<MessageId>> = HashMap::new();
    for (id, thread) in order {
        groups
            .entry(thread)
            .or_insert_with(|| {
                threads.push(thread);
                Vec::new()
            })
            .push(id);
    }
    let mut out = Vec::new();
    for thread in threads {
        if let Some(group) = groups.remove(&thread) {
            let size = u32::try_from(group.len()).unwrap_or(u32::MAX);
            out.extend(
                group
                    .into_iter()
                    .map(|id| ListedMessage { id, thread, size }),
            );
        }
    }
    out
}

/// Each summary with the name of its folder (each folder read once).
fn with_folder_names(
    store: &relais_store::Store,
    summaries: Vec<MessageSummary>,
) -> Result<Vec<Found>> {
    let mut names: HashMap<FolderId, String> = HashMap::new();
    let mut out = Vec::with_capacity(summaries.len());
    for summary in summaries {
        let folder = match names.get(&summary.folder_id) {
            Some(name) => name.clone(),
            None => {
                let name = store
                    .folder(summary.folder_id)?
                    .map(|f| f.name)
                    .unwrap_or_default();
                names.insert(summary.folder_id, name.clone());
                name
            }
        };
        out.push(Found { summary, folder });
    }
    Ok(out)
}

impl Engine {
    /// Every box of the person with its unread count.
    pub fn boxes_with_unread(&self) -> Result<Vec<(Entitlement, u64)>> {
        let boxes = self.boxes()?;
        let store = self.store()?;
        boxes
            .into_iter()
            .map(|b| {
                let unread = store.unread_in_box(&b.address)?;
                Ok((b, unread))
            })
            .collect()
    }

    /// A box's folders with their unread and total counts.
    pub fn folders_with_counts(&self, address: &BoxAddress) -> Result<Vec<FolderCounts>> {
        let store = self.store()?;
        store
            .folders(address)?
            .into_iter()
            .map(|folder| {
                let unread = store.unread_in_folder(folder.id)?;
                let total = store.count(folder.id)?;
                Ok(FolderCounts {
                    folder,
                    unread,
                    total,
                })
            })
            .collect()
    }

    /// A folder of a box by its name.
    pub fn folder_named(&self, address: &BoxAddress, name: &str) -> Result<Folder> {
        self.store()?
            .folders(address)?
            .into_iter()
            .find(|f| f.name == name)
            .ok_or_else(|| EngineError::UnknownFolder {
                address: address.clone(),
                folder: name.to_string(),
            })
    }

    /// How many messages a folder holds.
    pub fn folder_total(&self, folder: FolderId) -> Result<u64> {
        Ok(self.store()?.count(folder)?)
    }

    /// A folder's listing, grouped by thread (ids only), kept until the store changes.
    pub fn folder_listing(&self, folder: FolderId) -> Result<Arc<Vec<ListedMessage>>> {
        let generation = self.listings.generation.load(Ordering::SeqCst);
        if let Some(kept) = lock(&self.listings.kept).as_ref() {
            if kept.folder == folder && kept.generation == generation {
                return Ok(Arc::clone(&kept.rows));
            }
        }
        let order = self.store()?.list_order(folder)?;
        let rows = Arc::new(group_threads(order));
        *lock(&self.listings.kept) = Some(KeptListing {
            folder,
            generation,
            rows: Arc::clone(&rows),
        });
        Ok(rows)
    }

    /// A page of a folder, threaded; a message removed since the listing was built is left
    /// out of its page.
    pub fn folder_page(
        &self,
        address: &BoxAddress,
        folder: &str,
        offset: u32,
        limit: u32,
    ) -> Result<FolderPage> {
        let folder = self.folder_named(address, folder)?;
        let listing = self.folder_listing(folder.id)?;
        let total = u32::try_from(listing.len()).unwrap_or(u32::MAX);
        let page: Vec<ListedMessage> = listing
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .copied()
            .collect();
        let ids: Vec<MessageId> = page.iter().map(|l| l.id).collect();
        let mut summaries: HashMap<MessageId, MessageSummary> = self
            .store()?
            .summaries(&ids)?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let rows = page
            .iter()
            .filter_map(|listed| {
                Some(PageRow {
                    summary: summaries.remove(&listed.id)?,
                    thread: listed.thread,
                    thread_size: listed.size,
                })
            })
            .collect();
        Ok(FolderPage {
            folder,
            total,
            rows,
        })
    }

    /// The current rows of these messages with their folders (those still stored), for a
    /// window that updates the rows an event named.
    pub fn rows(&self, ids: &[MessageId]) -> Result<Vec<Found>> {
        let store = self.store()?;
        let summaries = store.summaries(ids)?;
        with_folder_names(&store, summaries)
    }

    /// The unified inbox: every inbox of the person's boxes, threaded (a thread stays within
    /// its box), newest thread first, with no cap; each row with its folder's name.
    pub fn unified_page(&self, offset: u32, limit: u32) -> Result<(u32, Vec<(String, PageRow)>)> {
        let inboxes: Vec<FolderId> = {
            let store = self.store()?;
            let mut ids = Vec::new();
            for b in store.boxes()? {
                if let Some(f) =
                    store.folder_by_role(&b.address, relais_store::FolderRole::Inbox)?
                {
                    ids.push(f.id);
                }
            }
            ids
        };
        let order = self.store()?.list_order_across(&inboxes)?;
        let listing = group_threads(order);
        let total = u32::try_from(listing.len()).unwrap_or(u32::MAX);
        let page: Vec<ListedMessage> = listing
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .copied()
            .collect();
        let ids: Vec<MessageId> = page.iter().map(|l| l.id).collect();
        let store = self.store()?;
        let mut found: HashMap<MessageId, Found> =
            with_folder_names(&store, store.summaries(&ids)?)?
                .into_iter()
                .map(|f| (f.summary.id, f))
                .collect();
        let rows = page
            .iter()
            .filter_map(|l| {
                let f = found.remove(&l.id)?;
                let row = PageRow {
                    summary: f.summary,
                    thread: l.thread,
                    thread_size: l.size,
                };
                Some((f.folder, row))
            })
            .collect();
        Ok((total, rows))
    }

    /// A stored message and the name of its folder.
    pub fn message_in_folder(&self, id: MessageId) -> Result<(Message, String)> {
        let store = self.store()?;
        let message = store.message(id)?.ok_or(EngineError::UnknownMessage)?;
        let folder = store
            .folder(message.summary.folder_id)?
            .map(|f| f.name)
            .unwrap_or_default();
        Ok((message, folder))
    }

    /// Search across the person's boxes (or one), newest first, with each hit's folder.
    pub fn search_boxes(&self, request: &SearchRequest) -> Result<Vec<Found>> {
        let boxes: Vec<BoxAddress> = match &request.box_address {
            Some(address) => vec![address.clone()],
            None => self.boxes()?.into_iter().map(|b| b.address).collect(),
        };
        let store = self.store()?;
        let mut found = Vec::new();
        for address in &boxes {
            let folder = match &request.folder {
                None => None,
                Some(name) => match store
                    .folders(address)?
                    .into_iter()
                    .find(|f| &f.name == name)
                {
                    Some(folder) => Some(folder.id),
                    // This box has no such folder: nothing to find in it.
                    None => continue,
                },
            };
            let query = SearchQuery {
                text: request.text.clone(),
                box_address: Some(address.clone()),
                folder,
                since: request.since,
                until: request.until,
                unread_only: request.unread_only,
                with_attachments: request.with_attachments,
                from: request.from.clone(),
                limit: request.limit,
                ..SearchQuery::default()
            };
            found.extend(store.search(&query)?);
        }
        found.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
        found.truncate(request.limit as usize);
        with_folder_names(&store, found)
    }

    /// A box's folder by name, case-insensitive; `INBOX` also finds the folder whose role
    /// is the inbox.
    pub fn find_folder(&self, address: &BoxAddress, name: &str) -> Result<Option<Folder>> {
        Ok(self.store()?.folders(address)?.into_iter().find(|f| {
            f.name.eq_ignore_ascii_case(name)
                || (name.eq_ignore_ascii_case("INBOX")
                    && f.role == Some(relais_store::FolderRole::Inbox))
        }))
    }

    /// The newest `limit` messages of a folder, unthreaded.
    pub fn newest(&self, folder: FolderId, limit: u32) -> Result<Vec<MessageSummary>> {
        Ok(self.store()?.list(folder, 0, limit)?)
    }

    /// The stored message with this UID in a folder.
    pub fn message_by_uid(&self, folder: FolderId, uid: u32) -> Result<Option<Message>> {
        Ok(self.store()?.message_by_uid(folder, uid)?)
    }

    /// Unread messages in a box.
    pub fn unread_in_box(&self, address: &BoxAddress) -> Result<u64> {
        Ok(self.store()?.unread_in_box(address)?)
    }

    /// The box's audit log, newest first.
    pub fn audit_log(
        &self,
        address: &BoxAddress,
        limit: u32,
    ) -> Result<Vec<relais_store::AuditRecord>> {
        self.journal_entries(address, limit)
    }

    /// The senders seen in the newest `per_folder` messages of every folder of every box
    /// (name and address), for recipient suggestions.
    pub fn recent_senders(&self, per_folder: u32) -> Result<Vec<relais_store::Mailbox>> {
        let boxes = self.boxes()?;
        let store = self.store()?;
        let mut out = Vec::new();
        for b in &boxes {
            for folder in store.folders(&b.address)? {
                for s in store.list(folder.id, 0, per_folder)? {
                    out.extend(s.from);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_keep_their_newest_first_order_and_sizes() {
        let m = MessageId;
        let order = vec![(m(5), m(1)), (m(4), m(4)), (m(3), m(1)), (m(2), m(2))];
        let listed = group_threads(order);
        let ids: Vec<i64> = listed.iter().map(|l| l.id.0).collect();
        assert_eq!(ids, vec![5, 3, 4, 2]);
        assert_eq!(listed[0].size, 2);
        assert_eq!(listed[2].size, 1);
    }
}
