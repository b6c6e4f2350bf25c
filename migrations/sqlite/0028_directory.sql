-- SCIM 2.0 provisioning from the corporate directory (Entra ID, Okta).

-- Why a person cannot act, now also 'by_directory' (the directory said they left). It replaces
-- humans.deactivation, whose CHECK cannot be widened in place on SQLite; that column is no
-- longer written.
ALTER TABLE humans ADD COLUMN deactivated TEXT
    CHECK (deactivated IN ('no_role', 'by_admin', 'by_directory'));
UPDATE humans SET deactivated = deactivation;

-- Bearer tokens the directory presents; only SHA-256 hashes are kept. Rotating one revokes it
-- and names its successor.
CREATE TABLE directory_tokens (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    token_hash     TEXT NOT NULL UNIQUE,
    created_by     TEXT NOT NULL REFERENCES humans (id),
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    revoked_at     BIGINT,
    revoked_by     TEXT REFERENCES humans (id),
    replaced_by    TEXT REFERENCES directory_tokens (id)
);

-- A person as the directory provisioned them. The SCIM id is the person's id; the attributes
-- are kept as sent (JSON) so the directory reads back what it wrote. A DELETE removes this row
-- and the memberships; the person, deactivated, and their history stay.
CREATE TABLE directory_users (
    human_id       TEXT PRIMARY KEY REFERENCES humans (id),
    user_name      TEXT NOT NULL,
    -- userName is not case-exact (RFC 7643 §4.1.1): unique lower-cased.
    user_name_key  TEXT NOT NULL UNIQUE,
    external_id    TEXT UNIQUE,
    active         INTEGER NOT NULL CHECK (active IN (0, 1)),
    attributes     TEXT NOT NULL,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE directory_groups (
    id                TEXT PRIMARY KEY,
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL UNIQUE,
    external_id       TEXT,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE directory_members (
    group_id   TEXT NOT NULL REFERENCES directory_groups (id),
    human_id   TEXT NOT NULL REFERENCES directory_users (human_id),
    PRIMARY KEY (group_id, human_id)
);
CREATE INDEX directory_members_human ON directory_members (human_id, group_id);
