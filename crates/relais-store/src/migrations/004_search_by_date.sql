-- All messages newest first, whatever their folder: a search for a frequent word walks it and
-- stops at its limit (Store::search) instead of sorting every match.
CREATE INDEX messages_newest_first ON messages (date DESC, id DESC);
