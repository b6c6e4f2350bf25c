-- Investigate's subject index is written behind the decisions, in sorted batches, instead of
-- inside each decision's transaction. The mark is the ledger sequence up to which every
-- `access.decided` event's subjects are indexed; everything on record so far already is.
CREATE TABLE decision_index_mark (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL
);
INSERT INTO decision_index_mark (id, seq) SELECT 1, seq FROM ledger_head WHERE id = 1;
