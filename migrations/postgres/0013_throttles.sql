-- Rate limits and throttles shared by every console process (several processes of a PostgreSQL
-- deployment see the same counts). A bucket is one key in one fixed window: the window is part of
-- the bucket's name, so a count is never reset in place and an ended window can still be summed
-- up (failed sign-ins become one aggregated ledger event) before it is deleted.
CREATE TABLE throttles (
    bucket     TEXT PRIMARY KEY,
    ends_at_ms BIGINT NOT NULL,
    hits       BIGINT NOT NULL
);
CREATE INDEX throttles_ends_at ON throttles (ends_at_ms);
