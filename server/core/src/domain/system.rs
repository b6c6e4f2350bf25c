//! Connected systems: the CRMs, campaign systems, ad platforms and CMSs Countersign publishes
//! to, each with the data fields it exposes and their GDPR category.

use super::{HumanId, SystemId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SystemError {
    #[error("unknown kind `{0}` (expected crm, campaign, ad_platform, cms, ticketing or other)")]
    UnknownKind(String),
    #[error("unknown category `{0}` (expected contact, behavioural, financial, special_category or none)")]
    UnknownCategory(String),
    #[error("name must be 3 to 80 characters of letters, digits, spaces, '-', '_' or '.'")]
    BadName,
    #[error("{0}")]
    BadUrl(String),
    #[error("field `{0}`: names are 1 to 64 characters of a-z, 0-9, '_' and '.'")]
    BadField(String),
    #[error("field `{0}` is listed twice")]
    DuplicateField(String),
    #[error("list at most {0} fields")]
    TooManyFields(usize),
}

macro_rules! string_enum {
    ($name:ident, $error:ident, { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, SystemError> {
                match raw { $($text => Ok($name::$variant),)+ other => Err(SystemError::$error(other.chars().take(40).collect())) }
            }
        }
    };
}

string_enum!(SystemKind, UnknownKind, {
    Crm => "crm",
    Campaign => "campaign",
    AdPlatform => "ad_platform",
    Cms => "cms",
    Ticketing => "ticketing",
    Other => "other",
});

string_enum!(FieldCategory, UnknownCategory, {
    Contact => "contact",
    Behavioural => "behavioural",
    Financial => "financial",
    SpecialCategory => "special_category",
    None => "none",
});

pub const MAX_FIELDS: usize = 200;

/// Where a connected system's contract endpoints live: `https://…`, or `http://` on a loopback
/// address (the reference system and tests). No credentials, query or fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(raw: &str) -> Result<Self, SystemError> {
        let bad = |why: &str| SystemError::BadUrl(format!("base URL {why}"));
        let raw = raw.trim().trim_end_matches('/');
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("must start with https://"))?;
        let host_port = rest.split('/').next().unwrap_or_default();
        let host = host_port
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(host_port, |(host, _)| host);
        let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
        if host.is_empty() || rest.contains('@') || rest.contains('?') || rest.contains('#') {
            return Err(bad(
                "must be a plain https URL without credentials, query or fragment",
            ));
        }
        match scheme {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(bad(
                    "must use https (plain http only on a loopback address)",
                ))
            }
            _ => return Err(bad("must start with https://")),
        }
        if raw.len() > 500 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("is not a valid URL"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A data field a system exposes, with its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataField {
    pub name: String,
    pub category: FieldCategory,
}

impl DataField {
    pub fn parse(name: &str, category: &str) -> Result<Self, SystemError> {
        let name = name.trim();
        let valid = (1..=64).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !valid {
            return Err(SystemError::BadField(name.chars().take(64).collect()));
        }
        Ok(Self {
            name: name.to_owned(),
            category: FieldCategory::parse(category.trim())?,
        })
    }

    /// Parses `name:category` lines (blank lines ignored), refusing duplicates.
    pub fn parse_list(text: &str) -> Result<Vec<Self>, SystemError> {
        let mut fields: Vec<DataField> = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (name, category) = line.split_once(':').unwrap_or((line, "none"));
            let field = Self::parse(name, category)?;
            if fields.iter().any(|f| f.name == field.name) {
                return Err(SystemError::DuplicateField(field.name));
            }
            fields.push(field);
            if fields.len() > MAX_FIELDS {
                return Err(SystemError::TooManyFields(MAX_FIELDS));
            }
        }
        Ok(fields)
    }
}

/// The result of one revocation drill against a system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    pub id: super::DrillId,
    pub system_id: SystemId,
    pub run_by: HumanId,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub passed: bool,
    /// The receipt, as JSON, when the system answered with one.
    pub receipt: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedSystem {
    pub id: SystemId,
    pub name: String,
    pub kind: SystemKind,
    pub base_url: String,
    pub fields: Vec<DataField>,
    /// Increases with every rotation of the signing secret.
    pub secret_version: i64,
    pub created_by: HumanId,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_except_on_loopback() {
        assert!(BaseUrl::parse("https://crm.example.com/api/")
            .is_ok_and(|u| u.as_str() == "https://crm.example.com/api"));
        assert!(BaseUrl::parse("http://127.0.0.1:4100").is_ok());
        for bad in [
            "http://crm.example.com",
            "ftp://x",
            "crm.example.com",
            "https://user:pw@crm.example.com",
            "https://x.example?y=1",
            "https://",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn field_lists_parse_with_categories() {
        let fields = DataField::parse_list(
            "email:contact\n\nfirst_name:contact\nhealth.condition:special_category\nregion",
        )
        .unwrap_or_default();
        assert_eq!(fields.len(), 4);
        assert_eq!(fields[2].category, FieldCategory::SpecialCategory);
        assert_eq!(fields[3].category, FieldCategory::None);
        assert!(DataField::parse_list("email:contact\nemail:contact").is_err());
        assert!(DataField::parse_list("Email:contact").is_err());
        assert!(DataField::parse_list("email:secret")
            .unwrap_err()
            .to_string()
            .contains("unknown category `secret`"));
    }
}
