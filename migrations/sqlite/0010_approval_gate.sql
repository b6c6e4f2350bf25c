-- The approval gate. Every record here is append-only: a sign-off is never changed (a new version
-- of the content voids it by its hash, time expires it); a claim's review and a rollback plan's
-- edit are new rows, the newest one in force. Each row names the ledger event that recorded it.

CREATE TABLE signoffs (
    id                   TEXT PRIMARY KEY,
    change_id            TEXT NOT NULL REFERENCES change_requests (id),
    version              BIGINT NOT NULL,
    content_hash         TEXT NOT NULL,
    signer_id            TEXT NOT NULL REFERENCES humans (id),
    signer_name          TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('approver', 'legal', 'security_admin')),
    verdict              TEXT NOT NULL CHECK (verdict IN ('approve', 'reject', 'request_changes')),
    comment              TEXT NOT NULL,
    signed_at            BIGINT NOT NULL,
    opened_full_content  INTEGER NOT NULL,
    viewed_diff          INTEGER NOT NULL,
    dwell_ms             BIGINT NOT NULL,
    content_words        BIGINT NOT NULL,
    event_seq            BIGINT NOT NULL
);
CREATE INDEX signoffs_change ON signoffs (change_id, signed_at);
CREATE INDEX signoffs_signer ON signoffs (signer_id, signed_at);

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
    CHECK (span_start >= 0 AND span_end > span_start),
    UNIQUE (change_id, version, span_start, span_end)
);

CREATE TABLE claim_reviews (
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

CREATE TABLE rollback_plans (
    change_id          TEXT NOT NULL REFERENCES change_requests (id),
    revision           BIGINT NOT NULL,
    steps              TEXT NOT NULL,
    previous_ref       TEXT,
    written_by_ref     TEXT NOT NULL,
    written_by_label   TEXT NOT NULL,
    written_at         BIGINT NOT NULL,
    event_seq          BIGINT NOT NULL,
    PRIMARY KEY (change_id, revision)
);

-- What the queue shows of each change without reading its claims and plans: kept in the same
-- transaction as the rows they count.
ALTER TABLE change_requests ADD COLUMN open_claims BIGINT NOT NULL DEFAULT 0;
-- The ledger event that wrote each version, so its provenance links to it.
ALTER TABLE change_versions ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE change_requests ADD COLUMN has_rollback_plan INTEGER NOT NULL DEFAULT 0;
ALTER TABLE change_requests ADD COLUMN current_hash TEXT NOT NULL DEFAULT '';
-- The current version's provenance and legal-basis checks: fixed once the version is written
-- (the decisions it cites are append-only), so computed then.
ALTER TABLE change_requests ADD COLUMN provenance_ok INTEGER NOT NULL DEFAULT 0;
ALTER TABLE change_requests ADD COLUMN legal_basis_ok INTEGER NOT NULL DEFAULT 0;
UPDATE change_requests SET current_hash = (
    SELECT v.content_hash FROM change_versions v
    WHERE v.change_id = change_requests.id AND v.version = change_requests.current_version
);
CREATE INDEX change_requests_queue ON change_requests (status, tier, created_at, id);

CREATE TRIGGER signoffs_no_update BEFORE UPDATE ON signoffs
BEGIN
    SELECT RAISE(ABORT, 'signoffs is append-only: UPDATE refused');
END;
CREATE TRIGGER signoffs_no_delete BEFORE DELETE ON signoffs
BEGIN
    SELECT RAISE(ABORT, 'signoffs is append-only: DELETE refused');
END;
CREATE TRIGGER claim_reviews_no_update BEFORE UPDATE ON claim_reviews
BEGIN
    SELECT RAISE(ABORT, 'claim_reviews is append-only: UPDATE refused');
END;
CREATE TRIGGER claim_reviews_no_delete BEFORE DELETE ON claim_reviews
BEGIN
    SELECT RAISE(ABORT, 'claim_reviews is append-only: DELETE refused');
END;
CREATE TRIGGER rollback_plans_no_update BEFORE UPDATE ON rollback_plans
BEGIN
    SELECT RAISE(ABORT, 'rollback_plans is append-only: UPDATE refused');
END;
CREATE TRIGGER rollback_plans_no_delete BEFORE DELETE ON rollback_plans
BEGIN
    SELECT RAISE(ABORT, 'rollback_plans is append-only: DELETE refused');
END;
