//! # relais-store — the local store of one person's Relais profile
//!
//! One SQLite file per person holds everything Relais keeps locally for all the boxes that
//! person may open: the boxes themselves, their folders and sync state, message envelopes and
//! flags, bodies fetched on demand, a full-text index, the outbox, drafts and the audit log.
//! The [`schema`] module documents every table and the migrations.
//!
//! The API is synchronous and does no network I/O: a [`Store`] owns one
//! [`rusqlite::Connection`] (WAL journal, `synchronous=NORMAL`, foreign keys on, a busy
//! timeout). Writes that belong together run in one `BEGIN IMMEDIATE` transaction, e.g. a whole
//! batch of [`Store::insert_messages`]. Callers share a `Store` behind a mutex, or open one per
//! thread on the same file.
//!
//! Domain values are the types of `relais-core` ([`BoxAddress`], [`Entitlement`], [`Author`],
//! [`NationalId`]…). Addresses found in received headers are kept as [`Mailbox`] text instead,
//! because a mail from outside may carry anything there and the store must not lose it.
//! Times are passed in by the caller (unix seconds; the audit log uses milliseconds), so the
//! store never reads the clock and tests control time.
//!
//! ```
//! use relais_core::{Access, BoxAddress, BoxKind, Entitlement, Rights};
//! use relais_store::{FolderRole, NewMessage, Store};
//!
//! let mut store = Store::open_in_memory()?;
//! let address = BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr")?;
//! store.upsert_boxes(&[Entitlement {
//!     address: address.clone(),
//!     kind: BoxKind::Organisational,
//!     display_name: "Secrétariat de cardiologie".into(),
//!     rights: Rights::full(),
//!     access: Access::Delegated,
//! }])?;
//! let inbox = store.upsert_folder(&address, "INBOX", Some(FolderRole::Inbox))?;
//! store.insert_messages(inbox, &[NewMessage {
//!     uid: 1,
//!     subject: "Résultats de la coronarographie".into(),
//!     date: 1_700_000_000,
//!     ..NewMessage::default()
//! }])?;
//! let hits = store.search(&relais_store::SearchQuery::text("resultat"))?;
//! assert_eq!(hits.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Encryption
//!
//! With the `encryption` feature (default) the crate builds SQLCipher (SQLite with AES-256
//! page encryption, OpenSSL's libcrypto) instead of SQLite. [`Store::open_encrypted`] keys the
//! connection with a raw 256-bit [`StoreKey`] (`PRAGMA key = "x'…'"`) before any other
//! statement, checks that the build really encrypts (`PRAGMA cipher_version`) and that the
//! key opens the file, else [`StoreError::WrongKey`]. Every page is encrypted — envelopes,
//! bodies and attachments kept in `bodies.raw`, the search index, the outbox — and so are the
//! WAL's pages; temporary tables stay in memory. [`Store::open`] (no key) stays for tests and
//! tools. A full disk is [`StoreError::DiskFull`], whatever the statement.

pub mod audit;
pub mod boxes;
pub mod collab;
pub mod drafts;
mod error;
pub mod folders;
mod key;
pub mod messages;
pub mod outbox;
pub mod schema;
pub mod search;
mod state;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

pub use audit::{AuditAction, AuditEntry, AuditRecord, Journal};
pub use collab::{KeywordFilter, StoredReply};
pub use drafts::{Draft, DraftAttachment, DraftContent, DraftId};
pub use error::{Result, StoreError};
pub use folders::{Folder, FolderId, FolderRole, FolderState};
pub use key::StoreKey;
pub use messages::{
    Body, FlagUpdate, Flags, Mailbox, Message, MessageId, MessagePart, MessageSummary, NewMessage,
};
pub use outbox::{NewOutboxMessage, OutboxEvent, OutboxId, OutboxMessage, OutboxState};
pub use relais_core::{Author, BoxAddress, Entitlement, NationalId};
pub use schema::SCHEMA_VERSION;
pub use search::SearchQuery;

use error::Context;

/// How long a statement waits for another connection's write lock before failing.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The local store of one person's profile. See the crate doc.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// Opened with a key ([`Store::open_encrypted`]).
    encrypted: bool,
}

impl Store {
    /// Opens (creating it if needed) the store file at `path` and brings its schema up to
    /// date.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let conn = Connection::open(path).op("open")?;
        Store::init(conn, false)
    }

    /// Opens (creating it if needed) the **encrypted** store file at `path` with `key`.
    ///
    /// The key is the first statement on the connection. A build without SQLCipher is
    /// refused ([`StoreError::EncryptionUnavailable`]) rather than writing clear text; a key
    /// that does not open the file (another key, or a file that is not encrypted) is
    /// [`StoreError::WrongKey`].
    pub fn open_encrypted(path: impl AsRef<Path>, key: &StoreKey) -> Result<Store> {
        let conn = Connection::open(path).op("open")?;
        key::apply(&conn, key)?;
        Store::init(conn, true)
    }

    /// Encrypts, in place, a store file written in clear by an earlier Relais: its content is
    /// copied into a new file keyed with `key` (`sqlcipher_export`), which then replaces it.
    /// Returns `false` (and changes nothing) when the file is not a clear-text store.
    pub fn encrypt_in_place(path: impl AsRef<Path>, key: &StoreKey) -> Result<bool> {
        key::encrypt_in_place(path.as_ref(), key)
    }

    /// A store that lives in memory only (tests, previews).
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory().op("open_in_memory")?;
        Store::init(conn, false)
    }

    fn init(mut conn: Connection, encrypted: bool) -> Result<Store> {
        conn.busy_timeout(BUSY_TIMEOUT).op("open: busy_timeout")?;
        // `journal_mode` answers with the mode in force ("memory" for an in-memory database).
        let _mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .op("open: journal_mode")?;
        // A 32 MiB page cache (SQLite's default is 2 MiB): in an encrypted store every page
        // read from the file is decrypted and HMAC-checked, so the search index and the list
        // index of a 100,000-message box stay decrypted in memory between searches.
        conn.execute_batch(
            "PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY;
             PRAGMA cache_size = -32768;",
        )
        .op("open: pragmas")?;
        migrate(&mut conn)?;
        Ok(Store { conn, encrypted })
    }

    /// The schema version of the open file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        user_version(&self.conn)
    }

    /// `PRAGMA integrity_check` (and, on an encrypted store, `PRAGMA cipher_integrity_check`,
    /// which checks every page's HMAC): the problems found, empty when the file is sound.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut problems: Vec<String> = Vec::new();
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .op("integrity_check")?;
        let rows = stmt
            .query_map([], |row| row.get::<_, String>(0))
            .op("integrity_check")?;
        for row in rows {
            let row = row.op("integrity_check")?;
            if row != "ok" {
                problems.push(row);
            }
        }
        if self.encrypted {
            let mut stmt = self
                .conn
                .prepare("PRAGMA cipher_integrity_check")
                .op("cipher_integrity_check")?;
            let rows = stmt
                .query_map([], |row| row.get::<_, String>(0))
                .op("cipher_integrity_check")?;
            for row in rows {
                problems.push(row.op("cipher_integrity_check")?);
            }
        }
        Ok(problems)
    }

    /// Whether the open file is encrypted by SQLCipher (opened with a key).
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`).
    pub(crate) fn write(&mut self, op: &'static str) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op(op)
    }
}

fn user_version(conn: &Connection) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
        .op("schema_version")
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, (_name, sql)) in schema::MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= found {
            continue;
        }
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("migrate")?;
        tx.execute_batch(sql).op("migrate")?;
        tx.pragma_update(None, "user_version", version)
            .op("migrate")?;
        tx.commit().op("migrate")?;
    }
    Ok(())
}

/// JSON encoding of a value stored in a TEXT column.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(
    value: &T,
    op: &'static str,
    what: &'static str,
) -> Result<String> {
    serde_json::to_string(value).map_err(|_| StoreError::Encode { op, what })
}

/// Decoding of a JSON TEXT column; the error does not quote the value.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    op: &'static str,
    column: &'static str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|_| StoreError::Corrupt { op, column })
}

/// Strips white space and the angle brackets of a Message-ID.
pub(crate) fn bare_message_id(id: &str) -> &str {
    let id = id.trim();
    id.strip_prefix('<')
        .and_then(|i| i.strip_suffix('>'))
        .unwrap_or(id)
        .trim()
}

/// A row read with `query_map` whose decoding may fail in two ways.
pub(crate) fn collect<T>(
    rows: impl Iterator<Item = rusqlite::Result<Result<T>>>,
    op: &'static str,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    for row in rows {
        out.push(row.op(op)??);
    }
    Ok(out)
}
