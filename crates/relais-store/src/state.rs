//! The profile's own state (`profile_state`): small JSON values by key, encrypted with the
//! rest of the store. The engine keeps there the account record (`account`), the per-box
//! settings (`box_settings`) and the DSN request of each queued message (`dsn:<Message-ID>`).

use rusqlite::{params, OptionalExtension};

use crate::error::Context;
use crate::{Result, Store};

impl Store {
    /// The value under `key`, if any.
    pub fn state(&self, key: &str) -> Result<Option<String>> {
        const OP: &str = "state";
        self.conn
            .query_row(
                "SELECT value FROM profile_state WHERE key = ?1",
                [key],
                |row| row.get(0),
            )
            .optional()
            .op(OP)
    }

    /// Sets `key` to `value` (one transaction).
    pub fn set_state(&mut self, key: &str, value: &str) -> Result<()> {
        const OP: &str = "set_state";
        let tx = self.write(OP)?;
        tx.execute(
            "INSERT INTO profile_state (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )
        .op(OP)?;
        tx.commit().op(OP)
    }

    /// Removes `key`; whether it was there.
    pub fn delete_state(&mut self, key: &str) -> Result<bool> {
        const OP: &str = "delete_state";
        let tx = self.write(OP)?;
        let removed = tx
            .execute("DELETE FROM profile_state WHERE key = ?1", [key])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(removed > 0)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn state_is_set_replaced_and_removed() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.state("account").unwrap(), None);
        store.set_state("account", "{\"a\":1}").unwrap();
        store.set_state("account", "{\"a\":2}").unwrap();
        assert_eq!(
            store.state("account").unwrap().as_deref(),
            Some("{\"a\":2}")
        );
        assert!(store.delete_state("account").unwrap());
        assert!(!store.delete_state("account").unwrap());
    }
}
