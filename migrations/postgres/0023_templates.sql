-- Pre-approved templates (standard changes): fixed text with named slots and constraints,
-- approved once by the quorum of the tier they serve. A draft that fills one within every
-- constraint is approved by policy; its use is recorded with the values either way.
CREATE TABLE templates (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    workflow_id       TEXT NOT NULL REFERENCES workflows (id),
    tier              BIGINT NOT NULL CHECK (tier IN (1, 2, 3)),
    body_json         TEXT NOT NULL,
    body_hash         TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('proposed', 'approved', 'rejected', 'withdrawn')),
    proposed_by       TEXT NOT NULL REFERENCES humans (id),
    proposed_by_name  TEXT NOT NULL,
    proposed_at       BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    approved_at       BIGINT,
    -- JSON array of the approvers' names, in signing order.
    approved_by       TEXT NOT NULL,
    withdrawn_at      BIGINT,
    withdrawn_by      TEXT REFERENCES humans (id),
    withdrawn_reason  TEXT,
    event_seq         BIGINT NOT NULL,
    CHECK (expires_at > proposed_at)
);
CREATE INDEX templates_workflow ON templates (workflow_id, state);

CREATE TABLE template_signoffs (
    id           TEXT PRIMARY KEY,
    template_id  TEXT NOT NULL REFERENCES templates (id),
    body_hash    TEXT NOT NULL,
    signer_id    TEXT NOT NULL REFERENCES humans (id),
    signer_name  TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('approver', 'legal')),
    verdict      TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    comment      TEXT NOT NULL,
    signed_at    BIGINT NOT NULL,
    event_seq    BIGINT NOT NULL,
    UNIQUE (template_id, signer_id)
);

CREATE TABLE change_templates (
    change_id      TEXT PRIMARY KEY REFERENCES change_requests (id),
    template_id    TEXT NOT NULL REFERENCES templates (id),
    values_json    TEXT NOT NULL,
    -- JSON array of the constraints the draft broke; empty when policy approved it.
    problems_json  TEXT NOT NULL,
    pre_approved   BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX change_templates_template ON change_templates (template_id, created_at);
CREATE INDEX change_templates_pre_approved ON change_templates (pre_approved, created_at);
