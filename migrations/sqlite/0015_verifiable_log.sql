-- The ledger as a Merkle tree (RFC 9162) beside its hash chain: the hash of every complete
-- subtree, level 0 holding the events' leaf hashes (leaf i is the event with seq i + 1). Written
-- only by the checkpointer, in the ledger's write lock; proofs are built from it.
CREATE TABLE ledger_tree (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);
CREATE TRIGGER ledger_tree_no_update BEFORE UPDATE ON ledger_tree
BEGIN
    SELECT RAISE(ABORT, 'ledger_tree is append-only: UPDATE refused');
END;

-- Every signed checkpoint (C2SP tlog-checkpoint): the tree's size and root, signed with the log
-- key, which lives outside the database. A checkpoint is never changed or removed.
CREATE TABLE ledger_checkpoints (
    tree_size    BIGINT PRIMARY KEY,
    root_hash    BLOB NOT NULL,
    note         TEXT NOT NULL,
    key_name     TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    signed_at_ms BIGINT NOT NULL
);
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger_checkpoints is append-only: UPDATE refused');
END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'ledger_checkpoints is append-only: DELETE refused');
END;
