-- The bytes of an outbox message in a table of their own. In `outbox`, `raw` stood before the
-- state columns: every state change rewrote the whole row, and every read of the state walked
-- the blob's overflow pages (each one decrypted and HMAC-checked in an encrypted store), so a
-- message with a 10 MB attachment was rewritten five times and read a dozen times while it was
-- sent. Now a state change touches a small row, and the bytes are read only to submit and to
-- APPEND. Inserted with the outbox row, in the same transaction; removed with it.
CREATE TABLE outbox_raw (
    outbox_id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,
    raw       BLOB NOT NULL                      -- the exact bytes to submit and to APPEND
) STRICT;

INSERT INTO outbox_raw (outbox_id, raw) SELECT id, raw FROM outbox;
ALTER TABLE outbox DROP COLUMN raw;
