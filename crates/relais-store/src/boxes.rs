//! The boxes a person may open: their [`Entitlement`]s, in display order.

use relais_core::{BoxAddress, BoxKind, Entitlement, Rights};
use rusqlite::{params, OptionalExtension};

use crate::error::Context;
use crate::{from_json, to_json, Result, Store, StoreError};

fn kind_str(kind: BoxKind) -> &'static str {
    match kind {
        BoxKind::Nominative => "nominative",
        BoxKind::Organisational => "organisational",
        BoxKind::Applicative => "applicative",
    }
}

fn parse_kind(text: &str, op: &'static str) -> Result<BoxKind> {
    match text {
        "nominative" => Ok(BoxKind::Nominative),
        "organisational" => Ok(BoxKind::Organisational),
        "applicative" => Ok(BoxKind::Applicative),
        _ => Err(StoreError::Corrupt { op, column: "kind" }),
    }
}

impl Store {
    /// Inserts or updates the person's boxes, in one transaction; their order in `boxes`
    /// becomes the display order. Boxes not in the list are kept (see [`Store::remove_box`]).
    pub fn upsert_boxes(&mut self, boxes: &[Entitlement]) -> Result<()> {
        const OP: &str = "upsert_boxes";
        let tx = self.write(OP)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO boxes (address, kind, display_name, rights, access, position)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (address) DO UPDATE SET
                        kind = excluded.kind, display_name = excluded.display_name,
                        rights = excluded.rights, access = excluded.access,
                        position = excluded.position",
                )
                .op(OP)?;
            for (position, entitlement) in boxes.iter().enumerate() {
                stmt.execute(params![
                    entitlement.address.as_str(),
                    kind_str(entitlement.kind),
                    entitlement.display_name,
                    entitlement.rights.to_string(),
                    to_json(&entitlement.access, OP, "access")?,
                    position as i64,
                ])
                .op(OP)?;
            }
        }
        tx.commit().op(OP)
    }

    /// The person's boxes, in display order.
    pub fn boxes(&self) -> Result<Vec<Entitlement>> {
        const OP: &str = "boxes";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT address, kind, display_name, rights, access FROM boxes
                 ORDER BY position, address",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([], |row| {
                let address: String = row.get(0)?;
                let kind: String = row.get(1)?;
                let display_name: String = row.get(2)?;
                let rights: String = row.get(3)?;
                let access: String = row.get(4)?;
                Ok((|| {
                    Ok(Entitlement {
                        address: BoxAddress::parse(&address).map_err(|_| StoreError::Corrupt {
                            op: OP,
                            column: "address",
                        })?,
                        kind: parse_kind(&kind, OP)?,
                        display_name,
                        rights: Rights::parse(&rights).map_err(|_| StoreError::Corrupt {
                            op: OP,
                            column: "rights",
                        })?,
                        access: from_json(&access, OP, "access")?,
                    })
                })())
            })
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// Whether `address` is one of the person's boxes.
    pub fn has_box(&self, address: &BoxAddress) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM boxes WHERE address = ?1",
                [address.as_str()],
                |_| Ok(()),
            )
            .optional()
            .op("has_box")
            .map(|found| found.is_some())
    }

    /// Forgets a box the person may no longer open, with its folders, messages, bodies and
    /// drafts. Its outbox messages and audit entries are kept. Returns whether it existed.
    pub fn remove_box(&mut self, address: &BoxAddress) -> Result<bool> {
        const OP: &str = "remove_box";
        let tx = self.write(OP)?;
        let removed = tx
            .execute("DELETE FROM boxes WHERE address = ?1", [address.as_str()])
            .op(OP)?;
        tx.commit().op(OP)?;
        Ok(removed > 0)
    }
}
