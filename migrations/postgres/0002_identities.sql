-- Non-human identities (service accounts, agents) and their human owners. A person can also be
-- pre-registered by email (no issuer/subject yet) so they can be named as an owner before their
-- first sign-in.

CREATE TABLE nhis (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('service_account', 'agent')),
    name              TEXT NOT NULL UNIQUE,
    purpose           TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'revoked')),
    expires_at        BIGINT NOT NULL,
    model             TEXT,
    created_by        TEXT NOT NULL REFERENCES humans (id),
    created_at        BIGINT NOT NULL,
    last_used_at      BIGINT,
    state_changed_at  BIGINT NOT NULL,
    state_reason      TEXT
);
CREATE INDEX nhis_expires_at ON nhis (expires_at);

CREATE TABLE nhi_owners (
    nhi_id    TEXT NOT NULL REFERENCES nhis (id),
    human_id  TEXT NOT NULL REFERENCES humans (id),
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (nhi_id, human_id)
);
CREATE INDEX nhi_owners_human ON nhi_owners (human_id);
