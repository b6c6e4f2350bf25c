//! Investigate's subject index (`subject_postings`), written behind the decisions rather than
//! inside each one. The indexer takes the decisions appended to the ledger after its mark
//! (`decision_index_mark`, a ledger sequence), reads the subjects their answers name, and writes
//! one posting list per subject — the ledger sequences of that batch's decisions naming it — with
//! the new mark, in one transaction. A hundred subjects per decision were a hundred B-tree rows
//! per decision, more than the decision cost; a batch of thousands of decisions over the same
//! customers now writes a row per customer. Answers are read here rather than inside the
//! database: PostgreSQL parsing each answer into `jsonb` cost six times the decision's own
//! insert.
//!
//! A subject's posting lists never overlap in sequence (each batch lies beyond the mark), so a
//! page of its newest decisions needs only as many lists, newest first, as the page has
//! decisions, plus the one a cursor may cut through.
//!
//! The mark is safe because appends are serialised by the ledger head's lock until commit: the
//! committed sequences are always a prefix, so nothing at or below the head read here can still
//! appear later.

use super::StoreError;
use async_trait::async_trait;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// What one indexing batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexedBatch {
    /// Decisions indexed by this batch (0: nothing to do up to `bound`).
    pub decisions: usize,
    /// The mark after this batch.
    pub mark: i64,
    /// The sequence this batch was allowed to reach: the ledger head when it ran, or the
    /// caller's `up_to` if lower. A caller catching up to one moment passes it back as `up_to`.
    pub bound: i64,
}

impl IndexedBatch {
    pub fn reached_bound(&self) -> bool {
        self.mark >= self.bound
    }
}

#[async_trait]
pub trait SubjectIndexing {
    /// Indexes the subjects of at most `max_decisions` decisions after the mark, none beyond
    /// `up_to` (or the ledger head), and moves the mark past them.
    async fn index_decision_subjects(
        &self,
        max_decisions: i64,
        up_to: Option<i64>,
    ) -> Result<IndexedBatch, StoreError>;
}

/// Locks the mark: a second indexer (another process, or a search catching up) waits here, and
/// finds whether the mark it read its batch from still stands.
pub(super) const LOCK_MARK: &str =
    "UPDATE decision_index_mark SET seq = seq WHERE id = 1 RETURNING seq";
/// Whether anything was appended after the mark, read without a lock.
pub(super) const MARK_AND_HEAD: &str = "SELECT m.seq, h.seq FROM ledger_head h, \
     decision_index_mark m WHERE h.id = 1 AND m.id = 1";
pub(super) const MOVE_MARK: &str = "UPDATE decision_index_mark SET seq = $1 WHERE id = 1";
/// Answers read per query: a batch is read in chunks of this many, each parsed before the next
/// is read, so a large batch never holds all its answers' text at once.
pub(super) const READ_CHUNK: i64 = 1024;
/// The answers of at most `$3` decisions recorded in (`$1`, `$2`], in ledger order.
pub(super) const BATCH_ANSWERS: &str = "SELECT e.seq, d.response_json \
     FROM audit_events e JOIN access_decisions d ON d.id = substr(e.subject, 10) \
     WHERE e.seq > $1 AND e.seq <= $2 AND e.action = 'access.decided' \
     ORDER BY e.seq LIMIT $3";

/// The backend's SQL for reading posting lists (JSON arrays on SQLite, arrays on PostgreSQL).
pub(super) trait SubjectIndexSql {
    /// See [`subject_decisions_sql`].
    const SUBJECT_DECISIONS: &'static str;
}

/// The decisions naming subject `$1` recorded before sequence `$2`, newest first, at most `$4`,
/// read from the newest `$3` posting lists before `$2` (`$4 + 1` suffice: every list but the one
/// `$2` cuts through lies wholly before it and holds at least one). Columns: the decision's and
/// `seq`. `$elements` is the backend's table of a list `p.seqs`, one sequence per row in
/// `j.value`.
macro_rules! subject_decisions_sql {
    ($elements:literal) => {
        concat!(
            "SELECT d.id, d.nhi_id, d.workflow_id, d.step_id, d.purpose, d.request_json, \
             d.response_json, d.decided_at, d.expires_at, s.seq \
             FROM (SELECT j.value AS seq \
                   FROM (SELECT seqs FROM subject_postings \
                         WHERE subject = $1 AND first_seq < $2 \
                         ORDER BY first_seq DESC LIMIT $3) p, ",
            $elements,
            " WHERE j.value < $2 ORDER BY 1 DESC LIMIT $4) s \
             JOIN audit_events e ON e.seq = s.seq \
             JOIN access_decisions d ON d.id = substr(e.subject, 10) \
             ORDER BY s.seq DESC"
        )
    };
}
pub(super) use subject_decisions_sql;

/// One subject's posting list of a batch: the ledger sequences naming it, ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Posting {
    pub subject: String,
    pub seqs: Vec<i64>,
}

impl Posting {
    pub fn first_seq(&self) -> i64 {
        self.seqs.first().copied().unwrap_or_default()
    }

    pub fn decisions(&self) -> i32 {
        i32::try_from(self.seqs.len()).unwrap_or(i32::MAX)
    }
}

/// What of an answer the index needs: the subjects it names (an answer names a subject once:
/// the request refuses duplicates, and a subject is allowed or denied).
#[derive(Deserialize)]
struct NamedSubjects<'a> {
    #[serde(borrow, default)]
    allowed_subjects: Vec<Named<'a>>,
    #[serde(borrow, default)]
    denied_subjects: Vec<Named<'a>>,
}

#[derive(Deserialize)]
struct Named<'a> {
    #[serde(borrow)]
    subject: Cow<'a, str>,
}

/// Posting lists being gathered from answers read in chunks (ledger sequence and answer, in
/// ledger order).
#[derive(Default)]
pub(super) struct Grouping {
    lists: HashMap<String, Vec<i64>>,
}

impl Grouping {
    pub fn add(&mut self, answers: &[(i64, String)]) -> Result<(), StoreError> {
        for (seq, answer) in answers {
            let named: NamedSubjects<'_> = serde_json::from_str(answer).map_err(|e| {
                StoreError::Corrupt(format!(
                    "the answer of ledger event {seq} is unreadable: {e}"
                ))
            })?;
            for s in named
                .allowed_subjects
                .into_iter()
                .chain(named.denied_subjects)
            {
                let seqs = match self.lists.get_mut(s.subject.as_ref()) {
                    Some(seqs) => seqs,
                    None => self.lists.entry(s.subject.into_owned()).or_default(),
                };
                if seqs.last() != Some(seq) {
                    seqs.push(*seq);
                }
            }
        }
        Ok(())
    }

    /// The lists, ordered by subject byte-wise as both backends' indexes keep them.
    pub fn into_postings(self) -> Vec<Posting> {
        let mut postings: Vec<Posting> = self
            .lists
            .into_iter()
            .map(|(subject, seqs)| Posting { subject, seqs })
            .collect();
        postings.sort_unstable_by(|a, b| a.subject.as_bytes().cmp(b.subject.as_bytes()));
        postings
    }
}

/// One indexing batch, read and grouped.
pub(super) struct ReadBatch {
    pub decisions: usize,
    /// The sequence the batch ends at: its last decision when full, else the head.
    pub end: i64,
    pub postings: Vec<Posting>,
}

/// Reads at most `max_decisions` answers after `mark` (up to `head`) in chunks of `chunk`, each
/// grouped on a blocking thread rather than one of the runtime's workers before the next is
/// read. `read(from, want)` returns at most `want` answers after `from`, in ledger order.
pub(super) async fn read_batch<F, Fut>(
    mark: i64,
    head: i64,
    max_decisions: i64,
    chunk: i64,
    mut read: F,
) -> Result<ReadBatch, StoreError>
where
    F: FnMut(i64, i64) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<(i64, String)>, StoreError>>,
{
    let (mut from, mut decisions, mut grouping) = (mark, 0i64, Grouping::default());
    let end = loop {
        let want = (max_decisions - decisions).min(chunk);
        if want < 1 {
            break from;
        }
        let answers = read(from, want).await?;
        let got = i64::try_from(answers.len()).unwrap_or(i64::MAX);
        let last = answers.last().map(|(seq, _)| *seq);
        grouping = tokio::task::spawn_blocking(move || grouping.add(&answers).map(|()| grouping))
            .await
            .map_err(|e| StoreError::Unavailable(format!("grouping subjects stopped: {e}")))??;
        decisions += got;
        match last {
            Some(last) if got == want => from = last,
            // A short chunk read everything up to the head.
            _ => break head,
        }
    };
    Ok(ReadBatch {
        decisions: usize::try_from(decisions).unwrap_or(0),
        end,
        postings: grouping.into_postings(),
    })
}

/// The posting lists of one run of answers.
#[cfg(test)]
fn postings(answers: &[(i64, String)]) -> Result<Vec<Posting>, StoreError> {
    let mut grouping = Grouping::default();
    grouping.add(answers)?;
    Ok(grouping.into_postings())
}

macro_rules! subject_index_sql {
    ($store:ident) => {
        #[async_trait::async_trait]
        impl super::subject_index::SubjectIndexing for $store {
            async fn index_decision_subjects(
                &self,
                max_decisions: i64,
                up_to: Option<i64>,
            ) -> Result<super::subject_index::IndexedBatch, crate::store::StoreError> {
                use super::subject_index as ix;
                let (mark, head): (i64, i64) = sqlx::query_as(ix::MARK_AND_HEAD)
                    .fetch_one(&self.pool)
                    .await?;
                let head = up_to.map_or(head, |u| u.min(head));
                if mark >= head || max_decisions < 1 {
                    return Ok(ix::IndexedBatch {
                        decisions: 0,
                        mark,
                        bound: head,
                    });
                }
                // Read and grouped before the write transaction: on SQLite every decision
                // commits through the one writer, held here only for the insert.
                let pool = &self.pool;
                let read = ix::read_batch(
                    mark,
                    head,
                    max_decisions,
                    ix::READ_CHUNK,
                    |from, want| async move {
                        Ok(sqlx::query_as(ix::BATCH_ANSWERS)
                            .bind(from)
                            .bind(head)
                            .bind(want)
                            .fetch_all(pool)
                            .await?)
                    },
                )
                .await?;
                let (decisions, end, postings) = (read.decisions, read.end, read.postings);
                let mut tx = self.write_pool().begin().await?;
                let locked: i64 = sqlx::query_scalar(ix::LOCK_MARK)
                    .fetch_one(&mut *tx)
                    .await?;
                if locked != mark {
                    // Another indexer (a search catching up, another process) moved the mark
                    // meanwhile: its batch stands, and this one is read again from there.
                    tx.rollback().await?;
                    return Ok(ix::IndexedBatch {
                        decisions: 0,
                        mark: locked,
                        bound: head,
                    });
                }
                if !postings.is_empty() {
                    Self::insert_postings(&mut *tx, &postings).await?;
                }
                sqlx::query(ix::MOVE_MARK)
                    .bind(end)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(ix::IndexedBatch {
                    decisions,
                    mark: end,
                    bound: head,
                })
            }
        }
    };
}

pub(super) use subject_index_sql;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn answer(allowed: &[&str], denied: &[&str]) -> String {
        serde_json::json!({
            "decision_id": "d",
            "allowed_subjects": allowed.iter().map(|s| serde_json::json!({"subject": s, "legal_basis": "consent"})).collect::<Vec<_>>(),
            "denied_subjects": denied.iter().map(|s| serde_json::json!({"subject": s, "reason": "withdrawn"})).collect::<Vec<_>>(),
        })
        .to_string()
    }

    #[test]
    fn a_batch_becomes_one_list_per_subject_in_byte_order() {
        let answers = vec![
            (7, answer(&["crm-b", "crm-a"], &["Crm-z"])),
            (9, answer(&[], &["crm-a"])),
            // An escaped subject is read as what it spells.
            (
                12,
                r#"{"allowed_subjects": [{"subject": "crm-\u00e9"}, {"subject": "crm-b"}]}"#
                    .to_owned(),
            ),
        ];
        let lists: Vec<(String, Vec<i64>)> = postings(&answers)
            .unwrap()
            .into_iter()
            .map(|p| (p.subject, p.seqs))
            .collect();
        assert_eq!(
            lists,
            vec![
                ("Crm-z".to_owned(), vec![7]),
                ("crm-a".to_owned(), vec![7, 9]),
                ("crm-b".to_owned(), vec![7, 12]),
                ("crm-é".to_owned(), vec![12]),
            ]
        );
    }

    #[test]
    fn an_unreadable_answer_is_named_not_skipped() {
        let answers = vec![
            (3, answer(&["crm-1"], &[])),
            (4, "{\"allowed_subjects\": [".to_owned()),
        ];
        let error = postings(&answers).unwrap_err().to_string();
        assert!(error.contains("ledger event 4"), "{error}");
    }

    /// Reads `read_batch` over recorded answers `(seq, answer)` with sequences 1..=n (naming
    /// subject `crm-{seq % 3}`); returns the batch and every `(from, want)` it asked for.
    async fn batch_over(n: i64, max: i64, chunk: i64) -> (ReadBatch, Vec<(i64, i64)>) {
        let recorded: Vec<(i64, String)> = (1..=n)
            .map(|seq| (seq, answer(&[&format!("crm-{}", seq % 3)], &[])))
            .collect();
        let mut asked = Vec::new();
        let batch = read_batch(0, n, max, chunk, |from, want| {
            asked.push((from, want));
            let chunk: Vec<_> = recorded
                .iter()
                .filter(|(seq, _)| *seq > from)
                .take(usize::try_from(want).unwrap())
                .cloned()
                .collect();
            async move { Ok(chunk) }
        })
        .await
        .unwrap();
        (batch, asked)
    }

    #[tokio::test]
    async fn a_full_batch_is_read_in_chunks_and_ends_at_its_last_decision() {
        let (batch, asked) = batch_over(10, 7, 3).await;
        assert_eq!(asked, vec![(0, 3), (3, 3), (6, 1)]);
        assert_eq!((batch.decisions, batch.end), (7, 7));
        let lists: Vec<(String, Vec<i64>)> = batch
            .postings
            .into_iter()
            .map(|p| (p.subject, p.seqs))
            .collect();
        assert_eq!(
            lists,
            vec![
                ("crm-0".to_owned(), vec![3, 6]),
                ("crm-1".to_owned(), vec![1, 4, 7]),
                ("crm-2".to_owned(), vec![2, 5]),
            ]
        );
    }

    #[tokio::test]
    async fn a_short_read_ends_the_batch_at_the_head() {
        // Chunks end exactly at the last answer: the next, empty one ends the batch.
        let (batch, asked) = batch_over(6, 100, 3).await;
        assert_eq!(asked, vec![(0, 3), (3, 3), (6, 3)]);
        assert_eq!((batch.decisions, batch.end), (6, 6));
        let (batch, asked) = batch_over(4, 100, 3).await;
        assert_eq!(asked, vec![(0, 3), (3, 3)]);
        assert_eq!(
            (batch.decisions, batch.end, batch.postings.len()),
            (4, 4, 3)
        );
    }
}
