-- Undo send: a message may wait until `hold_until` (unix seconds; 0: no wait) before its
-- first attempt, whatever wakes the outbox. Until then it keeps the draft it was written in
-- (`held_draft`): « Annuler l'envoi » removes the row and the draft is whole again. The draft
-- is deleted in the transaction that starts the submission.
ALTER TABLE outbox ADD COLUMN hold_until INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN held_draft INTEGER;
