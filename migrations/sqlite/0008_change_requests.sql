-- Change requests drafted by agents, and every version of their content with its provenance.
-- The content hash is computed by Countersign; sign-offs (next) are bound to it.

CREATE TABLE change_requests (
    id               TEXT PRIMARY KEY,
    workflow_id      TEXT NOT NULL REFERENCES workflows (id),
    step_id          TEXT NOT NULL,
    nhi_id           TEXT NOT NULL REFERENCES nhis (id),
    title            TEXT NOT NULL,
    channel          TEXT NOT NULL,
    audience         TEXT NOT NULL CHECK (audience IN ('internal', 'external')),
    purpose          TEXT NOT NULL,
    target_system    TEXT NOT NULL REFERENCES connected_systems (id),
    target_ref       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending_review', 'changes_requested',
                                                     'approved', 'rejected', 'publishing',
                                                     'published', 'publish_failed',
                                                     'rolled_back', 'cancelled')),
    tier             BIGINT NOT NULL CHECK (tier IN (1, 2, 3)),
    current_version  BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX change_requests_status ON change_requests (status, created_at, id);
CREATE INDEX change_requests_workflow ON change_requests (workflow_id);

CREATE TABLE change_versions (
    change_id        TEXT NOT NULL REFERENCES change_requests (id),
    version          BIGINT NOT NULL,
    content          TEXT NOT NULL,
    format           TEXT NOT NULL CHECK (format IN ('text', 'markdown', 'html')),
    content_hash     TEXT NOT NULL,
    provenance_json  TEXT NOT NULL,
    submitted_at     BIGINT NOT NULL,
    PRIMARY KEY (change_id, version)
);
