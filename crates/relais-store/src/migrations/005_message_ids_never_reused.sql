-- Message ids are never reused. They were allocated as MAX(id) + 1, so the id of the newest
-- message came back after it was expunged, and a window still holding the old id would
-- have shown another message. This is AUTOINCREMENT's own mechanism (SQLite keeps the
-- highest id ever given in sqlite_sequence), kept in a table of ours: rebuilding `messages`
-- with AUTOINCREMENT would mean recreating its full-text triggers, view, indexes and the
-- tables that reference it, inside a migration's transaction where foreign keys cannot be
-- switched off.
CREATE TABLE id_sequence (
    name TEXT PRIMARY KEY NOT NULL,
    last INTEGER NOT NULL
) STRICT;

INSERT INTO id_sequence (name, last) SELECT 'messages', IFNULL(MAX(id), 0) FROM messages;
