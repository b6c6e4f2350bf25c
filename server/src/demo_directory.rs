//! The demo's corporate directory: at the story's first telling it connects over SCIM, as Okta
//! would, with a token Priya created on the Directory page — provisions two contractors and
//! their group, and then one of them leaves, orphaning the agent she owned. Every request goes
//! over HTTP to `/scim/v2` and through the core like a real directory's.

use anyhow::{bail, Context};
use countersign_core::domain::{HumanId, NhiKind};
use countersign_core::services::RegisterNhi;
use countersign_core::Services;
use serde_json::{json, Value};
use std::time::Duration;

/// The contractor who leaves, and the agent she owned.
pub const LEAVER: &str = "Mei Chen";
pub const LEAVERS_AGENT: &str = "spring-variants-drafter";

struct Directory {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Directory {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        let reply = self
            .http
            .request(method, format!("{}/scim/v2{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/scim+json")
            .body(body.to_string())
            .send()
            .await
            .context("demo directory: SCIM request")?;
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("demo directory: {path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn provision(
        &self,
        user_name: &str,
        external_id: &str,
        given: &str,
        family: &str,
    ) -> anyhow::Result<String> {
        let user = self
            .send(
                reqwest::Method::POST,
                "/Users",
                json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user_name,
                    "externalId": external_id,
                    "name": { "givenName": given, "familyName": family },
                    "emails": [{ "primary": true, "type": "work", "value": user_name }],
                    "title": "Contract copywriter",
                    "active": true
                }),
            )
            .await?;
        user["id"]
            .as_str()
            .map(str::to_owned)
            .context("demo directory: a user without an id")
    }
}

/// Connects the demo directory and plays a joiner and a leaver.
pub async fn sync(services: &Services, base: &str) -> anyhow::Result<()> {
    let priya = services
        .demo_persona("priya")
        .await?
        .authenticated_at(services.now_ms());
    let (_, token) = services
        .create_directory_token(&priya, "Okta (demo tenant)")
        .await?;
    let directory = Directory {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .context("demo directory: cannot build its HTTP client")?,
        base: base.trim_end_matches('/').to_owned(),
        token: token.0,
    };
    let mei = directory
        .provision("mei.chen@example.com", "00u-mei", "Mei", "Chen")
        .await?;
    let ravi = directory
        .provision("ravi.patel@example.com", "00u-ravi", "Ravi", "Patel")
        .await?;
    directory
        .send(
            reqwest::Method::POST,
            "/Groups",
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "brand-contractors",
                "members": [{ "value": mei }, { "value": ravi }]
            }),
        )
        .await?;
    // Priya names the new contractor as the owner of an agent she will run.
    let owner: HumanId = mei.parse().context("demo directory: a person id")?;
    services
        .register_nhi(
            &priya,
            RegisterNhi {
                kind: NhiKind::Agent,
                name: LEAVERS_AGENT.to_owned(),
                purpose: "Drafts locale variants of the spring offer for the contract copy team."
                    .to_owned(),
                owners: vec![owner],
                expires_at: Some(services.clock().now() + chrono::Duration::days(30)),
                model: Some("claude-sonnet-4.5 (Anthropic)".to_owned()),
            },
        )
        .await?;
    // Her contract ends: the directory deactivates her, as Okta does.
    directory
        .send(
            reqwest::Method::PATCH,
            &format!("/Users/{mei}"),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{ "op": "replace", "value": { "active": false } }]
            }),
        )
        .await?;
    Ok(())
}
