//! The OpenID Connect relying party: discovery, the authorization-code flow with PKCE (S256),
//! `state` and `nonce`, and ID-token verification (exact issuer, audience, signature, expiry,
//! nonce) with the openidconnect crate.

use crate::config::OidcConfig;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    reqwest, AdditionalClaims, AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode,
    Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope,
    StandardErrorResponse, StandardTokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Claims beyond the standard ones, kept whole so the configured groups claim can be read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}
impl AdditionalClaims for ExtraClaims {}

/// Discovery metadata beyond the core: the RP-initiated logout endpoint, when the IdP has one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LogoutMetadata {
    pub end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type ProviderMeta = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type TokenFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<TokenFields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A sign-in in progress, kept in the (server-side) session until the callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginFlow {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
    pub started_at_ms: i64,
    /// A re-authentication for a dangerous action: the IdP must show it authenticated the
    /// person during this flow.
    #[serde(default)]
    pub reauth: bool,
}

/// A logout token is signed and checked like an ID token; its own claims are read from the rest.
type LogoutToken = openidconnect::IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// The ID-token verifier, accepting the JOSE types logout tokens carry (`logout+jwt`, or plain
/// `JWT`); what tells a logout token from an ID token is its event claim and absent nonce.
fn logout_verifier(
    verifier: openidconnect::IdTokenVerifier<'_, CoreJsonWebKey>,
) -> Result<openidconnect::IdTokenVerifier<'_, CoreJsonWebKey>, String> {
    let types = [
        "logout+jwt",
        "application/logout+jwt",
        "JWT",
        "application/jwt",
    ]
    .into_iter()
    .map(|t| {
        openidconnect::JsonWebTokenType::new(t.to_owned())
            .normalize()
            .map_err(|e| e.to_string())
    })
    .collect::<Result<Vec<_>, _>>()?;
    Ok(verifier.set_allowed_jose_types(types))
}

/// Whose sign-in the IdP ended, from a verified logout token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedOut {
    pub issuer: String,
    pub subject: String,
    pub token_id: String,
}

/// What a verified ID token (and userinfo, for groups) says about the person.
#[derive(Debug, Clone)]
pub struct VerifiedPerson {
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The IdP vouches for the email (absent counts as not).
    pub email_verified: bool,
    pub groups: Vec<String>,
}

/// Why a callback was refused. The code is recorded in the ledger and shown to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackFailure {
    pub code: &'static str,
    pub detail: String,
}

fn failure(code: &'static str, detail: impl Into<String>) -> CallbackFailure {
    CallbackFailure {
        code,
        detail: detail.into(),
    }
}

struct Provider {
    client: OidcClient,
    end_session_endpoint: Option<String>,
}

/// The relying party. Discovery is retried in the background until it succeeds, so an IdP that
/// is down at start-up delays sign-in (with a clear message) instead of stopping the console.
pub struct Oidc {
    config: OidcConfig,
    redirect_uri: RedirectUrl,
    http: reqwest::Client,
    provider: RwLock<Result<Arc<Provider>, String>>,
    /// When the keys were last fetched because a token named one we did not have.
    last_key_refresh: std::sync::Mutex<Option<std::time::Instant>>,
}

/// A token signed with a key we do not have sends us to the IdP for its keys at most this often.
const KEY_REFRESH_MIN_INTERVAL: Duration = Duration::from_secs(60);

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .finish()
    }
}

impl Oidc {
    pub fn new(config: OidcConfig, redirect_uri: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // Following redirects would let a hostile metadata document steer our requests.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            redirect_uri: RedirectUrl::new(redirect_uri.to_owned())?,
            provider: RwLock::new(Err("identity provider metadata not loaded yet".to_owned())),
            last_key_refresh: std::sync::Mutex::new(None),
            config,
            http,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// `Ok` when the provider's metadata is loaded; otherwise why not.
    pub fn status(&self) -> Result<(), String> {
        match &*self.provider.read().unwrap_or_else(|p| p.into_inner()) {
            Ok(_) => Ok(()),
            Err(reason) => Err(reason.clone()),
        }
    }

    fn provider(&self) -> Result<Arc<Provider>, String> {
        self.provider
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Fetches the discovery document and keys once.
    pub async fn discover(&self) -> Result<(), String> {
        let outcome = async {
            let issuer = IssuerUrl::new(self.config.issuer.clone())
                .map_err(|e| format!("issuer URL: {e}"))?;
            let metadata = ProviderMeta::discover_async(issuer, &self.http)
                .await
                .map_err(|e| {
                    format!(
                        "cannot load OpenID Connect metadata from {}: {}",
                        self.config.issuer,
                        error_chain(&e)
                    )
                })?;
            let end_session_endpoint = metadata.additional_metadata().end_session_endpoint.clone();
            let client = OidcClient::from_provider_metadata(
                metadata,
                ClientId::new(self.config.client_id.clone()),
                Some(ClientSecret::new(
                    self.config.client_secret.expose().to_owned(),
                )),
            )
            .set_redirect_uri(self.redirect_uri.clone());
            Ok::<_, String>(Arc::new(Provider {
                client,
                end_session_endpoint,
            }))
        }
        .await;
        let result = outcome.as_ref().map(|_| ()).map_err(Clone::clone);
        let mut provider = self.provider.write().unwrap_or_else(|p| p.into_inner());
        // A failed refresh keeps the metadata and keys that worked: an IdP that is briefly
        // down must not stop sign-ins that its current keys can still verify.
        if outcome.is_ok() || provider.is_err() {
            *provider = outcome;
        }
        result
    }

    /// Fetches the metadata and keys again every `every`, so keys the IdP rotates in are known
    /// before the first token signed with them arrives.
    pub fn spawn_key_refresh(self: &Arc<Self>, every: Duration) {
        let oidc = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = oidc.discover().await {
                    tracing::warn!(error = %e, "refreshing the identity provider's keys failed");
                }
            }
        });
    }

    /// Fetches the keys again if a token named a key we do not have, at most once a minute.
    async fn refresh_keys_for_unknown_key(&self) -> bool {
        {
            let mut last = self
                .last_key_refresh
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|at| at.elapsed() < KEY_REFRESH_MIN_INTERVAL) {
                return false;
            }
            *last = Some(std::time::Instant::now());
        }
        match self.discover().await {
            Ok(()) => {
                tracing::info!(issuer = %self.config.issuer, "identity provider keys refreshed for a token signed with an unknown key");
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "refreshing the identity provider's keys failed");
                false
            }
        }
    }

    /// Retries discovery every `every` until it succeeds.
    pub fn spawn_discovery_retry(self: &Arc<Self>, every: Duration) {
        let oidc = self.clone();
        tokio::spawn(async move {
            loop {
                if oidc.status().is_ok() {
                    return;
                }
                tokio::time::sleep(every).await;
                match oidc.discover().await {
                    Ok(()) => {
                        tracing::info!(issuer = %oidc.config.issuer, "identity provider metadata loaded")
                    }
                    Err(e) => tracing::warn!(error = %e, "identity provider still unreachable"),
                }
            }
        });
    }

    /// Starts a sign-in: the URL to send the browser to, and the flow to keep in the session.
    pub fn begin(
        &self,
        next: String,
        now_ms: i64,
        reauth: bool,
    ) -> Result<(String, LoginFlow), String> {
        let provider = self.provider()?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = provider.client.authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.config.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if reauth {
            // Ask the IdP to authenticate the person now, not to reuse its own session.
            request = request
                .add_prompt(CoreAuthPrompt::Login)
                .add_extra_param("max_age", "0");
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok((
            url.to_string(),
            LoginFlow {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next,
                started_at_ms: now_ms,
                reauth,
            },
        ))
    }

    /// Completes a sign-in: exchanges the code (with the PKCE verifier) and verifies the ID token.
    pub async fn complete(
        &self,
        flow: &LoginFlow,
        code: String,
    ) -> Result<VerifiedPerson, CallbackFailure> {
        let provider = self.provider().map_err(|e| failure("idp_unavailable", e))?;
        let tokens = provider
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| failure("idp_misconfigured", e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| failure("code_exchange_failed", error_chain(&e)))?;
        let id_token = tokens
            .extra_fields()
            .id_token()
            .ok_or_else(|| failure("id_token_missing", "the token response had no ID token"))?;
        let nonce = Nonce::new(flow.nonce.clone());
        let verifier = provider.client.id_token_verifier();
        let claims = match id_token.claims(&verifier, &nonce) {
            Ok(claims) => claims.clone(),
            // Signed with a key we do not have (the IdP rotated its keys): fetch them, once.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_))
                if self.refresh_keys_for_unknown_key().await =>
            {
                let provider = self.provider().map_err(|e| failure("idp_unavailable", e))?;
                let verifier = provider.client.id_token_verifier();
                let claims = id_token
                    .claims(&verifier, &nonce)
                    .map_err(|e| failure("id_token_invalid", e.to_string()))?
                    .clone();
                claims
            }
            Err(e) => return Err(failure("id_token_invalid", e.to_string())),
        };
        if flow.reauth {
            // A minute's grace for clocks; an IdP that says nothing has not confirmed anything.
            let fresh = claims
                .auth_time()
                .is_some_and(|at| at.timestamp_millis() >= flow.started_at_ms - 60_000);
            if !fresh {
                return Err(failure(
                    "reauth_not_confirmed",
                    "the identity provider did not confirm a new sign-in (no recent auth_time)",
                ));
            }
        }

        let mut groups = read_groups(&claims.additional_claims().other, &self.config.groups_claim);
        if groups.is_none() {
            // Some IdPs put groups only in userinfo.
            if let Ok(request) = provider.client.user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            ) {
                let userinfo: Result<UserInfoClaims<ExtraClaims, CoreGenderClaim>, _> =
                    request.request_async(&self.http).await;
                match userinfo {
                    Ok(info) => {
                        groups =
                            read_groups(&info.additional_claims().other, &self.config.groups_claim);
                    }
                    Err(e) => tracing::warn!(error = %error_chain(&e), "userinfo request failed"),
                }
            }
        }
        Ok(VerifiedPerson {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified() == Some(true),
            groups: groups.unwrap_or_default(),
        })
    }

    /// Verifies an OpenID Connect Back-Channel Logout token (signature with the IdP's keys,
    /// issuer, audience and expiry as for an ID token; a logout event; no nonce; a subject and
    /// a token id) and says whose sign-in ended.
    pub async fn verify_logout_token(&self, token: &str) -> Result<LoggedOut, String> {
        let parsed: LogoutToken = token
            .parse()
            .map_err(|e: serde_json::Error| format!("not a logout token: {e}"))?;
        let no_nonce = |nonce: Option<&Nonce>| match nonce {
            None => Ok(()),
            Some(_) => Err("a logout token must not carry a nonce".to_owned()),
        };
        let provider = self.provider()?;
        let verifier = logout_verifier(provider.client.id_token_verifier())?;
        let claims = match parsed.claims(&verifier, no_nonce) {
            Ok(claims) => claims.clone(),
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_))
                if self.refresh_keys_for_unknown_key().await =>
            {
                let provider = self.provider()?;
                let verifier = logout_verifier(provider.client.id_token_verifier())?;
                let claims = parsed
                    .claims(&verifier, no_nonce)
                    .map_err(|e| e.to_string())?
                    .clone();
                claims
            }
            Err(e) => return Err(e.to_string()),
        };
        let other = &claims.additional_claims().other;
        let is_logout = other
            .get("events")
            .and_then(Value::as_object)
            .is_some_and(|events| {
                events.contains_key("http://schemas.openid.net/event/backchannel-logout")
            });
        if !is_logout {
            return Err("the token carries no back-channel logout event".to_owned());
        }
        let token_id = other
            .get("jti")
            .and_then(Value::as_str)
            .filter(|jti| !jti.is_empty())
            .ok_or("the token has no jti")?;
        Ok(LoggedOut {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            token_id: token_id.to_owned(),
        })
    }

    /// The IdP's end-session URL, when it publishes one, returning to `after`.
    pub fn end_session_url(&self, after: &str) -> Option<String> {
        let provider = self.provider().ok()?;
        let mut url = url::Url::parse(provider.end_session_endpoint.as_deref()?).ok()?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("post_logout_redirect_uri", after);
        Some(url.to_string())
    }
}

/// A groups claim may be an array of strings or one string.
fn read_groups(claims: &serde_json::Map<String, Value>, name: &str) -> Option<Vec<String>> {
    match claims.get(name)? {
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        ),
        Value::String(one) => Some(vec![one.clone()]),
        _ => None,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_are_read_from_arrays_or_strings() {
        let claims = json!({"groups": ["a", "b", 3], "team": "x"});
        let map = claims.as_object().cloned().unwrap_or_default();
        assert_eq!(
            read_groups(&map, "groups"),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(read_groups(&map, "team"), Some(vec!["x".to_owned()]));
        assert_eq!(read_groups(&map, "roles"), None);
    }
}
