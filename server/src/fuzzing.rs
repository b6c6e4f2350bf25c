//! The configuration parser's fuzz entry point (the core's are in `countersign_core::fuzzing`):
//! any environment and any file text end in a configuration or an error naming a key, never a
//! panic, and a secret given never shows in the error.

use crate::config::{parse_file_text, Config, Mode};
use std::collections::HashMap;

const SECRET: &str = "fuzz-secret-value-7b3c";

/// The first byte picks the mode; the rest is `KEY=VALUE` lines (keys without the
/// `COUNTERSIGN_` prefix), also parsed as a configuration file.
pub fn config(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mode = [Mode::Serve, Mode::Demo, Mode::Maintenance][usize::from(selector) % 3];
    let mut env: HashMap<String, String> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (format!("COUNTERSIGN_{}", key.trim()), value.to_owned()))
        .collect();
    env.insert(
        "COUNTERSIGN_OIDC_CLIENT_SECRET".to_owned(),
        SECRET.to_owned(),
    );
    match Config::from_sources(None, &env, mode) {
        Ok(config) => assert!(
            !format!("{config:?}").contains(SECRET),
            "a secret in Debug output"
        ),
        Err(error) => {
            assert!(!error.key.is_empty(), "an error without its key");
            assert!(!error.to_string().contains(SECRET), "a secret in an error");
        }
    }
    let _ = parse_file_text(text, std::path::Path::new("fuzz.toml"));
}
