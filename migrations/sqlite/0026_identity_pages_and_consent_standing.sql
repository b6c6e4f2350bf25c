-- An identity's own page lists its newest access decisions.
CREATE INDEX access_decisions_nhi ON access_decisions (nhi_id, decided_at);

-- A decision reads its subjects' consent from the index alone (the columns the standing needs).
CREATE INDEX consent_records_standing
    ON consent_records (subject, purpose, legal_basis, granted_at, withdrawn_at);
DROP INDEX consent_records_subject;
