//! Sign-in and sign-out: OpenID Connect, demo personas, and resolving the actor of a request.

pub mod demo;
mod flow_cookie;
pub mod identity;
pub mod oidc;
mod routes;

pub use routes::router;

/// Only local paths are accepted as a place to return to after sign-in (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.starts_with("/auth/")
                && path.len() <= 512
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/audit?before=10")), "/audit?before=10");
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "/auth/logout",
            "audit",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
