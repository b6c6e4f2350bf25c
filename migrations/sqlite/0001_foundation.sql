-- Foundation: people, the hash-chained audit ledger, and browser sessions.
-- Times are milliseconds since the Unix epoch (UTC) in both backends.

CREATE TABLE humans (
    id                 TEXT PRIMARY KEY,
    issuer             TEXT,
    subject            TEXT,
    email              TEXT,
    name               TEXT NOT NULL,
    roles              TEXT NOT NULL DEFAULT '',
    active             INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    deactivation       TEXT CHECK (deactivation IN ('no_role', 'by_admin')),
    created_at         BIGINT NOT NULL,
    last_sign_in_at    BIGINT,
    UNIQUE (issuer, subject)
);
CREATE INDEX humans_email ON humans (email);

CREATE TABLE audit_events (
    seq          BIGINT PRIMARY KEY,
    at_ms        BIGINT NOT NULL,
    actor_ref    TEXT NOT NULL,
    actor_label  TEXT NOT NULL,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_events_subject ON audit_events (subject, seq);

-- The ledger is append-only: the database itself refuses to change or remove an event.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused');
END;

-- One row: the sequence and hash of the newest event. Locking it serialises appends, so the
-- chain never forks under concurrent writers.
CREATE TABLE ledger_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO ledger_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Browser sessions. The key is the SHA-256 of the session id, so a copy of this table cannot be
-- replayed as cookies.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    data        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
