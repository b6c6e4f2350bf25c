-- Effects on connected systems. Every publish, rollback, revoke, drill and agent callback is an
-- outbox row written in the same transaction as the state change that causes it; a worker
-- leases due rows (FOR UPDATE SKIP LOCKED, so several console processes deliver each once),
-- calls the system outside any transaction, and records the outcome with its ledger event.
-- The row's id is the call's idempotency key (`webhook-id`), and its body is fixed when it is
-- written, so every retry is byte-identical and the receiver applies it once.

CREATE TABLE outbox (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('publish', 'rollback', 'revoke', 'drill', 'callback')),
    system_id           TEXT REFERENCES connected_systems (id),
    destination         TEXT NOT NULL,
    workflow_id         TEXT REFERENCES workflows (id),
    change_id           TEXT REFERENCES change_requests (id),
    revocation_id       TEXT,
    body                TEXT NOT NULL,
    reason              TEXT NOT NULL,
    requested_by_ref    TEXT NOT NULL,
    requested_by_label  TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'cancelled')),
    attempts            BIGINT NOT NULL,
    next_attempt_at     BIGINT NOT NULL,
    lease_owner         TEXT,
    lease_until         BIGINT,
    last_error          TEXT,
    receipt             TEXT,
    created_at          BIGINT NOT NULL,
    finished_at         BIGINT,
    CHECK (system_id IS NOT NULL OR kind = 'callback')
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_change ON outbox (change_id, created_at);
CREATE INDEX outbox_revocation ON outbox (revocation_id);
-- The kill switch withdraws a workflow's undelivered publications inside its transaction.
CREATE INDEX outbox_workflow ON outbox (workflow_id, kind, state);

-- The kill switch, one per workflow: what it ended at once, and when the last system confirmed.
CREATE TABLE revocations (
    id                  TEXT PRIMARY KEY,
    workflow_id         TEXT NOT NULL UNIQUE REFERENCES workflows (id),
    reason              TEXT NOT NULL,
    requested_by        TEXT NOT NULL REFERENCES humans (id),
    requested_by_name   TEXT NOT NULL,
    requested_at        BIGINT NOT NULL,
    identities_to       TEXT NOT NULL CHECK (identities_to IN ('suspended', 'revoked')),
    tokens_ended        BIGINT NOT NULL,
    identities          BIGINT NOT NULL,
    changes_cancelled   BIGINT NOT NULL,
    rollbacks_queued    BIGINT NOT NULL,
    systems             BIGINT NOT NULL,
    completed_at        BIGINT,
    event_seq           BIGINT NOT NULL
);

-- What the publisher saw live: the version its receipt named and the one it replaced.
ALTER TABLE change_requests ADD COLUMN published_version TEXT;
ALTER TABLE change_requests ADD COLUMN replaced_version TEXT;
ALTER TABLE change_requests ADD COLUMN published_at BIGINT;
-- Where the drafting agent wants to be told of the outcome, and the sealed secret that signs it.
ALTER TABLE change_requests ADD COLUMN callback_url TEXT;
ALTER TABLE change_requests ADD COLUMN callback_secret TEXT;
CREATE INDEX change_requests_live ON change_requests (target_system, target_ref, published_at);

ALTER TABLE workflows ADD COLUMN cloned_from TEXT REFERENCES workflows (id);
