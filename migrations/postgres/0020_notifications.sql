-- Notifications: every notice a person receives lands in their inbox; email and chat copies
-- are outbox rows (kinds 'email' and 'chat') written in the same transaction, so a notice is
-- queued with the event it reports, retried, and never lost.

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('publish', 'rollback', 'revoke', 'drill', 'callback', 'email', 'chat'));
ALTER TABLE outbox DROP CONSTRAINT outbox_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_system_check
    CHECK (system_id IS NOT NULL OR kind IN ('callback', 'email', 'chat'));

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
    email               BOOLEAN NOT NULL,
    slack               BOOLEAN NOT NULL,
    teams               BOOLEAN NOT NULL,
    daily_digest        BOOLEAN NOT NULL,
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
