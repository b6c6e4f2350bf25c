//! Who calls: each role, two roles, no role, a stale sign-in, an identity's token for each step
//! kind an identity can perform, an expired and a revoked token, an auditor's machine token,
//! and nobody.

use axum::http::{header, request::Builder};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Principal {
    Nobody,
    Approver,
    Legal,
    SecurityAdmin,
    /// A security admin signed in longer ago than the re-authentication window.
    StaleAdmin,
    Auditor,
    TwoRoles,
    NoRole,
    /// A service account's token for a `read_customer_data` step.
    ReadToken,
    /// An agent's token for a `draft_content` step.
    DraftToken,
    /// A service account's token for an `other` step that records consent.
    OtherStepToken,
    ExpiredToken,
    /// A token ended by its identity's secret rotation.
    RevokedToken,
    /// An auditor's tool with the read-only machine token a security admin issued it.
    AuditorToken,
}

impl Principal {
    pub const ALL: [Principal; 14] = [
        Principal::Nobody,
        Principal::Approver,
        Principal::Legal,
        Principal::SecurityAdmin,
        Principal::StaleAdmin,
        Principal::Auditor,
        Principal::TwoRoles,
        Principal::NoRole,
        Principal::ReadToken,
        Principal::DraftToken,
        Principal::OtherStepToken,
        Principal::ExpiredToken,
        Principal::RevokedToken,
        Principal::AuditorToken,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Principal::Nobody => "nobody",
            Principal::Approver => "approver",
            Principal::Legal => "legal",
            Principal::SecurityAdmin => "security_admin",
            Principal::StaleAdmin => "stale_admin",
            Principal::Auditor => "auditor",
            Principal::TwoRoles => "two_roles",
            Principal::NoRole => "no_role",
            Principal::ReadToken => "read_token",
            Principal::DraftToken => "draft_token",
            Principal::OtherStepToken => "other_step_token",
            Principal::ExpiredToken => "expired_token",
            Principal::RevokedToken => "revoked_token",
            Principal::AuditorToken => "auditor_token",
        }
    }

    pub fn parse(label: &str) -> Option<Principal> {
        Principal::ALL.into_iter().find(|p| p.label() == label)
    }
}

/// What a principal presents.
#[derive(Debug, Clone)]
pub enum Credential {
    None,
    /// A browser session (`name=value`).
    Cookie(String),
    Bearer(String),
}

impl Credential {
    pub fn apply(&self, request: Builder) -> Builder {
        match self {
            Credential::None => request,
            Credential::Cookie(cookie) => request.header(header::COOKIE, cookie),
            Credential::Bearer(token) => {
                request.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
        }
    }
}
