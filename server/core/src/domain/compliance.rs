//! The framework map: a catalogue of controls (data, `compliance/catalogue.json`), the facts
//! Countersign measures live, and how each control's status follows from its facts. Pure: the
//! service gathers the facts, this judges them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub about: String,
    pub frameworks: Vec<Framework>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    pub id: String,
    pub title: String,
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub id: String,
    pub title: String,
    /// What Countersign does for it.
    pub mechanisms: Vec<String>,
    /// The live facts its status is computed from; none: addressed by design.
    pub facts: Vec<FactId>,
}

/// What Countersign measures now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactId {
    OrphanedIdentities,
    ExpiringIdentities,
    UnusedIdentities,
    StaleClientSecrets,
    OverprivilegedIdentities,
    TokenLifetime,
    HastyApprovals,
    FailedDrills,
    WideningsAwaitingReview,
    GateBypassSignals,
    PrivilegeAbuseSignals,
    LedgerCheckpoint,
}

impl FactId {
    pub fn as_str(self) -> &'static str {
        match self {
            FactId::OrphanedIdentities => "orphaned_identities",
            FactId::ExpiringIdentities => "expiring_identities",
            FactId::UnusedIdentities => "unused_identities",
            FactId::StaleClientSecrets => "stale_client_secrets",
            FactId::OverprivilegedIdentities => "overprivileged_identities",
            FactId::TokenLifetime => "token_lifetime",
            FactId::HastyApprovals => "hasty_approvals",
            FactId::FailedDrills => "failed_drills",
            FactId::WideningsAwaitingReview => "widenings_awaiting_review",
            FactId::GateBypassSignals => "gate_bypass_signals",
            FactId::PrivilegeAbuseSignals => "privilege_abuse_signals",
            FactId::LedgerCheckpoint => "ledger_checkpoint",
        }
    }
}

/// Worst last: a control takes the worst status of its facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No live fact: the control is addressed by how Countersign works.
    ByDesign,
    Met,
    Attention,
    NotMet,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::ByDesign => "by_design",
            Status::Met => "met",
            Status::Attention => "attention",
            Status::NotMet => "not_met",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::ByDesign => "By design",
            Status::Met => "Met",
            Status::Attention => "Needs attention",
            Status::NotMet => "Not met",
        }
    }
}

/// The raw measurements, gathered by the service (scoped to a workflow or console-wide).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measurements {
    pub orphaned: Vec<String>,
    /// Within 14 days.
    pub expiring: Vec<String>,
    /// Not used for 90 days.
    pub unused: Vec<String>,
    /// Client secrets older than 90 days.
    pub stale_secrets: Vec<String>,
    /// Identity and the granted fields it was not allowed in any decision for 90 days.
    pub overprivileged: Vec<(String, Vec<String>)>,
    pub token_lifetime_secs: i64,
    /// Approvals faster than the content's length allows, in 30 days.
    pub hasty_approvals: usize,
    /// "workflow: system (why)" for active workflows whose system's drill failed, is missing or
    /// is older than the drill period.
    pub failed_drills: Vec<String>,
    pub widenings: Vec<String>,
    /// In 30 days.
    pub gate_bypass_signals: i64,
    pub privilege_abuse_signals: i64,
    pub log_key: bool,
    /// Events in the ledger, and the latest checkpoint's size and age in seconds.
    pub events: i64,
    pub checkpoint: Option<(u64, i64)>,
}

/// One fact as shown: its status, a sentence, the names behind it and where to look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub id: FactId,
    pub status: Status,
    pub summary: String,
    pub items: Vec<String>,
    pub link: &'static str,
}

fn listed(
    id: FactId,
    items: Vec<String>,
    when_any: Status,
    link: &'static str,
    none: &str,
    some: &str,
) -> Fact {
    let (status, summary) = if items.is_empty() {
        (Status::Met, none.to_owned())
    } else {
        (when_any, format!("{some}: {}", items.len()))
    };
    Fact {
        id,
        status,
        summary,
        items,
        link,
    }
}

fn counted(id: FactId, count: i64, when_any: Status, link: &'static str, what: &str) -> Fact {
    Fact {
        id,
        status: if count == 0 { Status::Met } else { when_any },
        summary: format!("{what} in the last 30 days: {count}"),
        items: Vec::new(),
        link,
    }
}

/// Judges the measurements: one fact per id.
pub fn judge(m: &Measurements) -> BTreeMap<FactId, Fact> {
    let mut facts = vec![
        listed(
            FactId::OrphanedIdentities,
            m.orphaned.clone(),
            Status::NotMet,
            "/identities?orphaned=1",
            "Every identity has an active human owner",
            "Identities without an active owner (0 expected)",
        ),
        listed(
            FactId::ExpiringIdentities,
            m.expiring.clone(),
            Status::Attention,
            "/identities?expiring=1",
            "No identity expires within 14 days",
            "Identities expiring within 14 days",
        ),
        listed(
            FactId::UnusedIdentities,
            m.unused.clone(),
            Status::Attention,
            "/identities?unused=1",
            "Every identity was used in the last 90 days",
            "Identities unused for 90 days",
        ),
        listed(
            FactId::StaleClientSecrets,
            m.stale_secrets.clone(),
            Status::Attention,
            "/identities",
            "Every client secret is younger than the 90-day rotation period",
            "Client secrets older than 90 days",
        ),
        listed(
            FactId::OverprivilegedIdentities,
            m.overprivileged
                .iter()
                .map(|(who, fields)| format!("{who}: {}", fields.join(", ")))
                .collect(),
            Status::Attention,
            "/workflows",
            "Every granted field was used in the last 90 days",
            "Identities with grants wider than what they used in 90 days",
        ),
        listed(
            FactId::FailedDrills,
            m.failed_drills.clone(),
            Status::NotMet,
            "/workflows",
            "Every active workflow's systems passed a revocation drill within the drill period",
            "Systems of active workflows with a failed, missing or overdue drill",
        ),
        listed(
            FactId::WideningsAwaitingReview,
            m.widenings.clone(),
            Status::Attention,
            "/workflows",
            "No widened grant waits for review",
            "Workflows stopped by a widening awaiting review",
        ),
        counted(
            FactId::HastyApprovals,
            m.hasty_approvals as i64,
            Status::Attention,
            "/review-quality",
            "Approvals faster than the content's length allows",
        ),
        counted(
            FactId::GateBypassSignals,
            m.gate_bypass_signals,
            Status::NotMet,
            "/audit",
            "Publications refused for lack of an approval",
        ),
        counted(
            FactId::PrivilegeAbuseSignals,
            m.privilege_abuse_signals,
            Status::Attention,
            "/audit",
            "Identity requests refused as possible privilege abuse",
        ),
    ];
    let minutes = m.token_lifetime_secs / 60;
    facts.push(Fact {
        id: FactId::TokenLifetime,
        status: if m.token_lifetime_secs <= crate::credentials::MAX_TOKEN_LIFETIME_SECS {
            Status::Met
        } else {
            Status::NotMet
        },
        summary: format!("Access tokens live {minutes} minutes (at most 15)"),
        items: Vec::new(),
        link: "/identities",
    });
    let (status, summary) = match (m.log_key, m.checkpoint) {
        (false, _) => (
            Status::NotMet,
            "No log key: the ledger's checkpoints are not signed".to_owned(),
        ),
        (true, None) => (Status::Attention, "No checkpoint signed yet".to_owned()),
        (true, Some((size, age))) if age > 86_400 && (size as i64) < m.events => (
            Status::Attention,
            format!(
                "The latest checkpoint ({size} of {} events) is over a day old",
                m.events
            ),
        ),
        (true, Some((size, _))) => (
            Status::Met,
            format!(
                "The latest signed checkpoint covers {size} of {} events",
                m.events
            ),
        ),
    };
    facts.push(Fact {
        id: FactId::LedgerCheckpoint,
        status,
        summary,
        items: Vec::new(),
        link: "/audit",
    });
    facts.into_iter().map(|f| (f.id, f)).collect()
}

/// The catalogue shipped with this build.
pub fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        serde_json::from_str(include_str!("../../compliance/catalogue.json")).unwrap_or_else(|e| {
            Catalogue {
                about: format!("the catalogue does not parse: {e}"),
                frameworks: Vec::new(),
            }
        })
    })
}

/// A control's status: the worst of its facts, or by design when it has none.
pub fn control_status(control: &Control, facts: &BTreeMap<FactId, Fact>) -> Status {
    control
        .facts
        .iter()
        .filter_map(|id| facts.get(id).map(|f| f.status))
        .max()
        .unwrap_or(Status::ByDesign)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn healthy() -> Measurements {
        Measurements {
            token_lifetime_secs: 900,
            log_key: true,
            events: 10,
            checkpoint: Some((10, 30)),
            ..Measurements::default()
        }
    }

    #[test]
    fn the_catalogue_parses_and_names_every_framework_the_issue_lists() {
        let catalogue = catalogue();
        let ids: Vec<&str> = catalogue.frameworks.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "owasp-asi-2026",
                "owasp-nhi-2025",
                "csa-maestro",
                "nist-ai-rmf",
                "nist-csf-2"
            ]
        );
        let count = |id: &str| {
            catalogue
                .frameworks
                .iter()
                .find(|f| f.id == id)
                .unwrap()
                .controls
                .len()
        };
        assert_eq!(
            (
                count("owasp-asi-2026"),
                count("owasp-nhi-2025"),
                count("csa-maestro")
            ),
            (10, 10, 7)
        );
        assert_eq!((count("nist-ai-rmf"), count("nist-csf-2")), (4, 9));
        for framework in &catalogue.frameworks {
            for control in &framework.controls {
                assert!(!control.mechanisms.is_empty(), "{}", control.id);
            }
        }
    }

    /// Each row: what changed from a healthy console, the fact, and the status expected.
    #[test]
    fn statuses_follow_from_the_facts() {
        type Edit = fn(&mut Measurements);
        let rows: [(&str, Edit, FactId, Status); 14] = [
            ("healthy", |_| {}, FactId::OrphanedIdentities, Status::Met),
            (
                "an orphan",
                |m| m.orphaned = vec!["agent-1".into()],
                FactId::OrphanedIdentities,
                Status::NotMet,
            ),
            (
                "expiring soon",
                |m| m.expiring = vec!["agent-1".into()],
                FactId::ExpiringIdentities,
                Status::Attention,
            ),
            (
                "unused",
                |m| m.unused = vec!["agent-1".into()],
                FactId::UnusedIdentities,
                Status::Attention,
            ),
            (
                "old secret",
                |m| m.stale_secrets = vec!["agent-1".into()],
                FactId::StaleClientSecrets,
                Status::Attention,
            ),
            (
                "wide grant",
                |m| m.overprivileged = vec![("agent-1".into(), vec!["email".into()])],
                FactId::OverprivilegedIdentities,
                Status::Attention,
            ),
            (
                "long tokens",
                |m| m.token_lifetime_secs = 3600,
                FactId::TokenLifetime,
                Status::NotMet,
            ),
            (
                "hasty",
                |m| m.hasty_approvals = 2,
                FactId::HastyApprovals,
                Status::Attention,
            ),
            (
                "failed drill",
                |m| m.failed_drills = vec!["wf: crm (failed)".into()],
                FactId::FailedDrills,
                Status::NotMet,
            ),
            (
                "widening",
                |m| m.widenings = vec!["wf".into()],
                FactId::WideningsAwaitingReview,
                Status::Attention,
            ),
            (
                "bypass",
                |m| m.gate_bypass_signals = 1,
                FactId::GateBypassSignals,
                Status::NotMet,
            ),
            (
                "abuse",
                |m| m.privilege_abuse_signals = 3,
                FactId::PrivilegeAbuseSignals,
                Status::Attention,
            ),
            (
                "no key",
                |m| m.log_key = false,
                FactId::LedgerCheckpoint,
                Status::NotMet,
            ),
            (
                "stale checkpoint",
                |m| m.checkpoint = Some((5, 100_000)),
                FactId::LedgerCheckpoint,
                Status::Attention,
            ),
        ];
        for (why, edit, fact, expected) in rows {
            let mut m = healthy();
            edit(&mut m);
            let facts = judge(&m);
            assert_eq!(facts[&fact].status, expected, "{why}");
        }
        // A control takes its worst fact; one with none is by design.
        let facts = judge(&Measurements {
            orphaned: vec!["a".into()],
            ..healthy()
        });
        let nhi1 = &catalogue().frameworks[1].controls[0];
        assert_eq!(control_status(nhi1, &facts), Status::NotMet);
        let asi05 = &catalogue().frameworks[0].controls[4];
        assert_eq!(control_status(asi05, &facts), Status::ByDesign);
        assert_eq!(
            judge(&healthy())
                .values()
                .filter(|f| f.status != Status::Met)
                .count(),
            0
        );
    }
}
