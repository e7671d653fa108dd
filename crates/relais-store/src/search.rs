//! Full-text search over the messages of all boxes, accent- and case-insensitive.
//!
//! The index (`search`, FTS5 with `unicode61 remove_diacritics 2`) covers the sender (name,
//! address, and the author from `X-Relais-Author`), recipients, subject, the cached body text
//! and attachment file names. What a person types is never handed to FTS5 as query syntax:
//! [`fts_query`] keeps the words only, quotes each one, and lets each match as a prefix (results
//! follow the typing, and plurals match). All words must match. Results are most recent
//! first.

use relais_core::BoxAddress;
use rusqlite::params;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use crate::error::Context;
use crate::folders::FolderId;
use crate::messages::{MessageId, MessageSummary};
use crate::{Result, Store};

/// Default number of results.
pub const DEFAULT_LIMIT: u32 = 200;

/// A search: free text and filters, all optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchQuery {
    /// What the person typed; empty lists by the filters alone.
    pub text: String,
    /// Only this box.
    pub box_address: Option<BoxAddress>,
    /// Only this folder.
    pub folder: Option<FolderId>,
    /// Only messages dated at or after (unix seconds).
    pub since: Option<i64>,
    /// Only messages dated before (unix seconds).
    pub until: Option<i64>,
    /// Only unread messages.
    pub unread_only: bool,
    /// Only flagged messages.
    pub flagged_only: bool,
    /// Only messages with attachments.
    pub with_attachments: bool,
    /// Words the sender (name, address or author) must hold; empty for any sender.
    pub from: String,
    /// At most this many results.
    pub limit: u32,
}

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            box_address: None,
            folder: None,
            since: None,
            until: None,
            unread_only: false,
            flagged_only: false,
            with_attachments: false,
            from: String::new(),
            limit: DEFAULT_LIMIT,
        }
    }
}

impl SearchQuery {
    /// A text search over everything.
    pub fn text(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }
}

/// Turns what a person typed into a safe FTS5 query, or `None` when it has no word.
///
/// Each white-space separated term that holds a letter or digit becomes a quoted FTS5 string
/// (double quotes removed from it), so operators (`AND`, `OR`, `NOT`, `NEAR`), column filters
/// (`subject:`), `*`, `^`, `-` and parentheses are plain text. Every term matches as a prefix:
/// the last one because the person may still be typing it, the others because French words
/// inflect (`resultat cardio` finds « Résultats de cardiologie »). Terms are joined by FTS5's
/// implicit AND.
pub fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split_whitespace()
        .map(|term| term.replace('"', " "))
        .filter(|term| term.chars().any(char::is_alphanumeric))
        .map(|term| format!("\"{}\"*", term.trim()))
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" "))
    }
}

/// The FTS5 query of a search: the typed words anywhere, and the sender's words in the
/// `sender` column only (a column filter over the same safe terms). `None`: no word at all.
fn search_fts(text: &str, from: &str) -> Option<String> {
    let anywhere = fts_query(text);
    let sender = fts_query(from).map(|terms| format!("sender : ({terms})"));
    match (anywhere, sender) {
        (Some(a), Some(s)) => Some(format!("{a} AND {s}")),
        (a, s) => a.or(s),
    }
}

/// Above this many text matches a search walks the messages newest first
/// (`messages_newest_first`) and stops at its limit; at or below it, it reads the matches and sorts
/// them. A word found in a third of a 100,000-message store (« résultat ») then reads a few
/// hundred rows instead of 30,000, and a rare name still reads only its own few.
const WALK_ABOVE: u32 = 2_000;

impl Store {
    /// Messages matching a search, most recent first. A query with neither words nor filters
    /// lists the most recent messages of all boxes.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<MessageSummary>> {
        self.search_walking_above(query, WALK_ABOVE)
    }

    fn search_walking_above(
        &self,
        query: &SearchQuery,
        walk_above: u32,
    ) -> Result<Vec<MessageSummary>> {
        const OP: &str = "search";
        let mut conditions: Vec<&str> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        // Without words, the newest messages are what is asked: walk them.
        let mut walk = true;
        if let Some(fts) = search_fts(&query.text, &query.from) {
            walk = self.matches_more_than(&fts, walk_above)?;
            conditions.push("m.id IN (SELECT rowid FROM search WHERE search MATCH ?)");
            values.push(Value::Text(fts));
        } else if !query.text.trim().is_empty() || !query.from.trim().is_empty() {
            // Only punctuation: nothing can match a word.
            return Ok(Vec::new());
        }
        if let Some(address) = &query.box_address {
            conditions.push("f.box = ?");
            values.push(Value::Text(address.as_str().to_owned()));
        }
        if let Some(folder) = query.folder {
            conditions.push("m.folder_id = ?");
            values.push(Value::Integer(folder.0));
        }
        if let Some(since) = query.since {
            conditions.push("m.date >= ?");
            values.push(Value::Integer(since));
        }
        if let Some(until) = query.until {
            conditions.push("m.date < ?");
            values.push(Value::Integer(until));
        }
        if query.unread_only {
            conditions.push("m.seen = 0");
        }
        if query.flagged_only {
            conditions.push("m.flagged = 1");
        }
        if query.with_attachments {
            conditions.push("m.has_attachments = 1");
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        values.push(Value::Integer(i64::from(query.limit)));
        // Walking: the date index is the outer loop (CROSS JOIN keeps it so), each message is
        // tested against the matches (materialised once), and the walk stops at the limit.
        let from = if walk {
            "messages AS m INDEXED BY messages_newest_first CROSS JOIN folders AS f"
        } else {
            "messages AS m JOIN folders AS f"
        };
        // Ids first, then the summaries of the page: sorting matches sorts (date, id) pairs,
        // not decoded summaries.
        let sql = format!(
            "SELECT m.id FROM {from} ON f.id = m.folder_id
             {filter} ORDER BY m.date DESC, m.id DESC LIMIT ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql).op(OP)?;
        let ids = stmt
            .query_map(rusqlite::params_from_iter(values), |row| {
                row.get(0).map(MessageId)
            })
            .op(OP)?
            .collect::<rusqlite::Result<Vec<MessageId>>>()
            .op(OP)?;
        self.summaries(&ids)
    }

    /// Whether the full-text query `fts` matches more than `count` messages (it reads at most
    /// `count + 1` of its matches).
    fn matches_more_than(&self, fts: &str, count: u32) -> Result<bool> {
        let found: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM (SELECT rowid FROM search WHERE search MATCH ?1 LIMIT ?2)",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![fts, i64::from(count) + 1], |row| row.get(0))
            })
            .op("search")?;
        Ok(found > i64::from(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FolderRole, Mailbox, NewMessage};
    use relais_core::{Access, BoxKind, Entitlement, Rights};

    /// An in-memory store with the secretariat's box and its inbox.
    fn secretariat_store() -> (Store, BoxAddress, FolderId) {
        let mut store = Store::open_in_memory().expect("store");
        let cardio = BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr").expect("box");
        store
            .upsert_boxes(&[Entitlement {
                address: cardio.clone(),
                kind: BoxKind::Organisational,
                display_name: "Secrétariat de cardiologie".into(),
                rights: Rights::full(),
                access: Access::OwnLogin,
            }])
            .expect("boxes");
        let inbox = store
            .upsert_folder(&cardio, "INBOX", Some(FolderRole::Inbox))
            .expect("inbox");
        (store, cardio, inbox)
    }

    /// Walking the date index and sorting the matches give the same answer, for frequent and
    /// rare words, with and without filters; dates are not in id order.
    #[test]
    fn walking_and_sorting_agree() {
        let (mut store, cardio, inbox) = secretariat_store();
        let sent = store
            .upsert_folder(&cardio, "Sent", Some(FolderRole::Sent))
            .expect("sent");
        let messages = |base: u32| -> Vec<NewMessage> {
            (0..300u32)
                .map(|i| NewMessage {
                    uid: base + i,
                    subject: match i % 10 {
                        0 => format!("Échographie de M. LEROY {i}"),
                        _ => format!("Résultat d'analyse {i}"),
                    },
                    from: Some(if i.is_multiple_of(3) {
                        Mailbox::new("Pharmacie centrale", "pharmacie@ch-demo.mssante.fr")
                    } else {
                        Mailbox::new("Laboratoire", "labo@ch-demo.mssante.fr")
                    }),
                    // Dates shuffled against ids; some equal, so the id breaks the tie.
                    date: 1_700_000_000 + i64::from((i * 7919) % 211) * 3600,
                    size: 100,
                    ..NewMessage::default()
                })
                .collect()
        };
        store.insert_messages(inbox, &messages(1)).expect("inbox");
        store.insert_messages(sent, &messages(1)).expect("sent");
        let queries = [
            SearchQuery::text("resultat"),
            SearchQuery::text("leroy echographie"),
            SearchQuery::text("nothing-matches"),
            SearchQuery {
                folder: Some(sent),
                limit: 25,
                ..SearchQuery::text("analyse")
            },
            SearchQuery {
                since: Some(1_700_000_000 + 100 * 3600),
                ..SearchQuery::text("resultat")
            },
            SearchQuery::default(),
            SearchQuery {
                from: "pharmacie".into(),
                ..SearchQuery::text("leroy")
            },
            SearchQuery {
                from: "labo".into(),
                with_attachments: true,
                ..SearchQuery::default()
            },
        ];
        for query in &queries {
            let ids = |walk_above| -> Vec<MessageId> {
                store
                    .search_walking_above(query, walk_above)
                    .expect("search")
                    .iter()
                    .map(|m| m.id)
                    .collect()
            };
            let walked = ids(0);
            let sorted = ids(u32::MAX - 1);
            assert_eq!(walked, sorted, "{query:?}");
        }
        assert_eq!(
            store
                .search(&SearchQuery::text("resultat"))
                .expect("search")
                .len(),
            200
        );
        assert_eq!(
            store
                .search(&SearchQuery::text("leroy"))
                .expect("search")
                .len(),
            60
        );
    }

    /// The sender filter looks at the sender only: « leroy » is in subjects, never a sender.
    #[test]
    fn the_sender_filter_reads_the_sender_column_only() {
        assert_eq!(
            search_fts("leroy", "pharma").as_deref(),
            Some("\"leroy\"* AND sender : (\"pharma\"*)")
        );
        assert_eq!(
            search_fts("", "Pharmacie centrale").as_deref(),
            Some("sender : (\"Pharmacie\"* \"centrale\"*)")
        );
        assert_eq!(search_fts(" ", "- *").as_deref(), None);
        let (mut store, _, inbox) = secretariat_store();
        let message = |uid: u32, who: &str, address: &str, subject: &str| NewMessage {
            uid,
            subject: subject.into(),
            from: Some(Mailbox::new(who, address)),
            date: 1_700_000_000 + i64::from(uid),
            structure: if uid.is_multiple_of(2) {
                vec![crate::MessagePart {
                    part_id: "2".into(),
                    content_type: "application/pdf".into(),
                    filename: Some("compte-rendu.pdf".into()),
                    size: 1000,
                    attachment: true,
                }]
            } else {
                Vec::new()
            },
            ..NewMessage::default()
        };
        store
            .insert_messages(
                inbox,
                &[
                    message(
                        1,
                        "Pharmacie centrale",
                        "pharmacie@ch-demo.mssante.fr",
                        "Échographie de M. LEROY",
                    ),
                    message(
                        2,
                        "Dr Jacques LEROY",
                        "jacques.leroy@cardio-pau.mssante.fr",
                        "Résultats",
                    ),
                    message(
                        3,
                        "Laboratoire",
                        "labo@ch-demo.mssante.fr",
                        "Résultats de M. LEROY",
                    ),
                ],
            )
            .expect("messages");
        let subjects = |query: SearchQuery| -> Vec<String> {
            store
                .search(&query)
                .expect("search")
                .into_iter()
                .map(|m| m.subject)
                .collect()
        };
        let from = |who: &str| SearchQuery {
            from: who.into(),
            ..SearchQuery::default()
        };
        assert_eq!(subjects(from("leroy")), ["Résultats"]);
        assert_eq!(subjects(from("cardio-pau")), ["Résultats"]);
        assert_eq!(
            subjects(SearchQuery {
                from: "labo".into(),
                ..SearchQuery::text("resultats")
            }),
            ["Résultats de M. LEROY"]
        );
        assert_eq!(
            subjects(SearchQuery {
                with_attachments: true,
                ..SearchQuery::text("leroy")
            }),
            ["Résultats"]
        );
        assert!(subjects(from("nobody")).is_empty());
    }

    #[test]
    fn user_text_never_becomes_syntax() {
        assert_eq!(fts_query("resultat").as_deref(), Some("\"resultat\"*"));
        assert_eq!(
            fts_query("  Dupont   cardio ").as_deref(),
            Some("\"Dupont\"* \"cardio\"*")
        );
        assert_eq!(
            fts_query("a OR b NOT c").as_deref(),
            Some("\"a\"* \"OR\"* \"b\"* \"NOT\"* \"c\"*")
        );
        assert_eq!(
            fts_query("subject:x \"quoted NEAR(y)").as_deref(),
            Some("\"subject:x\"* \"quoted\"* \"NEAR(y)\"*")
        );
        assert_eq!(fts_query("- * ^ ( ) \"").as_deref(), None);
        assert_eq!(fts_query("").as_deref(), None);
        assert_eq!(fts_query("a\"b").as_deref(), Some("\"a b\"*"));
    }
}
