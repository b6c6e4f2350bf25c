//! Loading the consent ledger: in batches through the API, by an identity whose step grant allows
//! it, or as a CSV file by a security admin (previewed first, with row-level errors, imported all
//! or nothing). Records are only ever added.

use super::{Services, TokenPrincipal};
use crate::actor::Actor;
use crate::domain::{ConsentError, ConsentRecord};
use crate::error::{CoreError, CoreResult};
use crate::ledger::NewEvent;
use crate::policy::{Action, Resource};
use crate::store::ConsentOverview;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::collections::BTreeSet;

/// The most records one API batch or one CSV file may carry.
pub const MAX_CONSENT_BATCH: usize = 1000;
pub const MAX_CONSENT_CSV_ROWS: usize = 10_000;
const CSV_HEADER: [&str; 6] = [
    "subject",
    "purpose",
    "legal_basis",
    "granted_at",
    "withdrawn_at",
    "source",
];

/// One record as a caller sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub subject: String,
    pub purpose: String,
    pub legal_basis: String,
    pub granted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub source: String,
}

/// A problem with one row (1-based, counting data rows after the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub problem: String,
}

/// What a CSV upload would load, or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvImport {
    pub records: Vec<ConsentRecord>,
    pub errors: Vec<RowError>,
    /// Set when the rows were imported (only ever with no errors).
    pub batch: Option<String>,
}

fn parse_time(raw: &str, column: &str) -> Result<Option<DateTime<Utc>>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(at.to_utc()));
    }
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| Some(d.and_utc()))
        .ok_or_else(|| {
            format!("{column}: use a date (2026-03-01) or an RFC 3339 time (2026-03-01T09:30:00Z)")
        })
}

fn check(input: &ConsentInput, now: DateTime<Utc>) -> Result<ConsentRecord, ConsentError> {
    ConsentRecord::new(
        &input.subject,
        &input.purpose,
        &input.legal_basis,
        input.granted_at,
        input.withdrawn_at,
        &input.source,
        now,
    )
}

/// Parses a CSV file into records and row errors; nothing is written.
pub fn parse_consent_csv(text: &str, now: DateTime<Utc>) -> CsvImport {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    match reader.headers() {
        Ok(header) if header.iter().eq(CSV_HEADER.iter().copied()) => {}
        _ => {
            errors.push(RowError {
                row: 0,
                problem: format!("the first line must be the header {}", CSV_HEADER.join(",")),
            });
            return CsvImport {
                records,
                errors,
                batch: None,
            };
        }
    }
    for (index, row) in reader.records().enumerate() {
        let number = index + 1;
        if number > MAX_CONSENT_CSV_ROWS {
            errors.push(RowError {
                row: number,
                problem: format!("a file holds at most {MAX_CONSENT_CSV_ROWS} rows; split it"),
            });
            break;
        }
        let row = match row {
            Ok(row) if row.len() == CSV_HEADER.len() => row,
            Ok(row) => {
                errors.push(RowError {
                    row: number,
                    problem: format!("expected 6 columns, found {}", row.len()),
                });
                continue;
            }
            Err(e) => {
                errors.push(RowError {
                    row: number,
                    problem: format!("not valid CSV: {e}"),
                });
                continue;
            }
        };
        let field = |i: usize| row.get(i).unwrap_or_default();
        let parsed = parse_time(field(3), "granted_at").and_then(|granted_at| {
            let withdrawn_at = parse_time(field(4), "withdrawn_at")?;
            check(
                &ConsentInput {
                    subject: field(0).to_owned(),
                    purpose: field(1).to_owned(),
                    legal_basis: field(2).to_owned(),
                    granted_at,
                    withdrawn_at,
                    source: field(5).to_owned(),
                },
                now,
            )
            .map_err(|e| e.to_string())
        });
        match parsed {
            Ok(record) => records.push(record),
            Err(problem) => errors.push(RowError {
                row: number,
                problem,
            }),
        }
    }
    if records.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 0,
            problem: "the file has a header but no rows".to_owned(),
        });
    }
    CsvImport {
        records,
        errors,
        batch: None,
    }
}

impl Services {
    pub fn can_manage_consent(&self, actor: &Actor) -> bool {
        self.policy
            .authorize(actor, Action::ManageConsent, &Resource::Console)
            .is_ok()
    }

    /// `POST /api/v1/consents`: a batch from an identity whose step grant has `record_consent`.
    #[tracing::instrument(skip_all, fields(nhi = %principal.nhi.id))]
    pub async fn record_consents(
        &self,
        principal: &TokenPrincipal,
        batch: Vec<ConsentInput>,
    ) -> CoreResult<(String, usize)> {
        let step = Resource::step(&principal.workflow, &principal.step);
        if batch.is_empty() || batch.len() > MAX_CONSENT_BATCH {
            return Err(CoreError::invalid(
                "records",
                format!("send 1 to {MAX_CONSENT_BATCH} records per batch"),
            ));
        }
        let now = self.clock.now();
        let mut records = Vec::with_capacity(batch.len());
        for (n, input) in batch.iter().enumerate() {
            records.push(
                check(input, now)
                    .map_err(|e| CoreError::invalid("records", format!("records[{n}]: {e}")))?,
            );
        }
        // A step records consent only for the purposes its grant names, asked once per purpose.
        let purposes: BTreeSet<&str> = records.iter().map(|r| r.purpose.as_str()).collect();
        for purpose in purposes {
            if let Err(denied) = self.policy.authorize_with(
                &principal.actor,
                Action::RecordConsent,
                &step,
                &[("purpose", purpose)],
            ) {
                tracing::info!(policies = ?denied.policies, purpose, "consent refused");
                return Err(
                    if denied
                        .policies
                        .iter()
                        .any(|p| p == "consent-only-for-the-steps-purposes")
                    {
                        CoreError::Refused(format!(
                            "step \"{}\" may record consent only for {}, not for {purpose} \
                             (consent-only-for-the-steps-purposes)",
                            principal.step.name,
                            principal
                                .step
                                .grant
                                .purposes
                                .iter()
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    } else {
                        CoreError::Denied(denied)
                    },
                );
            }
        }
        let id = self
            .store_consents(&principal.actor, &records, "api")
            .await?;
        Ok((id, records.len()))
    }

    /// Parses a CSV upload; with `import`, loads it — only if every row is valid.
    #[tracing::instrument(skip_all, fields(import))]
    pub async fn import_consent_csv(
        &self,
        actor: &Actor,
        text: &str,
        import: bool,
    ) -> CoreResult<CsvImport> {
        self.authorize(actor, Action::ManageConsent, &Resource::Console)?;
        let mut parsed = parse_consent_csv(text, self.clock.now());
        if import && parsed.errors.is_empty() {
            parsed.batch = Some(self.store_consents(actor, &parsed.records, "csv").await?);
        }
        Ok(parsed)
    }

    async fn store_consents(
        &self,
        actor: &Actor,
        records: &[ConsentRecord],
        via: &str,
    ) -> CoreResult<String> {
        let batch = uuid::Uuid::now_v7().to_string();
        let purposes: BTreeSet<&str> = records.iter().map(|r| r.purpose.as_str()).collect();
        let withdrawals = records.iter().filter(|r| r.withdrawn_at.is_some()).count();
        let mut tx = self.store.begin_write(self.now_ms()).await?;
        tx.insert_consent_records(&batch, records, &actor.reference(), self.now_ms())
            .await?;
        tx.append_event(&NewEvent::new(
            actor,
            "consent.recorded",
            format!("consent_batch:{batch}"),
            json!({
                "via": via,
                "records": records.len(),
                "withdrawals": withdrawals,
                "subjects": records.iter().map(|r| r.subject.as_str()).collect::<BTreeSet<_>>().len(),
                "purposes": purposes,
            }),
        ))
        .await?;
        tx.commit().await?;
        Ok(batch)
    }

    pub async fn consent_overview(&self, actor: &Actor) -> CoreResult<ConsentOverview> {
        self.authorize(actor, Action::ManageConsent, &Resource::Console)?;
        Ok(self.store.consent_overview(10).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_checked_one_by_one() {
        let now = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let text = "subject,purpose,legal_basis,granted_at,withdrawn_at,source\n\
                    crm-1,spring_offer,consent,2026-03-01,,crm export\n\
                    crm-2,spring_offer,consent,2026-03-01,2026-04-01T10:00:00Z,crm export\n\
                    crm-3,spring_offer,vibes,2026-03-01,,crm export\n\
                    crm-4,spring_offer,consent,yesterday,,crm export\n\
                    crm-5,spring_offer,consent\n\
                    \"crm,6\",spring_offer,consent,2026-03-01,,crm export\n";
        let parsed = parse_consent_csv(text, now);
        assert_eq!(parsed.records.len(), 2);
        let problems: Vec<(usize, &str)> = parsed
            .errors
            .iter()
            .map(|e| (e.row, e.problem.as_str()))
            .collect();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].0 == 3 && problems[0].1.contains("unknown legal basis `vibes`"));
        assert!(problems[1].0 == 4 && problems[1].1.contains("granted_at: use a date"));
        assert!(problems[2].0 == 5 && problems[2].1.contains("expected 6 columns, found 3"));
        assert!(problems[3].0 == 6 && problems[3].1.contains("subject must be"));

        let wrong_header = parse_consent_csv("id,purpose\n1,x\n", now);
        assert!(wrong_header.errors[0].problem.contains("header"));
        let empty = parse_consent_csv(&format!("{}\n", CSV_HEADER.join(",")), now);
        assert!(empty.errors[0].problem.contains("no rows"));
    }
}
