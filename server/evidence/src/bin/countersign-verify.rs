//! `countersign-verify PACK --key VKEY`: checks a Countersign evidence pack offline, against the
//! log key the console's operator gave you, and prints a verdict with every failure by name.
//! Exit code 0 when every check passes, 1 when one fails, 2 when it could not run.

use countersign_evidence::verify_pack;
use countersign_transparency::VerifierKey;
use std::process::ExitCode;

const USAGE: &str = "usage: countersign-verify PACK --key VKEY\n\n\
PACK  an evidence pack (.tar) downloaded from a change's or workflow's page\n\
VKEY  the log's public key (name+id+key), or @FILE to read it from a file";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut pack = None;
    let mut key = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--key" => key = rest.next().cloned(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other if pack.is_none() && !other.starts_with('-') => pack = Some(other.to_owned()),
            other => {
                eprintln!("countersign-verify: unexpected argument `{other}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(pack), Some(key)) = (pack, key) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let key_text = match key.strip_prefix('@') {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) => {
                eprintln!("countersign-verify: cannot read the key file {path}: {error}");
                return ExitCode::from(2);
            }
        },
        None => key,
    };
    let key = match VerifierKey::parse(key_text.trim()) {
        Ok(key) => key,
        Err(error) => {
            eprintln!("countersign-verify: the key is not a log key (name+id+key): {error}");
            return ExitCode::from(2);
        }
    };
    let bytes = match std::fs::read(&pack) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("countersign-verify: cannot read {pack}: {error}");
            return ExitCode::from(2);
        }
    };
    let verdict = verify_pack(&bytes, &key);
    for check in &verdict.checks {
        let mark = if check.ok { "ok  " } else { "FAIL" };
        println!("{mark} {}: {}", check.name, check.detail);
    }
    if verdict.passed() {
        println!("VERIFIED: {pack} is what the log key signed");
        ExitCode::SUCCESS
    } else {
        let failed = verdict.failures().count();
        println!("NOT VERIFIED: {failed} check(s) failed");
        ExitCode::from(1)
    }
}
