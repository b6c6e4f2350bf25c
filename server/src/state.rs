use crate::auth::oidc::Oidc;
use crate::config::Config;
use crate::metrics::Metrics;
use axum::extract::FromRef;
use countersign_app::dto::{PersonaView, SignInChoices};
use countersign_core::services::DemoPerson;
use countersign_core::Services;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub config: Arc<Config>,
    pub oidc: Option<Arc<Oidc>>,
    pub metrics: Arc<Metrics>,
    pub leptos_options: LeptosOptions,
    pub demo_people: Arc<Vec<DemoPerson>>,
    /// Seals sign-ins in progress into a browser cookie.
    pub flow_key: Arc<countersign_core::secrets::SecretKey>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// What the sign-in page offers right now.
    pub fn sign_in_choices(&self) -> SignInChoices {
        SignInChoices {
            sso_enabled: self.oidc.is_some(),
            sso_unavailable: self
                .oidc
                .as_ref()
                .and_then(|oidc| oidc.status().err())
                .map(|_| "The identity provider cannot be reached right now. Try again in a minute; if this persists, tell your administrator.".to_owned()),
            idp_sign_out_url: self.oidc.as_ref().and_then(|oidc| {
                oidc.end_session_url(&format!("{}signin?signed_out=1", self.config.public_url))
            }),
            personas: if self.config.demo {
                self.demo_people
                    .iter()
                    .map(|p| PersonaView {
                        key: p.key.to_owned(),
                        name: p.name.to_owned(),
                        roles: p.roles.iter().map(|r| r.label().to_owned()).collect(),
                        blurb: p.blurb.to_owned(),
                        tip: crate::auth::demo::tip(p.key)
                            .map(|(what, href)| (what.to_owned(), href.to_owned())),
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}
