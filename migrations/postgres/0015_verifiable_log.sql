-- The ledger as a Merkle tree (RFC 9162) beside its hash chain: the hash of every complete
-- subtree, level 0 holding the events' leaf hashes (leaf i is the event with seq i + 1). Written
-- only by the checkpointer, in the ledger's write lock; proofs are built from it.
CREATE TABLE ledger_tree (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE FUNCTION ledger_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_tree_no_update BEFORE UPDATE ON ledger_tree
    FOR EACH ROW EXECUTE FUNCTION ledger_log_append_only();

-- Every signed checkpoint (C2SP tlog-checkpoint): the tree's size and root, signed with the log
-- key, which lives outside the database. A checkpoint is never changed or removed.
CREATE TABLE ledger_checkpoints (
    tree_size    BIGINT PRIMARY KEY,
    root_hash    BYTEA NOT NULL,
    note         TEXT NOT NULL,
    key_name     TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    signed_at_ms BIGINT NOT NULL
);
CREATE TRIGGER ledger_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger_log_append_only();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_log_append_only();
