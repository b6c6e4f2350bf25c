//! The configuration parser's fuzz seeds and every input it ever failed on, replayed through
//! `countersign::fuzzing::config` on every test run.

#[test]
fn config_inputs_hold() {
    let fuzz = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join("config")) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.file_name().is_some_and(|n| n == ".keep") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            if std::panic::catch_unwind(|| countersign::fuzzing::config(&bytes)).is_err() {
                panic!("config: {} fails again", path.display());
            }
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no seeds under server/fuzz/seeds/config");
}
