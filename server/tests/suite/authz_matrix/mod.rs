//! The authorization matrix: every route the console serves (server functions, the agent API,
//! pages; read from their registries) × every principal × every workflow state, each answer
//! checked against `expectations.txt`, and every refusal checked to have written nothing.
//!
//! A new route fails the suite until it has a request here and lines in the expectations.
//! `COUNTERSIGN_AUTHZ_MATRIX_RECORD=FILE` writes what the console answered in the file's format
//! (to review, never to copy in unread).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod expectations;
mod fingerprint;
mod principals;
mod routes;
mod world;

use expectations::Expectations;
use fingerprint::{Fingerprint, Writes};
use principals::Principal;
use routes::{request_for, Kind};
use std::collections::BTreeMap;
use world::{State, World};

const EXPECTATIONS: &str = include_str!("expectations.txt");

/// Where a page says the person may not see it (the page answers 200 with this notice).
const PAGE_REFUSAL: &str = "You do not have access";

struct Case {
    route: String,
    principal: Principal,
    state: State,
    observed: String,
    /// The start of the answer, for the record.
    answer: String,
    problem: Option<String>,
}

fn outcome(status: u16, location: Option<&str>, page_refused: bool, writes: &Writes) -> String {
    let base = match status {
        200..=299 if page_refused => "refused-page".to_owned(),
        200..=299 => "ok".to_owned(),
        300..=399 => format!(
            "{status}>{}",
            location
                .unwrap_or("?")
                .split('?')
                .next()
                .unwrap_or_default()
        ),
        _ => status.to_string(),
    };
    match writes {
        Writes::Signal => format!("{base}+signal"),
        _ => base,
    }
}

/// What a case may have written: a refusal nothing but a named signal, a read nothing, an
/// allowed command its change with a ledger event.
fn writes_problem(writes: &Writes, kind: Kind, succeeded: bool) -> Option<String> {
    match (writes, kind, succeeded) {
        (Writes::Signal, Kind::RecordsSearch, true) => None,
        (Writes::Nothing, Kind::RecordsSearch, true) => {
            Some("it answered a search without recording it".to_owned())
        }
        (Writes::Nothing, Kind::Command, true) => {
            Some("it answered success but changed nothing".to_owned())
        }
        (Writes::Nothing, _, _) => None,
        (Writes::Signal, _, false) => None,
        (Writes::Signal, _, true) => {
            Some("only a refusal may leave a signal in the ledger".to_owned())
        }
        (Writes::Wrote { .. }, _, false) => Some(format!("a refusal wrote: {}", writes.describe())),
        (Writes::Wrote { .. }, Kind::RecordsSearch, true) => Some(format!(
            "a search may record itself only: {}",
            writes.describe()
        )),
        (Writes::Wrote { .. }, Kind::Query, true) => {
            Some(format!("a read wrote: {}", writes.describe()))
        }
        (
            Writes::Wrote {
                tables,
                audit_events,
            },
            Kind::RecordsView,
            true,
        ) => (tables.as_slice() != ["review_views"] || *audit_events != 0)
            .then(|| format!("a read may record the view only: {}", writes.describe())),
        (
            Writes::Wrote {
                tables,
                audit_events,
            },
            Kind::MarksRead,
            true,
        ) => (tables.as_slice() != ["notifications"] || *audit_events != 0).then(|| {
            format!(
                "marking read may change one's own reading state only: {}",
                writes.describe()
            )
        }),
        (Writes::Wrote { audit_events, .. }, Kind::Command, true) => {
            (*audit_events == 0).then(|| {
                format!(
                    "it changed state without a ledger event: {}",
                    writes.describe()
                )
            })
        }
    }
}

async fn run_state(
    world: &World,
    expectations: &Expectations,
    routes: &[String],
) -> (Vec<Case>, usize) {
    let state = world.state;
    let mut shared = world.console("shared-0").await;
    let mut rebuilt = 0;
    let mut fresh_copies = 0;
    let mut cases = Vec::new();
    for route in routes {
        let request = request_for(route, &world.ids).expect("checked before");
        for principal in Principal::ALL {
            let expected = expectations.expected(route, principal, state);
            // An allowed command changes its world: it gets a world of its own.
            let fresh = request.kind != Kind::Query && expected == Some("ok");
            let own = if fresh {
                fresh_copies += 1;
                Some(world.console(&format!("case-{fresh_copies}")).await)
            } else {
                None
            };
            let console = own.as_ref().unwrap_or(&shared);
            let before = Fingerprint::take(&mut *console.probe.lock().await).await;
            let Ok(response) = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                console.send(request.build(&world.credentials[&principal])),
            )
            .await
            else {
                panic!(
                    "{route} as {} ({}) did not answer",
                    principal.label(),
                    state.label()
                );
            };
            let status = response.status().as_u16();
            let location = response
                .headers()
                .get(axum::http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = axum::body::to_bytes(response.into_body(), 8 << 20)
                .await
                .unwrap();
            let body = String::from_utf8_lossy(&body);
            let after = Fingerprint::take(&mut *console.probe.lock().await).await;
            let writes = before.compare(&after);
            let page_refused = route.starts_with("GET /")
                && !route.starts_with("GET /api/")
                && body.contains(PAGE_REFUSAL);
            let observed = outcome(status, location.as_deref(), page_refused, &writes);

            let succeeded = (200..300).contains(&status) && !page_refused;
            let problem = if status >= 500 {
                Some(format!("a server error ({status}): {body}"))
            } else {
                writes_problem(&writes, request.kind, succeeded)
            }
            .or_else(|| match expected {
                Some(expected) if expected != observed => Some(format!(
                    "expected `{expected}`, answered `{observed}`: {}",
                    body.chars().take(300).collect::<String>()
                )),
                None => Some("no line in expectations.txt".to_owned()),
                _ => None,
            });
            cases.push(Case {
                route: route.clone(),
                principal,
                state,
                observed,
                answer: body.chars().take(200).collect(),
                problem,
            });

            if let Some(own) = own {
                let path = own.path.clone();
                drop(own);
                fingerprint::remove(&path);
            } else if !matches!(writes, Writes::Nothing) {
                // Whatever this case wrote must not leak into the next one.
                rebuilt += 1;
                let old = shared.path.clone();
                shared = world.console(&format!("shared-{rebuilt}")).await;
                fingerprint::remove(&old);
            }
        }
    }
    (cases, fresh_copies)
}

/// Record mode: this state's answers beside the file (`FILE.pending`, with the start of each
/// refusal's answer in `FILE.pending.answers`), and, once all five are there, the file itself.
fn record_outcomes(file: &std::path::Path, state: State, cases: &[Case]) {
    let beside = |state: State, suffix: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".{}{suffix}", state.label()));
        std::path::PathBuf::from(name)
    };
    let lines: Vec<String> = cases
        .iter()
        .map(|c| format!("{}\t{}\t{}", c.route, c.principal.label(), c.observed))
        .collect();
    std::fs::write(beside(state, ""), lines.join("\n")).unwrap();
    let answers: std::collections::BTreeSet<String> = cases
        .iter()
        .filter(|c| c.observed != "ok")
        .map(|c| {
            format!(
                "{} {} {}: {}",
                c.route,
                c.principal.label(),
                c.observed,
                c.answer
            )
        })
        .collect();
    std::fs::write(
        beside(state, ".answers"),
        answers.into_iter().collect::<Vec<_>>().join("\n"),
    )
    .unwrap();
    let mut observed: BTreeMap<(String, Principal), BTreeMap<State, String>> = BTreeMap::new();
    for state in State::ALL {
        let Ok(text) = std::fs::read_to_string(beside(state, "")) else {
            return;
        };
        for line in text.lines() {
            let mut parts = line.split('\t');
            let (Some(route), Some(who), Some(outcome)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            observed
                .entry((route.to_owned(), Principal::parse(who).unwrap()))
                .or_default()
                .insert(state, outcome.to_owned());
        }
    }
    std::fs::write(file, expectations::render(&observed)).unwrap();
}

/// One state of the matrix: each state is a test of its own, so the five run side by side.
async fn matrix_in(state: State) {
    let expectations = Expectations::parse(EXPECTATIONS).unwrap();
    let registered = routes::registered();
    let world = World::build(state).await;

    let mut gaps = Vec::new();
    for route in &registered {
        if request_for(route, &world.ids).is_none() {
            gaps.push(format!("{route}: no request in authz_matrix/routes.rs"));
        }
        let covered = Principal::ALL.into_iter().all(|p| {
            State::ALL
                .into_iter()
                .all(|s| expectations.expected(route, p, s).is_some())
        });
        if !covered {
            gaps.push(format!(
                "{route}: not every principal has a line in authz_matrix/expectations.txt (add one, or `*`)"
            ));
        }
    }
    for route in expectations.routes().difference(&registered) {
        gaps.push(format!("{route}: in expectations.txt but no longer served"));
    }
    let record = std::env::var_os("COUNTERSIGN_AUTHZ_MATRIX_RECORD");
    assert!(
        gaps.is_empty() || record.is_some(),
        "routes without matrix rows:\n{}",
        gaps.join("\n")
    );
    let routes: Vec<String> = registered
        .iter()
        .filter(|r| request_for(r, &world.ids).is_some())
        .cloned()
        .collect();

    let (cases, fresh) = run_state(&world, &expectations, &routes).await;

    if let Some(file) = record {
        record_outcomes(std::path::Path::new(&file), state, &cases);
    }

    let refusals = cases
        .iter()
        .filter(|c| c.observed != "ok" && c.problem.is_none())
        .count();
    println!(
        "authorization matrix, {} state: {} routes × {} principals = {} cases of {} ({} allowed changes, each on a copy of its own; {} refusals, none writing but a signal where named)",
        state.label(),
        routes.len(),
        Principal::ALL.len(),
        cases.len(),
        cases.len() * State::ALL.len(),
        fresh,
        refusals,
    );
    let problems: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            c.problem.as_ref().map(|p| {
                format!(
                    "{} as {} ({}): {p}",
                    c.route,
                    c.principal.label(),
                    c.state.label()
                )
            })
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} of {} cases failed:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn authorization_matrix_pending() {
    matrix_in(State::Pending).await;
}

#[tokio::test]
async fn authorization_matrix_approved() {
    matrix_in(State::Approved).await;
}

#[tokio::test]
async fn authorization_matrix_published() {
    matrix_in(State::Published).await;
}

#[tokio::test]
async fn authorization_matrix_revoked() {
    matrix_in(State::Revoked).await;
}

#[tokio::test]
async fn authorization_matrix_suspended() {
    matrix_in(State::Suspended).await;
}
