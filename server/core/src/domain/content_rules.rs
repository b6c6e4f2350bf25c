//! What published content may contain: the allow-list of HTML elements, attributes and URL
//! schemes (documented in `docs/content-allow-list.md`), and the hosts a connected system lets
//! its content link to and load media from. Anything else is refused by name, never silently
//! dropped: an agent must know exactly what will be published.

use serde::Serialize;

/// Elements content may use. Everything else (scripts, styles, forms, frames, embeds, SVG,
/// document structure) is refused.
pub const ALLOWED_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
];

/// Elements with no end tag.
pub const VOID_ELEMENTS: &[&str] = &["br", "hr", "img"];

/// Elements after whose end the canonical form starts a new line (so diffs read by block).
pub const BLOCK_ELEMENTS: &[&str] = &[
    "blockquote",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ol",
    "p",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
];

/// Attributes any allowed element may carry.
const GLOBAL_ATTRIBUTES: &[&str] = &["dir", "lang", "style", "title"];

/// Attributes particular elements may carry, beyond the global ones.
fn element_attributes(element: &str) -> &'static [&'static str] {
    match element {
        "a" => &["href", "name"],
        "img" => &["alt", "height", "src", "width"],
        "td" | "th" => &["align", "colspan", "rowspan"],
        "ol" => &["start"],
        _ => &[],
    }
}

pub fn attribute_allowed(element: &str, attribute: &str) -> bool {
    GLOBAL_ATTRIBUTES.contains(&attribute) || element_attributes(element).contains(&attribute)
}

/// Whether a URL is a link a reader follows or media the reader's client loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UrlUse {
    Link,
    Media,
}

impl UrlUse {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlUse::Link => "link",
            UrlUse::Media => "media",
        }
    }
}

/// One construct outside the allow-list, named so the agent can fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// The element it was found on (`markdown` for Markdown's own links and images).
    pub element: String,
    pub attribute: Option<String>,
    pub url: Option<String>,
    /// What is wrong, in words.
    pub problem: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.element)?;
        if let Some(attribute) = &self.attribute {
            write!(f, " {attribute}")?;
        }
        if let Some(url) = &self.url {
            write!(f, " ({url})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// The hosts a connected system lets content link to and load media from: exact names, or
/// `*.example.com` for its subdomains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostAllowList(Vec<String>);

/// The most hosts one system lists.
pub const MAX_CONTENT_HOSTS: usize = 100;

impl HostAllowList {
    /// One host per line or comma; blank entries ignored. Refuses anything that is not a host
    /// name (no schemes, paths, ports or wildcards other than a leading `*.`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut hosts = Vec::new();
        for entry in raw
            .split(['\n', ','])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let entry = entry.to_ascii_lowercase();
            let name = entry.strip_prefix("*.").unwrap_or(&entry);
            let valid = !name.is_empty()
                && name.len() <= 253
                && name.contains('.')
                && name.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                });
            if !valid {
                return Err(format!(
                    "`{}` is not a host name (write cdn.example.com or *.example.com)",
                    entry.chars().take(80).collect::<String>()
                ));
            }
            if !hosts.contains(&entry) {
                hosts.push(entry);
            }
        }
        if hosts.len() > MAX_CONTENT_HOSTS {
            return Err(format!("at most {MAX_CONTENT_HOSTS} hosts"));
        }
        Ok(Self(hosts))
    }

    pub fn hosts(&self) -> &[String] {
        &self.0
    }

    /// Stored and shown one per line.
    pub fn to_lines(&self) -> String {
        self.0.join("\n")
    }

    pub fn allows(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.0.iter().any(|entry| match entry.strip_prefix("*.") {
            Some(parent) => host.len() > parent.len() + 1 && host.ends_with(&format!(".{parent}")),
            None => *entry == host,
        })
    }
}

/// A URL content uses, checked: its scheme fits its use and its host is allowed. Returns the
/// URL as it will be published (parsed and re-serialised, so what was checked is what is sent).
pub fn check_url(
    raw: &str,
    use_: UrlUse,
    hosts: &HostAllowList,
    element: &str,
    attribute: Option<&str>,
) -> Result<String, Violation> {
    let violation = |problem: String| Violation {
        element: element.to_owned(),
        attribute: attribute.map(str::to_owned),
        url: Some(raw.chars().take(300).collect()),
        problem,
    };
    let trimmed = raw.trim();
    if use_ == UrlUse::Link && trimmed.starts_with('#') && trimmed.len() <= 200 {
        let anchor_ok = trimmed[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        return if anchor_ok {
            Ok(trimmed.to_owned())
        } else {
            Err(violation(
                "an in-page anchor may hold only letters, digits, '-', '_' and '.'".to_owned(),
            ))
        };
    }
    if trimmed.len() > 2048 {
        return Err(violation("a URL of at most 2048 characters".to_owned()));
    }
    let url = url::Url::parse(trimmed).map_err(|_| {
        violation("not an absolute URL: write it in full, starting with https://".to_owned())
    })?;
    let scheme = url.scheme();
    let schemes: &[&str] = match use_ {
        UrlUse::Link => &["https", "http", "mailto", "tel"],
        UrlUse::Media => &["https"],
    };
    if !schemes.contains(&scheme) {
        return Err(violation(format!(
            "the {scheme}: scheme is not allowed for a {} (allowed: {})",
            use_.as_str(),
            schemes.join(", ")
        )));
    }
    if matches!(scheme, "https" | "http") {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(violation(
                "a URL may not carry a user name or password".to_owned(),
            ));
        }
        let host = url.host_str().unwrap_or_default();
        if !hosts.allows(host) {
            return Err(violation(format!(
                "{host} is not a host the target system allows{}",
                if hosts.hosts().is_empty() {
                    " (it allows none: a security admin lists them on the Workflows page)"
                        .to_owned()
                } else {
                    format!(" ({})", hosts.hosts().join(", "))
                }
            )));
        }
    }
    Ok(url.as_str().to_owned())
}

/// Inline styles may lay text out; they may not load anything or hide behind escapes.
pub fn check_style(value: &str, element: &str) -> Result<String, Violation> {
    let lower = value.to_ascii_lowercase();
    let forbidden = [
        "url(",
        "expression",
        "@import",
        "\\",
        "behavior",
        "-moz-binding",
        "javascript:",
        "image-set(",
    ];
    match forbidden.iter().find(|f| lower.contains(*f)) {
        Some(found) => Err(Violation {
            element: element.to_owned(),
            attribute: Some("style".to_owned()),
            url: None,
            problem: format!("a style may not use `{found}` (it could load or hide content)"),
        }),
        None => Ok(value.trim().to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lists_parse_strictly_and_match_exactly_or_by_subdomain() {
        let hosts = HostAllowList::parse("www.example.com, *.cdn.example.com\n\n").unwrap();
        for (host, allowed) in [
            ("www.example.com", true),
            ("WWW.Example.com", true),
            ("example.com", false),
            ("img.cdn.example.com", true),
            ("cdn.example.com", false),
            ("evilcdn.example.com", false),
            ("www.example.com.evil.net", false),
        ] {
            assert_eq!(hosts.allows(host), allowed, "{host}");
        }
        for bad in [
            "https://example.com",
            "example.com/path",
            "example.com:443",
            "*",
            "*.",
            "localhost",
        ] {
            assert!(HostAllowList::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_are_checked_by_use_scheme_and_host_and_republished_as_parsed() {
        let hosts = HostAllowList::parse("www.example.com\n*.cdn.example.com").unwrap();
        let link = |raw| check_url(raw, UrlUse::Link, &hosts, "a", Some("href"));
        let media = |raw| check_url(raw, UrlUse::Media, &hosts, "img", Some("src"));
        assert_eq!(
            link("https://WWW.example.com/offer").unwrap(),
            "https://www.example.com/offer"
        );
        assert!(link("mailto:offers@example.com").is_ok());
        assert!(link("#terms").is_ok());
        assert!(link("javascript:alert(1)").is_err());
        assert!(link("/relative").is_err());
        assert!(link("https://evil.net/").is_err());
        assert!(link("https://www.example.com@evil.net/").is_err());
        assert!(link("https://user:pw@www.example.com/").is_err());
        assert!(media("http://img.cdn.example.com/a.png").is_err());
        assert!(media("https://img.cdn.example.com/a.png").is_ok());
        assert!(media("data:image/png;base64,AAAA").is_err());
        let refused = link("https://evil.net/x").unwrap_err();
        assert_eq!(refused.url.as_deref(), Some("https://evil.net/x"));
        assert!(refused.problem.contains("evil.net"), "{}", refused.problem);
    }

    #[test]
    fn styles_that_load_or_escape_are_refused() {
        assert!(check_style("color: #333; font-weight: bold", "p").is_ok());
        for bad in [
            "background: url(https://t.example/p.gif)",
            "width: expression(alert(1))",
            "@import 'x.css'",
            "content: '\\75rl'",
        ] {
            assert!(check_style(bad, "p").is_err(), "{bad}");
        }
    }
}
