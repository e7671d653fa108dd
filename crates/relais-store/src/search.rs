//! Full-text search over the messages of all boxes, accent- and case-insensitive.
//!
//! The index (`search`, FTS5 with `unicode61 remove_diacritics 2`) covers the sender (name,
//! address, and the author from `X-Relais-Author`), recipients, subject, the cached body text
//! and attachment file names. What a person types is never handed to FTS5 as query syntax:
//! [`fts_query`] keeps the words only, quotes each one, and lets each match as a prefix (results
//! follow the typing, and plurals match). All words must match. Results are most recent
//! first.

use relais_core::BoxAddress;
use rusqlite::types::Value;
use serde::{Deserialize, Serialize};

use crate::error::Context;
use crate::folders::FolderId;
use crate::messages::{summary_from_row, MessageSummary, SUMMARY_COLUMNS};
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

impl Store {
    /// Messages matching a search, most recent first. A query with neither words nor filters
    /// lists the most recent messages of all boxes.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<MessageSummary>> {
        const OP: &str = "search";
        let mut conditions: Vec<&str> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if let Some(fts) = fts_query(&query.text) {
            conditions.push("m.id IN (SELECT rowid FROM search WHERE search MATCH ?)");
            values.push(Value::Text(fts));
        } else if !query.text.trim().is_empty() {
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
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM messages AS m JOIN folders AS f ON f.id = m.folder_id
             {filter} ORDER BY m.date DESC, m.id DESC LIMIT ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql).op(OP)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values), |row| {
                summary_from_row(row, OP)
            })
            .op(OP)?;
        crate::collect(rows, OP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
