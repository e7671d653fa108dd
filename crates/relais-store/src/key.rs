//! The store's encryption key and how a connection is keyed (SQLCipher).

use std::path::Path;

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Context, Result, StoreError};

/// A raw 256-bit SQLCipher key. The caller makes it (from the OS's randomness) and keeps it
/// (in the OS keyring), never on disk. Its `Debug` does not show it; it is zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// The key from 32 random bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> StoreKey {
        StoreKey(bytes)
    }

    /// The key from its 64 hexadecimal digits (as kept in the keyring); `None` if malformed.
    pub fn from_hex(hex: &str) -> Option<StoreKey> {
        let hex = hex.trim().as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in hex.chunks(2).enumerate() {
            let digit = |c: u8| (c as char).to_digit(16);
            bytes[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Some(StoreKey(bytes))
    }

    /// The 64 lowercase hexadecimal digits of the key.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        self.0 = [0; 32];
    }
}

/// Keys `conn` (the first statement on it), checks that SQLCipher is there and that the key
/// opens the file.
pub(crate) fn apply(conn: &Connection, key: &StoreKey) -> Result<()> {
    // SQLCipher's own log goes to stderr: the typed errors below say what matters.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")
        .op("open: cipher_log_level")?;
    // A raw key (`x'…'`): no key derivation, the 256 bits are the AES key material.
    let mut pragma = format!("PRAGMA key = \"x'{}'\";", key.to_hex());
    let applied = conn.execute_batch(&pragma);
    pragma.replace_range(.., &"0".repeat(pragma.len()));
    applied.op("open: key")?;
    if !sqlcipher(conn)? {
        return Err(StoreError::EncryptionUnavailable);
    }
    // The first read decrypts page 1: a wrong key (or a clear-text file) fails here.
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(StoreError::WrongKey)
        }
        Err(e) => Err(crate::error::from_sqlite("open: key check", e)),
    }
}

/// See [`Store::encrypt_in_place`](crate::Store::encrypt_in_place).
pub(crate) fn encrypt_in_place(path: &Path, key: &StoreKey) -> Result<bool> {
    const OP: &str = "encrypt_in_place";
    let clear = Connection::open(path).op(OP)?;
    // A clear-text SQLite file reads without a key; an encrypted one does not.
    let version = match clear.query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0)) {
        Ok(v) => v,
        Err(rusqlite::Error::SqliteFailure(f, _))
            if f.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Ok(false)
        }
        Err(e) => return Err(crate::error::from_sqlite(OP, e)),
    };
    if !sqlcipher(&clear)? {
        return Err(StoreError::EncryptionUnavailable);
    }
    let mut target = path.as_os_str().to_owned();
    target.push(".chiffrement");
    let target = std::path::PathBuf::from(target);
    let _ = std::fs::remove_file(&target);
    clear
        .execute(
            &format!(
                "ATTACH DATABASE ?1 AS encrypted KEY \"x'{}'\"",
                key.to_hex()
            ),
            [target.to_string_lossy()],
        )
        .op(OP)?;
    clear
        .query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
        .op(OP)?;
    clear
        .execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))
        .op(OP)?;
    // The clear file's WAL is folded into it, then the clear file and its WAL go.
    clear
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .op(OP)?;
    drop(clear);
    let io = |_| StoreError::Encode {
        op: OP,
        what: "the encrypted copy",
    };
    std::fs::rename(&target, path).map_err(io)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(side));
    }
    Ok(true)
}

/// Whether the connection runs SQLCipher (`PRAGMA cipher_version` answers only on SQLCipher
/// builds; elsewhere `PRAGMA key` is silently ignored).
fn sqlcipher(conn: &Connection) -> Result<bool> {
    let version: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |row| row.get(0))
        .optional()
        .op("open: cipher_version")?;
    Ok(version.is_some_and(|v| !v.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::StoreKey;

    #[test]
    fn hex_round_trip_and_debug_hides_the_key() {
        let key = StoreKey::from_bytes([0xab; 32]);
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(StoreKey::from_hex(&hex), Some(key.clone()));
        assert_eq!(format!("{key:?}"), "StoreKey(…)");
        assert!(StoreKey::from_hex("zz").is_none());
        assert!(StoreKey::from_hex(&"g".repeat(64)).is_none());
    }
}
