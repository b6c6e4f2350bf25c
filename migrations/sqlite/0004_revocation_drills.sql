-- Revocation drills: a signed dry-run call to a connected system's revoke path, and its result.
CREATE TABLE revocation_drills (
    id           TEXT PRIMARY KEY,
    system_id    TEXT NOT NULL REFERENCES connected_systems (id),
    run_by       TEXT NOT NULL REFERENCES humans (id),
    started_at   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    passed       INTEGER NOT NULL CHECK (passed IN (0, 1)),
    receipt      TEXT,
    error        TEXT
);
CREATE INDEX revocation_drills_system ON revocation_drills (system_id, started_at);
