//! Carries notices to people: email through the operator's SMTP relay (lettre; STARTTLS
//! required unless configured otherwise), and chat posts to Slack-compatible incoming webhooks
//! and Microsoft Teams workflow webhooks (through the same outbound policy as connector calls:
//! no redirects, no proxy, internal addresses only when allowed). Failures are judged as the
//! connector's are: temporary ones retried by the outbox, permanent ones dead-lettered. A
//! webhook's URL is its password: it never appears in an error.

use crate::config::notify::{NotifyConfig, SmtpConfig, SmtpTls};
use crate::outbound::OutboundPolicy;
use async_trait::async_trait;
use countersign_core::connector::DeliveryError;
use countersign_core::domain::Channel;
use countersign_core::notifier::{ChannelsConfigured, Notifier, OutgoingMessage};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub struct ChannelNotifier {
    mail: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    /// The host part of the public URL: the right-hand side of each `Message-ID`.
    message_id_host: String,
    slack: Option<String>,
    teams: Option<String>,
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
    timeout: Duration,
}

fn smtp_transport(
    smtp: &SmtpConfig,
    timeout: Duration,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut tls = TlsParameters::builder(smtp.host.clone());
    if let Some(path) = &smtp.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            anyhow::anyhow!(
                "configuration error: COUNTERSIGN_SMTP_CA_FILE: cannot read {}: {e}",
                path.display()
            )
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| {
            anyhow::anyhow!(
                "configuration error: COUNTERSIGN_SMTP_CA_FILE: not a PEM certificate: {e}"
            )
        })?;
        tls = tls.add_root_certificate(certificate);
    }
    let tls = tls.build_rustls()?;
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .timeout(Some(timeout))
        .tls(match smtp.tls {
            SmtpTls::StartTls => Tls::Required(tls),
            SmtpTls::Implicit => Tls::Wrapper(tls),
            SmtpTls::None => Tls::None,
        });
    if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

impl ChannelNotifier {
    /// `None` when the operator configured no channel.
    pub fn from_config(
        config: &NotifyConfig,
        public_url: &url::Url,
        policy: OutboundPolicy,
        timeout: Duration,
    ) -> anyhow::Result<Option<Self>> {
        if config.smtp.is_none() && config.slack_webhook.is_none() && config.teams_webhook.is_none()
        {
            return Ok(None);
        }
        let mail = match &config.smtp {
            Some(smtp) => {
                let from: Mailbox = smtp.from.parse().map_err(|_| {
                    anyhow::anyhow!("configuration error: COUNTERSIGN_SMTP_FROM: not an address")
                })?;
                Some((smtp_transport(smtp, timeout)?, from))
            }
            None => None,
        };
        let policy = Arc::new(policy);
        Ok(Some(Self {
            mail,
            message_id_host: public_url.host_str().unwrap_or("countersign").to_owned(),
            slack: config.slack_webhook.as_ref().map(|s| s.expose().to_owned()),
            teams: config.teams_webhook.as_ref().map(|s| s.expose().to_owned()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(policy.resolver())
                .timeout(timeout)
                .build()?,
            policy,
            timeout,
        }))
    }

    async fn send_email(&self, message: &OutgoingMessage) -> Result<(), DeliveryError> {
        let permanent = |detail: String| DeliveryError::Refused { status: 0, detail };
        let Some((transport, from)) = &self.mail else {
            return Err(permanent("email is not configured".to_owned()));
        };
        let to = Mailbox::new(
            Some(one_line(&message.to_name)),
            message
                .to
                .parse()
                .map_err(|_| permanent(format!("`{}` is not an email address", message.to)))?,
        );
        let email = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(one_line(&message.subject))
            .message_id(Some(format!("<{}@{}>", message.id, self.message_id_host)))
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone())
            .map_err(|e| permanent(format!("the message cannot be built: {e}")))?;
        match transport.send(email).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(DeliveryError::Refused {
                status: error.status().map(|c| smtp_code(&c)).unwrap_or(550),
                detail: first_line(&error.to_string()),
            }),
            Err(error) if error.is_timeout() => Err(DeliveryError::Timeout(self.timeout.as_secs())),
            Err(error) => Err(DeliveryError::Unreachable(first_line(&error.to_string()))),
        }
    }

    async fn post_chat(&self, message: &OutgoingMessage) -> Result<(), DeliveryError> {
        let (url, body) = match message.channel {
            Channel::Slack => (self.slack.as_deref(), slack_body(message)),
            _ => (self.teams.as_deref(), teams_body(message)),
        };
        let Some(url) = url else {
            return Err(DeliveryError::Refused {
                status: 0,
                detail: format!("{} is not configured", message.channel.as_str()),
            });
        };
        self.policy
            .check_url(url)
            .map_err(|refused| DeliveryError::Blocked(without_path(&refused.0, url)))?;
        let response = self
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let detail: String = response
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        Err(match retry_after {
            Some(secs) if status.as_u16() == 429 || status.as_u16() == 503 => {
                DeliveryError::Throttled {
                    status: status.as_u16(),
                    retry_after_secs: secs,
                    detail,
                }
            }
            _ => DeliveryError::Refused {
                status: status.as_u16(),
                detail,
            },
        })
    }

    /// A transport failure, with the URL (the channel's secret) taken out.
    fn transport(&self, error: reqwest::Error) -> DeliveryError {
        if error.is_timeout() {
            return DeliveryError::Timeout(self.timeout.as_secs());
        }
        let mut source: Option<&dyn std::error::Error> = Some(&error);
        while let Some(inner) = source {
            if let Some(refused) = inner.downcast_ref::<crate::outbound::Refused>() {
                return DeliveryError::Blocked(refused.0.clone());
            }
            source = inner.source();
        }
        let error = error.without_url();
        let mut text = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            source = inner.source();
        }
        DeliveryError::Unreachable(text)
    }
}

/// A header's text on one line: control characters (a CR LF could start a header of its own)
/// become spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn smtp_code(code: &lettre::transport::smtp::response::Code) -> u16 {
    code.to_string().parse().unwrap_or(550)
}

fn first_line(text: &str) -> String {
    text.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

/// A refusal's text without the URL's path and query (where a webhook keeps its secret).
fn without_path(text: &str, url: &str) -> String {
    text.replace(url, "the webhook URL")
}

/// Slack's mrkdwn needs &, < and > escaped.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack-compatible incoming webhook's body. What an agent wrote (a change's title) is shown
/// as plain text, never as markup: a title cannot turn into a link in the channel. The `text`
/// (the notification's fallback) has Slack's markup characters escaped.
pub fn slack_body(message: &OutgoingMessage) -> serde_json::Value {
    let mut lines: Vec<String> = message.text.lines().map(slack_escape).collect();
    if let Some(last) = lines.last_mut() {
        if last.starts_with("Open: ") {
            *last = format!("<{}|Open in Countersign>", message.link);
        }
    }
    let plain: Vec<&str> = message
        .text
        .lines()
        .filter(|l| !l.starts_with("Open: "))
        .collect();
    json!({
        "text": format!("*For {}:* {}", slack_escape(&message.to_name), lines.join("\n")),
        "blocks": [
            { "type": "section", "text": { "type": "plain_text", "emoji": false, "text": format!("For {}: {}", message.to_name, plain.join("\n")) } },
            { "type": "actions", "elements": [
                { "type": "button", "text": { "type": "plain_text", "text": "Open in Countersign" }, "url": message.link },
            ] },
        ],
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// A Microsoft Teams workflow webhook's body: an Adaptive Card with a button to the page. The
/// text is a RichTextBlock of plain TextRuns: no markdown, so a title cannot become a link.
pub fn teams_body(message: &OutgoingMessage) -> serde_json::Value {
    let runs: Vec<serde_json::Value> = message
        .text
        .lines()
        .filter(|l| !l.starts_with("Open: "))
        .map(|line| json!({ "type": "TextRun", "text": format!("{line}\n") }))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    { "type": "RichTextBlock", "inlines": [{ "type": "TextRun", "text": format!("For {}", message.to_name), "weight": "Bolder" }] },
                    { "type": "RichTextBlock", "inlines": runs },
                ],
                "actions": [{ "type": "Action.OpenUrl", "title": "Open in Countersign", "url": message.link }],
            },
        }],
    })
}

#[async_trait]
impl Notifier for ChannelNotifier {
    fn channels(&self) -> ChannelsConfigured {
        ChannelsConfigured {
            email: self.mail.is_some(),
            slack: self.slack.is_some(),
            teams: self.teams.is_some(),
        }
    }

    async fn send(&self, message: &OutgoingMessage) -> Result<(), DeliveryError> {
        match message.channel {
            Channel::Email => self.send_email(message).await,
            Channel::Slack | Channel::Teams => self.post_chat(message).await,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn hostile() -> OutgoingMessage {
        OutgoingMessage {
            id: "msg_1".into(),
            channel: Channel::Slack,
            to: "Dana".into(),
            to_name: "Dana <b>".into(),
            subject: "s".into(),
            text: "“<https://evil.example|Approve here>” & [click](https://evil.example) waits\nFor: Spring\nOpen: https://console.example/changes/1".into(),
            link: "https://console.example/changes/1".into(),
        }
    }

    #[test]
    fn a_title_cannot_add_a_header_to_an_email() {
        let subject = one_line("Spring offer\r\nBcc: everyone@example.com");
        let email = Message::builder()
            .from("c@example.com".parse().unwrap())
            .to("d@example.com".parse().unwrap())
            .subject(subject)
            .body(String::from("text"))
            .unwrap();
        let raw = String::from_utf8(email.formatted()).unwrap();
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        assert!(
            raw.contains("Spring offer  Bcc: everyone@example.com"),
            "{raw}"
        );
    }

    #[test]
    fn what_an_agent_wrote_never_becomes_markup_in_chat() {
        let slack = slack_body(&hostile());
        let text = slack["text"].as_str().unwrap();
        assert!(!text.contains("<https://evil"), "{text}");
        assert!(
            text.contains("&lt;https://evil.example|Approve here&gt;"),
            "{text}"
        );
        assert!(
            text.contains("&amp;") && text.starts_with("*For Dana &lt;b&gt;:*"),
            "{text}"
        );
        assert!(
            text.ends_with("<https://console.example/changes/1|Open in Countersign>"),
            "{text}"
        );
        assert_eq!(slack["blocks"][0]["text"]["type"], "plain_text");
        assert_eq!(
            slack["blocks"][1]["elements"][0]["url"],
            "https://console.example/changes/1"
        );

        let teams = teams_body(&hostile());
        let card = &teams["attachments"][0]["content"];
        for block in card["body"].as_array().unwrap() {
            assert_eq!(
                block["type"], "RichTextBlock",
                "no markdown TextBlock: {block}"
            );
        }
        assert!(!card.to_string().contains("Open: "));
        assert_eq!(
            card["actions"][0]["url"],
            "https://console.example/changes/1"
        );
    }
}
