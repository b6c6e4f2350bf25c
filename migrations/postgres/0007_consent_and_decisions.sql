-- The consent ledger and the access decisions made against it. Both are append-only: a
-- withdrawal is a new consent record; decisions are kept so drafts can cite them, and the ledger
-- holds a digest of each decision's exact request and answer.

CREATE TABLE consent_records (
    id            TEXT PRIMARY KEY,
    subject       TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    legal_basis   TEXT NOT NULL CHECK (legal_basis IN ('consent', 'contract', 'legal_obligation',
                                                       'vital_interests', 'public_task',
                                                       'legitimate_interests')),
    granted_at    BIGINT,
    withdrawn_at  BIGINT,
    source        TEXT NOT NULL,
    batch_id      TEXT NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   BIGINT NOT NULL,
    CHECK (granted_at IS NOT NULL OR withdrawn_at IS NOT NULL)
);
CREATE INDEX consent_records_subject ON consent_records (subject, purpose);

CREATE TABLE access_decisions (
    id             TEXT PRIMARY KEY,
    nhi_id         TEXT NOT NULL REFERENCES nhis (id),
    workflow_id    TEXT NOT NULL REFERENCES workflows (id),
    step_id        TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    request_json   TEXT NOT NULL,
    response_json  TEXT NOT NULL,
    decided_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL
);
CREATE INDEX access_decisions_step ON access_decisions (step_id, decided_at);

CREATE FUNCTION consent_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent_records is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER consent_records_no_update_delete BEFORE UPDATE OR DELETE ON consent_records
    FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();
CREATE TRIGGER consent_records_no_truncate BEFORE TRUNCATE ON consent_records
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_append_only();
CREATE TRIGGER access_decisions_no_update_delete BEFORE UPDATE OR DELETE ON access_decisions
    FOR EACH ROW EXECUTE FUNCTION consent_records_append_only();
CREATE TRIGGER access_decisions_no_truncate BEFORE TRUNCATE ON access_decisions
    FOR EACH STATEMENT EXECUTE FUNCTION consent_records_append_only();
