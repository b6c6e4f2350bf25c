//! `POST /api/v1/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4). Form-encoded;
//! the client authenticates with HTTP Basic or with `client_id`/`client_secret` in the body (not
//! both); `scope=step:<id>` names the one step the token is for. Errors are RFC 6749 §5.2 JSON.

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use countersign_core::credentials::canonical_client_id;
use countersign_core::services::{CredentialError, Limit, RetryAfter};

/// The form of a token request (RFC 6749 §4.4.2); the client may authenticate with HTTP Basic
/// instead of `client_id` and `client_secret`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct TokenForm {
    /// Always `client_credentials`.
    grant_type: String,
    /// The identity's id (shown with its secret when it was registered).
    client_id: Option<String>,
    client_secret: Option<String>,
    /// `step:<step id>`: the one step the token is for.
    scope: String,
}

/// A token response (RFC 6749 §5.1).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds, at most 900.
    pub expires_in: i64,
    pub scope: String,
}

/// An error response (RFC 6749 §5.2); `rate_limited` comes with 429 and `Retry-After`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OAuthErrorBody {
    /// `invalid_request`, `invalid_client`, `unauthorized_client`, `unsupported_grant_type`,
    /// `invalid_scope`, `rate_limited`, `temporarily_unavailable` or `server_error`.
    pub error: String,
    pub error_description: String,
}

struct OAuthError {
    status: StatusCode,
    code: &'static str,
    description: String,
    retry_after: Option<u64>,
}

impl OAuthError {
    fn new(code: &'static str, description: impl Into<String>) -> Self {
        let status = match code {
            "invalid_client" => StatusCode::UNAUTHORIZED,
            "server_error" => StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            code,
            description: description.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = OAuthErrorBody {
            error: self.code.to_owned(),
            error_description: self.description,
        };
        let mut response = (self.status, no_store(), axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"countersign\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// One form-encoded value, decoded (RFC 6749 §2.3.1 encodes Basic credentials this way too).
fn form_decode(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `(client_id, client_secret)` from the Authorization header, if it carries Basic credentials.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || {
        OAuthError::new(
            "invalid_client",
            "the Authorization header is not valid HTTP Basic credentials",
        )
    };
    let value = value.to_str().map_err(|_| bad())?;
    let Some(encoded) = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
    else {
        return Err(bad());
    };
    let decoded = B64.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    Ok(Some((form_decode(id), form_decode(secret))))
}

/// Exchange an identity's client credentials for a short-lived token bound to one step.
#[utoipa::path(
    post,
    path = "/api/v1/token",
    tag = "credentials",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("basic" = [])),
    responses(
        (status = 200, description = "A bearer token for the step", body = TokenResponse),
        (status = 400, description = "invalid_request, unauthorized_client, unsupported_grant_type or invalid_scope", body = OAuthErrorBody),
        (status = 401, description = "invalid_client", body = OAuthErrorBody),
        (status = 429, description = "rate_limited, with Retry-After", body = OAuthErrorBody),
        (status = 503, description = "temporarily_unavailable, with Retry-After", body = OAuthErrorBody),
    )
)]
pub async fn issue(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form_encoded {
        return Err(OAuthError::new(
            "invalid_request",
            "send the request as application/x-www-form-urlencoded",
        ));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(body) {
        if params.iter().any(|(k, _)| *k == key) {
            return Err(OAuthError::new(
                "invalid_request",
                format!("parameter `{key}` appears more than once"),
            ));
        }
        params.push((key.into_owned(), value.into_owned()));
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match param("grant_type") {
        None => {
            return Err(OAuthError::new(
                "invalid_request",
                "grant_type is required (grant_type=client_credentials)",
            ))
        }
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::new(
                "unsupported_grant_type",
                format!(
                    "only client_credentials is supported, not `{}`",
                    other.chars().take(40).collect::<String>()
                ),
            ))
        }
    }
    let body_credentials = match (param("client_id"), param("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
        (None, None) => None,
        _ => {
            return Err(OAuthError::new(
                "invalid_request",
                "client_id and client_secret go together",
            ))
        }
    };
    let (client_id, client_secret) =
        match (basic_credentials(headers)?, body_credentials) {
            (Some(_), Some(_)) => {
                return Err(OAuthError::new(
                    "invalid_request",
                    "authenticate with HTTP Basic or with the body, not both",
                ))
            }
            (Some(credentials), None) | (None, Some(credentials)) => credentials,
            (None, None) => return Err(OAuthError::new(
                "invalid_client",
                "client authentication is required (HTTP Basic, or client_id and client_secret)",
            )),
        };
    // One spelling per client before the limit and any lookup: the same id written another
    // way must count against the same limit. Not an id at all: refused without a lookup.
    let Some(client_id) = canonical_client_id(client_id.trim()) else {
        return Err(OAuthError::new(
            "invalid_client",
            "client authentication failed",
        ));
    };
    match state
        .services
        .throttle(Limit::TokenRequests, &client_id)
        .await
    {
        Ok(Ok(())) => {}
        Ok(Err(RetryAfter(seconds))) => {
            let mut error = OAuthError::new(
                "rate_limited",
                format!("too many token requests for this client; retry after {seconds} seconds"),
            );
            error.status = StatusCode::TOO_MANY_REQUESTS;
            error.retry_after = Some(seconds);
            return Err(error);
        }
        Err(error) => {
            tracing::error!(%error, "counting a token request failed");
            return Err(OAuthError::new(
                "server_error",
                "something went wrong on our side; try again",
            ));
        }
    }

    let issued = state
        .services
        .issue_token(&client_id, &client_secret, param("scope"))
        .await
        .map_err(|error| match error {
            CredentialError::InvalidClient => {
                OAuthError::new("invalid_client", "client authentication failed")
            }
            CredentialError::UnauthorizedClient(why) => OAuthError::new("unauthorized_client", why),
            CredentialError::InvalidScope(why) => OAuthError::new("invalid_scope", why),
            CredentialError::InvalidToken(why) => OAuthError::new("invalid_request", why),
            CredentialError::Busy => {
                let mut error = OAuthError::new(
                    "temporarily_unavailable",
                    "the console is busy verifying credentials; retry in a few seconds",
                );
                error.status = StatusCode::SERVICE_UNAVAILABLE;
                error.retry_after = Some(2);
                error
            }
            CredentialError::Store(error) => {
                tracing::error!(%error, "token request failed");
                OAuthError::new(
                    "server_error",
                    "something went wrong on our side; try again",
                )
            }
        })?;
    let body = TokenResponse {
        access_token: issued.access_token.0,
        token_type: "Bearer".to_owned(),
        expires_in: issued.expires_in,
        scope: issued.scope,
    };
    Ok((StatusCode::OK, no_store(), axum::Json(body)).into_response())
}
