//! The one error type of the store.
//!
//! Every variant names the operation that failed (a method name such as `insert_messages`), so a
//! log line says where it happened. Messages never carry message content, addresses or
//! secrets: only operation names, column names, row ids and SQLite's own diagnostic (which
//! names tables and constraints, not values). Values that fail to decode are not quoted.

use thiserror::Error;

use crate::outbox::OutboxState;

/// Why a store operation failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// SQLite refused or failed (I/O, constraint, busy after the timeout…).
    #[error("Base locale : échec de l'opération {op} ({source}).")]
    Sqlite {
        /// The store operation, e.g. `insert_messages`.
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The disk (or the user's quota) is full: SQLite's `SQLITE_FULL`, the OS's `ENOSPC`.
    /// The transaction was rolled back; what was stored before is intact.
    #[error(
        "Disque plein : la base locale n'a pas pu enregistrer les données ({op}). Libérez de \
         la place sur le disque puis relancez la synchronisation ; les données déjà \
         enregistrées sont intactes."
    )]
    DiskFull {
        /// The store operation.
        op: &'static str,
    },
    /// The key does not open the file: another key, or a file that is not encrypted.
    #[error("Base locale : la clé de chiffrement ne correspond pas à ce fichier.")]
    WrongKey,
    /// An encrypted store was asked of a build without SQLCipher.
    #[error(
        "Base locale : cette version de Relais a été construite sans chiffrement (SQLCipher) ; \
         elle refuse d'écrire le cache en clair."
    )]
    EncryptionUnavailable,
    /// The database was written by a newer Relais: its schema is unknown to this one.
    #[error(
        "Base locale : version de schéma {found} inconnue (cette version de Relais connaît \
         jusqu'à la version {supported}). Mettez Relais à jour."
    )]
    SchemaTooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The last migration this build knows.
        supported: i64,
    },
    /// A row that the operation needs does not exist.
    #[error("Base locale : opération {op} : {what} n° {id} introuvable.")]
    NotFound {
        /// The store operation.
        op: &'static str,
        /// What was looked for (`message`, `folder`, `outbox message`, `draft`…).
        what: &'static str,
        /// Its id.
        id: i64,
    },
    /// A stored value could not be decoded (the value itself is not quoted).
    #[error("Base locale : opération {op} : valeur illisible dans la colonne {column}.")]
    Corrupt {
        /// The store operation.
        op: &'static str,
        /// The table column.
        column: &'static str,
    },
    /// A value could not be encoded for storage.
    #[error("Base locale : opération {op} : impossible d'enregistrer {what}.")]
    Encode {
        /// The store operation.
        op: &'static str,
        /// What could not be encoded.
        what: &'static str,
    },
    /// A box that is not among the person's boxes.
    #[error("Base locale : opération {op} : boîte inconnue.")]
    UnknownBox {
        /// The store operation.
        op: &'static str,
    },
    /// An outbox state change that the send protocol does not allow.
    #[error(
        "Base locale : message d'envoi n° {id} : passage de l'état « {from} » à « {to} » \
         refusé."
    )]
    InvalidTransition {
        /// The outbox id.
        id: i64,
        /// Its current state.
        from: OutboxState,
        /// The refused new state.
        to: OutboxState,
    },
    /// An outbox message that has left or may be leaving cannot be removed.
    #[error(
        "Base locale : le message d'envoi n° {id} est en cours d'envoi (état « {state} ») et ne \
         peut pas être supprimé."
    )]
    OutboxInFlight {
        /// The outbox id.
        id: i64,
        /// Its state.
        state: OutboxState,
    },
}

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Attaches the operation name to a SQLite error.
pub(crate) trait Context<T> {
    fn op(self, op: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, rusqlite::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|source| from_sqlite(op, source))
    }
}

/// A SQLite error as a store error: a full disk gets its own variant, whatever the statement.
pub(crate) fn from_sqlite(op: &'static str, source: rusqlite::Error) -> StoreError {
    if is_disk_full(&source) {
        StoreError::DiskFull { op }
    } else {
        StoreError::Sqlite { op, source }
    }
}

/// `SQLITE_FULL`, or an I/O error whose OS cause is `ENOSPC`/`EDQUOT` (some write paths report
/// `SQLITE_IOERR_WRITE` and the errno only in the message).
fn is_disk_full(e: &rusqlite::Error) -> bool {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            f.code == rusqlite::ErrorCode::DiskFull
                || (f.code == rusqlite::ErrorCode::SystemIoFailure
                    && message.as_deref().is_some_and(|m| {
                        m.contains("No space left") || m.contains("Disk quota exceeded")
                    }))
        }
        _ => false,
    }
}
