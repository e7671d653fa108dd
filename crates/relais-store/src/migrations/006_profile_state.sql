-- The profile's own state, encrypted with the rest of the store instead of JSON files beside
-- it: the account record (who signed in, how, with which operator), the per-box settings,
-- and the DSN request of each queued message. One row per key, the value in JSON.
CREATE TABLE profile_state (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;
