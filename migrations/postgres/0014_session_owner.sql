-- Whose session each is, so that every session of one person can be ended at once (the IdP's
-- back-channel logout, deactivation). Taken from the session's data when it is saved.
ALTER TABLE sessions ADD COLUMN human_id TEXT;
CREATE INDEX sessions_human ON sessions (human_id);
