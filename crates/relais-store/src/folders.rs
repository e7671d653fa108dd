//! IMAP folders of each box, and their synchronisation state (UIDVALIDITY, UIDNEXT,
//! HIGHESTMODSEQ).

use std::fmt;

use relais_core::BoxAddress;
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::Context;
use crate::{Result, Store, StoreError};

/// Row id of a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FolderId(pub i64);

impl fmt::Display for FolderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a folder is for, from IMAP SPECIAL-USE (RFC 6154) or the name `INBOX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FolderRole {
    /// `INBOX`.
    Inbox,
    /// `\Sent`.
    Sent,
    /// `\Drafts`.
    Drafts,
    /// `\Trash`.
    Trash,
    /// `\Junk`.
    Junk,
    /// `\Archive`.
    Archive,
}

impl FolderRole {
    /// The value stored in `folders.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Sent => "sent",
            FolderRole::Drafts => "drafts",
            FolderRole::Trash => "trash",
            FolderRole::Junk => "junk",
            FolderRole::Archive => "archive",
        }
    }

    /// Reads a stored role.
    pub fn parse(text: &str) -> Option<FolderRole> {
        Some(match text {
            "inbox" => FolderRole::Inbox,
            "sent" => FolderRole::Sent,
            "drafts" => FolderRole::Drafts,
            "trash" => FolderRole::Trash,
            "junk" => FolderRole::Junk,
            "archive" => FolderRole::Archive,
            _ => return None,
        })
    }

    /// The role of an IMAP SPECIAL-USE attribute (`\Sent`, `\Trash`…), case-insensitive.
    pub fn from_special_use(attribute: &str) -> Option<FolderRole> {
        let name = attribute
            .trim()
            .trim_start_matches('\\')
            .to_ascii_lowercase();
        FolderRole::parse(&name).filter(|role| *role != FolderRole::Inbox)
    }
}

/// A folder of a box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Folder {
    /// Row id.
    pub id: FolderId,
    /// The box it belongs to.
    pub box_address: BoxAddress,
    /// IMAP name, `/` separated (`INBOX`, `Archives/2024`).
    pub name: String,
    /// Special use, if any.
    pub role: Option<FolderRole>,
}

/// The synchronisation state of a folder, as the engine last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FolderState {
    /// UIDVALIDITY; when the server's differs, [`Store::reset_folder`] first.
    pub uidvalidity: Option<u32>,
    /// UIDNEXT after the last sync.
    pub uidnext: Option<u32>,
    /// HIGHESTMODSEQ (CONDSTORE) after the last sync.
    pub highestmodseq: Option<u64>,
    /// When the last sync ended (unix seconds).
    pub last_sync: Option<i64>,
}

fn folder_from_row(row: &Row<'_>, op: &'static str) -> rusqlite::Result<Result<Folder>> {
    let id: i64 = row.get(0)?;
    let address: String = row.get(1)?;
    let name: String = row.get(2)?;
    let role: Option<String> = row.get(3)?;
    Ok((|| {
        Ok(Folder {
            id: FolderId(id),
            box_address: BoxAddress::parse(&address)
                .map_err(|_| StoreError::Corrupt { op, column: "box" })?,
            name,
            role: match role {
                None => None,
                Some(text) => Some(
                    FolderRole::parse(&text).ok_or(StoreError::Corrupt { op, column: "role" })?,
                ),
            },
        })
    })())
}

/// A stored u32 (UID, UIDVALIDITY…) read back; SQLite holds it as a 64-bit integer.
pub(crate) fn opt_u32(value: Option<i64>) -> Option<u32> {
    value.and_then(|v| u32::try_from(v).ok())
}

impl Store {
    /// Creates the folder `name` of a box, or updates its role; returns its id.
    pub fn upsert_folder(
        &mut self,
        box_address: &BoxAddress,
        name: &str,
        role: Option<FolderRole>,
    ) -> Result<FolderId> {
        const OP: &str = "upsert_folder";
        let tx = self.write(OP)?;
        if !box_exists(&tx, box_address, OP)? {
            return Err(StoreError::UnknownBox { op: OP });
        }
        let id: i64 = tx
            .query_row(
                "INSERT INTO folders (box, name, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (box, name) DO UPDATE SET role = excluded.role
                 RETURNING id",
                params![box_address.as_str(), name, role.map(FolderRole::as_str)],
                |row| row.get(0),
            )
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(FolderId(id))
    }

    /// The folders of a box: INBOX first, then by name.
    pub fn folders(&self, box_address: &BoxAddress) -> Result<Vec<Folder>> {
        const OP: &str = "folders";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, box, name, role FROM folders WHERE box = ?1
                 ORDER BY role IS NOT 'inbox', name",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([box_address.as_str()], |row| folder_from_row(row, OP))
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// One folder.
    pub fn folder(&self, id: FolderId) -> Result<Option<Folder>> {
        const OP: &str = "folder";
        self.conn
            .query_row(
                "SELECT id, box, name, role FROM folders WHERE id = ?1",
                [id.0],
                |row| folder_from_row(row, OP),
            )
            .optional()
            .op(OP)?
            .transpose()
    }

    /// The folder of a box with a given role (the first by name if several have it).
    pub fn folder_by_role(
        &self,
        box_address: &BoxAddress,
        role: FolderRole,
    ) -> Result<Option<Folder>> {
        const OP: &str = "folder_by_role";
        self.conn
            .query_row(
                "SELECT id, box, name, role FROM folders WHERE box = ?1 AND role = ?2
                 ORDER BY name LIMIT 1",
                params![box_address.as_str(), role.as_str()],
                |row| folder_from_row(row, OP),
            )
            .optional()
            .op(OP)?
            .transpose()
    }

    /// Removes a folder that no longer exists on the server, with its messages.
    pub fn remove_folder(&mut self, id: FolderId) -> Result<bool> {
        const OP: &str = "remove_folder";
        let tx = self.write(OP)?;
        let removed = tx
            .execute("DELETE FROM folders WHERE id = ?1", [id.0])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(removed > 0)
    }

    /// The synchronisation state of a folder.
    pub fn folder_state(&self, id: FolderId) -> Result<FolderState> {
        const OP: &str = "folder_state";
        self.conn
            .query_row(
                "SELECT uidvalidity, uidnext, highestmodseq, last_sync FROM folders WHERE id = ?1",
                [id.0],
                |row| {
                    Ok(FolderState {
                        uidvalidity: opt_u32(row.get(0)?),
                        uidnext: opt_u32(row.get(1)?),
                        highestmodseq: row.get::<_, Option<i64>>(2)?.map(|v| v as u64),
                        last_sync: row.get(3)?,
                    })
                },
            )
            .optional()
            .op(OP)?
            .ok_or(StoreError::NotFound {
                op: OP,
                what: "folder",
                id: id.0,
            })
    }

    /// Saves the synchronisation state of a folder.
    pub fn set_folder_state(&mut self, id: FolderId, state: &FolderState) -> Result<()> {
        const OP: &str = "set_folder_state";
        let tx = self.write(OP)?;
        let changed = tx
            .execute(
                "UPDATE folders SET uidvalidity = ?2, uidnext = ?3, highestmodseq = ?4,
                        last_sync = ?5
                 WHERE id = ?1",
                params![
                    id.0,
                    state.uidvalidity,
                    state.uidnext,
                    state.highestmodseq.map(|v| v as i64),
                    state.last_sync,
                ],
            )
            .op(OP)?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                op: OP,
                what: "folder",
                id: id.0,
            });
        }
        tx.commit().op(OP)
    }

    /// UIDVALIDITY changed: drops every message of the folder (with bodies and index rows) and
    /// clears its state, in one transaction. Returns how many messages were dropped.
    pub fn reset_folder(&mut self, id: FolderId) -> Result<usize> {
        const OP: &str = "reset_folder";
        let tx = self.write(OP)?;
        let changed = tx
            .execute(
                "UPDATE folders SET uidvalidity = NULL, uidnext = NULL, highestmodseq = NULL,
                        last_sync = NULL
                 WHERE id = ?1",
                [id.0],
            )
            .op(OP)?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                op: OP,
                what: "folder",
                id: id.0,
            });
        }
        let dropped = tx
            .execute("DELETE FROM messages WHERE folder_id = ?1", [id.0])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(dropped)
    }
}

pub(crate) fn box_exists(
    conn: &rusqlite::Connection,
    box_address: &BoxAddress,
    op: &'static str,
) -> Result<bool> {
    conn.query_row(
        "SELECT 1 FROM boxes WHERE address = ?1",
        [box_address.as_str()],
        |_| Ok(()),
    )
    .optional()
    .op(op)
    .map(|found| found.is_some())
}
