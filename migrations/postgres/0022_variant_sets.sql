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

-- A claim is in the version's content ('') or in a named variant of its set.
ALTER TABLE claims ADD COLUMN variant TEXT NOT NULL DEFAULT '';
ALTER TABLE claims DROP CONSTRAINT claims_change_id_version_span_start_span_end_key;
ALTER TABLE claims ADD CONSTRAINT claims_span_in_variant
    UNIQUE (change_id, version, variant, span_start, span_end);
