//! The framework map over the living demo's world: statuses computed from what the console
//! holds, per workflow too, exported as CSV and as an OSCAL assessment-results document that an
//! independent OSCAL implementation (compliance-trestle, as compliance teams use it) accepts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::http::start_app;
use countersign::config::Mode;
use countersign_core::domain::compliance::{FactId, Status};
use countersign_core::{Actor, CoreError};
use std::path::PathBuf;

/// The Python that has compliance-trestle (scripts/test.sh installs it).
fn trestle_python() -> PathBuf {
    let path = std::env::var_os("COUNTERSIGN_TEST_TRESTLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/tools/trestle/bin/python")
        });
    assert!(
        path.exists(),
        "compliance-trestle is not installed at {}: run the suite with scripts/test.sh, which installs it, \
         or set COUNTERSIGN_TEST_TRESTLE_PYTHON",
        path.display()
    );
    path
}

/// Validates `document` with trestle's OSCAL models; the error text when it refuses.
fn trestle_validates(document: &serde_json::Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assessment-results.json");
    std::fs::write(&file, serde_json::to_vec_pretty(document).unwrap()).unwrap();
    let output = std::process::Command::new(trestle_python())
        .arg("-c")
        .arg(
            "import sys\n\
             from trestle.oscal.assessment_results import Model\n\
             model = Model.model_validate_json(open(sys.argv[1]).read())\n\
             results = model.assessment_results.results\n\
             print(len(results[0].findings), len(results[0].observations))",
        )
        .arg(&file)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

async fn fresh(services: &countersign_core::Services, persona: &str) -> Actor {
    services
        .demo_persona(persona)
        .await
        .unwrap()
        .authenticated_at(services.now_ms())
}

#[tokio::test]
async fn the_map_is_computed_from_live_facts_and_exports_valid_oscal() {
    let app = start_app(Mode::Demo, &[]).await;
    let services = &app.services;
    let auditor = fresh(services, "tomasz").await;
    let map = services.compliance_map(&auditor, None).await.unwrap();
    assert_eq!(map.controls.len(), 40);
    // The demo holds an agent whose only owner left: improper offboarding is not met.
    let orphans = &map.facts[&FactId::OrphanedIdentities];
    assert_eq!(orphans.status, Status::NotMet);
    assert!(
        orphans.items.iter().any(|n| n == "legacy-segment-agent"),
        "{orphans:?}"
    );
    let control = |id: &str| map.controls.iter().find(|c| c.id == id).unwrap();
    assert_eq!(control("NHI1").status, Status::NotMet);
    assert_eq!(control("ASI05").status, Status::ByDesign);
    assert_eq!(map.facts[&FactId::TokenLifetime].status, Status::Met);

    // Per workflow: only what concerns it.
    let workflows = services.list_workflows(&auditor).await.unwrap();
    let spring = workflows
        .iter()
        .find(|w| w.name.contains("Spring"))
        .unwrap();
    let scoped = services
        .compliance_map(&auditor, Some(spring.id))
        .await
        .unwrap();
    assert_eq!(scoped.scope.as_ref().map(|(id, _)| *id), Some(spring.id));
    assert!(!scoped.facts[&FactId::OrphanedIdentities]
        .items
        .iter()
        .any(|n| n == "legacy-segment-agent"));

    // CSV: a header and one row per control.
    let csv = map.to_csv();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 40);
    assert_eq!(&rows[0][0], "owasp-asi-2026");
    assert!(rows.iter().any(|r| &r[1] == "NHI1" && &r[3] == "not_met"));

    // OSCAL, checked by trestle; and trestle refuses a document that is not valid OSCAL, so
    // the check can fail.
    let oscal = map.to_oscal();
    trestle_validates(&oscal).unwrap();
    let findings = &oscal["assessment-results"]["results"][0]["findings"];
    assert_eq!(findings.as_array().unwrap().len(), 40);
    let mut broken = oscal.clone();
    broken["assessment-results"]["results"][0]["findings"][0]["target"]["status"]["state"] =
        serde_json::json!("mostly-fine");
    assert!(trestle_validates(&broken).is_err());
    trestle_validates(&scoped.to_oscal()).unwrap();

    // Reviewers do not see the map.
    let legal = fresh(services, "lukas").await;
    let refused = services.compliance_map(&legal, None).await;
    assert!(matches!(refused, Err(CoreError::Denied(_))), "{refused:?}");
}
