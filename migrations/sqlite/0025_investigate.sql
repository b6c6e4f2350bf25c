-- Incident tracing: which access decisions named a customer subject, and which change versions
-- cited a decision. Both are written in the transaction that writes what they index (as
-- append-only as it is) and backfilled here from the answers and provenance on record.
CREATE TABLE decision_subjects (
    subject      TEXT NOT NULL,
    decided_at   BIGINT NOT NULL,
    decision_id  TEXT NOT NULL,
    PRIMARY KEY (subject, decided_at, decision_id)
) WITHOUT ROWID;
INSERT INTO decision_subjects (subject, decided_at, decision_id)
    SELECT json_extract(s.value, '$.subject'), d.decided_at, d.id
    FROM access_decisions d, json_each(d.response_json, '$.allowed_subjects') s
    UNION
    SELECT json_extract(s.value, '$.subject'), d.decided_at, d.id
    FROM access_decisions d, json_each(d.response_json, '$.denied_subjects') s;

CREATE TABLE change_citations (
    decision_id  TEXT NOT NULL,
    change_id    TEXT NOT NULL REFERENCES change_requests (id),
    version      BIGINT NOT NULL,
    PRIMARY KEY (decision_id, change_id, version)
) WITHOUT ROWID;
INSERT INTO change_citations (decision_id, change_id, version)
    SELECT DISTINCT c.value, v.change_id, v.version
    FROM change_versions v, json_each(v.provenance_json, '$.access_decisions') c;

-- From a published target reference back to its changes.
CREATE INDEX change_requests_target_ref ON change_requests (target_ref);

CREATE TRIGGER decision_subjects_no_update BEFORE UPDATE ON decision_subjects
BEGIN
    SELECT RAISE(ABORT, 'decision_subjects is append-only: UPDATE refused');
END;
CREATE TRIGGER decision_subjects_no_delete BEFORE DELETE ON decision_subjects
BEGIN
    SELECT RAISE(ABORT, 'decision_subjects is append-only: DELETE refused');
END;
CREATE TRIGGER change_citations_no_update BEFORE UPDATE ON change_citations
BEGIN
    SELECT RAISE(ABORT, 'change_citations is append-only: UPDATE refused');
END;
CREATE TRIGGER change_citations_no_delete BEFORE DELETE ON change_citations
BEGIN
    SELECT RAISE(ABORT, 'change_citations is append-only: DELETE refused');
END;
