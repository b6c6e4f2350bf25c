-- Connected systems and the data fields each exposes. The signing secret is stored encrypted
-- (XChaCha20-Poly1305, key outside the database) and is never returned after creation.

CREATE TABLE connected_systems (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL CHECK (kind IN ('crm', 'campaign', 'ad_platform', 'cms', 'ticketing', 'other')),
    base_url        TEXT NOT NULL,
    signing_secret  TEXT NOT NULL,
    secret_version  BIGINT NOT NULL,
    created_by      TEXT NOT NULL REFERENCES humans (id),
    created_at      BIGINT NOT NULL
);

CREATE TABLE system_fields (
    system_id  TEXT NOT NULL REFERENCES connected_systems (id),
    name       TEXT NOT NULL,
    category   TEXT NOT NULL CHECK (category IN ('contact', 'behavioural', 'financial', 'special_category', 'none')),
    PRIMARY KEY (system_id, name)
);
