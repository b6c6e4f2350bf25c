//! The demo's drafting agent: an HTTP client of the console's own `/api/v1`, using the client
//! credentials a security admin issued it, exactly as an external agent would — token, access
//! decision, draft with provenance, rollback plan, revised versions. In-process only for
//! convenience; the console treats it like any other identity.

use anyhow::{bail, Context};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub struct DemoAgent {
    http: reqwest::Client,
    base: String,
    client_id: String,
    client_secret: String,
    scope: String,
    token: Option<(String, Instant)>,
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
    expires_in: u64,
}

/// A change as the API answers it.
#[derive(Debug, Deserialize)]
pub struct Drafted {
    pub change_id: String,
    pub content_hash: String,
}

/// What the agent drafts: the text, and whether it brings its rollback plan.
pub struct Draft<'a> {
    pub title: &'a str,
    pub content: &'a str,
    pub reference: &'a str,
    pub with_plan: bool,
}

impl DemoAgent {
    pub fn new(
        base: &str,
        client_id: String,
        client_secret: String,
        scope: String,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .context("demo agent: cannot build its HTTP client")?,
            base: base.trim_end_matches('/').to_owned(),
            client_id,
            client_secret,
            scope,
            token: None,
        })
    }

    /// A bearer token for its step, asked again shortly before it expires.
    async fn bearer(&mut self) -> anyhow::Result<String> {
        if let Some((token, until)) = &self.token {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let reply = self
            .http
            .post(format!("{}/api/v1/token", self.base))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("scope", self.scope.as_str()),
            ])
            .send()
            .await
            .context("demo agent: token request")?;
        if !reply.status().is_success() {
            bail!(
                "demo agent: token refused: {}",
                reply.text().await.unwrap_or_default()
            );
        }
        let token: Token = reply.json().await.context("demo agent: token answer")?;
        let until = Instant::now() + Duration::from_secs(token.expires_in.saturating_sub(60));
        self.token = Some((token.access_token.clone(), until));
        Ok(token.access_token)
    }

    async fn call(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let bearer = self.bearer().await?;
        let reply = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(bearer)
            .json(body)
            .send()
            .await
            .with_context(|| format!("demo agent: {path}"))?;
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("demo agent: {path} answered {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("demo agent: {path} answer"))
    }

    async fn me(&mut self) -> anyhow::Result<Value> {
        let bearer = self.bearer().await?;
        let reply = self
            .http
            .get(format!("{}/api/v1/me", self.base))
            .bearer_auth(bearer)
            .send()
            .await
            .context("demo agent: /api/v1/me")?;
        Ok(reply.json().await?)
    }

    /// Asks for the customer data it uses and drafts, citing the decision and its legal basis.
    pub async fn draft(&mut self, draft: &Draft<'_>) -> anyhow::Result<Drafted> {
        let me = self.me().await?;
        let system = me["workflow"]["publish_targets"][0]
            .as_str()
            .context("demo agent: its workflow publishes nowhere")?
            .to_owned();
        let decision = self.decide().await?;
        let body = json!({
            "title": draft.title,
            "content": draft.content,
            "format": "markdown",
            "channel": "email",
            "audience": "external",
            "purpose": "spring_offer",
            "target": { "system": system, "reference": draft.reference },
            "provenance": provenance(&decision, draft.content),
        });
        let answer = self
            .call(reqwest::Method::POST, "/api/v1/drafts", &body)
            .await?;
        let drafted: Drafted = serde_json::from_value(answer)?;
        if draft.with_plan {
            self.plan(&drafted.change_id).await?;
        }
        Ok(drafted)
    }

    /// A variant set: one variant per `(name, content)`, each published to
    /// `{reference}/{name}`, reviewed and signed as one. Brings its rollback plan.
    pub async fn draft_set(
        &mut self,
        title: &str,
        reference: &str,
        variants: &[(&str, &str)],
    ) -> anyhow::Result<Drafted> {
        let me = self.me().await?;
        let system = me["workflow"]["publish_targets"][0]
            .as_str()
            .context("demo agent: its workflow publishes nowhere")?
            .to_owned();
        let decision = self.decide().await?;
        let body = json!({
            "title": title,
            "channel": "email",
            "purpose": "spring_offer",
            "target": { "system": system },
            "variants": variants
                .iter()
                .map(|(name, content)| json!({
                    "name": name,
                    "content": content,
                    "format": "markdown",
                    "audience": "external",
                    "target_reference": format!("{reference}/{name}"),
                }))
                .collect::<Vec<_>>(),
            "provenance": provenance(&decision, variants.first().map_or("", |v| v.1)),
        });
        let answer = self
            .call(reqwest::Method::POST, "/api/v1/drafts", &body)
            .await?;
        let drafted: Drafted = serde_json::from_value(answer)?;
        self.plan(&drafted.change_id).await?;
        Ok(drafted)
    }

    /// A draft that fills a pre-approved template: the console writes the content from it.
    pub async fn draft_from_template(
        &mut self,
        title: &str,
        reference: &str,
        template: &str,
        values: &[(&str, &str)],
    ) -> anyhow::Result<Drafted> {
        let me = self.me().await?;
        let system = me["workflow"]["publish_targets"][0]
            .as_str()
            .context("demo agent: its workflow publishes nowhere")?
            .to_owned();
        let decision = self.decide().await?;
        let values: serde_json::Map<String, Value> = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let body = json!({
            "title": title,
            "channel": "email",
            "purpose": "spring_offer",
            "target": { "system": system, "reference": reference },
            "template": { "id": template, "values": values },
            "provenance": provenance(&decision, &Value::Object(values.clone()).to_string()),
        });
        let answer = self
            .call(reqwest::Method::POST, "/api/v1/drafts", &body)
            .await?;
        Ok(serde_json::from_value(answer)?)
    }

    /// A revised version answering a request for changes.
    pub async fn revise(&mut self, change: &str, content: &str) -> anyhow::Result<Drafted> {
        let decision = self.decide().await?;
        let body = json!({
            "content": content,
            "format": "markdown",
            "provenance": provenance(&decision, content),
        });
        let answer = self
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/drafts/{change}/versions"),
                &body,
            )
            .await?;
        Ok(serde_json::from_value(answer)?)
    }

    async fn decide(&mut self) -> anyhow::Result<String> {
        let answer = self
            .call(
                reqwest::Method::POST,
                "/api/v1/access-decisions",
                &json!({
                    "purpose": "spring_offer",
                    "fields": ["first_name", "region"],
                    "subjects": ["crm-1001", "crm-1002", "crm-1003"],
                }),
            )
            .await?;
        answer["decision_id"]
            .as_str()
            .map(str::to_owned)
            .context("demo agent: a decision without an id")
    }

    async fn plan(&mut self, change: &str) -> anyhow::Result<()> {
        self.call(
            reqwest::Method::PUT,
            &format!("/api/v1/changes/{change}/rollback-plan"),
            &json!({
                "steps": "Unpublish the campaign in Campaign Manager; send nothing further.",
                "first_publication": true,
            }),
        )
        .await?;
        Ok(())
    }
}

fn provenance(decision: &str, content: &str) -> Value {
    let mut legal_bases = serde_json::Map::new();
    legal_bases.insert(decision.to_owned(), json!("consent"));
    json!({
        "model": "claude-sonnet-4.5",
        "model_version": "2026-09-01",
        "prompt": "Write a short spring offer email for opted-in customers, using their first name and region.",
        "system_prompt": "You write careful, factual marketing copy. Never invent prices.",
        "access_decisions": [decision],
        "fields_used": ["first_name", "region"],
        "legal_bases": legal_bases,
        "data_sources": ["spring-2027 price sheet", "brand guide 2027"],
        "tool_calls": [],
        "raw_output": content,
    })
}

/// What the agent drafts while the demo runs, in turn.
pub const ONGOING: [(&str, &str); 4] = [
    (
        "Spring offer: garden tools for {region}",
        "Hello {first_name}, the garden season starts in {region}: our new tool range is in store this week.",
    ),
    (
        "Spring offer: weekend opening hours",
        "Hello {first_name}, our {region} stores now open on Sundays from 10:00 to 16:00 until the end of May.",
    ),
    (
        "Spring offer: 15% off outdoor furniture",
        "Hello {first_name}, take 15% off outdoor furniture in {region} until 15 May.",
    ),
    (
        "Spring offer: free delivery in {region}",
        "Hello {first_name}, delivery is free on every order to {region} this month.",
    ),
];

/// Drafts a new change every `every` while the console runs, so approving the whole queue does
/// not end the demo. Failures (the kill switch was pulled, the agent was suspended) are logged
/// and tried again at the next turn.
pub fn keep_drafting(mut agent: DemoAgent, every: Duration) {
    tokio::spawn(async move {
        let mut turn = 0usize;
        loop {
            tokio::time::sleep(every).await;
            let (title, content) = ONGOING[turn % ONGOING.len()];
            turn += 1;
            let draft = Draft {
                title: &title.replace("{region}", "your region"),
                content,
                reference: &format!("campaigns/spring-2027/ongoing-{turn}"),
                with_plan: turn.is_multiple_of(2),
            };
            match agent.draft(&draft).await {
                Ok(drafted) => {
                    tracing::info!(change = %drafted.change_id, "demo agent drafted a change")
                }
                Err(error) => tracing::info!(%error, "demo agent could not draft this turn"),
            }
        }
    });
}
