//! The consent ledger: per customer subject (an opaque id from the CRM) and purpose, the legal
//! basis for using their data, granted and withdrawn over time. Records are only ever added; the
//! standing of a subject for a purpose is the newest event, so a withdrawal wins over any older
//! grant and a newer grant wins over an older withdrawal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConsentError {
    #[error("subject must be 1 to 128 characters of letters, digits and - _ . : @ (the CRM's id)")]
    BadSubject,
    #[error("purpose must be 1 to 60 characters of a-z, 0-9 and '_' (e.g. spring_offer)")]
    BadPurpose,
    #[error("unknown legal basis `{0}` (expected consent, contract, legal_obligation, vital_interests, public_task or legitimate_interests)")]
    UnknownBasis(String),
    #[error("source must be 1 to 200 characters")]
    BadSource,
    #[error("give granted_at, withdrawn_at or both")]
    NoEvent,
    #[error("withdrawn_at is before granted_at")]
    WithdrawnBeforeGranted,
    #[error("{0} is in the future")]
    InTheFuture(&'static str),
}

/// GDPR art. 6(1) lawful bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterests,
    PublicTask,
    LegitimateInterests,
}

impl LegalBasis {
    pub const ALL: [LegalBasis; 6] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegalObligation,
        LegalBasis::VitalInterests,
        LegalBasis::PublicTask,
        LegalBasis::LegitimateInterests,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LegalBasis::Consent => "consent",
            LegalBasis::Contract => "contract",
            LegalBasis::LegalObligation => "legal_obligation",
            LegalBasis::VitalInterests => "vital_interests",
            LegalBasis::PublicTask => "public_task",
            LegalBasis::LegitimateInterests => "legitimate_interests",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ConsentError> {
        Self::ALL
            .into_iter()
            .find(|b| b.as_str() == raw)
            .ok_or_else(|| ConsentError::UnknownBasis(raw.chars().take(40).collect()))
    }
}

impl fmt::Display for LegalBasis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A customer's id in the CRM: opaque to Countersign, never a name or an email by design of the
/// caller, bounded and restricted to id-like characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Subject(String);

impl Subject {
    pub fn parse(raw: &str) -> Result<Self, ConsentError> {
        Self::checked(raw).map(|subject| Self(subject.to_owned()))
    }

    /// The subject id `raw` names, trimmed, without copying it.
    pub fn checked(raw: &str) -> Result<&str, ConsentError> {
        let raw = raw.trim();
        let ok = !raw.is_empty()
            && raw.len() <= 128
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@".contains(c));
        if ok {
            Ok(raw)
        } else {
            Err(ConsentError::BadSubject)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A processing purpose's machine name, as grants name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PurposeName(String);

impl PurposeName {
    pub fn parse(raw: &str) -> Result<Self, ConsentError> {
        let raw = raw.trim();
        let ok = !raw.is_empty()
            && raw.len() <= 60
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ConsentError::BadPurpose)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One consent record as loaded: a grant, a withdrawal, or a grant later withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub subject: Subject,
    pub purpose: PurposeName,
    pub basis: LegalBasis,
    pub granted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub source: String,
}

impl ConsentRecord {
    /// Checks a record as it arrives (API batch or CSV row).
    pub fn new(
        subject: &str,
        purpose: &str,
        basis: &str,
        granted_at: Option<DateTime<Utc>>,
        withdrawn_at: Option<DateTime<Utc>>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, ConsentError> {
        let source = source.trim();
        if source.is_empty() || source.chars().count() > 200 {
            return Err(ConsentError::BadSource);
        }
        match (granted_at, withdrawn_at) {
            (None, None) => return Err(ConsentError::NoEvent),
            (Some(g), Some(w)) if w < g => return Err(ConsentError::WithdrawnBeforeGranted),
            _ => {}
        }
        if granted_at.is_some_and(|g| g > now) {
            return Err(ConsentError::InTheFuture("granted_at"));
        }
        if withdrawn_at.is_some_and(|w| w > now) {
            return Err(ConsentError::InTheFuture("withdrawn_at"));
        }
        Ok(Self {
            subject: Subject::parse(subject)?,
            purpose: PurposeName::parse(purpose)?,
            basis: LegalBasis::parse(basis.trim())?,
            granted_at,
            withdrawn_at,
            source: source.to_owned(),
        })
    }
}

/// Where a subject stands for one purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Allowed(LegalBasis),
    /// Nothing is known about the subject at all.
    NoConsent,
    /// The newest event for this purpose is a withdrawal.
    Withdrawn,
    /// The subject has records, but none for this purpose.
    PurposeMismatch,
}

impl Standing {
    pub fn reason(self) -> Option<&'static str> {
        match self {
            Standing::Allowed(_) => None,
            Standing::NoConsent => Some("no_consent"),
            Standing::Withdrawn => Some("withdrawn"),
            Standing::PurposeMismatch => Some("purpose_mismatch"),
        }
    }
}

/// What the standing reads of one consent record: whether it is for the purpose asked, its
/// basis, and when it granted and withdrew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentEvent {
    pub for_purpose: bool,
    pub basis: LegalBasis,
    pub granted_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

impl ConsentRecord {
    /// This record as the standing for `purpose` reads it.
    pub fn event_for(&self, purpose: &PurposeName) -> ConsentEvent {
        ConsentEvent {
            for_purpose: &self.purpose == purpose,
            basis: self.basis,
            granted_at: self.granted_at,
            withdrawn_at: self.withdrawn_at,
        }
    }
}

/// The standing of one subject for `purpose`, from all of that subject's records.
pub fn standing<'a>(
    records: impl IntoIterator<Item = &'a ConsentRecord>,
    purpose: &PurposeName,
) -> Standing {
    standing_of(records.into_iter().map(|r| r.event_for(purpose)))
}

/// The standing of one subject from all of its records, each read for the purpose asked: the
/// newest event for the purpose decides (at the same instant a withdrawal wins); records for other
/// purposes only tell a mismatch from no consent at all.
pub fn standing_of(events: impl IntoIterator<Item = ConsentEvent>) -> Standing {
    let mut any = false;
    // (time, is_withdrawal, basis): at the same instant a withdrawal wins.
    let mut newest: Option<(DateTime<Utc>, bool, LegalBasis)> = None;
    for record in events {
        any = true;
        if !record.for_purpose {
            continue;
        }
        let events = [
            record.granted_at.map(|at| (at, false, record.basis)),
            record.withdrawn_at.map(|at| (at, true, record.basis)),
        ];
        for event in events.into_iter().flatten() {
            if newest.is_none_or(|n| (event.0, event.1) > (n.0, n.1)) {
                newest = Some(event);
            }
        }
    }
    match newest {
        Some((_, false, basis)) => Standing::Allowed(basis),
        Some((_, true, _)) => Standing::Withdrawn,
        None if any => Standing::PurposeMismatch,
        None => Standing::NoConsent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn at(days: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .map(|t| t.to_utc())
            .unwrap_or_default()
            + Duration::days(days)
    }

    fn record(
        purpose: &str,
        basis: &str,
        granted: Option<i64>,
        withdrawn: Option<i64>,
    ) -> ConsentRecord {
        ConsentRecord::new(
            "crm-1",
            purpose,
            basis,
            granted.map(at),
            withdrawn.map(at),
            "crm export",
            at(100),
        )
        .unwrap()
    }

    #[test]
    fn the_newest_event_decides_as_a_table() {
        let offer = PurposeName::parse("spring_offer").unwrap();
        let cases: Vec<(&str, Vec<ConsentRecord>, Standing)> = vec![
            ("nothing known", vec![], Standing::NoConsent),
            (
                "granted",
                vec![record("spring_offer", "consent", Some(1), None)],
                Standing::Allowed(LegalBasis::Consent),
            ),
            (
                "withdrawn after granted",
                vec![
                    record("spring_offer", "consent", Some(1), None),
                    record("spring_offer", "consent", None, Some(5)),
                ],
                Standing::Withdrawn,
            ),
            (
                "granted and withdrawn in one record",
                vec![record("spring_offer", "consent", Some(1), Some(2))],
                Standing::Withdrawn,
            ),
            (
                "granted again after a withdrawal",
                vec![
                    record("spring_offer", "consent", None, Some(5)),
                    record("spring_offer", "consent", Some(9), None),
                ],
                Standing::Allowed(LegalBasis::Consent),
            ),
            (
                "an older grant loaded later does not undo a withdrawal",
                vec![
                    record("spring_offer", "consent", None, Some(5)),
                    record("spring_offer", "consent", Some(3), None),
                ],
                Standing::Withdrawn,
            ),
            (
                "other purpose only",
                vec![record("newsletter", "consent", Some(1), None)],
                Standing::PurposeMismatch,
            ),
            (
                "contract basis",
                vec![record("spring_offer", "contract", Some(1), None)],
                Standing::Allowed(LegalBasis::Contract),
            ),
            (
                "same instant: the withdrawal wins",
                vec![
                    record("spring_offer", "consent", Some(4), None),
                    record("spring_offer", "consent", None, Some(4)),
                ],
                Standing::Withdrawn,
            ),
        ];
        for (case, records, expected) in cases {
            assert_eq!(standing(&records, &offer), expected, "{case}");
        }
    }

    #[test]
    fn records_are_checked_as_they_arrive() {
        let now = at(100);
        let bad: Vec<(ConsentError, Result<ConsentRecord, ConsentError>)> = vec![
            (
                ConsentError::BadSubject,
                ConsentRecord::new("", "p", "consent", Some(at(1)), None, "s", now),
            ),
            (
                ConsentError::BadSubject,
                ConsentRecord::new("jane doe", "p", "consent", Some(at(1)), None, "s", now),
            ),
            (
                ConsentError::BadPurpose,
                ConsentRecord::new("c1", "Spring Offer", "consent", Some(at(1)), None, "s", now),
            ),
            (
                ConsentError::UnknownBasis("vibes".into()),
                ConsentRecord::new("c1", "p", "vibes", Some(at(1)), None, "s", now),
            ),
            (
                ConsentError::NoEvent,
                ConsentRecord::new("c1", "p", "consent", None, None, "s", now),
            ),
            (
                ConsentError::WithdrawnBeforeGranted,
                ConsentRecord::new("c1", "p", "consent", Some(at(5)), Some(at(4)), "s", now),
            ),
            (
                ConsentError::InTheFuture("granted_at"),
                ConsentRecord::new("c1", "p", "consent", Some(at(101)), None, "s", now),
            ),
            (
                ConsentError::BadSource,
                ConsentRecord::new("c1", "p", "consent", Some(at(1)), None, " ", now),
            ),
        ];
        for (expected, got) in bad {
            assert_eq!(got.unwrap_err(), expected);
        }
    }
}
