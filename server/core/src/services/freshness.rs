//! Dangerous actions (the kill switch, secret rotation, owner changes, who may publish where)
//! need a sign-in no older than the re-authentication window: a session left open on an
//! unattended laptop can read, but not do these. The time of the sign-in that allowed it is
//! recorded with the action.

use super::Services;
use crate::actor::Actor;
use crate::error::{CoreError, CoreResult};

/// What needs a recent sign-in, in the words a refusal uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitive {
    KillSwitch,
    ClientSecretRotation,
    SystemSecretRotation,
    OwnerChange,
    ContentHosts,
    PersonActivation,
    PersonLink,
    WideningReview,
    AuditorToken,
    DirectoryToken,
}

impl Sensitive {
    fn describe(self) -> &'static str {
        match self {
            Sensitive::KillSwitch => "Revoking a workflow",
            Sensitive::ClientSecretRotation => "Issuing a new client secret",
            Sensitive::SystemSecretRotation => "Rotating a system's signing secret",
            Sensitive::OwnerChange => "Changing an identity's owners",
            Sensitive::ContentHosts => "Changing where content may link",
            Sensitive::PersonActivation => "Deactivating or reactivating a person",
            Sensitive::PersonLink => "Linking a sign-in to a pre-registered person",
            Sensitive::WideningReview => "Reviewing a widened grant",
            Sensitive::AuditorToken => "Issuing a token for an auditor's tool",
            Sensitive::DirectoryToken => "Creating or rotating the directory's token",
        }
    }
}

impl Services {
    /// Refuses `what` unless `actor` signed in (or re-authenticated) within the window; returns
    /// when they did, for the ledger. Only people do these things; anyone else is refused by
    /// policy before this is asked.
    pub(super) fn require_recent_sign_in(&self, actor: &Actor, what: Sensitive) -> CoreResult<i64> {
        let window = self.settings.reauth_window;
        let at = match actor {
            Actor::Human {
                authenticated_at_ms: Some(at),
                ..
            } => *at,
            _ => i64::MIN,
        };
        let age_ms = self.now_ms().saturating_sub(at);
        if age_ms > window.num_milliseconds() || age_ms < -60_000 {
            let within = if window.num_seconds() < 120 {
                format!("{} seconds", window.num_seconds())
            } else {
                format!("{} minutes", window.num_minutes())
            };
            return Err(CoreError::ReauthRequired(format!(
                "{} needs a sign-in within the last {within}; confirm it is you by signing in again",
                what.describe(),
            )));
        }
        Ok(at)
    }
}
