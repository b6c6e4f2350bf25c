//! Configuration: an optional TOML file (`--config PATH`) overlaid by `COUNTERSIGN_*`
//! environment variables (the environment wins). Every problem names its key; secrets never
//! appear in `Debug` output or logs.

pub mod hardening;
pub mod ledger_log;
pub mod notify;

use countersign_core::domain::{RoleMap, SignoffPolicy, SignoffRule, Tier};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The database URL. Its password never shows in `Debug` output; read it with `expose`.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&countersign_core::store::redact_url(&self.0))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What the process is started for: serving (with an IdP or in demo mode) or a maintenance
/// command that only needs the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serve,
    Demo,
    Maintenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scopes: Vec<String>,
    pub groups_claim: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: SocketAddr,
    pub public_url: Url,
    pub oidc: Option<OidcConfig>,
    pub role_map: RoleMap,
    pub session_idle_timeout: Duration,
    pub session_absolute_timeout: Duration,
    pub log_format: LogFormat,
    pub site_root: PathBuf,
    pub policy_dir: Option<PathBuf>,
    pub max_body_bytes: usize,
    /// The longest a service account or agent may be registered for.
    pub nhi_max_lifetime: Duration,
    /// The key that encrypts stored signing secrets: from `COUNTERSIGN_SECRET_KEY`, or else the
    /// key file.
    pub secret_key: Option<Secret>,
    pub secret_key_file: PathBuf,
    /// How long an identity's access token lives (at most 15 minutes).
    pub token_lifetime: Duration,
    /// Token requests allowed per client per minute.
    pub token_rate_limit: u32,
    /// How long a passing revocation drill counts for activation.
    pub drill_validity: Duration,
    /// The sign-offs a change needs at each tier.
    pub signoffs: SignoffPolicy,
    /// How long a sign-off counts before it expires.
    pub signoff_lifetime: Duration,
    /// The tiers whose drafts policy may approve under a template (tier 3 never).
    pub template_tiers: countersign_core::domain::TemplateTiers,
    /// How long a connected system has to answer one call.
    pub delivery_timeout: Duration,
    pub demo: bool,
    /// Demo mode tells its story at the first start: changes at every stage of the gate, a
    /// widening to review, an orphan to reassign (off: only people, identities and a workflow).
    pub demo_story: bool,
    /// How often the demo agent drafts a new change while the console runs (`None`: never).
    pub demo_agent_every: Option<Duration>,
    /// Where demo mode runs the reference connected system (loopback only).
    pub demo_sandbox_bind: SocketAddr,
    /// Rate and time limits, outbound destinations, metrics access.
    pub hardening: hardening::Hardening,
    /// The ledger's verifiable log: its key, its name, its checkpoints' pace.
    pub ledger_log: ledger_log::LedgerLog,
    /// Email and chat channels, and review deadlines.
    pub notify: notify::NotifyConfig,
}

/// One message naming the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

fn err(key: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.to_owned(),
        problem: problem.into(),
    }
}

/// The keys, as environment variables; the TOML file uses the same names in lower case without
/// the prefix (`database_url = "…"`).
const KEYS: &[&str] = &[
    "DATABASE_URL",
    "BIND",
    "PUBLIC_URL",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_SCOPES",
    "OIDC_GROUPS_CLAIM",
    "ROLE_MAP",
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ABSOLUTE_TIMEOUT",
    "LOG_FORMAT",
    "SITE_ROOT",
    "POLICY_DIR",
    "MAX_BODY_BYTES",
    "NHI_MAX_LIFETIME",
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "TOKEN_LIFETIME",
    "TOKEN_RATE_LIMIT",
    "DRILL_VALIDITY",
    "SIGNOFFS_TIER1",
    "SIGNOFFS_TIER2",
    "SIGNOFFS_TIER3",
    "SIGNOFF_LIFETIME",
    "DELIVERY_TIMEOUT",
    "DEMO_STORY",
    "DEMO_AGENT_EVERY",
    "DEMO_SANDBOX_BIND",
    "SIGN_IN_RATE_LIMIT",
    "FAILED_SIGN_IN_LIMIT",
    "CLIENT_IP_HEADER",
    "REQUEST_TIMEOUT",
    "OUTBOUND_ALLOW",
    "METRICS_TOKEN",
    "ALLOW_INSECURE_PUBLIC_URL",
    "ROLE_MAX_AGE",
    "REAUTH_WINDOW",
    "LOG_KEY",
    "LOG_KEY_FILE",
    "LOG_ORIGIN",
    "CHECKPOINT_INTERVAL",
    "CHECKPOINT_DIR",
    "WITNESSES",
    "SMTP_URL",
    "SMTP_FROM",
    "SMTP_CA_FILE",
    "SLACK_WEBHOOK_URL",
    "TEAMS_WEBHOOK_URL",
    "REVIEW_DEADLINES",
    "TEMPLATE_TIERS",
];

/// The file's keys are the environment's names in lower case without the prefix; an unknown key
/// is an error (a typo must not silently leave a default in place).
fn read_file(path: &Path) -> Result<HashMap<&'static str, String>, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| err("--config", format!("cannot read {}: {e}", path.display())))?;
    parse_file_text(&text, path)
}

/// The file's text as configuration values (the file's name only labels messages).
pub fn parse_file_text(
    text: &str,
    path: &Path,
) -> Result<HashMap<&'static str, String>, ConfigError> {
    let table: toml::Table = toml::from_str(text)
        .map_err(|e| err("--config", format!("{}: {}", path.display(), e.message())))?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let Some(known) = KEYS.iter().find(|k| k.to_ascii_lowercase() == key) else {
            return Err(err(
                "--config",
                format!("{}: unknown key `{key}`", path.display()),
            ));
        };
        let value = match value {
            toml::Value::String(text) => text,
            toml::Value::Integer(n) => n.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            _ => {
                return Err(err(
                    "--config",
                    format!(
                        "{}: `{key}` must be a string, number or boolean",
                        path.display()
                    ),
                ))
            }
        };
        values.insert(*known, value);
    }
    Ok(values)
}

impl Config {
    /// Reads the file (if any) and the process environment.
    pub fn load(file: Option<&Path>, mode: Mode) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_sources(file, &env, mode)
    }

    pub fn from_sources(
        file: Option<&Path>,
        env: &HashMap<String, String>,
        mode: Mode,
    ) -> Result<Self, ConfigError> {
        let demo = mode == Mode::Demo;
        let mut values = match file {
            Some(path) => read_file(path)?,
            None => HashMap::new(),
        };
        for key in KEYS {
            if let Some(value) = env.get(&format!("COUNTERSIGN_{key}")) {
                values.insert(key, value.clone());
            }
        }
        let get = |key: &str| values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let name = |key: &str| format!("COUNTERSIGN_{key}");

        let database_url = get("DATABASE_URL")
            .unwrap_or("sqlite://countersign.db")
            .to_owned();
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err(
                &name("DATABASE_URL"),
                "must start with sqlite:// or postgres://",
            ));
        }

        let bind: SocketAddr = get("BIND")
            .unwrap_or("127.0.0.1:3000")
            .parse()
            .map_err(|_| {
                err(
                    &name("BIND"),
                    "must be an address and port, like 127.0.0.1:3000",
                )
            })?;

        let public_url = Url::parse(get("PUBLIC_URL").unwrap_or("http://127.0.0.1:3000"))
            .map_err(|e| err(&name("PUBLIC_URL"), format!("not a URL: {e}")))?;
        if !matches!(public_url.scheme(), "http" | "https")
            || public_url.host().is_none()
            || public_url.path() != "/"
            || public_url.query().is_some()
        {
            return Err(err(
                &name("PUBLIC_URL"),
                "must be an http(s) origin without a path, like https://countersign.example.com",
            ));
        }

        let oidc = match get("OIDC_ISSUER") {
            None => {
                if mode == Mode::Serve {
                    return Err(err(
                        &name("OIDC_ISSUER"),
                        "required (or start with --demo to use demo personas instead of an IdP)",
                    ));
                }
                None
            }
            Some(issuer) => {
                let parsed = Url::parse(issuer)
                    .map_err(|e| err(&name("OIDC_ISSUER"), format!("not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(err(&name("OIDC_ISSUER"), "must be an http(s) URL"));
                }
                let client_id = get("OIDC_CLIENT_ID")
                    .ok_or_else(|| err(&name("OIDC_CLIENT_ID"), "required when an issuer is set"))?
                    .to_owned();
                let client_secret = get("OIDC_CLIENT_SECRET").ok_or_else(|| {
                    err(
                        &name("OIDC_CLIENT_SECRET"),
                        "required when an issuer is set",
                    )
                })?;
                let scopes: Vec<String> = get("OIDC_SCOPES")
                    .unwrap_or("openid email profile groups")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect();
                if !scopes.iter().any(|s| s == "openid") {
                    return Err(err(&name("OIDC_SCOPES"), "must include `openid`"));
                }
                Some(OidcConfig {
                    // Kept exactly as given: the ID token's `iss` must match it character for
                    // character.
                    issuer: issuer.to_owned(),
                    client_id,
                    client_secret: Secret::new(client_secret.to_owned()),
                    scopes,
                    groups_claim: get("OIDC_GROUPS_CLAIM").unwrap_or("groups").to_owned(),
                })
            }
        };

        let role_map = RoleMap::parse(get("ROLE_MAP").unwrap_or(""))
            .map_err(|e| err(&name("ROLE_MAP"), e.to_string()))?;
        if oidc.is_some() && role_map.is_empty() {
            return Err(err(
                &name("ROLE_MAP"),
                "required with an IdP: map at least one group to a role, like approver=mkt-approvers",
            ));
        }

        let session_idle_timeout = duration(get("SESSION_IDLE_TIMEOUT").unwrap_or("30m"))
            .map_err(|p| err(&name("SESSION_IDLE_TIMEOUT"), p))?;
        let session_absolute_timeout = duration(get("SESSION_ABSOLUTE_TIMEOUT").unwrap_or("12h"))
            .map_err(|p| err(&name("SESSION_ABSOLUTE_TIMEOUT"), p))?;
        if session_absolute_timeout < session_idle_timeout {
            return Err(err(
                &name("SESSION_ABSOLUTE_TIMEOUT"),
                "must not be shorter than the idle timeout",
            ));
        }

        let log_format = match get("LOG_FORMAT").unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(err(
                    &name("LOG_FORMAT"),
                    format!("`{other}` is not `text` or `json`"),
                ))
            }
        };

        let max_body_bytes = match get("MAX_BODY_BYTES") {
            None => 256 * 1024,
            Some(raw) => raw
                .parse::<usize>()
                .ok()
                .filter(|n| (1024..=64 * 1024 * 1024).contains(n))
                .ok_or_else(|| {
                    err(
                        &name("MAX_BODY_BYTES"),
                        "must be a number of bytes from 1024 to 67108864",
                    )
                })?,
        };

        let nhi_max_lifetime = duration(get("NHI_MAX_LIFETIME").unwrap_or("90d"))
            .map_err(|p| err(&name("NHI_MAX_LIFETIME"), p))?;
        if nhi_max_lifetime > Duration::from_secs(400 * 86_400) {
            return Err(err(&name("NHI_MAX_LIFETIME"), "must be at most 400d"));
        }

        let token_lifetime = duration(get("TOKEN_LIFETIME").unwrap_or("900s"))
            .map_err(|p| err(&name("TOKEN_LIFETIME"), p))?;
        if token_lifetime > Duration::from_secs(900) || token_lifetime < Duration::from_secs(30) {
            return Err(err(
                &name("TOKEN_LIFETIME"),
                "must be from 30s to 900s (tokens are short-lived by design)",
            ));
        }
        let token_rate_limit = match get("TOKEN_RATE_LIMIT") {
            None => 30,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    err(
                        &name("TOKEN_RATE_LIMIT"),
                        "must be a number of requests per client per minute from 1 to 10000",
                    )
                })?,
        };
        let drill_validity = duration(get("DRILL_VALIDITY").unwrap_or("30d"))
            .map_err(|p| err(&name("DRILL_VALIDITY"), p))?;
        if drill_validity > Duration::from_secs(365 * 86_400) {
            return Err(err(&name("DRILL_VALIDITY"), "must be at most 365d"));
        }
        let signoff_lifetime = duration(get("SIGNOFF_LIFETIME").unwrap_or("7d"))
            .map_err(|p| err(&name("SIGNOFF_LIFETIME"), p))?;
        if signoff_lifetime < Duration::from_secs(3600)
            || signoff_lifetime > Duration::from_secs(90 * 86_400)
        {
            return Err(err(&name("SIGNOFF_LIFETIME"), "must be from 1h to 90d"));
        }
        let delivery_timeout = duration(get("DELIVERY_TIMEOUT").unwrap_or("10s"))
            .map_err(|p| err(&name("DELIVERY_TIMEOUT"), p))?;
        if delivery_timeout < Duration::from_secs(1) || delivery_timeout > Duration::from_secs(60) {
            return Err(err(&name("DELIVERY_TIMEOUT"), "must be from 1s to 60s"));
        }
        let signoffs = {
            let defaults = SignoffPolicy::default();
            let tier = |n: u8, tier: Tier| -> Result<SignoffRule, ConfigError> {
                let key = format!("SIGNOFFS_TIER{n}");
                match get(&key) {
                    None => Ok(defaults.for_tier(tier).clone()),
                    Some(raw) => {
                        SignoffRule::parse(raw).map_err(|e| err(&name(&key), e.to_string()))
                    }
                }
            };
            SignoffPolicy::new(
                tier(1, Tier::One)?,
                tier(2, Tier::Two)?,
                tier(3, Tier::Three)?,
            )
            .map_err(|e| err(&name("SIGNOFFS_TIER1..3"), e.to_string()))?
        };

        // Demo mode shows a standard change in its tier-2 workflow; elsewhere tier 1 only
        // unless the operator says more.
        let template_tiers = countersign_core::domain::TemplateTiers::parse(
            get("TEMPLATE_TIERS").unwrap_or(if demo { "1,2" } else { "1" }),
        )
        .map_err(|p| err(&name("TEMPLATE_TIERS"), p))?;

        let demo_story = match get("DEMO_STORY").unwrap_or("true") {
            "true" | "on" | "1" => true,
            "false" | "off" | "0" => false,
            other => {
                return Err(err(
                    &name("DEMO_STORY"),
                    format!("`{other}`: write true or false"),
                ))
            }
        };
        let demo_agent_every = match get("DEMO_AGENT_EVERY").unwrap_or("5m") {
            "off" | "0" => None,
            raw => {
                let every = duration(raw).map_err(|p| err(&name("DEMO_AGENT_EVERY"), p))?;
                if every < Duration::from_secs(10) || every > Duration::from_secs(86_400) {
                    return Err(err(
                        &name("DEMO_AGENT_EVERY"),
                        "must be from 10s to 1d, or off",
                    ));
                }
                Some(every)
            }
        };
        let demo_sandbox_bind: SocketAddr = get("DEMO_SANDBOX_BIND")
            .unwrap_or("127.0.0.1:4100")
            .parse()
            .map_err(|_| {
                err(
                    &name("DEMO_SANDBOX_BIND"),
                    "expected host:port, like 127.0.0.1:4100",
                )
            })?;
        if !demo_sandbox_bind.ip().is_loopback() {
            return Err(err(
                &name("DEMO_SANDBOX_BIND"),
                "the demo's reference system only binds to a loopback address",
            ));
        }

        if demo && !bind.ip().is_loopback() {
            return Err(err(
                "--demo",
                format!(
                    "demo mode signs anyone in as any persona, so it only binds to a loopback \
                     address; {} is not one (set COUNTERSIGN_BIND=127.0.0.1:3000)",
                    bind.ip()
                ),
            ));
        }

        let hardening = hardening::parse(&|key| get(key).map(str::to_owned))?;
        let secret_key_file = PathBuf::from(get("SECRET_KEY_FILE").unwrap_or("countersign.key"));
        let ledger_log = ledger_log::parse(
            &|key| get(key).map(str::to_owned),
            &public_url,
            &secret_key_file,
        )?;
        let notify = notify::parse(
            &|key| get(key).map(str::to_owned),
            &hardening.outbound_allow,
        )?;
        let loopback_public_url = match public_url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(host)) => host == "localhost",
            None => false,
        };
        if public_url.scheme() != "https"
            && !loopback_public_url
            && !hardening.allow_insecure_public_url
        {
            return Err(err(
                &name("PUBLIC_URL"),
                "must be https (sessions and sign-in would cross the network in the clear); \
                 a loopback address is allowed for local use, and COUNTERSIGN_ALLOW_INSECURE_PUBLIC_URL=true \
                 allows plain http when TLS ends in front of the console on the same host",
            ));
        }

        Ok(Self {
            database_url: DatabaseUrl(database_url),
            bind,
            public_url,
            oidc,
            role_map,
            session_idle_timeout,
            session_absolute_timeout,
            log_format,
            site_root: PathBuf::from(get("SITE_ROOT").unwrap_or("target/site")),
            policy_dir: get("POLICY_DIR").map(PathBuf::from),
            max_body_bytes,
            nhi_max_lifetime,
            secret_key: get("SECRET_KEY").map(|k| Secret::new(k.to_owned())),
            secret_key_file,
            token_lifetime,
            token_rate_limit,
            drill_validity,
            signoffs,
            template_tiers,
            signoff_lifetime,
            delivery_timeout,
            demo,
            demo_story,
            demo_agent_every,
            demo_sandbox_bind,
            hardening,
            ledger_log,
            notify,
        })
    }

    /// `{PUBLIC_URL}/auth/callback`
    pub fn redirect_uri(&self) -> String {
        format!("{}auth/callback", self.public_url)
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public origin, as browsers send it in `Origin`.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

/// `90s`, `30m`, `12h`, `7d` (a plain number is seconds).
fn duration(raw: &str) -> Result<Duration, String> {
    let (digits, unit) = raw
        .find(|c: char| !c.is_ascii_digit())
        .map_or((raw, "s"), |at| raw.split_at(at));
    let value: u64 = digits
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration like 90s, 30m or 12h"))?;
    let seconds = match unit {
        "s" => value,
        "m" => value * 60,
        "h" => value * 3600,
        "d" => value * 86_400,
        _ => return Err(format!("`{raw}`: unit must be s, m, h or d")),
    };
    if seconds == 0 {
        return Err("must be longer than zero".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn oidc_env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("COUNTERSIGN_OIDC_ISSUER", "http://127.0.0.1:4011"),
            ("COUNTERSIGN_OIDC_CLIENT_ID", "countersign"),
            ("COUNTERSIGN_OIDC_CLIENT_SECRET", "hunter2-very-secret"),
            ("COUNTERSIGN_ROLE_MAP", "approver=mkt;auditor=audit"),
        ]
    }

    #[test]
    fn demo_defaults_are_sensible() {
        let config =
            Config::from_sources(None, &env(&[]), Mode::Demo).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.database_url.expose(), "sqlite://countersign.db");
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.redirect_uri(), "http://127.0.0.1:3000/auth/callback");
        assert_eq!(config.session_idle_timeout, Duration::from_secs(1800));
        assert!(!config.secure_cookies());
        assert!(config.demo_story);
        assert_eq!(config.demo_agent_every, Some(Duration::from_secs(300)));
        assert_eq!(config.demo_sandbox_bind.to_string(), "127.0.0.1:4100");
    }

    #[test]
    fn the_demo_story_and_agent_are_configured_and_bad_values_named() {
        let load = |pairs: &[(&str, &str)]| Config::from_sources(None, &env(pairs), Mode::Demo);
        let quiet = load(&[
            ("COUNTERSIGN_DEMO_STORY", "false"),
            ("COUNTERSIGN_DEMO_AGENT_EVERY", "off"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(!quiet.demo_story);
        assert_eq!(quiet.demo_agent_every, None);
        for (key, value, words) in [
            ("COUNTERSIGN_DEMO_STORY", "maybe", "write true or false"),
            ("COUNTERSIGN_DEMO_AGENT_EVERY", "1s", "from 10s to 1d"),
            ("COUNTERSIGN_DEMO_AGENT_EVERY", "soon", "not a duration"),
            ("COUNTERSIGN_DEMO_SANDBOX_BIND", "0.0.0.0:4100", "loopback"),
            ("COUNTERSIGN_DEMO_SANDBOX_BIND", "nowhere", "host:port"),
        ] {
            let error = load(&[(key, value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                error.contains(key) && error.contains(words),
                "{key}={value}: {error}"
            );
        }
    }

    #[test]
    fn environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("countersign.toml");
        std::fs::write(&path, "bind = \"127.0.0.1:4000\"\nlog_format = \"json\"\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let config = Config::from_sources(
            Some(&path),
            &env(&[("COUNTERSIGN_BIND", "127.0.0.1:5000")]),
            Mode::Demo,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.bind.to_string(), "127.0.0.1:5000");
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn each_bad_value_names_its_key() {
        // (environment, mode, the key the error must name)
        type Case = (Vec<(&'static str, &'static str)>, Mode, &'static str);
        let cases: Vec<Case> = vec![
            (vec![], Mode::Serve, "COUNTERSIGN_OIDC_ISSUER"),
            (
                vec![("COUNTERSIGN_BIND", "localhost")],
                Mode::Demo,
                "COUNTERSIGN_BIND",
            ),
            (
                vec![("COUNTERSIGN_DATABASE_URL", "mysql://x")],
                Mode::Demo,
                "COUNTERSIGN_DATABASE_URL",
            ),
            (
                vec![("COUNTERSIGN_PUBLIC_URL", "ftp://x")],
                Mode::Demo,
                "COUNTERSIGN_PUBLIC_URL",
            ),
            (
                vec![("COUNTERSIGN_ROLE_MAP", "boss=ceo")],
                Mode::Demo,
                "COUNTERSIGN_ROLE_MAP",
            ),
            (
                vec![("COUNTERSIGN_SESSION_IDLE_TIMEOUT", "soon")],
                Mode::Demo,
                "COUNTERSIGN_SESSION_IDLE_TIMEOUT",
            ),
            (
                vec![("COUNTERSIGN_LOG_FORMAT", "xml")],
                Mode::Demo,
                "COUNTERSIGN_LOG_FORMAT",
            ),
            (
                vec![("COUNTERSIGN_BIND", "0.0.0.0:3000")],
                Mode::Demo,
                "--demo",
            ),
            (
                vec![("COUNTERSIGN_SIGNOFF_LIFETIME", "30m")],
                Mode::Demo,
                "COUNTERSIGN_SIGNOFF_LIFETIME",
            ),
            (
                vec![("COUNTERSIGN_SIGNOFF_LIFETIME", "91d")],
                Mode::Demo,
                "COUNTERSIGN_SIGNOFF_LIFETIME",
            ),
            (
                vec![("COUNTERSIGN_DELIVERY_TIMEOUT", "2m")],
                Mode::Demo,
                "COUNTERSIGN_DELIVERY_TIMEOUT",
            ),
            (
                vec![("COUNTERSIGN_OIDC_ISSUER", "http://127.0.0.1:4011")],
                Mode::Serve,
                "COUNTERSIGN_OIDC_CLIENT_ID",
            ),
        ];
        for (pairs, mode, key) in cases {
            let error = Config::from_sources(None, &env(&pairs), mode)
                .err()
                .unwrap_or_else(|| panic!("{pairs:?} should be refused"));
            assert_eq!(error.key, key, "{pairs:?}: {error}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug_output_or_errors() {
        let mut pairs = oidc_env();
        pairs.push(("COUNTERSIGN_LOG_FORMAT", "yaml"));
        let error = Config::from_sources(None, &env(&pairs), Mode::Serve).err();
        assert!(error.is_some_and(|e| !e.to_string().contains("hunter2")));

        let config = Config::from_sources(None, &env(&oidc_env()), Mode::Serve)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn durations_parse() {
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("2h"), Ok(Duration::from_secs(7200)));
        assert!(duration("0s").is_err());
        assert!(duration("5w").is_err());
    }
}
