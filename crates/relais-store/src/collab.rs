//! Queries for working together in a shared box, derived from what is already stored: no
//! table of their own.
//!
//! - lists filtered by IMAP keywords (`messages.keywords`), for the claim filters of the
//!   engine (« à traiter », « mes prises en charge », « traités »);
//! - the stored messages answering given Message-IDs (`In-Reply-To`), for « Répondu par… »;
//! - the authors the box already knows (`X-Relais-Author` of its messages);
//! - every message of a box exchanged with one correspondent, for the conversation view.
//!
//! Keywords are compared without regard to ASCII case, as IMAP compares them.

use relais_core::{Author, BoxAddress, NationalId};
use rusqlite::params_from_iter;

use crate::error::Context;
use crate::folders::FolderId;
use crate::messages::{summary_from_row, MessageSummary, SUMMARY_COLUMNS};
use crate::{bare_message_id, MessageId, Result, Store};

/// Which keywords a listed message must carry or lack. Every condition must hold; an empty
/// filter lists every message not marked `\Deleted`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordFilter {
    /// Keywords it must carry (each of them).
    pub all: Vec<String>,
    /// Keywords it must not carry.
    pub none: Vec<String>,
    /// It must carry a keyword starting with one of these (each prefix).
    pub any_prefix: Vec<String>,
    /// It must carry no keyword starting with any of these.
    pub no_prefix: Vec<String>,
}

impl KeywordFilter {
    /// The SQL condition on `m` and its parameters.
    fn condition(&self) -> (String, Vec<String>) {
        let mut sql = vec!["m.deleted = 0".to_string()];
        let mut values = Vec::new();
        let words = "(' ' || lower(m.keywords) || ' ')";
        for k in &self.all {
            values.push(format!(" {} ", k.to_ascii_lowercase()));
            sql.push(format!("instr({words}, ?{}) > 0", values.len()));
        }
        for k in &self.none {
            values.push(format!(" {} ", k.to_ascii_lowercase()));
            sql.push(format!("instr({words}, ?{}) = 0", values.len()));
        }
        for p in &self.any_prefix {
            values.push(format!(" {}", p.to_ascii_lowercase()));
            sql.push(format!("instr({words}, ?{}) > 0", values.len()));
        }
        for p in &self.no_prefix {
            values.push(format!(" {}", p.to_ascii_lowercase()));
            sql.push(format!("instr({words}, ?{}) = 0", values.len()));
        }
        (sql.join(" AND "), values)
    }
}

/// A stored message answering another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// The Message-ID it answers (`In-Reply-To`, without angle brackets).
    pub in_reply_to: String,
    /// The answer.
    pub reply: MessageSummary,
}

impl Store {
    /// A page of a folder's messages matching `filter`, most recent first.
    pub fn list_by_keywords(
        &self,
        folder: FolderId,
        filter: &KeywordFilter,
        offset: u32,
        limit: u32,
    ) -> Result<Vec<MessageSummary>> {
        const OP: &str = "list_by_keywords";
        let (condition, mut values) = filter.condition();
        let n = values.len();
        values.push(folder.0.to_string());
        values.push(limit.to_string());
        values.push(offset.to_string());
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
             WHERE {condition} AND m.folder_id = CAST(?{} AS INTEGER)
             ORDER BY m.date DESC, m.id DESC
             LIMIT CAST(?{} AS INTEGER) OFFSET CAST(?{} AS INTEGER)",
            n + 1,
            n + 2,
            n + 3
        );
        let mut stmt = self.conn.prepare_cached(&sql).op(OP)?;
        let rows = stmt
            .query_map(params_from_iter(values.iter()), |row| {
                summary_from_row(row, OP)
            })
            .op(OP)?;
        crate::collect(rows, OP)
    }

    /// How many messages of a folder match `filter` (for the filters' counters).
    pub fn count_by_keywords(&self, folder: FolderId, filter: &KeywordFilter) -> Result<u64> {
        const OP: &str = "count_by_keywords";
        let (condition, mut values) = filter.condition();
        values.push(folder.0.to_string());
        let sql = format!(
            "SELECT count(*) FROM messages AS m
             WHERE {condition} AND m.folder_id = CAST(?{} AS INTEGER)",
            values.len()
        );
        self.conn
            .query_row(&sql, params_from_iter(values.iter()), |row| {
                row.get::<_, i64>(0)
            })
            .op(OP)
            .map(|n| n.max(0) as u64)
    }

    /// The stored messages of a box (any folder) whose `In-Reply-To` is one of
    /// `message_ids` (angle brackets optional), oldest first.
    pub fn replies_to(
        &self,
        box_address: &BoxAddress,
        message_ids: &[&str],
    ) -> Result<Vec<StoredReply>> {
        const OP: &str = "replies_to";
        let ids: Vec<String> = message_ids
            .iter()
            .map(|id| bare_message_id(id).to_string())
            .filter(|id| !id.is_empty())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        // Bounded parameter lists (SQLite's default limit is far above, but pages are small).
        for chunk in ids.chunks(200) {
            let marks: Vec<String> = (2..chunk.len() + 2).map(|i| format!("?{i}")).collect();
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, m.in_reply_to
                 FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE f.box = ?1 AND m.in_reply_to IN ({})
                 ORDER BY m.date, m.id",
                marks.join(", ")
            );
            let mut values: Vec<&str> = vec![box_address.as_str()];
            values.extend(chunk.iter().map(String::as_str));
            let mut stmt = self.conn.prepare_cached(&sql).op(OP)?;
            let rows = stmt
                .query_map(params_from_iter(values.iter()), |row| {
                    let summary = summary_from_row(row, OP)?;
                    let in_reply_to: String = row.get(crate::messages::SUMMARY_COUNT)?;
                    Ok(summary.map(|reply| StoredReply { in_reply_to, reply }))
                })
                .op(OP)?;
            out.extend(crate::collect(rows, OP)?);
        }
        Ok(out)
    }

    /// The authors (`X-Relais-Author`) of a box's stored messages, one per national
    /// identifier (the most recent name).
    pub fn box_authors(&self, box_address: &BoxAddress) -> Result<Vec<Author>> {
        const OP: &str = "box_authors";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.author_name, m.author_id, m.author_addr
                 FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE f.box = ?1 AND m.author_id IS NOT NULL AND m.author_name IS NOT NULL
                 ORDER BY m.date DESC",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([box_address.as_str()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Option<String>>(2)?,
                ))
            })
            .op(OP)?;
        let mut authors: Vec<Author> = Vec::new();
        for row in rows {
            let (name, id, address) = row.op(OP)?;
            let Ok(national_id) = NationalId::parse(&id) else {
                continue;
            };
            if authors.iter().any(|a| a.national_id() == &national_id) {
                continue;
            }
            let address = address.and_then(|a| BoxAddress::parse(&a).ok());
            if let Ok(author) = Author::new(&name, national_id, address) {
                authors.push(author);
            }
        }
        Ok(authors)
    }

    /// The ids of a box's messages (every folder) exchanged with `address`: sent by it
    /// (`From`) or to it (`To`, `Cc`), oldest first. Addresses compare without case.
    pub fn correspondent_messages(
        &self,
        box_address: &BoxAddress,
        address: &str,
    ) -> Result<Vec<MessageId>> {
        const OP: &str = "correspondent_messages";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT m.id FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
                 WHERE f.box = ?1 AND m.deleted = 0 AND (
                    lower(m.from_addr) = lower(?2)
                    OR EXISTS (SELECT 1 FROM json_each(m.to_json) AS r
                               WHERE lower(json_extract(r.value, '$.address')) = lower(?2))
                    OR EXISTS (SELECT 1 FROM json_each(m.cc_json) AS r
                               WHERE lower(json_extract(r.value, '$.address')) = lower(?2)))
                 ORDER BY m.date, m.id",
            )
            .op(OP)?;
        let rows = stmt
            .query_map([box_address.as_str(), address.trim()], |row| {
                row.get::<_, i64>(0).map(MessageId)
            })
            .op(OP)?;
        rows.collect::<rusqlite::Result<_>>().op(OP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Flags, FolderRole, Mailbox, NewMessage};
    use relais_core::{Access, BoxKind, Entitlement, Rights};

    fn store() -> (Store, FolderId, FolderId, BoxAddress) {
        let mut store = Store::open_in_memory().unwrap();
        let address = BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr").unwrap();
        store
            .upsert_boxes(&[Entitlement {
                address: address.clone(),
                kind: BoxKind::Organisational,
                display_name: "Secrétariat".into(),
                rights: Rights::full(),
                access: Access::Delegated,
            }])
            .unwrap();
        let inbox = store
            .upsert_folder(&address, "INBOX", Some(FolderRole::Inbox))
            .unwrap();
        let sent = store
            .upsert_folder(&address, "Sent", Some(FolderRole::Sent))
            .unwrap();
        (store, inbox, sent, address)
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn keyword_filters_replies_and_correspondents() {
        let (mut store, inbox, sent, address) = store();
        let msg = |uid: u32, keywords: &str| NewMessage {
            uid,
            message_id: Some(format!("<m{uid}@x>")),
            subject: format!("m{uid}"),
            from: Some(Mailbox::new(
                "Dr LEROY",
                "Jacques.Leroy@cardio-pau.mssante.fr",
            )),
            date: i64::from(uid),
            flags: Flags::parse(keywords),
            ..NewMessage::default()
        };
        store
            .insert_messages(
                inbox,
                &[
                    msg(1, ""),
                    msg(2, "$RelaisClaim_AAAA $RelaisBy_Marie"),
                    msg(3, "$relaisclaim_BBBB $RelaisDone"),
                    msg(4, "\\Deleted"),
                ],
            )
            .unwrap();
        let to_handle = KeywordFilter {
            none: vec!["$RelaisDone".into()],
            no_prefix: vec!["$RelaisClaim_".into()],
            ..KeywordFilter::default()
        };
        let got = store.list_by_keywords(inbox, &to_handle, 0, 50).unwrap();
        assert_eq!(got.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![1]);
        let mine = KeywordFilter {
            all: vec!["$RelaisClaim_aaaa".into()],
            ..KeywordFilter::default()
        };
        assert_eq!(
            store.list_by_keywords(inbox, &mine, 0, 50).unwrap()[0].uid,
            2
        );
        let done = KeywordFilter {
            all: vec!["$RelaisDone".into()],
            ..KeywordFilter::default()
        };
        assert_eq!(store.count_by_keywords(inbox, &done).unwrap(), 1);

        let author = Author::new(
            "Pierre DURAND",
            NationalId::parse("810001234567").unwrap(),
            None,
        )
        .unwrap();
        store
            .insert_messages(
                sent,
                &[NewMessage {
                    uid: 1,
                    message_id: Some("<r1@x>".into()),
                    in_reply_to: Some("<m2@x>".into()),
                    to: vec![Mailbox::new(
                        "Dr LEROY",
                        "jacques.leroy@cardio-pau.mssante.fr",
                    )],
                    date: 10,
                    author: Some(author.clone()),
                    ..NewMessage::default()
                }],
            )
            .unwrap();
        let replies = store.replies_to(&address, &["<m2@x>", "m1@x"]).unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].in_reply_to, "m2@x");
        assert_eq!(replies[0].reply.author.as_ref(), Some(&author));
        assert_eq!(store.box_authors(&address).unwrap(), vec![author]);
        let conv = store
            .correspondent_messages(&address, "jacques.leroy@cardio-pau.mssante.fr")
            .unwrap();
        assert_eq!(conv.len(), 4, "three received (one deleted) and one sent");
    }
}
