-- Variant sets: a change version may carry several variants (A/B arms, locales, segments), each
-- with its own content, audience and target. The base (position 0) is also the version's
-- content; sign-offs name the set's hash (change_requests.current_hash).
CREATE TABLE change_variants (
    change_id         TEXT NOT NULL REFERENCES change_requests (id),
    version           BIGINT NOT NULL,
    position          BIGINT NOT NULL CHECK (position >= 0),
    name              TEXT NOT NULL,
    audience          TEXT NOT NULL CHECK (audience IN ('internal', 'external')),
    target_ref        TEXT NOT NULL,
    format            TEXT NOT NULL CHECK (format IN ('text', 'markdown', 'html')),
    content           TEXT NOT NULL,
    content_hash      TEXT NOT NULL,
    -- What the target system's receipt named once this variant was published, and what it
    -- replaced; set only for the version that was approved.
    published_version TEXT,
    replaced_version  TEXT,
    published_at      BIGINT,
    rolled_back_at    BIGINT,
    PRIMARY KEY (change_id, version, position),
    UNIQUE (change_id, version, name),
    FOREIGN KEY (change_id, version) REFERENCES change_versions (change_id, version)
);
CREATE INDEX change_variants_target ON change_variants (target_ref, published_at);

-- A claim is in the version's content ('') or in a named variant of its set; a span is unique
-- within its variant. SQLite cannot drop a constraint, so `claims` is rebuilt, and with it
-- `claim_reviews`, whose reference the rename carries to the old table.
ALTER TABLE claims RENAME TO claims_before_variants;
CREATE TABLE claims (
    id              TEXT PRIMARY KEY,
    change_id       TEXT NOT NULL REFERENCES change_requests (id),
    version         BIGINT NOT NULL,
    span_start      BIGINT NOT NULL,
    span_end        BIGINT NOT NULL,
    quote           TEXT NOT NULL,
    rules           TEXT NOT NULL,
    marked_by       TEXT REFERENCES humans (id),
    marked_by_name  TEXT,
    created_at      BIGINT NOT NULL,
    event_seq       BIGINT NOT NULL,
    variant         TEXT NOT NULL DEFAULT '',
    CHECK (span_start >= 0 AND span_end > span_start),
    UNIQUE (change_id, version, variant, span_start, span_end)
);
INSERT INTO claims (id, change_id, version, span_start, span_end, quote, rules, marked_by,
                    marked_by_name, created_at, event_seq)
SELECT id, change_id, version, span_start, span_end, quote, rules, marked_by, marked_by_name,
       created_at, event_seq
FROM claims_before_variants;
CREATE TABLE claim_reviews_rebuilt (
    claim_id       TEXT NOT NULL REFERENCES claims (id),
    revision       BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('substantiated', 'needs_change', 'unsupported')),
    evidence       TEXT NOT NULL,
    comment        TEXT NOT NULL,
    reviewer_id    TEXT NOT NULL REFERENCES humans (id),
    reviewer_name  TEXT NOT NULL,
    reviewed_at    BIGINT NOT NULL,
    event_seq      BIGINT NOT NULL,
    PRIMARY KEY (claim_id, revision)
);
INSERT INTO claim_reviews_rebuilt SELECT * FROM claim_reviews;
DROP TABLE claim_reviews;
DROP TABLE claims_before_variants;
ALTER TABLE claim_reviews_rebuilt RENAME TO claim_reviews;
