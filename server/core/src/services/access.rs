//! Access decisions: at the moment an identity wants customer data, Countersign decides which
//! fields its step's grant allows (Cedar, per field) and which subjects have a valid legal basis
//! for the purpose (the consent ledger), and records exactly what was asked and answered in the
//! ledger's transaction.

use super::recorder::{NotRecorded, PendingDecision};
use super::{Services, TokenPrincipal};
use crate::domain::{standing_of, FieldCategory, PurposeName, Standing, Subject};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::AccessDecisionRow;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Digest as _;
use std::collections::{BTreeSet, HashMap};

pub const MAX_DECISION_FIELDS: usize = 100;
pub const MAX_DECISION_SUBJECTS: usize = 1000;
/// Times a decision is made again when what it was made with changed before its commit.
const MAX_DECISION_ATTEMPTS: usize = 4;
/// How long a decision may be cited by a draft.
pub const DECISION_LIFETIME_MINUTES: i64 = 60;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequest {
    pub purpose: String,
    pub fields: Vec<String>,
    pub subjects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeniedField {
    pub field: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AllowedSubject {
    pub subject: String,
    pub legal_basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeniedSubject {
    pub subject: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessDecision {
    pub decision_id: String,
    pub allowed_fields: Vec<String>,
    pub denied_fields: Vec<DeniedField>,
    pub allowed_subjects: Vec<AllowedSubject>,
    pub denied_subjects: Vec<DeniedSubject>,
    pub expires_at: DateTime<Utc>,
}

impl AccessDecision {
    /// The legal bases under which this decision allowed subjects.
    pub fn legal_bases_found(&self) -> BTreeSet<crate::domain::LegalBasis> {
        self.allowed_subjects
            .iter()
            .filter_map(|s| crate::domain::LegalBasis::parse(&s.legal_basis).ok())
            .collect()
    }
}

/// The request, checked: bounded, no duplicates, every value well-formed.
struct Checked<'a> {
    purpose: PurposeName,
    fields: &'a [String],
    /// Subject ids, trimmed.
    subjects: Vec<&'a str>,
}

fn check_request(request: &AccessRequest) -> CoreResult<Checked<'_>> {
    let purpose = PurposeName::parse(&request.purpose)
        .map_err(|e| CoreError::invalid("purpose", e.to_string()))?;
    if request.fields.is_empty() || request.fields.len() > MAX_DECISION_FIELDS {
        return Err(CoreError::invalid(
            "fields",
            format!("ask for 1 to {MAX_DECISION_FIELDS} fields"),
        ));
    }
    if request.subjects.is_empty() || request.subjects.len() > MAX_DECISION_SUBJECTS {
        return Err(CoreError::invalid(
            "subjects",
            format!("ask about 1 to {MAX_DECISION_SUBJECTS} subjects"),
        ));
    }
    let mut seen = BTreeSet::new();
    for field in &request.fields {
        let ok = !field.is_empty()
            && field.len() <= 64
            && field
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !ok {
            return Err(CoreError::invalid(
                "fields",
                format!(
                    "`{}` is not a field name (a-z, 0-9, '_' and '.', at most 64)",
                    field.chars().take(64).collect::<String>()
                ),
            ));
        }
        if !seen.insert(field.as_str()) {
            return Err(CoreError::invalid(
                "fields",
                format!("`{field}` appears twice"),
            ));
        }
    }
    let mut subjects = Vec::with_capacity(request.subjects.len());
    for (n, raw) in request.subjects.iter().enumerate() {
        let subject = Subject::checked(raw)
            .map_err(|e| CoreError::invalid("subjects", format!("subjects[{n}]: {e}")))?;
        subjects.push(subject);
    }
    let mut seen = std::collections::HashSet::with_capacity(subjects.len());
    for (n, subject) in subjects.iter().enumerate() {
        if !seen.insert(*subject) {
            return Err(CoreError::invalid(
                "subjects",
                format!("subjects[{n}]: `{subject}` appears twice"),
            ));
        }
    }
    Ok(Checked {
        purpose,
        fields: &request.fields,
        subjects,
    })
}

/// Why Cedar denied a field, in the API's words.
fn field_reason(policies: &[String], purpose_granted: bool) -> &'static str {
    if policies
        .iter()
        .any(|p| p == "special-category-data-needs-a-tier-3-workflow")
    {
        "special_category_requires_tier_3"
    } else if !purpose_granted {
        "purpose_not_granted"
    } else {
        "not_in_grant"
    }
}

/// The Cedar context of reading one field: the schema's `read_data` context.
pub(super) fn read_context<'a>(
    purpose: &'a str,
    field: &'a str,
    categories: &HashMap<String, FieldCategory>,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("purpose", purpose),
        ("field", field),
        (
            "field_category",
            categories.get(field).map_or("none", |c| c.as_str()),
        ),
    ]
}

impl Services {
    /// The fields the step's connected system exposes, with their categories.
    pub(super) async fn step_field_categories(
        &self,
        step: &crate::domain::Step,
    ) -> CoreResult<HashMap<String, FieldCategory>> {
        Ok(match step.grant.system {
            Some(system) => self
                .store
                .system(system)
                .await?
                .map(|s| s.fields.into_iter().map(|f| (f.name, f.category)).collect())
                .unwrap_or_default(),
            None => HashMap::new(),
        })
    }

    /// `POST /api/v1/access-decisions`, for the step the token is bound to: the decision is
    /// made, then recorded durably with its ledger event before it is answered.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id, step = %principal.step.id))]
    pub async fn decide_access(
        &self,
        principal: &TokenPrincipal,
        request: AccessRequest,
    ) -> CoreResult<AccessDecision> {
        Ok(self.decide_recorded(principal, request).await?.0)
    }

    /// The same, answered as the JSON text stored with the decision (the API's body): the
    /// answer is serialized once, for the record and the reply.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id, step = %principal.step.id))]
    pub async fn decide_access_json(
        &self,
        principal: &TokenPrincipal,
        request: AccessRequest,
    ) -> CoreResult<String> {
        Ok(self.decide_recorded(principal, request).await?.1)
    }

    /// Makes and records a decision. A decision whose principal or consent records changed
    /// before its commit is not recorded (`recorder`): it is made again with the principal and
    /// the records read afresh, and a token that stopped working meanwhile is refused.
    async fn decide_recorded(
        &self,
        principal: &TokenPrincipal,
        request: AccessRequest,
    ) -> CoreResult<(AccessDecision, String)> {
        let mut fresh: Option<TokenPrincipal> = None;
        for _ in 0..MAX_DECISION_ATTEMPTS {
            let current = fresh.as_ref().unwrap_or(principal);
            let prepared = self.prepare_decision(current, &request).await?;
            let PreparedDecision { decision, pending } = prepared;
            let made_with = pending.made_with;
            let answer = pending.row.response_json.clone();
            let now = match self.record_prepared(pending).await {
                Ok(()) => return Ok((decision, answer)),
                Err(NotRecorded::Stale(now)) => now,
                Err(NotRecorded::Failed(error)) => {
                    return Err(crate::store::StoreError::Unavailable(error).into())
                }
            };
            self.consents.observe(now.consent);
            self.principals.observe(now.registry);
            if made_with.registry != now.registry {
                let again =
                    self.authenticate_hash(&current.token_hash)
                        .await
                        .map_err(|refused| match refused {
                            super::CredentialError::Store(error) => CoreError::Store(error),
                            other => CoreError::TokenEnded(other.to_string()),
                        })?;
                fresh = Some(again);
            }
        }
        Err(crate::store::StoreError::Unavailable(
            "the registry or consent records kept changing while deciding; ask again".to_owned(),
        )
        .into())
    }

    /// Everything a decision takes but its durable record: validation, Cedar per field, the
    /// consent standing of each subject, the stored row and the ledger event. Public so that the
    /// benchmark can time the server's own handling apart from the commit's wait.
    pub async fn prepare_access_decision(
        &self,
        principal: &TokenPrincipal,
        request: AccessRequest,
    ) -> CoreResult<PreparedDecision> {
        self.prepare_decision(principal, &request).await
    }

    async fn prepare_decision(
        &self,
        principal: &TokenPrincipal,
        request: &AccessRequest,
    ) -> CoreResult<PreparedDecision> {
        let checked = check_request(request)?;
        let step = &principal.step;
        let resource = Resource::step(&principal.workflow, step);

        // Fields: what the step's system exposes, then Cedar per field.
        let categories = principal.field_categories.as_ref();
        let known: Vec<&String> = checked
            .fields
            .iter()
            .filter(|f| categories.contains_key(*f))
            .collect();
        let contexts: Vec<Vec<(&str, &str)>> = known
            .iter()
            .map(|field| read_context(checked.purpose.as_str(), field, categories))
            .collect();
        let decisions =
            self.policy
                .authorize_each(&principal.actor, Action::ReadData, &resource, &contexts);
        let purpose_granted = step.grant.purposes.contains(checked.purpose.as_str());
        let mut allowed_fields = Vec::new();
        let mut denied_fields = Vec::new();
        let mut verdicts = known.iter().zip(decisions);
        for field in checked.fields {
            if !categories.contains_key(field) {
                denied_fields.push(DeniedField {
                    field: field.clone(),
                    reason: "unknown_field".to_owned(),
                });
                continue;
            }
            match verdicts.next() {
                Some((_, Ok(_))) => allowed_fields.push(field.clone()),
                Some((_, Err(denied))) => denied_fields.push(DeniedField {
                    field: field.clone(),
                    reason: field_reason(&denied.policies, purpose_granted).to_owned(),
                }),
                None => denied_fields.push(DeniedField {
                    field: field.clone(),
                    reason: "not_in_grant".to_owned(),
                }),
            }
        }

        // Subjects: the newest consent event for the purpose decides.
        let names = &checked.subjects;
        // Consent standing is told only to a step allowed to read for this purpose: a step that
        // may read no field learns nothing about anyone's consent.
        let may_read = !allowed_fields.is_empty();
        let standings = if may_read {
            Some(
                self.consents
                    .records_for(self.store.as_ref(), names, checked.purpose.as_str())
                    .await?,
            )
        } else {
            None
        };
        let mut allowed_subjects = Vec::new();
        let mut denied_subjects = Vec::new();
        for (n, subject) in checked.subjects.iter().enumerate() {
            if !may_read {
                denied_subjects.push(DeniedSubject {
                    subject: (*subject).to_owned(),
                    reason: "no_field_allowed".to_owned(),
                });
                continue;
            }
            let events = standings
                .as_ref()
                .and_then(|s| s.records.get(n))
                .map(|records| &records[..])
                .unwrap_or_default();
            match standing_of(events.iter().copied()) {
                Standing::Allowed(basis) => allowed_subjects.push(AllowedSubject {
                    subject: (*subject).to_owned(),
                    legal_basis: basis.as_str().to_owned(),
                }),
                other => denied_subjects.push(DeniedSubject {
                    subject: (*subject).to_owned(),
                    reason: other.reason().unwrap_or("no_consent").to_owned(),
                }),
            }
        }

        let now = self.clock.now();
        let decision = AccessDecision {
            decision_id: uuid::Uuid::now_v7().to_string(),
            allowed_fields,
            denied_fields,
            allowed_subjects,
            denied_subjects,
            expires_at: now + Duration::minutes(DECISION_LIFETIME_MINUTES),
        };
        let encode = |e: serde_json::Error| crate::store::StoreError::Corrupt(e.to_string());
        let row = AccessDecisionRow {
            id: decision.decision_id.clone(),
            nhi: principal.nhi.id,
            workflow: principal.workflow.id,
            step: step.id,
            purpose: checked.purpose.as_str().to_owned(),
            request_json: serde_json::to_string(request).map_err(encode)?,
            response_json: serde_json::to_string(&decision).map_err(encode)?,
            decided_at_ms: self.now_ms(),
            expires_at_ms: crate::clock::to_millis(decision.expires_at),
        };
        // The ledger carries the fields and counts, and a digest binding the exact request and
        // answer stored with the decision in the same transaction: the subject lists stay out of
        // the chain's hashing (the hot path), yet any later change to them breaks the digest.
        let mut hasher = sha2::Sha256::new();
        hasher.update(row.request_json.as_bytes());
        hasher.update(b"\n");
        hasher.update(row.response_json.as_bytes());
        let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
        let event = NewEvent::new(
            &principal.actor,
            "access.decided",
            format!("decision:{}", decision.decision_id),
            json!({
                "workflow": principal.workflow.id.reference(),
                "step": step.id.reference(),
                "purpose": checked.purpose.as_str(),
                "fields_asked": request.fields,
                "allowed_fields": decision.allowed_fields,
                "denied_fields": decision.denied_fields,
                "subjects_asked": request.subjects.len(),
                "subjects_allowed": decision.allowed_subjects.len(),
                "subjects_denied": decision.denied_subjects.len(),
                "decision_digest": digest,
            }),
        );
        Ok(PreparedDecision {
            decision,
            pending: PendingDecision {
                row,
                event,
                made_with: super::recorder::MadeWith {
                    registry: principal.registry_generation,
                    consent: standings.map(|s| s.generation),
                },
            },
        })
    }

    /// Commits a prepared decision and its ledger event (with others waiting, through the
    /// recorder's group commit) and only then hands the answer back: the answer of a decision
    /// that is no longer what its principal and consent records give is not recorded, it is made
    /// again.
    pub async fn record_access_decision(
        &self,
        principal: &TokenPrincipal,
        prepared: PreparedDecision,
    ) -> CoreResult<AccessDecision> {
        let PreparedDecision { decision, pending } = prepared;
        let request = pending.row.request_json.clone();
        match self.record_prepared(pending).await {
            Ok(()) => Ok(decision),
            Err(NotRecorded::Failed(error)) => {
                Err(crate::store::StoreError::Unavailable(error).into())
            }
            Err(NotRecorded::Stale(_)) => {
                let request = serde_json::from_str(&request)
                    .map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))?;
                self.decide_access(principal, request).await
            }
        }
    }

    async fn record_prepared(&self, pending: PendingDecision) -> Result<(), NotRecorded> {
        match &self.decisions {
            Some(recorder) => recorder.record(pending).await,
            None => {
                let now_ms = self.now_ms();
                let tx = self.store.begin_write(now_ms).await?;
                let now = super::recorder::record_holding(tx, &[&pending], now_ms).await?;
                if pending.made_with.holds_at(now) {
                    Ok(())
                } else {
                    Err(NotRecorded::Stale(now))
                }
            }
        }
    }
}

/// A decision made and not yet recorded: it is answered only once recorded.
pub struct PreparedDecision {
    pub decision: AccessDecision,
    pending: PendingDecision,
}

impl PreparedDecision {
    /// The answer as stored and sent: the JSON text the ledger's digest binds.
    pub fn answer_json(&self) -> &str {
        &self.pending.row.response_json
    }
}
