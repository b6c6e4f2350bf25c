-- Investigate's subject index becomes posting lists: one row per subject and indexing batch,
-- listing the ledger sequences of that batch's decisions that name the subject. A decision's
-- hundred subjects were a hundred rows of a subject-ordered B-tree, which cost more than the
-- decision itself; a batch now writes one row per subject it names. A subject's pages run
-- newest recorded first (ledger order).
--
-- The rows indexed so far are regrouped per subject and block of 1,024 sequences. A subject's
-- rows never overlap in sequence: blocks are disjoint, and every later batch starts after the
-- mark, beyond everything indexed here.
CREATE TABLE subject_postings (
    subject    TEXT COLLATE "C" NOT NULL,
    first_seq  BIGINT NOT NULL,
    decisions  INTEGER NOT NULL,
    -- Ledger sequences, ascending.
    seqs       BIGINT[] NOT NULL,
    PRIMARY KEY (subject, first_seq)
);
INSERT INTO subject_postings (subject, first_seq, decisions, seqs)
    SELECT subject, MIN(seq), COUNT(*), array_agg(seq ORDER BY seq)
    FROM (SELECT DISTINCT s.subject AS subject, e.seq AS seq
          FROM decision_subjects s
          JOIN audit_events e
            ON e.subject = 'decision:' || s.decision_id AND e.action = 'access.decided') x
    GROUP BY subject, seq / 1024;
DROP TABLE decision_subjects;

CREATE TRIGGER subject_postings_no_update_delete BEFORE UPDATE OR DELETE ON subject_postings
    FOR EACH ROW EXECUTE FUNCTION gate_records_append_only();
CREATE TRIGGER subject_postings_no_truncate BEFORE TRUNCATE ON subject_postings
    FOR EACH STATEMENT EXECUTE FUNCTION gate_records_append_only();

-- The answers and requests of decisions are compressed with LZ4 where the server has it: pglz
-- cost more CPU than any other step of recording a decision. Rows written before keep pglz.
DO $$
BEGIN
    ALTER TABLE access_decisions ALTER COLUMN request_json SET COMPRESSION lz4,
                                 ALTER COLUMN response_json SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'LZ4 is not built into this server: decisions keep pglz compression';
END $$;
