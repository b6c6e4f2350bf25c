//! Delegation while away: an approver or legal reviewer hands their role's review work to a
//! colleague holding the same role, for a bounded period. The rules that need no database are
//! here; who holds which role and what overlaps is checked by the service in its transaction.

use super::{HumanId, Role};
use chrono::{DateTime, Duration, Utc};

/// The longest one away period may be.
pub const MAX_AWAY_DAYS: i64 = 90;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegation {
    pub id: String,
    pub principal: HumanId,
    pub principal_name: String,
    pub delegate: HumanId,
    pub delegate_name: String,
    pub role: Role,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: String,
    /// When it was ended early.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Delegation {
    /// In force at `at`: begun, not over, not ended early.
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.starts_at <= at && at < self.ends_at && self.ended_at.is_none_or(|e| at < e)
    }

    /// Whether its period meets `[from, until)` (ended ones no longer count).
    pub fn overlaps(&self, from: DateTime<Utc>, until: DateTime<Utc>) -> bool {
        let end = self.ended_at.map_or(self.ends_at, |e| e.min(self.ends_at));
        self.starts_at < until && from < end
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DelegationError {
    #[error("only approver and legal reviewer work is delegated")]
    NotDelegable,
    #[error("the period must end after it starts")]
    EmptyPeriod,
    #[error("the period may not start in the past")]
    StartsInThePast,
    #[error("at most {MAX_AWAY_DAYS} days at a time")]
    TooLong,
    #[error("you cannot delegate to yourself")]
    ToOneself,
    #[error("a reason of 3 to 200 characters is required")]
    BadReason,
}

/// The checks a new away period passes before anything is read.
pub fn check_period(
    principal: HumanId,
    delegate: HumanId,
    role: Role,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<String, DelegationError> {
    if !matches!(role, Role::Approver | Role::Legal) {
        return Err(DelegationError::NotDelegable);
    }
    if principal == delegate {
        return Err(DelegationError::ToOneself);
    }
    if until <= from {
        return Err(DelegationError::EmptyPeriod);
    }
    // A minute's grace: "from now" typed a moment ago is not in the past.
    if from < now - Duration::minutes(1) {
        return Err(DelegationError::StartsInThePast);
    }
    if until - from > Duration::days(MAX_AWAY_DAYS) {
        return Err(DelegationError::TooLong);
    }
    let reason = reason.trim();
    if !(3..=200).contains(&reason.chars().count()) {
        return Err(DelegationError::BadReason);
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_are_bounded_forward_and_to_someone_else() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 3, 9, 0, 0)
            .single()
            .unwrap_or_default();
        let (dana, kim) = (HumanId::new(), HumanId::new());
        let day = Duration::days(1);
        let ok = |role, from, until, reason: &str| {
            check_period(dana, kim, role, from, until, reason, now)
        };
        assert_eq!(
            ok(Role::Approver, now, now + day, " Holiday "),
            Ok("Holiday".to_owned())
        );
        assert_eq!(
            ok(Role::Legal, now + day, now + day * 2, "Conference"),
            Ok("Conference".to_owned())
        );
        for (role, from, until, reason, error) in [
            (
                Role::Auditor,
                now,
                now + day,
                "Holiday",
                DelegationError::NotDelegable,
            ),
            (
                Role::SecurityAdmin,
                now,
                now + day,
                "Holiday",
                DelegationError::NotDelegable,
            ),
            (
                Role::Approver,
                now + day,
                now + day,
                "Holiday",
                DelegationError::EmptyPeriod,
            ),
            (
                Role::Approver,
                now - day,
                now + day,
                "Holiday",
                DelegationError::StartsInThePast,
            ),
            (
                Role::Approver,
                now,
                now + day * 91,
                "Holiday",
                DelegationError::TooLong,
            ),
            (
                Role::Approver,
                now,
                now + day,
                " x ",
                DelegationError::BadReason,
            ),
        ] {
            assert_eq!(ok(role, from, until, reason), Err(error));
        }
        assert_eq!(
            check_period(dana, dana, Role::Approver, now, now + day, "Holiday", now),
            Err(DelegationError::ToOneself)
        );
    }

    #[test]
    fn a_delegation_is_active_in_its_period_until_ended() {
        let t = |h| {
            Utc.with_ymd_and_hms(2026, 12, 3, h, 0, 0)
                .single()
                .unwrap_or_default()
        };
        let mut d = Delegation {
            id: "d".into(),
            principal: HumanId::new(),
            principal_name: "Dana".into(),
            delegate: HumanId::new(),
            delegate_name: "Kim".into(),
            role: Role::Approver,
            starts_at: t(9),
            ends_at: t(17),
            reason: "Holiday".into(),
            ended_at: None,
        };
        assert!(
            !d.active_at(t(8)) && d.active_at(t(9)) && d.active_at(t(16)) && !d.active_at(t(17))
        );
        assert!(d.overlaps(t(16), t(18)) && !d.overlaps(t(17), t(18)));
        d.ended_at = Some(t(12));
        assert!(!d.active_at(t(13)) && !d.overlaps(t(13), t(18)));
    }
}
