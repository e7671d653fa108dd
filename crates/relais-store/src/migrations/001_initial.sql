-- Relais local store, schema version 1. See the module doc of `relais_store::schema`.
-- Every table is STRICT. Times: unix seconds, except audit.at (unix milliseconds).

-- The boxes the person may open (their entitlements), in display order.
CREATE TABLE boxes (
    address      TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('nominative', 'organisational', 'applicative')),
    display_name TEXT NOT NULL,
    rights       TEXT NOT NULL,                  -- RFC 4314 letters, canonical order
    access       TEXT NOT NULL,                  -- relais_core::Access as JSON
    position     INTEGER NOT NULL
) STRICT;

-- IMAP folders of each box, with their synchronisation state.
CREATE TABLE folders (
    id            INTEGER PRIMARY KEY,
    box           TEXT NOT NULL REFERENCES boxes(address) ON DELETE CASCADE,
    name          TEXT NOT NULL,                 -- IMAP name, '/' separated, UTF-8
    role          TEXT CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive')),
    uidvalidity   INTEGER,
    uidnext       INTEGER,
    highestmodseq INTEGER,
    last_sync     INTEGER,
    UNIQUE (box, name)
) STRICT;

-- One row per message in a folder (IMAP UID). Envelope and flags only; bodies are apart.
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    folder_id       INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    uid             INTEGER NOT NULL,
    message_id      TEXT,                        -- without angle brackets
    in_reply_to     TEXT,                        -- without angle brackets
    refs            TEXT NOT NULL DEFAULT '',    -- References: ids without brackets, space separated
    subject         TEXT NOT NULL DEFAULT '',
    from_name       TEXT,
    from_addr       TEXT,
    to_json         TEXT NOT NULL DEFAULT '[]',  -- [{"name":…,"address":…}]
    cc_json         TEXT NOT NULL DEFAULT '[]',
    date            INTEGER NOT NULL,
    size            INTEGER NOT NULL,
    flags           TEXT NOT NULL DEFAULT '',    -- system flags, e.g. '\Seen \Answered'
    keywords        TEXT NOT NULL DEFAULT '',    -- other flags, e.g. '$Forwarded $MDNSent'
    seen            INTEGER NOT NULL DEFAULT 0 CHECK (seen IN (0, 1)),
    answered        INTEGER NOT NULL DEFAULT 0 CHECK (answered IN (0, 1)),
    flagged         INTEGER NOT NULL DEFAULT 0 CHECK (flagged IN (0, 1)),
    deleted         INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    draft           INTEGER NOT NULL DEFAULT 0 CHECK (draft IN (0, 1)),
    has_attachments INTEGER NOT NULL DEFAULT 0 CHECK (has_attachments IN (0, 1)),
    structure       TEXT NOT NULL DEFAULT '[]',  -- [{"part_id","content_type","filename","size","attachment"}]
    author_name     TEXT,                        -- from X-Relais-Author
    author_id       TEXT,
    author_addr     TEXT,
    thread_id       INTEGER NOT NULL,            -- id of the first stored message of the thread
    modseq          INTEGER,
    UNIQUE (folder_id, uid)
) STRICT;

CREATE INDEX messages_by_date ON messages (folder_id, date DESC, id DESC);
CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_by_thread ON messages (thread_id);
CREATE INDEX messages_unread ON messages (folder_id) WHERE seen = 0 AND deleted = 0;

-- Bodies, fetched on demand: the raw RFC 5322 bytes, and the plain text the engine extracted.
CREATE TABLE bodies (
    message_id INTEGER PRIMARY KEY NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB NOT NULL,
    text       TEXT NOT NULL DEFAULT '',
    fetched_at INTEGER NOT NULL
) STRICT;

-- What the full-text index holds for each message (rowid = messages.id).
CREATE VIEW search_source (id, sender, recipients, subject, body, attachments) AS
SELECT
    m.id,
    concat_ws(' ', m.from_name, m.from_addr, m.author_name, m.author_addr),
    concat_ws(' ',
        (SELECT group_concat(concat_ws(' ', json_extract(r.value, '$.name'),
                                            json_extract(r.value, '$.address')), ' ')
           FROM json_each(m.to_json) AS r),
        (SELECT group_concat(concat_ws(' ', json_extract(r.value, '$.name'),
                                            json_extract(r.value, '$.address')), ' ')
           FROM json_each(m.cc_json) AS r)),
    m.subject,
    coalesce(b.text, ''),
    coalesce((SELECT group_concat(json_extract(p.value, '$.filename'), ' ')
                FROM json_each(m.structure) AS p
               WHERE json_extract(p.value, '$.filename') IS NOT NULL), '')
FROM messages AS m
LEFT JOIN bodies AS b ON b.message_id = m.id;

-- Full-text index, accent-insensitive ('resultat' finds 'Résultats'). Contentless: the text
-- lives in messages/bodies; rows are kept in sync by the triggers below.
CREATE VIRTUAL TABLE search USING fts5 (
    sender, recipients, subject, body, attachments,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search (rowid, sender, recipients, subject, body, attachments)
    SELECT id, sender, recipients, subject, body, attachments FROM search_source WHERE id = new.id;
END;

CREATE TRIGGER messages_search_update
AFTER UPDATE OF subject, from_name, from_addr, to_json, cc_json, structure, author_name, author_addr
ON messages BEGIN
    DELETE FROM search WHERE rowid = old.id;
    INSERT INTO search (rowid, sender, recipients, subject, body, attachments)
    SELECT id, sender, recipients, subject, body, attachments FROM search_source WHERE id = new.id;
END;

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search WHERE rowid = old.id;
END;

CREATE TRIGGER bodies_search_insert AFTER INSERT ON bodies BEGIN
    DELETE FROM search WHERE rowid = new.message_id;
    INSERT INTO search (rowid, sender, recipients, subject, body, attachments)
    SELECT id, sender, recipients, subject, body, attachments FROM search_source
     WHERE id = new.message_id;
END;

CREATE TRIGGER bodies_search_update AFTER UPDATE ON bodies BEGIN
    DELETE FROM search WHERE rowid = old.message_id;
    INSERT INTO search (rowid, sender, recipients, subject, body, attachments)
    SELECT id, sender, recipients, subject, body, attachments FROM search_source
     WHERE id = new.message_id;
END;

CREATE TRIGGER bodies_search_delete AFTER DELETE ON bodies BEGIN
    DELETE FROM search WHERE rowid = old.message_id;
    INSERT INTO search (rowid, sender, recipients, subject, body, attachments)
    SELECT id, sender, recipients, subject, body, attachments FROM search_source
     WHERE id = old.message_id;
END;

-- Messages waiting to be sent, durable before any network use. Never tied to `boxes` by a
-- foreign key: removing a box must not drop an unsent message.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    box             TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,        -- without angle brackets
    raw             BLOB NOT NULL,               -- the exact bytes to submit and to APPEND
    envelope_from   TEXT NOT NULL,
    recipients      TEXT NOT NULL,               -- JSON array of addresses (RCPT TO)
    subject         TEXT NOT NULL DEFAULT '',    -- for the outbox list only
    author          TEXT NOT NULL,               -- relais_core::Author as JSON
    state           TEXT NOT NULL CHECK (state IN
                        ('queued', 'submitting', 'submitted', 'appending', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- Every state change of an outbox message.
CREATE TABLE outbox_events (
    id        INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    state     TEXT NOT NULL,
    error     TEXT
) STRICT;

CREATE INDEX outbox_events_by_message ON outbox_events (outbox_id, id);

-- Drafts being written, each with its author; server_uid once a copy is in the Drafts folder.
CREATE TABLE drafts (
    id          INTEGER PRIMARY KEY,
    box         TEXT NOT NULL REFERENCES boxes(address) ON DELETE CASCADE,
    author      TEXT NOT NULL,                   -- relais_core::Author as JSON
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    to_json     TEXT NOT NULL DEFAULT '[]',
    cc_json     TEXT NOT NULL DEFAULT '[]',
    bcc_json    TEXT NOT NULL DEFAULT '[]',
    attachments TEXT NOT NULL DEFAULT '[]',
    in_reply_to TEXT,
    refs        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    server_uid  INTEGER
) STRICT;

CREATE INDEX drafts_by_box ON drafts (box, updated_at DESC);

-- Audit log per box (kept six months): who did what, the request and the server's answer,
-- never message content. No foreign key: the log outlives a removed box.
CREATE TABLE audit (
    id       INTEGER PRIMARY KEY,
    box      TEXT NOT NULL,
    at       INTEGER NOT NULL,                   -- unix milliseconds
    person   TEXT NOT NULL,                      -- national identifier (8+RPPS, 0+ADELI, login:…)
    action   TEXT NOT NULL,
    request  TEXT NOT NULL,
    response TEXT NOT NULL,
    ok       INTEGER NOT NULL CHECK (ok IN (0, 1))
) STRICT;

CREATE INDEX audit_by_box ON audit (box, at DESC);
CREATE INDEX audit_by_time ON audit (at);
