-- Incident tracing: which access decisions named a customer subject, and which change versions
-- cited a decision. Both are written in the transaction that writes what they index (as
-- append-only as it is) and backfilled here from the answers and provenance on record.
-- The columns keep the database's collation: a join on decision ids across two collations could
-- not use either table's index.
CREATE TABLE decision_subjects (
    subject      TEXT NOT NULL,
    decided_at   BIGINT NOT NULL,
    decision_id  TEXT NOT NULL,
    PRIMARY KEY (subject, decided_at, decision_id)
);
INSERT INTO decision_subjects (subject, decided_at, decision_id)
    SELECT DISTINCT s ->> 'subject', d.decided_at, d.id
    FROM access_decisions d,
         jsonb_array_elements((d.response_json::jsonb -> 'allowed_subjects')
                              || (d.response_json::jsonb -> 'denied_subjects')) s;

CREATE TABLE change_citations (
    decision_id  TEXT NOT NULL,
    change_id    TEXT NOT NULL REFERENCES change_requests (id),
    version      BIGINT NOT NULL,
    PRIMARY KEY (decision_id, change_id, version)
);
INSERT INTO change_citations (decision_id, change_id, version)
    SELECT DISTINCT c, v.change_id, v.version
    FROM change_versions v,
         jsonb_array_elements_text(v.provenance_json::jsonb -> 'access_decisions') c;

-- From a published target reference back to its changes.
CREATE INDEX change_requests_target_ref ON change_requests (target_ref);

CREATE TRIGGER decision_subjects_no_update_delete BEFORE UPDATE OR DELETE ON decision_subjects
    FOR EACH ROW EXECUTE FUNCTION gate_records_append_only();
CREATE TRIGGER decision_subjects_no_truncate BEFORE TRUNCATE ON decision_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION gate_records_append_only();
CREATE TRIGGER change_citations_no_update_delete BEFORE UPDATE OR DELETE ON change_citations
    FOR EACH ROW EXECUTE FUNCTION gate_records_append_only();
CREATE TRIGGER change_citations_no_truncate BEFORE TRUNCATE ON change_citations
    FOR EACH STATEMENT EXECUTE FUNCTION gate_records_append_only();
