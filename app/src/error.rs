use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Errors a page can show. Internal details never reach the browser: the server logs them and
/// sends `Unavailable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum UiError {
    #[error("Your session has ended. Sign in again to continue.")]
    SignInRequired,
    #[error("You do not have access to this. {0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("Not found: {0}")]
    NotFound(String),
    /// A dangerous action needs a fresher sign-in; the page offers one.
    #[error("{0}.")]
    ReauthRequired(String),
    #[error("Countersign could not complete this request. It has been logged; please try again.")]
    Unavailable,
    #[error("The request could not be sent or read: {0}")]
    Transport(String),
}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        UiError::Transport(value.to_string())
    }
}

/// Sets the response status for a refusal made in an adapter (bad input, no access), so that it
/// is not reported as a server error, and returns it.
#[cfg(feature = "ssr")]
pub fn refuse(error: UiError) -> UiError {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    error
}

#[cfg(feature = "ssr")]
impl UiError {
    /// The HTTP status that goes with this error.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            UiError::SignInRequired => StatusCode::UNAUTHORIZED,
            UiError::Forbidden(_) | UiError::ReauthRequired(_) => StatusCode::FORBIDDEN,
            UiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            UiError::NotFound(_) => StatusCode::NOT_FOUND,
            UiError::Unavailable => StatusCode::INTERNAL_SERVER_ERROR,
            UiError::Transport(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// Maps a core error for the browser, logging what must not be shown, and sets the
    /// response's status to match (a refusal is not a server error).
    pub fn from_core(error: countersign_core::CoreError, actor: &countersign_core::Actor) -> Self {
        let ui = Self::map_core(error, actor);
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(ui.status());
        }
        ui
    }

    fn map_core(error: countersign_core::CoreError, actor: &countersign_core::Actor) -> Self {
        use countersign_core::{Actor, CoreError};
        match error {
            CoreError::Unauthenticated | CoreError::TokenEnded(_) => UiError::SignInRequired,
            CoreError::Denied(_) if matches!(actor, Actor::Anonymous) => UiError::SignInRequired,
            CoreError::Denied(denied) => UiError::Forbidden(format!(
                "Your roles do not allow “{}”.",
                denied.action.replace('_', " ")
            )),
            CoreError::Invalid { field, problem } => {
                UiError::Invalid(format!("{field}: {problem}"))
            }
            CoreError::Refused(reason) => UiError::Forbidden(reason),
            error @ CoreError::NotAllowed(_) => UiError::Invalid(error.to_string()),
            CoreError::NotFound(what) => UiError::NotFound(what.to_owned()),
            CoreError::Conflict(message) => UiError::Invalid(message),
            CoreError::ReauthRequired(message) => UiError::ReauthRequired(message),
            CoreError::Store(e) => {
                tracing::error!(error = %e, "request failed in the store");
                UiError::Unavailable
            }
        }
    }
}
