-- The list marks a message that closes a patient conversation (`X-MSS-MES: FIN`, Ségur UX):
-- the header is read at sync time with the list's other fields. Messages synced before this
-- migration keep 0 until they are fetched again.
ALTER TABLE messages ADD COLUMN closes_conversation INTEGER NOT NULL DEFAULT 0;
