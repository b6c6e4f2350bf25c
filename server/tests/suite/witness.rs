//! `countersign-witness` as a real process on loopback: it cosigns a log's checkpoints along one
//! history, remembers it across restarts, and answers the protocol's statuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::free_port;
use countersign_transparency::merkle::{consistency_proof, leaf_hash, root, Hash};
use countersign_transparency::note::Note;
use countersign_transparency::witness::{AddCheckpoint, CosignerKey};
use countersign_transparency::{Checkpoint, SignerKey};
use std::process::{Child, Command, Stdio};

struct WitnessProcess(Child);

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn witness_command(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_countersign-witness"));
    command
        .args(["--name", "witness.test/w1", "--key-file"])
        .arg(dir.join("w1.key"))
        .arg("--state-dir")
        .arg(dir.join("state"));
    command
}

async fn start(dir: &std::path::Path, port: u16, log: &str) -> WitnessProcess {
    let process = WitnessProcess(
        witness_command(dir)
            .args(["--bind", &format!("127.0.0.1:{port}"), "--log", log])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return process;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the witness did not start");
}

fn signed(key: &SignerKey, leaves: &[Hash], size: u64) -> String {
    Checkpoint {
        origin: key.name().to_owned(),
        size,
        root: root(leaves, size),
    }
    .sign(key)
    .unwrap()
}

async fn post(port: u16, request: &AddCheckpoint) -> (u16, Option<String>, String) {
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/add-checkpoint"))
        .body(request.encode())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, kind, response.text().await.unwrap())
}

#[tokio::test]
async fn the_witness_cosigns_one_history_and_remembers_it_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let log = SignerKey::generate("countersign.test/ledger").unwrap();
    let log_key = log.verifier().to_string();
    let printed = witness_command(dir.path())
        .arg("--print-key")
        .output()
        .unwrap();
    let witness_key =
        CosignerKey::parse(String::from_utf8_lossy(&printed.stdout).trim()).expect("a witness key");
    let history: Vec<Hash> = (0..30)
        .map(|i| leaf_hash(format!("e{i}").as_bytes()))
        .collect();
    let port = free_port();

    let witness = start(dir.path(), port, &log_key).await;
    let first = AddCheckpoint {
        old_size: 0,
        proof: vec![],
        checkpoint: signed(&log, &history, 12),
    };
    let (status, _, line) = post(port, &first).await;
    assert_eq!(status, 200, "{line}");
    let note = Note::parse(&format!("{}{line}", first.checkpoint)).unwrap();
    assert!(
        witness_key.verify(&note).is_some(),
        "the cosignature verifies"
    );

    // Restarted, it still knows size 12: a request from 0 is told so.
    drop(witness);
    let _witness = start(dir.path(), port, &log_key).await;
    let (status, kind, body) = post(
        port,
        &AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: signed(&log, &history, 30),
        },
    )
    .await;
    assert_eq!(
        (status, kind.as_deref(), body.as_str()),
        (409, Some("text/x.tlog.size"), "12\n")
    );

    // A rewritten history cannot pass it.
    let forked: Vec<Hash> = (0..30)
        .map(|i| leaf_hash(format!("x{i}").as_bytes()))
        .collect();
    let (status, _, body) = post(
        port,
        &AddCheckpoint {
            old_size: 12,
            proof: consistency_proof(forked.as_slice(), 12, 30).unwrap(),
            checkpoint: signed(&log, &forked, 30),
        },
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let (status, _, body) = post(
        port,
        &AddCheckpoint {
            old_size: 12,
            proof: consistency_proof(history.as_slice(), 12, 30).unwrap(),
            checkpoint: signed(&log, &history, 30),
        },
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let stranger = SignerKey::generate("elsewhere.test/log").unwrap();
    let (status, _, _) = post(
        port,
        &AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: signed(&stranger, &history, 3),
        },
    )
    .await;
    assert_eq!(status, 404, "an unknown log");
    let long_origin = SignerKey::generate(&"x".repeat(4000)).unwrap();
    let (status, _, _) = post(
        port,
        &AddCheckpoint {
            old_size: 0,
            proof: vec![],
            checkpoint: signed(&long_origin, &history, 3),
        },
    )
    .await;
    assert_eq!(status, 404, "an unknown log, however long its name");
}

/// The console asks a real witness to cosign its checkpoints, keeps the verified cosignatures,
/// and recovers when the witness remembers another size than the console thinks.
#[tokio::test]
async fn the_console_gets_its_checkpoints_cosigned() {
    use countersign::config::Mode;
    use countersign::witnessing::{parse_targets, Witnessing};
    let app = crate::http::start_app(Mode::Demo, &[]).await;
    let services = &app.services;
    let log_key = services.log_verifier().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let printed = witness_command(dir.path())
        .arg("--print-key")
        .output()
        .unwrap();
    let witness_key = String::from_utf8_lossy(&printed.stdout).trim().to_owned();
    let port = free_port();
    let witness = start(dir.path(), port, &log_key).await;
    let targets = parse_targets(&format!(
        "http://127.0.0.1:{port}/add-checkpoint {witness_key}"
    ))
    .unwrap();
    let witnessing = Witnessing::new(
        targets,
        std::sync::Arc::new(crate::common::loopback_allowed()),
    )
    .unwrap();

    let first = services.checkpoint_ledger().await.unwrap().unwrap();
    assert_eq!(witnessing.cosign_latest(services).await.unwrap(), 1);
    assert_eq!(
        witnessing.cosign_latest(services).await.unwrap(),
        0,
        "once per checkpoint"
    );
    let lines = services
        .store()
        .cosignatures(first.tree_size)
        .await
        .unwrap();
    assert_eq!(lines.len(), 1);
    let note = Note::parse(&format!("{}{}", first.note, lines[0])).unwrap();
    assert!(CosignerKey::parse(&witness_key)
        .unwrap()
        .verify(&note)
        .is_some());
    // The Audit page shows the checkpoint with its cosignature, as one note.
    let auditor = services.demo_persona("tomasz").await.unwrap();
    let shown = services.log_status(&auditor).await.unwrap().latest.unwrap();
    assert!(shown.note.ends_with(&lines[0]), "{}", shown.note);

    // New events; the witness forgets everything (a new state directory): it answers 409 with
    // size 0 and the console starts over from there.
    app.sign_in_as("tomasz").await;
    let second = services.checkpoint_ledger().await.unwrap().unwrap();
    drop(witness);
    std::fs::remove_dir_all(dir.path().join("state")).unwrap();
    let _witness = start(dir.path(), port, &log_key).await;
    assert_eq!(witnessing.cosign_latest(services).await.unwrap(), 1);
    assert_eq!(
        services
            .store()
            .cosignatures(second.tree_size)
            .await
            .unwrap()
            .len(),
        1
    );

    // A witness whose key is not the one configured: its answers are not kept.
    let other = tempfile::tempdir().unwrap();
    let impostor_port = free_port();
    let _impostor = start(other.path(), impostor_port, &log_key).await;
    let wrong = Witnessing::new(
        parse_targets(&format!(
            "http://127.0.0.1:{impostor_port}/add-checkpoint {witness_key}"
        ))
        .unwrap(),
        std::sync::Arc::new(crate::common::loopback_allowed()),
    )
    .unwrap();
    app.sign_in_as("priya").await;
    services.checkpoint_ledger().await.unwrap().unwrap();
    assert_eq!(wrong.cosign_latest(services).await.unwrap(), 0);

    assert!(parse_targets("http://x.example/add-checkpoint not-a-key").is_err());
    assert!(parse_targets("ftp://x.example/ w+00000000+AAAA").is_err());
}
