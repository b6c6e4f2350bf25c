-- Workflows as ordered chains of owned steps. Each step's grant is kept as JSON (system, actions,
-- fields, purposes, human review); a widened grant awaiting review is kept apart until approved.

CREATE TABLE workflows (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    purpose           TEXT NOT NULL,
    owner             TEXT NOT NULL REFERENCES humans (id),
    state             TEXT NOT NULL CHECK (state IN ('draft', 'needs_review', 'active', 'suspended', 'revoked')),
    tier              BIGINT NOT NULL CHECK (tier IN (1, 2, 3)),
    created_by        TEXT NOT NULL REFERENCES humans (id),
    created_at        BIGINT NOT NULL,
    state_changed_at  BIGINT NOT NULL
);

CREATE TABLE workflow_steps (
    workflow_id     TEXT NOT NULL REFERENCES workflows (id),
    position        BIGINT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('read_customer_data', 'draft_content', 'human_review', 'publish', 'other')),
    performer       TEXT NOT NULL,
    owner           TEXT REFERENCES humans (id),
    grant_json      TEXT NOT NULL,
    pending_grant   TEXT,
    PRIMARY KEY (workflow_id, position)
);
