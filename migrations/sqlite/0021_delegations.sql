-- Delegation while away: an approver or legal reviewer names a delegate who holds the same role
-- for a period. During it their review notices go to the delegate, and the delegate may sign
-- for them: the sign-off records both names ("Kim for Dana").
CREATE TABLE delegations (
    id            TEXT PRIMARY KEY,
    principal_id  TEXT NOT NULL REFERENCES humans (id),
    delegate_id   TEXT NOT NULL REFERENCES humans (id),
    role          TEXT NOT NULL CHECK (role IN ('approver', 'legal')),
    starts_at     BIGINT NOT NULL,
    ends_at       BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    -- Set when it was ended before `ends_at` (by its principal or a security admin).
    ended_at      BIGINT,
    ended_by      TEXT REFERENCES humans (id),
    CHECK (principal_id <> delegate_id),
    CHECK (starts_at < ends_at)
);
CREATE INDEX delegations_principal ON delegations (principal_id, ends_at);
CREATE INDEX delegations_delegate ON delegations (delegate_id, ends_at);

ALTER TABLE signoffs ADD COLUMN on_behalf_of TEXT REFERENCES humans (id);
ALTER TABLE signoffs ADD COLUMN on_behalf_of_name TEXT;
