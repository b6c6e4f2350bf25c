-- Witnesses' cosignatures on the ledger's checkpoints (C2SP tlog-cosignature): each line exactly
-- as the witness returned it, checked against the witness's key before it is kept.
CREATE TABLE ledger_cosignatures (
    tree_size    BIGINT NOT NULL REFERENCES ledger_checkpoints (tree_size),
    witness      TEXT NOT NULL,
    line         TEXT NOT NULL,
    cosigned_at  BIGINT NOT NULL,
    PRIMARY KEY (tree_size, witness)
);
CREATE TRIGGER ledger_cosignatures_no_update_delete BEFORE UPDATE OR DELETE ON ledger_cosignatures
    FOR EACH ROW EXECUTE FUNCTION ledger_log_append_only();
CREATE TRIGGER ledger_cosignatures_no_truncate BEFORE TRUNCATE ON ledger_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_log_append_only();
