-- Short-lived credentials for non-human identities. Steps get a stable id (a token is bound to
-- one step); an identity's client secret is kept only as a slow (Argon2id) hash; tokens are kept
-- only as SHA-256 hashes and are checked against the live registry on every use.

ALTER TABLE workflow_steps ADD COLUMN id TEXT;
UPDATE workflow_steps SET id = gen_random_uuid()::text WHERE id IS NULL;
CREATE UNIQUE INDEX workflow_steps_id ON workflow_steps (id);

ALTER TABLE nhis ADD COLUMN secret_hash TEXT;
ALTER TABLE nhis ADD COLUMN secret_rotated_at BIGINT;

CREATE TABLE access_tokens (
    token_hash   TEXT PRIMARY KEY,
    nhi_id       TEXT NOT NULL REFERENCES nhis (id),
    workflow_id  TEXT NOT NULL REFERENCES workflows (id),
    step_id      TEXT NOT NULL,
    issued_at    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);
CREATE INDEX access_tokens_workflow ON access_tokens (workflow_id);
