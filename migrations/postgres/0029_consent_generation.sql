-- Counts the write transactions that add consent records. Bumped in the same commit as the
-- records, so a console process that kept consent standings in memory sees, when it records a
-- decision, whether the standings it decided with were still the newest.
ALTER TABLE ledger_head ADD COLUMN consent_generation BIGINT NOT NULL DEFAULT 0;
