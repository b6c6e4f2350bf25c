//! Pre-approved templates, their sign-offs and the drafts that declared them (tables
//! `templates`, `template_signoffs`, `change_templates`), shared by both backends through
//! `templates_sql!`.

use super::StoreError;
use crate::clock::{from_millis, to_millis};
use crate::domain::{Template, TemplateSignoff, TemplateState, TemplateUse};
use async_trait::async_trait;

/// A change made under a template, as the template's page and the spot-check view list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatedChange {
    pub change_id: String,
    pub title: String,
    pub status: String,
    pub template_id: String,
    pub template_name: String,
    pub pre_approved: bool,
    pub values: std::collections::BTreeMap<String, String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[async_trait]
pub trait TemplateReads {
    /// Every template, newest first.
    async fn templates(&self) -> Result<Vec<Template>, StoreError>;
    async fn template(&self, id: &str) -> Result<Option<Template>, StoreError>;
    async fn template_signoffs(&self, id: &str) -> Result<Vec<TemplateSignoff>, StoreError>;
    async fn template_use(&self, change_id: &str) -> Result<Option<TemplateUse>, StoreError>;
    /// The changes drafted under a template, newest first.
    async fn changes_under_template(
        &self,
        template_id: &str,
        limit: i64,
    ) -> Result<Vec<TemplatedChange>, StoreError>;
    /// Changes policy pre-approved since `since_ms`, newest first: the spot-check view.
    async fn pre_approved_since(
        &self,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<TemplatedChange>, StoreError>;
}

#[async_trait]
pub trait TemplateWrites {
    async fn insert_template(
        &mut self,
        template: &Template,
        event_seq: i64,
    ) -> Result<(), StoreError>;
    async fn template_in_tx(&mut self, id: &str) -> Result<Option<Template>, StoreError>;
    async fn template_signoffs_in_tx(
        &mut self,
        id: &str,
    ) -> Result<Vec<TemplateSignoff>, StoreError>;
    async fn insert_template_signoff(
        &mut self,
        signoff: &TemplateSignoff,
    ) -> Result<(), StoreError>;
    /// Records the quorum met (`approved`) or a rejection; `approved_by` names the approvers.
    async fn set_template_decided(
        &mut self,
        id: &str,
        state: TemplateState,
        at_ms: i64,
        approved_by: &[String],
    ) -> Result<(), StoreError>;
    async fn withdraw_template(
        &mut self,
        id: &str,
        by: crate::domain::HumanId,
        at_ms: i64,
        reason: &str,
    ) -> Result<(), StoreError>;
    async fn insert_template_use(&mut self, template_use: &TemplateUse) -> Result<(), StoreError>;
    async fn template_use_in_tx(
        &mut self,
        change_id: &str,
    ) -> Result<Option<TemplateUse>, StoreError>;
}

pub(super) const TEMPLATE_COLUMNS: &str = "id, name, workflow_id, tier, body_json, body_hash, \
     state, proposed_by, proposed_by_name, proposed_at, expires_at, approved_at, approved_by, \
     withdrawn_at, withdrawn_reason";
pub(super) const INSERT_TEMPLATE: &str = "INSERT INTO templates (id, name, workflow_id, tier, \
     body_json, body_hash, state, proposed_by, proposed_by_name, proposed_at, expires_at, \
     approved_by, event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '[]', $12)";
pub(super) const DECIDED: &str =
    "UPDATE templates SET state = $2, approved_at = $3, approved_by = $4 WHERE id = $1";
pub(super) const WITHDRAW: &str = "UPDATE templates SET state = 'withdrawn', withdrawn_at = $3, \
     withdrawn_by = $2, withdrawn_reason = $4 WHERE id = $1";
pub(super) const SIGNOFF_COLUMNS: &str = "id, template_id, body_hash, signer_id, signer_name, \
     role, verdict, comment, signed_at, event_seq";
pub(super) const INSERT_SIGNOFF: &str = "INSERT INTO template_signoffs (id, template_id, \
     body_hash, signer_id, signer_name, role, verdict, comment, signed_at, event_seq) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
pub(super) const USE_COLUMNS: &str = "u.change_id, u.template_id, t.name AS template_name, \
     u.values_json, u.problems_json, u.pre_approved, u.created_at";
pub(super) const INSERT_USE: &str = "INSERT INTO change_templates (change_id, template_id, \
     values_json, problems_json, pre_approved, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
pub(super) const TEMPLATED: &str = "SELECT c.id AS change_id, c.title, c.status, u.template_id, \
     t.name AS template_name, u.pre_approved, u.values_json, c.updated_at \
     FROM change_templates u JOIN change_requests c ON c.id = u.change_id \
     JOIN templates t ON t.id = u.template_id";

pub(super) type TemplateRow = (
    String,
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    String,
    Option<i64>,
    Option<String>,
);

pub(super) fn template_from_row(
    (
        id,
        name,
        workflow,
        tier,
        body,
        hash,
        state,
        proposed_by,
        proposed_by_name,
        proposed_at,
        expires_at,
        approved_at,
        approved_by,
        withdrawn_at,
        withdrawn_reason,
    ): TemplateRow,
) -> Result<Template, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("templates.{what}"));
    Ok(Template {
        id,
        name,
        workflow: workflow.parse().map_err(|_| corrupt("workflow_id"))?,
        tier,
        body: serde_json::from_str(&body).map_err(|_| corrupt("body_json"))?,
        hash,
        state: TemplateState::parse(&state).ok_or_else(|| corrupt("state"))?,
        proposed_by: proposed_by.parse().map_err(|_| corrupt("proposed_by"))?,
        proposed_by_name,
        proposed_at: from_millis(proposed_at),
        expires_at: from_millis(expires_at),
        approved_at: approved_at.map(from_millis),
        approved_by: serde_json::from_str(&approved_by).map_err(|_| corrupt("approved_by"))?,
        withdrawn_at: withdrawn_at.map(from_millis),
        withdrawn_reason,
    })
}

pub(super) type SignoffRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
);

pub(super) fn signoff_from_row(
    (id, template_id, body_hash, signer, signer_name, role, verdict, comment, at, seq): SignoffRow,
) -> Result<TemplateSignoff, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("template_signoffs.{what}"));
    Ok(TemplateSignoff {
        id,
        template_id,
        body_hash,
        signer: signer.parse().map_err(|_| corrupt("signer_id"))?,
        signer_name,
        role: role.parse().map_err(|_| corrupt("role"))?,
        approve: match verdict.as_str() {
            "approve" => true,
            "reject" => false,
            _ => return Err(corrupt("verdict")),
        },
        comment,
        at: from_millis(at),
        event_seq: seq,
    })
}

pub(super) type UseRow = (String, String, String, String, String, bool, i64);

pub(super) fn use_from_row(
    (change_id, template_id, template_name, values, problems, pre_approved, at): UseRow,
) -> Result<TemplateUse, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("change_templates.{what}"));
    Ok(TemplateUse {
        change_id,
        template_id,
        template_name,
        values: serde_json::from_str(&values).map_err(|_| corrupt("values_json"))?,
        problems: serde_json::from_str(&problems).map_err(|_| corrupt("problems_json"))?,
        pre_approved,
        at: from_millis(at),
    })
}

pub(super) type TemplatedRow = (String, String, String, String, String, bool, String, i64);

pub(super) fn templated_from_row(
    (change_id, title, status, template_id, template_name, pre_approved, values, at): TemplatedRow,
) -> Result<TemplatedChange, StoreError> {
    Ok(TemplatedChange {
        change_id,
        title,
        status,
        template_id,
        template_name,
        pre_approved,
        values: serde_json::from_str(&values)
            .map_err(|_| StoreError::Corrupt("change_templates.values_json".to_owned()))?,
        at: from_millis(at),
    })
}

pub(super) fn values_json(template_use: &TemplateUse) -> (String, String) {
    (
        serde_json::to_string(&template_use.values).unwrap_or_else(|_| "{}".to_owned()),
        serde_json::to_string(&template_use.problems).unwrap_or_else(|_| "[]".to_owned()),
    )
}

pub(super) fn millis(at: chrono::DateTime<chrono::Utc>) -> i64 {
    to_millis(at)
}

macro_rules! templates_sql {
    ($store:ident, $tx:ident) => {
        #[async_trait::async_trait]
        impl super::templates::TemplateReads for $store {
            async fn templates(
                &self,
            ) -> Result<Vec<crate::domain::Template>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::TemplateRow>(&format!(
                    "SELECT {} FROM templates ORDER BY proposed_at DESC, id DESC",
                    super::templates::TEMPLATE_COLUMNS
                ))
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(super::templates::template_from_row)
                .collect()
            }

            async fn template(
                &self,
                id: &str,
            ) -> Result<Option<crate::domain::Template>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::TemplateRow>(&format!(
                    "SELECT {} FROM templates WHERE id = $1",
                    super::templates::TEMPLATE_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .map(super::templates::template_from_row)
                .transpose()
            }

            async fn template_signoffs(
                &self,
                id: &str,
            ) -> Result<Vec<crate::domain::TemplateSignoff>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::SignoffRow>(&format!(
                    "SELECT {} FROM template_signoffs WHERE template_id = $1 \
                     ORDER BY signed_at, id",
                    super::templates::SIGNOFF_COLUMNS
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(super::templates::signoff_from_row)
                .collect()
            }

            async fn template_use(
                &self,
                change_id: &str,
            ) -> Result<Option<crate::domain::TemplateUse>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::UseRow>(&format!(
                    "SELECT {} FROM change_templates u JOIN templates t ON t.id = u.template_id \
                     WHERE u.change_id = $1",
                    super::templates::USE_COLUMNS
                ))
                .bind(change_id)
                .fetch_optional(&self.pool)
                .await?
                .map(super::templates::use_from_row)
                .transpose()
            }

            async fn changes_under_template(
                &self,
                template_id: &str,
                limit: i64,
            ) -> Result<Vec<super::templates::TemplatedChange>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::TemplatedRow>(&format!(
                    "{} WHERE u.template_id = $1 ORDER BY c.updated_at DESC, c.id DESC LIMIT $2",
                    super::templates::TEMPLATED
                ))
                .bind(template_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(super::templates::templated_from_row)
                .collect()
            }

            async fn pre_approved_since(
                &self,
                since_ms: i64,
                limit: i64,
            ) -> Result<Vec<super::templates::TemplatedChange>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::TemplatedRow>(&format!(
                    "{} WHERE u.pre_approved = TRUE AND u.created_at >= $1 \
                     ORDER BY u.created_at DESC, c.id DESC LIMIT $2",
                    super::templates::TEMPLATED
                ))
                .bind(since_ms)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(super::templates::templated_from_row)
                .collect()
            }
        }

        #[async_trait::async_trait]
        impl super::templates::TemplateWrites for $tx {
            async fn insert_template(
                &mut self,
                t: &crate::domain::Template,
                event_seq: i64,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::templates::INSERT_TEMPLATE)
                    .bind(&t.id)
                    .bind(&t.name)
                    .bind(t.workflow.to_string())
                    .bind(t.tier)
                    .bind(serde_json::to_string(&t.body).unwrap_or_default())
                    .bind(&t.hash)
                    .bind(t.state.as_str())
                    .bind(t.proposed_by.to_string())
                    .bind(&t.proposed_by_name)
                    .bind(super::templates::millis(t.proposed_at))
                    .bind(super::templates::millis(t.expires_at))
                    .bind(event_seq)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn template_in_tx(
                &mut self,
                id: &str,
            ) -> Result<Option<crate::domain::Template>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::TemplateRow>(&format!(
                    "SELECT {} FROM templates WHERE id = $1",
                    super::templates::TEMPLATE_COLUMNS
                ))
                .bind(id)
                .fetch_optional(&mut *self.tx)
                .await?
                .map(super::templates::template_from_row)
                .transpose()
            }

            async fn template_signoffs_in_tx(
                &mut self,
                id: &str,
            ) -> Result<Vec<crate::domain::TemplateSignoff>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::SignoffRow>(&format!(
                    "SELECT {} FROM template_signoffs WHERE template_id = $1 \
                     ORDER BY signed_at, id",
                    super::templates::SIGNOFF_COLUMNS
                ))
                .bind(id)
                .fetch_all(&mut *self.tx)
                .await?
                .into_iter()
                .map(super::templates::signoff_from_row)
                .collect()
            }

            async fn insert_template_signoff(
                &mut self,
                s: &crate::domain::TemplateSignoff,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::templates::INSERT_SIGNOFF)
                    .bind(&s.id)
                    .bind(&s.template_id)
                    .bind(&s.body_hash)
                    .bind(s.signer.to_string())
                    .bind(&s.signer_name)
                    .bind(s.role.as_str())
                    .bind(if s.approve { "approve" } else { "reject" })
                    .bind(&s.comment)
                    .bind(super::templates::millis(s.at))
                    .bind(s.event_seq)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn set_template_decided(
                &mut self,
                id: &str,
                state: crate::domain::TemplateState,
                at_ms: i64,
                approved_by: &[String],
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::templates::DECIDED)
                    .bind(id)
                    .bind(state.as_str())
                    .bind(at_ms)
                    .bind(serde_json::to_string(approved_by).unwrap_or_else(|_| "[]".to_owned()))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn withdraw_template(
                &mut self,
                id: &str,
                by: crate::domain::HumanId,
                at_ms: i64,
                reason: &str,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(super::templates::WITHDRAW)
                    .bind(id)
                    .bind(by.to_string())
                    .bind(at_ms)
                    .bind(reason)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn insert_template_use(
                &mut self,
                u: &crate::domain::TemplateUse,
            ) -> Result<(), crate::store::StoreError> {
                let (values, problems) = super::templates::values_json(u);
                sqlx::query(super::templates::INSERT_USE)
                    .bind(&u.change_id)
                    .bind(&u.template_id)
                    .bind(values)
                    .bind(problems)
                    .bind(u.pre_approved)
                    .bind(super::templates::millis(u.at))
                    .execute(&mut *self.tx)
                    .await?;
                Ok(())
            }

            async fn template_use_in_tx(
                &mut self,
                change_id: &str,
            ) -> Result<Option<crate::domain::TemplateUse>, crate::store::StoreError> {
                sqlx::query_as::<_, super::templates::UseRow>(&format!(
                    "SELECT {} FROM change_templates u JOIN templates t ON t.id = u.template_id \
                     WHERE u.change_id = $1",
                    super::templates::USE_COLUMNS
                ))
                .bind(change_id)
                .fetch_optional(&mut *self.tx)
                .await?
                .map(super::templates::use_from_row)
                .transpose()
            }
        }
    };
}

pub(super) use templates_sql;
