//! Where notices go besides the inbox: an SMTP relay (STARTTLS unless the operator says
//! otherwise, and never in the clear beyond loopback) and chat channels' incoming webhooks
//! (Slack-compatible, Microsoft Teams workflows). Webhook URLs are secrets: they never show in
//! logs or errors. Review deadlines per tier live here too: they decide when reminders go out.

use super::{err, ConfigError, Secret};
use countersign_core::domain::ReviewDeadlines;
use std::path::PathBuf;

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtp://`: STARTTLS, required (the default).
    StartTls,
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://…?tls=none`: no TLS, for a relay on loopback only.
    None,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `Countersign <countersign@example.com>`.
    pub from: String,
    /// A PEM file with the certificate authority the relay's certificate comes from, when it is
    /// not a public one.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    pub smtp: Option<SmtpConfig>,
    pub slack_webhook: Option<Secret>,
    pub teams_webhook: Option<Secret>,
    pub review_deadlines: ReviewDeadlines,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn parse_smtp(
    raw: &str,
    from: Option<String>,
    ca_file: Option<String>,
) -> Result<SmtpConfig, ConfigError> {
    let key = "COUNTERSIGN_SMTP_URL";
    let url = url::Url::parse(raw).map_err(|_| {
        err(
            key,
            "must be smtp://[user:password@]host[:port] (STARTTLS) or smtps://… (TLS)",
        )
    })?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| err(key, "names no host"))?
        .to_owned();
    let mut tls = match url.scheme() {
        "smtp" => SmtpTls::StartTls,
        "smtps" => SmtpTls::Implicit,
        other => return Err(err(key, format!("`{other}` is not smtp or smtps"))),
    };
    for (name, value) in url.query_pairs() {
        match (name.as_ref(), value.as_ref()) {
            ("tls", "none") if url.scheme() == "smtp" => tls = SmtpTls::None,
            ("tls", "starttls") if url.scheme() == "smtp" => tls = SmtpTls::StartTls,
            _ => {
                return Err(err(
                    key,
                    format!("unknown option `{name}={value}` (only tls=starttls or tls=none)"),
                ))
            }
        }
    }
    if tls == SmtpTls::None && !is_loopback(&host) {
        return Err(err(
            key,
            "tls=none sends mail and the relay's password in the clear: only for a relay on \
             loopback",
        ));
    }
    let port = url.port().unwrap_or(match tls {
        SmtpTls::Implicit => 465,
        _ => 587,
    });
    let username = (!url.username().is_empty()).then(|| percent_decode(url.username()));
    let password = url.password().map(|p| Secret::new(percent_decode(p)));
    let from = from.ok_or_else(|| {
        err(
            "COUNTERSIGN_SMTP_FROM",
            "is required with COUNTERSIGN_SMTP_URL (e.g. Countersign <countersign@example.com>)",
        )
    })?;
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(err(
            "COUNTERSIGN_SMTP_FROM",
            "is not an address (e.g. Countersign <countersign@example.com>)",
        ));
    }
    Ok(SmtpConfig {
        host,
        port,
        tls,
        username,
        password,
        from,
        ca_file: ca_file.map(PathBuf::from),
    })
}

fn percent_decode(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A chat webhook: https, or http on loopback; an address literal the outbound policy refuses
/// is refused here, by name.
fn parse_webhook(
    key: &str,
    raw: &str,
    outbound: &super::hardening::OutboundAllow,
) -> Result<Secret, ConfigError> {
    let url = url::Url::parse(raw).map_err(|_| err(key, "is not a URL"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let loopback = is_loopback(&host);
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(err(
            key,
            "must be https (the URL is the channel's password); http only on loopback",
        ));
    }
    let policy = crate::outbound::OutboundPolicy::new(outbound.clone());
    if let Err(refused) = policy.check_url(raw) {
        return Err(err(
            key,
            format!(
                "{}; allow it with COUNTERSIGN_OUTBOUND_ALLOW if it is meant",
                refused.0
            ),
        ));
    }
    Ok(Secret::new(raw.to_owned()))
}

pub(super) fn parse(
    get: &dyn Fn(&str) -> Option<String>,
    outbound: &super::hardening::OutboundAllow,
) -> Result<NotifyConfig, ConfigError> {
    let smtp = get("SMTP_URL")
        .map(|raw| parse_smtp(&raw, get("SMTP_FROM"), get("SMTP_CA_FILE")))
        .transpose()?;
    let webhook = |name: &str| {
        get(name)
            .map(|raw| parse_webhook(&format!("COUNTERSIGN_{name}"), &raw, outbound))
            .transpose()
    };
    Ok(NotifyConfig {
        smtp,
        slack_webhook: webhook("SLACK_WEBHOOK_URL")?,
        teams_webhook: webhook("TEAMS_WEBHOOK_URL")?,
        review_deadlines: get("REVIEW_DEADLINES")
            .map(|raw| ReviewDeadlines::parse(&raw))
            .transpose()
            .map_err(|problem| err("COUNTERSIGN_REVIEW_DEADLINES", problem))?
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn parsed(pairs: &[(&str, &str)]) -> Result<NotifyConfig, ConfigError> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        parse(&|k| map.get(k).cloned(), &Default::default())
    }

    #[test]
    fn smtp_needs_tls_beyond_loopback_and_a_sender() {
        let ok = parsed(&[
            ("SMTP_URL", "smtp://mailer:p%40ss@mail.example.com"),
            ("SMTP_FROM", "Countersign <countersign@example.com>"),
        ])
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!(
            (ok.host.as_str(), ok.port, ok.tls),
            ("mail.example.com", 587, SmtpTls::StartTls)
        );
        assert_eq!(ok.username.as_deref(), Some("mailer"));
        assert_eq!(ok.password.unwrap().expose(), "p@ss");
        assert!(!format!(
            "{:?}",
            parsed(&[
                ("SMTP_URL", "smtp://mailer:hunter2@mail.example.com"),
                ("SMTP_FROM", "c@example.com"),
            ])
            .unwrap()
        )
        .contains("hunter2"));
        let loopback = parsed(&[
            ("SMTP_URL", "smtp://127.0.0.1:2525?tls=none"),
            ("SMTP_FROM", "c@example.com"),
        ])
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!(loopback.tls, SmtpTls::None);
        for (pairs, key) in [
            (
                vec![
                    ("SMTP_URL", "smtp://mail.example.com?tls=none"),
                    ("SMTP_FROM", "c@example.com"),
                ],
                "COUNTERSIGN_SMTP_URL",
            ),
            (
                vec![("SMTP_URL", "http://mail.example.com")],
                "COUNTERSIGN_SMTP_URL",
            ),
            (
                vec![
                    ("SMTP_URL", "smtp://mail.example.com?tls=maybe"),
                    ("SMTP_FROM", "c@example.com"),
                ],
                "COUNTERSIGN_SMTP_URL",
            ),
            (
                vec![("SMTP_URL", "smtp://mail.example.com")],
                "COUNTERSIGN_SMTP_FROM",
            ),
            (
                vec![
                    ("SMTP_URL", "smtp://mail.example.com"),
                    ("SMTP_FROM", "not an address"),
                ],
                "COUNTERSIGN_SMTP_FROM",
            ),
            (
                vec![("REVIEW_DEADLINES", "3=1d")],
                "COUNTERSIGN_REVIEW_DEADLINES",
            ),
        ] {
            let error = parsed(&pairs).unwrap_err();
            assert_eq!(error.key, key, "{pairs:?}: {error}");
        }
    }

    #[test]
    fn webhooks_are_https_or_loopback_and_never_private_unless_allowed() {
        assert!(parsed(&[(
            "SLACK_WEBHOOK_URL",
            "https://hooks.slack.com/services/T/B/x"
        )])
        .is_ok());
        for (url, problem) in [
            ("http://hooks.example.com/x", "must be https"),
            ("https://10.1.2.3/hook", "COUNTERSIGN_OUTBOUND_ALLOW"),
            ("https://[fd00::1]/hook", "COUNTERSIGN_OUTBOUND_ALLOW"),
            ("not a url", "is not a URL"),
        ] {
            let error = parsed(&[("TEAMS_WEBHOOK_URL", url)]).unwrap_err();
            assert_eq!(error.key, "COUNTERSIGN_TEAMS_WEBHOOK_URL");
            assert!(error.problem.contains(problem), "{url}: {error}");
            assert!(
                !error.to_string().contains("/hook") || url == "not a url",
                "{error}"
            );
        }
    }
}
