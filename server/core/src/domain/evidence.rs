//! The evidence a change must carry before anyone may approve it: provenance, a legal basis for
//! each use of customer data that the cited access decision actually found, a rollback plan, and
//! (where claims are reviewed) no unresolved claim. The same check disables approval in the UI and
//! refuses it in the service.

use super::{Claim, LegalBasis, Provenance};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub const MAX_ROLLBACK_STEPS_CHARS: usize = 4000;
pub const MAX_PREVIOUS_REF_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollbackPlanError {
    #[error("describe the rollback steps (1 to {MAX_ROLLBACK_STEPS_CHARS} characters)")]
    Steps,
    #[error(
        "name the version to restore (at most {MAX_PREVIOUS_REF_CHARS} characters), or say this \
         is the first publication (rollback = unpublish)"
    )]
    Previous,
    #[error("either a previous version or first publication, not both")]
    Both,
}

/// What rolling back restores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reference")]
pub enum PreviousVersion {
    /// The version live before this change, by the target system's reference.
    Reference(String),
    /// Nothing was live: rolling back unpublishes.
    FirstPublication,
}

impl PreviousVersion {
    pub fn describe(&self) -> String {
        match self {
            PreviousVersion::Reference(r) => format!("restore {r}"),
            PreviousVersion::FirstPublication => "first publication: unpublish".to_owned(),
        }
    }
}

/// A rollback plan as written, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPlanInput {
    pub steps: String,
    pub previous: PreviousVersion,
}

impl RollbackPlanInput {
    pub fn parse(
        steps: &str,
        previous_reference: &str,
        first_publication: bool,
    ) -> Result<Self, RollbackPlanError> {
        let steps = steps.trim();
        if steps.is_empty() || steps.chars().count() > MAX_ROLLBACK_STEPS_CHARS {
            return Err(RollbackPlanError::Steps);
        }
        let reference = previous_reference.trim();
        let previous = match (reference.is_empty(), first_publication) {
            (false, true) => return Err(RollbackPlanError::Both),
            (true, true) => PreviousVersion::FirstPublication,
            (true, false) => return Err(RollbackPlanError::Previous),
            (false, false) if reference.chars().count() > MAX_PREVIOUS_REF_CHARS => {
                return Err(RollbackPlanError::Previous)
            }
            (false, false) => PreviousVersion::Reference(reference.to_owned()),
        };
        Ok(Self {
            steps: steps.to_owned(),
            previous,
        })
    }
}

/// The rollback plan in force (its newest revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackPlan {
    pub change_id: String,
    pub revision: i64,
    pub plan: RollbackPlanInput,
    /// Who wrote it: the ledger reference and the display name.
    pub written_by_ref: String,
    pub written_by: String,
    pub written_at: DateTime<Utc>,
    pub event_seq: i64,
}

/// What the gate knows of one decision a version cites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitedBases {
    pub decision: String,
    /// The legal bases under which the decision allowed subjects; `None` if it is not on record.
    pub found: Option<BTreeSet<LegalBasis>>,
}

/// One line of the evidence panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvidenceCheck {
    pub key: &'static str,
    pub label: &'static str,
    /// Empty when the check passes; otherwise what is missing or wrong.
    pub problems: Vec<String>,
}

impl EvidenceCheck {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub checks: Vec<EvidenceCheck>,
}

impl Evidence {
    pub fn complete(&self) -> bool {
        self.checks.iter().all(EvidenceCheck::passed)
    }

    /// Every problem, prefixed with its check: the reasons approval is refused.
    pub fn problems(&self) -> Vec<String> {
        self.checks
            .iter()
            .flat_map(|c| c.problems.iter().map(move |p| format!("{}: {p}", c.label)))
            .collect()
    }

    pub fn check(&self, key: &str) -> Option<&EvidenceCheck> {
        self.checks.iter().find(|c| c.key == key)
    }
}

/// What the evidence check reads.
pub struct EvidenceFacts<'a> {
    pub provenance: &'a Provenance,
    pub cited: &'a [CitedBases],
    pub rollback: Option<&'a RollbackPlan>,
    pub claims: &'a [Claim],
    /// Whether this change's claims must be resolved: external content, or a tier whose
    /// sign-off rule needs a legal reviewer.
    pub claims_reviewed: bool,
}

pub fn check_evidence(facts: &EvidenceFacts<'_>) -> Evidence {
    let p = facts.provenance;
    let mut provenance = Vec::new();
    for (name, value) in [
        ("model", &p.model),
        ("model version", &p.model_version),
        ("prompt", &p.prompt),
        ("raw output", &p.raw_output),
    ] {
        if value.trim().is_empty() {
            provenance.push(format!("no {name}"));
        }
    }

    let mut legal = Vec::new();
    for cited in facts.cited {
        let claimed = p.legal_bases.get(&cited.decision);
        match (&cited.found, claimed) {
            (None, _) => legal.push(format!("decision {} is not on record", cited.decision)),
            (Some(_), None) => legal.push(format!(
                "no legal basis stated for the data of decision {}",
                cited.decision
            )),
            (Some(found), Some(claimed)) => match LegalBasis::parse(claimed) {
                Ok(basis) if found.contains(&basis) => {}
                Ok(basis) => legal.push(format!(
                    "decision {} found no subject under {}{}",
                    cited.decision,
                    basis.as_str(),
                    if found.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (it found {})",
                            found
                                .iter()
                                .map(|b| b.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                )),
                Err(e) => legal.push(e.to_string()),
            },
        }
    }
    if facts.cited.is_empty() && !p.fields_used.is_empty() {
        legal.push("customer fields are used without a cited access decision".to_owned());
    }

    let rollback = match facts.rollback {
        Some(_) => Vec::new(),
        None => vec!["no rollback plan yet (steps, and the version to restore or \"first publication: unpublish\")".to_owned()],
    };

    let mut claims = Vec::new();
    if facts.claims_reviewed {
        let open = facts.claims.iter().filter(|c| c.unresolved()).count();
        if open > 0 {
            claims.push(format!(
                "{open} claim{} not substantiated",
                if open == 1 { " is" } else { "s are" }
            ));
        }
    }

    Evidence {
        checks: vec![
            EvidenceCheck {
                key: "provenance",
                label: "Provenance",
                problems: provenance,
            },
            EvidenceCheck {
                key: "legal_basis",
                label: "Legal basis",
                problems: legal,
            },
            EvidenceCheck {
                key: "rollback_plan",
                label: "Rollback plan",
                problems: rollback,
            },
            EvidenceCheck {
                key: "claims",
                label: "Claims",
                problems: claims,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ClaimStatus, Span};
    use std::collections::BTreeMap;

    fn provenance(decisions: &[&str], bases: &[(&str, &str)]) -> Provenance {
        Provenance {
            model: "m".into(),
            model_version: "1".into(),
            prompt: "p".into(),
            system_prompt: String::new(),
            access_decisions: decisions.iter().map(|d| (*d).to_owned()).collect(),
            fields_used: vec!["first_name".into()],
            data_sources: vec![],
            tool_calls: vec![],
            raw_output: "out".into(),
            legal_bases: bases
                .iter()
                .map(|(d, b)| ((*d).to_owned(), (*b).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    fn plan() -> RollbackPlan {
        RollbackPlan {
            change_id: "c".into(),
            revision: 1,
            plan: RollbackPlanInput::parse("Unpublish the email.", "", true).unwrap(),
            written_by_ref: "nhi:1".into(),
            written_by: "agent".into(),
            written_at: Utc::now(),
            event_seq: 1,
        }
    }

    fn claim(status: ClaimStatus) -> Claim {
        Claim {
            variant: String::new(),
            id: "k".into(),
            change_id: "c".into(),
            version: 1,
            span: Span { start: 0, end: 3 },
            quote: "20%".into(),
            rules: vec![],
            marked_by: None,
            status,
            evidence: String::new(),
            comment: String::new(),
            reviewed_by: None,
            reviewed_at: None,
            event_seq: 1,
        }
    }

    fn found(bases: &[LegalBasis]) -> Option<BTreeSet<LegalBasis>> {
        Some(bases.iter().copied().collect())
    }

    #[test]
    fn each_check_names_what_is_missing() {
        use LegalBasis::{Consent, Contract};
        let cited = |b| {
            vec![CitedBases {
                decision: "d1".into(),
                found: b,
            }]
        };
        let open = [claim(ClaimStatus::Open), claim(ClaimStatus::Substantiated)];
        let done = [claim(ClaimStatus::Substantiated)];
        // (provenance, cited, plan?, claims, reviewed, expected problems by check)
        type Row<'a> = (
            Provenance,
            Vec<CitedBases>,
            bool,
            &'a [Claim],
            bool,
            Vec<&'a str>,
        );
        let cases: Vec<Row<'_>> = vec![
            (
                provenance(&["d1"], &[("d1", "consent")]),
                cited(found(&[Consent])),
                true,
                &done,
                true,
                vec![],
            ),
            (
                provenance(&["d1"], &[("d1", "consent")]),
                cited(found(&[Consent, Contract])),
                true,
                &open,
                false,
                vec![],
            ),
            (
                provenance(&["d1"], &[]),
                cited(found(&[Consent])),
                true,
                &done,
                true,
                vec!["Legal basis: no legal basis stated for the data of decision d1"],
            ),
            (
                provenance(&["d1"], &[("d1", "contract")]),
                cited(found(&[Consent])),
                true,
                &done,
                true,
                vec!["Legal basis: decision d1 found no subject under contract (it found consent)"],
            ),
            (
                provenance(&["d1"], &[("d1", "consent")]),
                cited(None),
                true,
                &done,
                true,
                vec!["Legal basis: decision d1 is not on record"],
            ),
            (
                provenance(&[], &[]),
                vec![],
                true,
                &done,
                true,
                vec!["Legal basis: customer fields are used without a cited access decision"],
            ),
            (
                provenance(&["d1"], &[("d1", "consent")]),
                cited(found(&[Consent])),
                false,
                &done,
                true,
                vec!["Rollback plan: no rollback plan yet"],
            ),
            (
                provenance(&["d1"], &[("d1", "consent")]),
                cited(found(&[Consent])),
                true,
                &open,
                true,
                vec!["Claims: 1 claim is not substantiated"],
            ),
        ];
        for (n, (p, cited, has_plan, claims, reviewed, expected)) in cases.into_iter().enumerate() {
            let plan = plan();
            let evidence = check_evidence(&EvidenceFacts {
                provenance: &p,
                cited: &cited,
                rollback: has_plan.then_some(&plan),
                claims,
                claims_reviewed: reviewed,
            });
            let problems = evidence.problems();
            assert_eq!(problems.len(), expected.len(), "case {n}: {problems:?}");
            for (got, want) in problems.iter().zip(&expected) {
                assert!(got.starts_with(want), "case {n}: {got} / {want}");
            }
            assert_eq!(evidence.complete(), expected.is_empty(), "case {n}");
        }
        let mut bare = provenance(&[], &[]);
        bare.fields_used.clear();
        bare.model.clear();
        let evidence = check_evidence(&EvidenceFacts {
            provenance: &bare,
            cited: &[],
            rollback: None,
            claims: &[],
            claims_reviewed: true,
        });
        assert_eq!(evidence.check("provenance").unwrap().problems, ["no model"]);
    }

    #[test]
    fn rollback_plans_need_steps_and_what_to_restore() {
        let cases: &[(&str, &str, bool, Result<&str, &str>)] = &[
            (
                "Restore v12 in the CMS.",
                "cms:page-41@v12",
                false,
                Ok("restore cms:page-41@v12"),
            ),
            ("Unpublish.", "", true, Ok("first publication: unpublish")),
            ("", "v1", false, Err("describe the rollback steps")),
            ("Restore.", "", false, Err("name the version to restore")),
            ("Restore.", "v1", true, Err("not both")),
        ];
        for (steps, reference, first, expected) in cases {
            match (RollbackPlanInput::parse(steps, reference, *first), expected) {
                (Ok(plan), Ok(want)) => assert_eq!(plan.previous.describe(), *want),
                (Err(error), Err(want)) => assert!(error.to_string().contains(want), "{error}"),
                (got, want) => panic!("{steps:?}: got {got:?}, want {want:?}"),
            }
        }
        let long = "x".repeat(MAX_ROLLBACK_STEPS_CHARS + 1);
        assert_eq!(
            RollbackPlanInput::parse(&long, "", true),
            Err(RollbackPlanError::Steps)
        );
    }
}
