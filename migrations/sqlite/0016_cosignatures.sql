-- Witnesses' cosignatures on the ledger's checkpoints (C2SP tlog-cosignature): each line exactly
-- as the witness returned it, checked against the witness's key before it is kept.
CREATE TABLE ledger_cosignatures (
    tree_size    BIGINT NOT NULL REFERENCES ledger_checkpoints (tree_size),
    witness      TEXT NOT NULL,
    line         TEXT NOT NULL,
    cosigned_at  BIGINT NOT NULL,
    PRIMARY KEY (tree_size, witness)
);
CREATE TRIGGER ledger_cosignatures_no_update BEFORE UPDATE ON ledger_cosignatures
BEGIN
    SELECT RAISE(ABORT, 'ledger_cosignatures is append-only: UPDATE refused');
END;
CREATE TRIGGER ledger_cosignatures_no_delete BEFORE DELETE ON ledger_cosignatures
BEGIN
    SELECT RAISE(ABORT, 'ledger_cosignatures is append-only: DELETE refused');
END;
