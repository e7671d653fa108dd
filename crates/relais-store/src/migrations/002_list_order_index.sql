-- Lists read a folder's order and threads from the index alone (Store::list_order): the
-- list index also holds thread_id, so a 100,000-message folder is ordered without reading
-- (and, in an encrypted store, decrypting) its rows. It replaces messages_by_date, which is
-- its prefix.
CREATE INDEX messages_by_date_thread ON messages (folder_id, date DESC, id DESC, thread_id);
DROP INDEX messages_by_date;
