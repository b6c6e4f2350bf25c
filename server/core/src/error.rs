use crate::policy::Denied;
use crate::store::StoreError;

/// The errors a service command can return. Adapters map them to HTTP statuses or UI messages;
/// `Store` and `Internal` details are logged by the adapter and never shown to the client.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("sign-in required")]
    Unauthenticated,
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{field}: {problem}")]
    Invalid {
        /// The part of the request, e.g. `title` or `variants[2].name`.
        field: std::borrow::Cow<'static, str>,
        problem: String,
    },
    /// Refused by policy, with the reason in the user's words (separation of duties, a role
    /// not held).
    #[error("{0}")]
    Refused(String),
    /// Content with constructs outside the allow-list, each named.
    #[error("content: {} not allowed: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NotAllowed(Vec<crate::domain::Violation>),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The action needs a more recent sign-in; the message says which and how recent.
    #[error("{0}")]
    ReauthRequired(String),
    /// The caller's access token stopped working while its request was handled (revoked,
    /// suspended, or its workflow changed); the reason as a token check gives it.
    #[error("{0}")]
    TokenEnded(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CoreError {
    pub fn invalid(
        field: impl Into<std::borrow::Cow<'static, str>>,
        problem: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
