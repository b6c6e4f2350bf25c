-- Read-only machine tokens for auditors' tools (the ledger's proof API). Kept only as SHA-256
-- hashes; each names the security admin who issued it and stops working when it expires, is
-- revoked, or its issuer is deactivated.
CREATE TABLE auditor_tokens (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    issued_by      TEXT NOT NULL REFERENCES humans (id),
    issued_at      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_by     TEXT REFERENCES humans (id)
);
CREATE INDEX auditor_tokens_issued_at ON auditor_tokens (issued_at);
