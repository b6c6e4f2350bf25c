-- Agents list their own changes, newest first, and may resend a draft with the idempotency key
-- of the first attempt: the key (with the hash of what was sent) finds the change it made.
ALTER TABLE change_requests ADD COLUMN idempotency_key TEXT;
ALTER TABLE change_requests ADD COLUMN request_hash TEXT;
CREATE UNIQUE INDEX change_requests_idempotency ON change_requests (nhi_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX change_requests_nhi ON change_requests (nhi_id, created_at, id);
