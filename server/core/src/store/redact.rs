//! Database URLs in messages and logs, with every secret they carry replaced: the password in
//! the user information (even one containing `@` or `/`), and any query parameter that holds a
//! password or key (`password`, `sslpassword`, …).

/// Query parameters whose values are secrets.
fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.contains("password") || key.contains("secret") || key.contains("token") || key == "sslkey"
}

fn redact_params(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if is_secret_param(key) => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// A URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_params(url);
    };
    // The last `@` ends the user information: a password may itself contain `@` or `/`.
    match rest.rsplit_once('@') {
        Some((userinfo, tail)) => {
            let user = userinfo.split([':', '/', '?']).next().unwrap_or_default();
            let password = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{password}@{}", redact_params(tail))
        }
        None => format!("{scheme}://{}", redact_params(rest)),
    }
}

/// The secrets in a URL: its password and secret parameters, raw and percent-decoded.
fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((_, rest)) = url.split_once("://") {
        if let Some((userinfo, _)) = rest.rsplit_once('@') {
            if let Some((_, password)) = userinfo.split_once(':') {
                found.push(password.to_owned());
            }
        }
    }
    if let Some((_, query)) = url.split_once('?') {
        for pair in query.split('&') {
            if let Some((key, value)) = pair.split_once('=') {
                if is_secret_param(key) {
                    found.push(value.to_owned());
                }
            }
        }
    }
    let decoded: Vec<String> = found
        .iter()
        .map(|s| {
            url::form_urlencoded::parse(format!("v={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        })
        .collect();
    found.extend(decoded);
    found.retain(|s| !s.is_empty());
    found.sort_by_key(|s| std::cmp::Reverse(s.len()));
    found
}

/// `message` with the URL and every secret in it replaced.
pub fn scrub(message: &str, url: &str) -> String {
    let mut message = message.replace(url, &redact_url(url));
    for secret in secrets(url) {
        message = message.replace(&secret, "***");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_redacted_urls() {
        for (url, redacted) in [
            (
                "postgres://cs:s3cret@db:5432/cs",
                "postgres://cs:***@db:5432/cs",
            ),
            ("postgres://cs:p@ss/w0rd@db/cs", "postgres://cs:***@db/cs"),
            ("sqlite://countersign.db", "sqlite://countersign.db"),
            (
                "postgres://db/cs?user=cs&password=s3cret&sslmode=require",
                "postgres://db/cs?user=cs&password=***&sslmode=require",
            ),
            (
                "postgres://cs@db/cs?sslpassword=k3y",
                "postgres://cs@db/cs?sslpassword=***",
            ),
        ] {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn messages_lose_every_form_of_the_secret() {
        let url = "postgres://cs:s%40cret@db/cs?password=other";
        let message =
            format!("cannot connect to {url}: password s@cret or s%40cret or other refused");
        let scrubbed = scrub(&message, url);
        for secret in ["s@cret", "s%40cret", "other"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
    }
}
