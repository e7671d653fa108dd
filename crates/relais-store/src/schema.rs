//! The SQLite schema and its migrations.
//!
//! The schema version is `PRAGMA user_version`: `0` for an empty file, then the number of
//! migrations applied. Each migration is a SQL file `src/migrations/NNN_name.sql`, compiled in
//! with `include_str!` and applied in **one transaction** together with the new
//! `user_version`, so a crash leaves the file at the previous version, never half-migrated.
//! A file whose version is higher than this build knows is refused
//! ([`StoreError::SchemaTooNew`](crate::StoreError::SchemaTooNew)) rather than misread.
//! Migrations are append-only: never edit one that has shipped, add the next.
//!
//! Every table is `STRICT`. Times are unix seconds, except `audit.at` (unix milliseconds).
//! Message-IDs are stored without angle brackets.
//!
//! # Tables
//!
//! | table | one row per | notes |
//! |---|---|---|
//! | `boxes` | box the person may open ([`Entitlement`](relais_core::Entitlement)) | `address` PK, `kind`, `display_name`, `rights` (RFC 4314 letters), `access` (JSON), `position` (display order) |
//! | `folders` | IMAP folder of a box | `UNIQUE(box, name)`; `role` from SPECIAL-USE (`inbox`, `sent`, `drafts`, `trash`, `junk`, `archive` or NULL); sync state `uidvalidity`, `uidnext`, `highestmodseq`, `last_sync`. Cascades from `boxes`. |
//! | `messages` | message (UID) in a folder | `UNIQUE(folder_id, uid)`; envelope (`message_id`, `in_reply_to`, `refs`, `subject`, `from_name`, `from_addr`, `to_json`, `cc_json`, `date`, `size`); flags as text (`flags` = system flags, `keywords` = the others) **and** 0/1 columns `seen`, `answered`, `flagged`, `deleted`, `draft` for fast filters; `has_attachments`, `structure` (JSON list of parts); `author_name`/`author_id`/`author_addr` from `X-Relais-Author`; `thread_id`; `modseq`. Indexes: `(folder_id, date DESC, id DESC, thread_id)` for lists (covering: a folder's order and threads are read without its rows), `(date DESC, id DESC)` for searches of frequent words, `message_id`, `thread_id`, and a partial index of unread messages per folder. Cascades from `folders`. |
//! | `bodies` | fetched body | `raw` BLOB (the RFC 5322 bytes), `text` (plain text extracted by the engine, indexed for search), `fetched_at`. Cascades from `messages`. |
//! | `search` | message (rowid = `messages.id`) | FTS5, contentless with delete, tokenizer `unicode61 remove_diacritics 2`, columns `sender` (name, address, author), `recipients`, `subject`, `body`, `attachments` (file names). Filled from the view `search_source` by triggers on `messages` and `bodies`, so every insert, update, delete and cascade keeps it in sync. |
//! | `outbox` | message to send | `envelope_from`, `recipients` (JSON), `author` (JSON), `state` (see [`OutboxState`](crate::OutboxState)), `attempts`, `last_error`, `next_attempt_at`; `hold_until` and `held_draft` for undo send (007). Committed before any network use; **no** foreign key to `boxes`, so removing a box never drops an unsent message. |
//! | `outbox_raw` | outbox message | its exact `raw` bytes, apart so that a state change rewrites a small row; cascades from `outbox`. |
//! | `outbox_events` | outbox state change | `at`, `state`, `error`; cascades from `outbox`. |
//! | `drafts` | draft being written | `box`, `author` (JSON), `subject`, `body`, `to_json`/`cc_json`/`bcc_json`, `attachments` (JSON), `in_reply_to`, `refs`, `server_uid` once copied to the Drafts folder. Cascades from `boxes`. |
//! | `audit` | traced action | `box`, `at` (ms), `person` (national identifier), `action`, `request`, `response` (the server's answer), `ok`. Never message content. No foreign key: the log outlives a removed box; [`Store::purge_audit`](crate::Store::purge_audit) drops rows older than six months. |

/// The migrations, in order: `(name, SQL)`. Migration `i` (0-based) brings the file to
/// `user_version = i + 1`.
pub(crate) const MIGRATIONS: &[(&str, &str)] = &[
    ("001_initial", include_str!("migrations/001_initial.sql")),
    (
        "002_list_order_index",
        include_str!("migrations/002_list_order_index.sql"),
    ),
    (
        "003_outbox_raw_apart",
        include_str!("migrations/003_outbox_raw_apart.sql"),
    ),
    (
        "004_search_by_date",
        include_str!("migrations/004_search_by_date.sql"),
    ),
    (
        "005_message_ids_never_reused",
        include_str!("migrations/005_message_ids_never_reused.sql"),
    ),
    (
        "006_profile_state",
        include_str!("migrations/006_profile_state.sql"),
    ),
    (
        "007_undo_send",
        include_str!("migrations/007_undo_send.sql"),
    ),
    (
        "008_conversation_closed",
        include_str!("migrations/008_conversation_closed.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;
