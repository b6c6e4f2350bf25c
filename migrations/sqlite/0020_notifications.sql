-- Notifications: every notice a person receives lands in their inbox; email and chat copies
-- are outbox rows (kinds 'email' and 'chat') written in the same transaction, so a notice is
-- queued with the event it reports, retried, and never lost. SQLite cannot alter a CHECK, so
-- the outbox is rebuilt with the two new kinds (nothing references it).

CREATE TABLE outbox_rebuilt (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('publish', 'rollback', 'revoke', 'drill', 'callback', 'email', 'chat')),
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
    CHECK (system_id IS NOT NULL OR kind IN ('callback', 'email', 'chat'))
);
INSERT INTO outbox_rebuilt SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_change ON outbox (change_id, created_at);
CREATE INDEX outbox_revocation ON outbox (revocation_id);
CREATE INDEX outbox_workflow ON outbox (workflow_id, kind, state);

CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    recipient_id  TEXT NOT NULL REFERENCES humans (id),
    kind          TEXT NOT NULL,
    subject       TEXT NOT NULL,
    title         TEXT NOT NULL,
    concerning    TEXT NOT NULL,
    link          TEXT NOT NULL,
    due_at        BIGINT,
    -- Set when the notice went to someone standing in for the recipient's role.
    on_behalf_of  TEXT REFERENCES humans (id),
    dedupe_key    TEXT NOT NULL,
    event_seq     BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    read_at       BIGINT,
    -- When a daily digest carried it (digest readers get no message per notice).
    digested_at   BIGINT,
    UNIQUE (recipient_id, dedupe_key)
);
CREATE INDEX notifications_inbox ON notifications (recipient_id, created_at, id);
CREATE INDEX notifications_unread ON notifications (recipient_id, read_at);

CREATE TABLE notification_preferences (
    human_id            TEXT PRIMARY KEY REFERENCES humans (id),
    email               INTEGER NOT NULL CHECK (email IN (0, 1)),
    slack               INTEGER NOT NULL CHECK (slack IN (0, 1)),
    teams               INTEGER NOT NULL CHECK (teams IN (0, 1)),
    daily_digest        INTEGER NOT NULL CHECK (daily_digest IN (0, 1)),
    digest_hour         BIGINT NOT NULL CHECK (digest_hour BETWEEN 0 AND 23),
    quiet_start         BIGINT CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end           BIGINT CHECK (quiet_end BETWEEN 0 AND 1439),
    utc_offset_minutes  BIGINT NOT NULL,
    next_digest_at      BIGINT,
    updated_at          BIGINT NOT NULL
);

-- Facts the minute sweep reports once (a reminder, an overdue review, an expiry warning): the
-- key is written with the report's ledger event, so a later sweep finds it already told.
CREATE TABLE reported_facts (
    fact_key     TEXT PRIMARY KEY,
    reported_at  BIGINT NOT NULL
);
