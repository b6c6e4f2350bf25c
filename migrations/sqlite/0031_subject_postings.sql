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
    subject    TEXT NOT NULL,
    first_seq  BIGINT NOT NULL,
    decisions  INTEGER NOT NULL,
    -- JSON array of ledger sequences, ascending.
    seqs       TEXT NOT NULL,
    PRIMARY KEY (subject, first_seq)
) WITHOUT ROWID;
INSERT INTO subject_postings (subject, first_seq, decisions, seqs)
    SELECT subject, MIN(seq), COUNT(*), json_group_array(seq ORDER BY seq)
    FROM (SELECT DISTINCT s.subject AS subject, e.seq AS seq
          FROM decision_subjects s
          JOIN audit_events e
            ON e.subject = 'decision:' || s.decision_id AND e.action = 'access.decided')
    GROUP BY subject, seq / 1024;
DROP TABLE decision_subjects;

CREATE TRIGGER subject_postings_no_update BEFORE UPDATE ON subject_postings
BEGIN
    SELECT RAISE(ABORT, 'subject_postings is append-only: UPDATE refused');
END;
CREATE TRIGGER subject_postings_no_delete BEFORE DELETE ON subject_postings
BEGIN
    SELECT RAISE(ABORT, 'subject_postings is append-only: DELETE refused');
END;
