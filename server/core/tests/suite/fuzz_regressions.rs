//! Every input the fuzz targets were seeded with or ever failed on, replayed through the same
//! entry points (`countersign_core::fuzzing`) on every test run: a fixed crash stays fixed.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n != ".keep") {
                let bytes = std::fs::read(&path).unwrap_or_default();
                found.push((path, bytes));
            }
        }
    }
    found
}

fn replay(target: &str, run: fn(&[u8])) {
    let inputs = inputs(target);
    assert!(
        !inputs.is_empty(),
        "{target}: no seeds under server/fuzz/seeds/{target}"
    );
    for (path, bytes) in inputs {
        if std::panic::catch_unwind(|| run(&bytes)).is_err() {
            panic!("{target}: {} fails again", path.display());
        }
    }
}

#[test]
fn content_inputs_hold() {
    replay("content", countersign_core::fuzzing::content);
}

#[test]
fn consent_csv_inputs_hold() {
    replay("consent_csv", countersign_core::fuzzing::consent_csv);
}

#[test]
fn api_body_inputs_hold() {
    replay("api_body", countersign_core::fuzzing::api_body);
}

#[test]
fn receipt_inputs_hold() {
    replay("receipt", countersign_core::fuzzing::receipt);
}
