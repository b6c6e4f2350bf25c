-- Counts the write transactions that may change what an access token stands for (identities,
-- owners, workflows, grants, systems, tokens). Bumped in the same commit as the change, so a
-- console process that cached a token's principal sees, with one read, whether it still holds.
ALTER TABLE ledger_head ADD COLUMN registry_generation BIGINT NOT NULL DEFAULT 0;
