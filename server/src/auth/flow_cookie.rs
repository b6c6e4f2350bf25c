//! A sign-in in progress (state, nonce, PKCE verifier, where to return) is kept in the browser,
//! sealed under the console's key, not in a stored session: starting a sign-in writes nothing to
//! the database, so an anonymous flood of sign-in starts cannot fill it. The cookie lives ten
//! minutes, is HttpOnly, and is cleared by the callback that uses it.

use super::oidc::LoginFlow;
use crate::state::AppState;
use axum::http::{header, HeaderMap, HeaderValue};
use tower_sessions::cookie::{Cookie, SameSite};

/// What the sealed value is bound to, so no other sealed value can stand in for it.
const BOUND_TO: &str = "countersign oidc flow v1";
/// Longer cookies are not ours; they are ignored before any decryption.
const MAX_SEALED: usize = 4096;

fn name(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        "__Host-countersign_flow"
    } else {
        "countersign_flow"
    }
}

fn cookie(state: &AppState, value: String, max_age: time::Duration) -> Option<HeaderValue> {
    let cookie = Cookie::build((name(state), value))
        .path("/")
        .http_only(true)
        // Lax: the IdP returns the browser with a top-level GET, which Lax cookies accompany.
        .same_site(SameSite::Lax)
        .secure(state.config.secure_cookies())
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// The `Set-Cookie` value that carries `flow`.
pub fn set(state: &AppState, flow: &LoginFlow) -> Option<HeaderValue> {
    let json = serde_json::to_string(flow).ok()?;
    cookie(
        state,
        state.flow_key.seal(&json, BOUND_TO),
        time::Duration::minutes(10),
    )
}

/// The `Set-Cookie` value that removes the flow cookie.
pub fn clear(state: &AppState) -> Option<HeaderValue> {
    cookie(state, String::new(), time::Duration::ZERO)
}

/// The flow this browser started, if its cookie is present and was sealed by this console.
pub fn read(state: &AppState, headers: &HeaderMap) -> Option<LoginFlow> {
    let wanted = name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| Cookie::parse(pair.trim()).ok())
        .find(|c| c.name() == wanted && c.value().len() <= MAX_SEALED)
        .and_then(|c| state.flow_key.open(c.value(), BOUND_TO).ok())
        .and_then(|json| serde_json::from_str(&json).ok())
}
