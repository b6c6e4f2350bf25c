//! The approval gate's records: sign-offs, claims and their reviews, rollback plans, and the
//! queue's filtered, keyset-paginated reads. Shared by both backends through `gate_sql!`.

use super::StoreError;
use crate::clock::from_millis;
use crate::domain::{
    Audience, ChangeRequest, ChangeStatus, Claim, ClaimStatus, Comment, HumanId, PreviousVersion,
    ReviewQuality, Role, RollbackPlan, RollbackPlanInput, Signoff, Span, Verdict, WorkflowId,
};
use async_trait::async_trait;
use sqlx::Row;

/// Which changes the queue lists. Empty lists mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub statuses: Vec<ChangeStatus>,
    pub tiers: Vec<i64>,
    pub workflow: Option<WorkflowId>,
    pub channel: Option<String>,
    pub audience: Option<Audience>,
    /// Only changes created at or before this time (the "older than" age filter).
    pub created_before_ms: Option<i64>,
    /// Leave out changes this person already signed (current content) or may not sign by
    /// separation of duties (owner, former owner or secret issuer of the drafting identity, its
    /// registrar, owner of one of the workflow's other steps).
    pub for_reviewer: Option<HumanId>,
    pub newest_first: bool,
}

/// Counts are exact up to this many per status and tier; beyond it the queue says "more than".
pub const COUNT_CAP: i64 = 1_000;

/// Counts for the filter as given, per tier, each exact up to [`COUNT_CAP`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub total: i64,
    pub by_tier: [i64; 3],
    /// Whether a tier has more than [`COUNT_CAP`] (its count then shows the cap).
    pub capped: [bool; 3],
}

#[async_trait]
pub trait GateReads {
    /// Every sign-off of a change, oldest first.
    async fn signoffs(&self, change_id: &str) -> Result<Vec<Signoff>, StoreError>;
    /// The sign-offs of these changes (a queue page), oldest first.
    async fn signoffs_of(&self, change_ids: &[String]) -> Result<Vec<Signoff>, StoreError>;
    /// Claims of one version with their latest review, in text order.
    async fn claims(&self, change_id: &str, version: i64) -> Result<Vec<Claim>, StoreError>;
    /// The ledger event that wrote each version of a change: (version, event seq).
    async fn version_events(&self, change_id: &str) -> Result<Vec<(i64, i64)>, StoreError>;
    /// The newest revision of a change's rollback plan.
    async fn rollback_plan(&self, change_id: &str) -> Result<Option<RollbackPlan>, StoreError>;
    /// One page of the queue after the keyset `(created_at_ms, id)`.
    async fn queue_page(
        &self,
        filter: &QueueFilter,
        after: Option<(i64, String)>,
        limit: i64,
    ) -> Result<Vec<ChangeRequest>, StoreError>;
    async fn queue_counts(&self, filter: &QueueFilter) -> Result<QueueCounts, StoreError>;
    /// Sign-offs made at or after `since_ms`, newest first, at most `limit`, with the number of
    /// words of the content each signed.
    async fn recent_signoffs(
        &self,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<(Signoff, i64)>, StoreError>;
}

#[async_trait]
pub trait GateWrites {
    /// The change's sign-offs, read inside this transaction.
    async fn signoffs_in_tx(&mut self, change_id: &str) -> Result<Vec<Signoff>, StoreError>;
    async fn claims_in_tx(
        &mut self,
        change_id: &str,
        version: i64,
    ) -> Result<Vec<Claim>, StoreError>;
    async fn insert_signoff(&mut self, signoff: &Signoff, words: i64) -> Result<(), StoreError>;
    async fn set_change_status(
        &mut self,
        id: &str,
        status: ChangeStatus,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    /// A claim without a review; `marked_by` when a person marked it.
    async fn insert_claim(
        &mut self,
        claim: &Claim,
        marked_by: Option<HumanId>,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    async fn insert_claim_review(
        &mut self,
        claim_id: &str,
        reviewer: HumanId,
        claim: &Claim,
        at_ms: i64,
    ) -> Result<(), StoreError>;
    async fn set_open_claims(&mut self, change_id: &str, open: i64) -> Result<(), StoreError>;
    /// Records which ledger event wrote a version.
    async fn set_version_event(
        &mut self,
        change_id: &str,
        version: i64,
        event_seq: i64,
    ) -> Result<(), StoreError>;
    /// The current version's provenance and legal-basis checks.
    async fn set_version_evidence(
        &mut self,
        change_id: &str,
        provenance_ok: bool,
        legal_basis_ok: bool,
    ) -> Result<(), StoreError>;
    /// Writes the plan as the change's next revision (its `revision` is ignored) and marks the
    /// change as having one.
    async fn insert_rollback_plan(&mut self, plan: &RollbackPlan) -> Result<(), StoreError>;
}

pub(super) const SIGNOFF_COLUMNS: &str = "id, change_id, version, content_hash, signer_id, \
    signer_name, role, verdict, comment, signed_at, opened_full_content, viewed_diff, dwell_ms, \
    content_words, event_seq, on_behalf_of, on_behalf_of_name";

/// The sign-off columns as read: with whether the signer is still an active person (a
/// leaver's sign-offs stop counting toward a quorum; the row itself is never changed).
pub(super) fn signoff_select() -> String {
    format!(
        "{SIGNOFF_COLUMNS}, COALESCE((SELECT h.active FROM humans h \
         WHERE h.id = signoffs.signer_id), TRUE) AS signer_active"
    )
}

/// Every sign-off of one change, oldest first (read on its own or inside a write).
pub(super) fn signoffs_of_change_query() -> String {
    format!(
        "SELECT {} FROM signoffs WHERE change_id = $1 ORDER BY signed_at, id",
        signoff_select()
    )
}

pub(super) fn signoff_from_row<R: Row>(row: &R) -> Result<(Signoff, i64), StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("signoffs.{what}"));
    let text = |column: &str| -> Result<String, StoreError> { Ok(row.try_get(column)?) };
    let signoff = Signoff {
        id: text("id")?,
        change_id: text("change_id")?,
        version: row.try_get("version")?,
        content_hash: text("content_hash")?,
        signer: text("signer_id")?
            .parse()
            .map_err(|_| corrupt("signer_id"))?,
        signer_name: text("signer_name")?,
        role: text("role")?.parse::<Role>().map_err(|_| corrupt("role"))?,
        verdict: Verdict::parse(&text("verdict")?).map_err(|_| corrupt("verdict"))?,
        comment: Comment::stored(text("comment")?),
        at: from_millis(row.try_get("signed_at")?),
        quality: ReviewQuality::new(
            row.try_get("opened_full_content")?,
            row.try_get("viewed_diff")?,
            row.try_get("dwell_ms")?,
        ),
        event_seq: row.try_get("event_seq")?,
        signer_active: row.try_get("signer_active")?,
        on_behalf_of: match (
            row.try_get::<Option<String>, _>("on_behalf_of")?,
            row.try_get::<Option<String>, _>("on_behalf_of_name")?,
        ) {
            (Some(id), name) => Some((
                id.parse().map_err(|_| corrupt("on_behalf_of"))?,
                name.unwrap_or_default(),
            )),
            _ => None,
        },
    };
    Ok((signoff, row.try_get("content_words")?))
}

pub(super) const CLAIM_QUERY: &str =
    "SELECT c.id, c.change_id, c.version, c.variant, c.span_start, \
    c.span_end, c.quote, c.rules, c.marked_by_name, c.event_seq AS claim_seq, r.status, \
    r.evidence, r.comment, r.reviewer_name, r.reviewed_at, r.event_seq AS review_seq \
    FROM claims c LEFT JOIN claim_reviews r ON r.claim_id = c.id AND r.revision = \
    (SELECT MAX(r2.revision) FROM claim_reviews r2 WHERE r2.claim_id = c.id) \
    WHERE c.change_id = $1 AND c.version = $2 ORDER BY c.variant, c.span_start, c.span_end, c.id";

pub(super) fn claim_from_row<R: Row>(row: &R) -> Result<Claim, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let corrupt = |what: &str| StoreError::Corrupt(format!("claims.{what}"));
    let span = |column: &str| -> Result<usize, StoreError> {
        usize::try_from(row.try_get::<i64, _>(column)?).map_err(|_| corrupt(column))
    };
    let status: Option<String> = row.try_get("status")?;
    let rules: String = row.try_get("rules")?;
    Ok(Claim {
        id: row.try_get("id")?,
        change_id: row.try_get("change_id")?,
        version: row.try_get("version")?,
        variant: row.try_get("variant")?,
        span: Span {
            start: span("span_start")?,
            end: span("span_end")?,
        },
        quote: row.try_get("quote")?,
        rules: rules
            .split(',')
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        marked_by: row.try_get("marked_by_name")?,
        status: match status {
            Some(s) => ClaimStatus::parse(&s).ok_or_else(|| corrupt("status"))?,
            None => ClaimStatus::Open,
        },
        evidence: row
            .try_get::<Option<String>, _>("evidence")?
            .unwrap_or_default(),
        comment: row
            .try_get::<Option<String>, _>("comment")?
            .unwrap_or_default(),
        reviewed_by: row.try_get("reviewer_name")?,
        reviewed_at: row
            .try_get::<Option<i64>, _>("reviewed_at")?
            .map(from_millis),
        event_seq: match row.try_get::<Option<i64>, _>("review_seq")? {
            Some(seq) => seq,
            None => row.try_get("claim_seq")?,
        },
    })
}

pub(super) fn plan_from_row<R: Row>(row: &R) -> Result<RollbackPlan, StoreError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let previous: Option<String> = row.try_get("previous_ref")?;
    Ok(RollbackPlan {
        change_id: row.try_get("change_id")?,
        revision: row.try_get("revision")?,
        plan: RollbackPlanInput {
            steps: row.try_get("steps")?,
            previous: match previous {
                Some(reference) => PreviousVersion::Reference(reference),
                None => PreviousVersion::FirstPublication,
            },
        },
        written_by_ref: row.try_get("written_by_ref")?,
        written_by: row.try_get("written_by_label")?,
        written_at: from_millis(row.try_get("written_at")?),
        event_seq: row.try_get("event_seq")?,
    })
}

/// One bound value of a queue query.
#[derive(Debug, Clone)]
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

/// The `(status, tier)` pairs a filter covers: the queue reads each through the index on
/// `(status, tier, created_at, id)` in order, so a page or a count never sorts or scans more
/// than it returns, however many changes wait.
pub(super) fn branches(filter: &QueueFilter) -> Vec<(ChangeStatus, i64)> {
    let statuses = if filter.statuses.is_empty() {
        ChangeStatus::ALL.to_vec()
    } else {
        filter.statuses.clone()
    };
    let tiers = if filter.tiers.is_empty() {
        vec![1, 2, 3]
    } else {
        filter.tiers.clone()
    };
    statuses
        .iter()
        .flat_map(|s| tiers.iter().map(move |t| (*s, *t)))
        .collect()
}

/// The WHERE clause of one `(status, tier)` branch of a filter; its values are appended to
/// `binds` and numbered after those already there.
pub(super) fn branch_where(
    filter: &QueueFilter,
    (status, tier): (ChangeStatus, i64),
    binds: &mut Vec<Bind>,
) -> String {
    let mut next = |value: Bind| {
        binds.push(value);
        format!("${}", binds.len())
    };
    let mut clauses = vec![
        format!(
            "c.status = {}",
            next(Bind::Text(status.as_str().to_owned()))
        ),
        format!("c.tier = {}", next(Bind::Int(tier))),
    ];
    if let Some(workflow) = filter.workflow {
        clauses.push(format!(
            "c.workflow_id = {}",
            next(Bind::Text(workflow.to_string()))
        ));
    }
    if let Some(channel) = &filter.channel {
        clauses.push(format!("c.channel = {}", next(Bind::Text(channel.clone()))));
    }
    if let Some(audience) = filter.audience {
        clauses.push(format!(
            "c.audience = {}",
            next(Bind::Text(audience.as_str().to_owned()))
        ));
    }
    if let Some(before) = filter.created_before_ms {
        clauses.push(format!("c.created_at <= {}", next(Bind::Int(before))));
    }
    if let Some(person) = filter.for_reviewer {
        let signed = next(Bind::Text(person.to_string()));
        clauses.push(format!(
            "NOT EXISTS (SELECT 1 FROM signoffs s WHERE s.change_id = c.id \
             AND s.content_hash = c.current_hash AND s.signer_id = {signed})"
        ));
        let owner = next(Bind::Text(person.to_string()));
        clauses.push(format!(
            "NOT EXISTS (SELECT 1 FROM nhi_owners o WHERE o.nhi_id = c.nhi_id \
             AND o.human_id = {owner})"
        ));
        // The rest of separation of duties that a query can see cheaply: former owners and
        // secret issuers since the change was drafted, the registrar, owners of other steps.
        let steward = next(Bind::Text(person.to_string()));
        clauses.push(format!(
            "NOT EXISTS (SELECT 1 FROM nhi_stewardship st WHERE st.nhi_id = c.nhi_id \
             AND st.at_ms >= c.created_at AND st.human_id = {steward})"
        ));
        let registrar = next(Bind::Text(person.to_string()));
        clauses.push(format!(
            "NOT EXISTS (SELECT 1 FROM nhis n WHERE n.id = c.nhi_id AND n.created_by = {registrar})"
        ));
        let step_owner = next(Bind::Text(person.to_string()));
        clauses.push(format!(
            "NOT EXISTS (SELECT 1 FROM workflow_steps ws WHERE ws.workflow_id = c.workflow_id \
             AND ws.kind <> 'human_review' AND ws.owner = {step_owner})"
        ));
    }
    clauses.join(" AND ")
}

/// Implements [`GateReads`] and [`GateWrites`] for a backend.
macro_rules! gate_sql {
    ($store:ident, $tx:ident, $db:ty) => {
        fn bind_all<'q>(
            mut query: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>>,
            binds: &'q [super::gate::Bind],
        ) -> sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments<'q>> {
            for bind in binds {
                query = match bind {
                    super::gate::Bind::Text(text) => query.bind(text.as_str()),
                    super::gate::Bind::Int(n) => query.bind(*n),
                };
            }
            query
        }

        #[async_trait::async_trait]
        impl super::gate::GateReads for $store {
            async fn signoffs(
                &self,
                change_id: &str,
            ) -> Result<Vec<crate::domain::Signoff>, crate::store::StoreError> {
                let rows = sqlx::query(&super::gate::signoffs_of_change_query())
                .bind(change_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| super::gate::signoff_from_row(r).map(|(s, _)| s))
                    .collect()
            }

            async fn signoffs_of(
                &self,
                change_ids: &[String],
            ) -> Result<Vec<crate::domain::Signoff>, crate::store::StoreError> {
                if change_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let placeholders: Vec<String> =
                    (1..=change_ids.len()).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "SELECT {} FROM signoffs WHERE change_id IN ({}) ORDER BY signed_at, id",
                    super::gate::signoff_select(),
                    placeholders.join(", ")
                );
                let mut query = sqlx::query(&sql);
                for id in change_ids {
                    query = query.bind(id);
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter()
                    .map(|r| super::gate::signoff_from_row(r).map(|(s, _)| s))
                    .collect()
            }

            async fn claims(
                &self,
                change_id: &str,
                version: i64,
            ) -> Result<Vec<crate::domain::Claim>, crate::store::StoreError> {
                let rows = sqlx::query(super::gate::CLAIM_QUERY)
                    .bind(change_id)
                    .bind(version)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(super::gate::claim_from_row).collect()
            }

            async fn version_events(
                &self,
                change_id: &str,
            ) -> Result<Vec<(i64, i64)>, crate::store::StoreError> {
                let rows = sqlx::query(
                    "SELECT version, event_seq FROM change_versions WHERE change_id = $1 \
                     ORDER BY version",
                )
                .bind(change_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((sqlx::Row::try_get(r, "version")?, sqlx::Row::try_get(r, "event_seq")?)))
                    .collect()
            }

            async fn rollback_plan(
                &self,
                change_id: &str,
            ) -> Result<Option<crate::domain::RollbackPlan>, crate::store::StoreError> {
                let row = sqlx::query(
                    "SELECT change_id, revision, steps, previous_ref, written_by_ref, written_by_label, \
                     written_at, event_seq FROM rollback_plans WHERE change_id = $1 \
                     ORDER BY revision DESC LIMIT 1",
                )
                .bind(change_id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(super::gate::plan_from_row).transpose()
            }

            async fn queue_page(
                &self,
                filter: &super::gate::QueueFilter,
                after: Option<(i64, String)>,
                limit: i64,
            ) -> Result<Vec<crate::domain::ChangeRequest>, crate::store::StoreError> {
                let (op, order) = if filter.newest_first {
                    ("<", "DESC")
                } else {
                    (">", "ASC")
                };
                let columns: Vec<String> = super::changes::CHANGE_COLUMNS
                    .split(',')
                    .map(|c| format!("c.{}", c.trim()))
                    .collect();
                let columns = columns.join(", ");
                let mut binds = Vec::new();
                let mut parts = Vec::new();
                for (n, branch) in super::gate::branches(filter).into_iter().enumerate() {
                    let clause = super::gate::branch_where(filter, branch, &mut binds);
                    let mut keyset = String::new();
                    if let Some((at, id)) = &after {
                        binds.push(super::gate::Bind::Int(*at));
                        let at_p = binds.len();
                        binds.push(super::gate::Bind::Text(id.clone()));
                        let id_p = binds.len();
                        keyset = format!(
                            " AND (c.created_at {op} ${at_p} OR (c.created_at = ${at_p} AND c.id {op} ${id_p}))"
                        );
                    }
                    binds.push(super::gate::Bind::Int(limit));
                    parts.push(format!(
                        "SELECT * FROM (SELECT {columns} FROM change_requests c WHERE {clause}{keyset} \
                         ORDER BY c.created_at {order}, c.id {order} LIMIT ${}) AS b{n}",
                        binds.len()
                    ));
                }
                binds.push(super::gate::Bind::Int(limit));
                let sql = format!(
                    "SELECT * FROM ({}) AS page ORDER BY created_at {order}, id {order} LIMIT ${}",
                    parts.join(" UNION ALL "),
                    binds.len()
                );
                let rows = bind_all(sqlx::query(&sql), &binds)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(super::changes::change_from_row).collect()
            }

            async fn queue_counts(
                &self,
                filter: &super::gate::QueueFilter,
            ) -> Result<super::gate::QueueCounts, crate::store::StoreError> {
                // One bounded count per (status, tier), in one round trip: each reads at most
                // COUNT_CAP + 1 index entries.
                let mut binds = Vec::new();
                let mut parts = Vec::new();
                for (n, branch) in super::gate::branches(filter).into_iter().enumerate() {
                    let clause = super::gate::branch_where(filter, branch, &mut binds);
                    binds.push(super::gate::Bind::Int(super::gate::COUNT_CAP + 1));
                    parts.push(format!(
                        "SELECT CAST({} AS BIGINT) AS tier, COUNT(*) AS n FROM (SELECT 1 AS one FROM change_requests c \
                         WHERE {clause} LIMIT ${}) AS b{n}",
                        branch.1,
                        binds.len()
                    ));
                }
                let rows = bind_all(sqlx::query(&parts.join(" UNION ALL ")), &binds)
                    .fetch_all(&self.pool)
                    .await?;
                let mut counts = super::gate::QueueCounts::default();
                for row in &rows {
                    let tier: i64 = sqlx::Row::try_get(row, "tier")?;
                    let n: i64 = sqlx::Row::try_get(row, "n")?;
                    let Some(slot) = usize::try_from(tier - 1).ok().filter(|s| *s < 3) else {
                        continue;
                    };
                    counts.capped[slot] |= n > super::gate::COUNT_CAP;
                    counts.by_tier[slot] += n.min(super::gate::COUNT_CAP);
                    counts.total += n.min(super::gate::COUNT_CAP);
                }
                Ok(counts)
            }

            async fn recent_signoffs(
                &self,
                since_ms: i64,
                limit: i64,
            ) -> Result<Vec<(crate::domain::Signoff, i64)>, crate::store::StoreError> {
                let rows = sqlx::query(&format!(
                    "SELECT {} FROM signoffs WHERE signed_at >= $1 \
                     ORDER BY signed_at DESC, id DESC LIMIT $2",
                    super::gate::signoff_select()
                ))
                .bind(since_ms)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(super::gate::signoff_from_row).collect()
            }
        }

        #[async_trait::async_trait]
        impl super::gate::GateWrites for $tx {
            async fn signoffs_in_tx(
                &mut self,
                change_id: &str,
            ) -> Result<Vec<crate::domain::Signoff>, crate::store::StoreError> {
                let rows = sqlx::query(&super::gate::signoffs_of_change_query())
                .bind(change_id)
                .fetch_all(&mut *self.tx)
                .await?;
                rows.iter()
                    .map(|r| super::gate::signoff_from_row(r).map(|(s, _)| s))
                    .collect()
            }

            async fn claims_in_tx(
                &mut self,
                change_id: &str,
                version: i64,
            ) -> Result<Vec<crate::domain::Claim>, crate::store::StoreError> {
                let rows = sqlx::query(super::gate::CLAIM_QUERY)
                    .bind(change_id)
                    .bind(version)
                    .fetch_all(&mut *self.tx)
                    .await?;
                rows.iter().map(super::gate::claim_from_row).collect()
            }

            async fn insert_signoff(
                &mut self,
                s: &crate::domain::Signoff,
                words: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(&format!(
                    "INSERT INTO signoffs ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     $11, $12, $13, $14, $15, $16, $17)",
                    super::gate::SIGNOFF_COLUMNS
                ))
                .bind(&s.id)
                .bind(&s.change_id)
                .bind(s.version)
                .bind(&s.content_hash)
                .bind(s.signer.to_string())
                .bind(&s.signer_name)
                .bind(s.role.as_str())
                .bind(s.verdict.as_str())
                .bind(s.comment.as_str())
                .bind(crate::clock::to_millis(s.at))
                .bind(s.quality.opened_full_content)
                .bind(s.quality.viewed_diff)
                .bind(s.quality.dwell_ms)
                .bind(words)
                .bind(s.event_seq)
                .bind(s.on_behalf_of.as_ref().map(|(id, _)| id.to_string()))
                .bind(s.on_behalf_of.as_ref().map(|(_, name)| name.clone()))
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn set_change_status(
                &mut self,
                id: &str,
                status: crate::domain::ChangeStatus,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                // The first approval is kept: review latency is timed to it.
                sqlx::query(
                    "UPDATE change_requests SET status = $1, updated_at = $2, approved_at = \
                     CASE WHEN $1 = 'approved' THEN COALESCE(approved_at, $2) ELSE approved_at END \
                     WHERE id = $3",
                )
                    .bind(status.as_str())
                    .bind(at_ms)
                    .bind(id)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn insert_claim(
                &mut self,
                claim: &crate::domain::Claim,
                marked_by: Option<crate::domain::HumanId>,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                let span = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
                sqlx::query(
                    "INSERT INTO claims (id, change_id, version, span_start, span_end, quote, \
                     rules, marked_by, marked_by_name, created_at, event_seq, variant) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(&claim.id)
                .bind(&claim.change_id)
                .bind(claim.version)
                .bind(span(claim.span.start))
                .bind(span(claim.span.end))
                .bind(&claim.quote)
                .bind(claim.rules.join(","))
                .bind(marked_by.map(|h| h.to_string()))
                .bind(claim.marked_by.clone())
                .bind(at_ms)
                .bind(claim.event_seq)
                .bind(&claim.variant)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn insert_claim_review(
                &mut self,
                claim_id: &str,
                reviewer: crate::domain::HumanId,
                claim: &crate::domain::Claim,
                at_ms: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO claim_reviews (claim_id, revision, status, evidence, comment, \
                     reviewer_id, reviewer_name, reviewed_at, event_seq) \
                     VALUES ($1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM claim_reviews \
                     WHERE claim_id = $1), $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(claim_id)
                .bind(claim.status.as_str())
                .bind(&claim.evidence)
                .bind(&claim.comment)
                .bind(reviewer.to_string())
                .bind(claim.reviewed_by.clone().unwrap_or_default())
                .bind(at_ms)
                .bind(claim.event_seq)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn set_open_claims(
                &mut self,
                change_id: &str,
                open: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query("UPDATE change_requests SET open_claims = $1 WHERE id = $2")
                    .bind(open)
                    .bind(change_id)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_version_event(
                &mut self,
                change_id: &str,
                version: i64,
                event_seq: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE change_versions SET event_seq = $1 WHERE change_id = $2 AND version = $3",
                )
                .bind(event_seq)
                .bind(change_id)
                .bind(version)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn set_version_evidence(
                &mut self,
                change_id: &str,
                provenance_ok: bool,
                legal_basis_ok: bool,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE change_requests SET provenance_ok = $1, legal_basis_ok = $2 \
                     WHERE id = $3",
                )
                .bind(provenance_ok)
                .bind(legal_basis_ok)
                .bind(change_id)
                .execute(&mut *self.tx)
                .await?;
                Ok(())
            }

            async fn insert_rollback_plan(
                &mut self,
                plan: &crate::domain::RollbackPlan,
            ) -> Result<(), crate::store::StoreError> {
                let previous = match &plan.plan.previous {
                    crate::domain::PreviousVersion::Reference(r) => Some(r.clone()),
                    crate::domain::PreviousVersion::FirstPublication => None,
                };
                sqlx::query(
                    "INSERT INTO rollback_plans (change_id, revision, steps, previous_ref, \
                     written_by_ref, written_by_label, written_at, event_seq) \
                     VALUES ($1, (SELECT COALESCE(MAX(revision), 0) + 1 FROM rollback_plans \
                     WHERE change_id = $1), $2, $3, $4, $5, $6, $7)",
                )
                .bind(&plan.change_id)
                .bind(&plan.plan.steps)
                .bind(previous)
                .bind(&plan.written_by_ref)
                .bind(&plan.written_by)
                .bind(crate::clock::to_millis(plan.written_at))
                .bind(plan.event_seq)
                .execute(&mut *self.tx)
                .await?;
                sqlx::query("UPDATE change_requests SET has_rollback_plan = $1 WHERE id = $2")
                    .bind(true)
                    .bind(&plan.change_id)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }
        }
    };
}

pub(super) use gate_sql;
