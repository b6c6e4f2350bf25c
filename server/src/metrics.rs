//! Prometheus text-format metrics: requests by route and status, a latency histogram, sign-ins,
//! and the outbox's backlog.

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    sign_ins: BTreeMap<String, u64>,
}

#[derive(Debug, Default)]
pub struct Metrics(Mutex<Inner>);

impl Metrics {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut inner = self.inner();
        *inner
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let histogram = inner.latency.entry(route.to_owned()).or_default();
        for (bucket, count) in BUCKETS.iter().zip(histogram.counts.iter_mut()) {
            if seconds <= *bucket {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// `outcome`: `granted`, `no_access`, or the refusal code of a failed sign-in.
    pub fn sign_in(&self, outcome: &str) {
        *self.inner().sign_ins.entry(outcome.to_owned()).or_default() += 1;
    }

    pub fn render(&self) -> String {
        let inner = self.inner();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP countersign_http_requests_total HTTP requests by route and status."
        );
        let _ = writeln!(out, "# TYPE countersign_http_requests_total counter");
        for ((method, route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "countersign_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP countersign_http_request_duration_seconds Time to produce a response."
        );
        let _ = writeln!(
            out,
            "# TYPE countersign_http_request_duration_seconds histogram"
        );
        for (route, histogram) in &inner.latency {
            let route = escape(route);
            for (bucket, count) in BUCKETS.iter().zip(histogram.counts.iter()) {
                let _ = writeln!(
                    out,
                    "countersign_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bucket}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "countersign_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "countersign_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "countersign_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                histogram.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP countersign_sign_ins_total Sign-in attempts by outcome."
        );
        let _ = writeln!(out, "# TYPE countersign_sign_ins_total counter");
        for (outcome, count) in &inner.sign_ins {
            let _ = writeln!(
                out,
                "countersign_sign_ins_total{{outcome=\"{}\"}} {count}",
                escape(outcome)
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Records every request under its route template (never the raw path: unbounded labels).
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The outbox gauges, read from the database at scrape time (so every process reports the
/// shared backlog); left out when the database does not answer.
async fn outbox_gauges(services: &countersign_core::Services) -> String {
    let Ok(backlog) = services.store().outbox_backlog().await else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP countersign_outbox_effects Calls to connected systems waiting (pending) or given up (dead)."
    );
    let _ = writeln!(out, "# TYPE countersign_outbox_effects gauge");
    let _ = writeln!(
        out,
        "countersign_outbox_effects{{state=\"pending\"}} {}",
        backlog.pending
    );
    let _ = writeln!(
        out,
        "countersign_outbox_effects{{state=\"dead\"}} {}",
        backlog.dead
    );
    let _ = writeln!(
        out,
        "# HELP countersign_outbox_oldest_pending_seconds Age of the oldest call not yet delivered."
    );
    let _ = writeln!(
        out,
        "# TYPE countersign_outbox_oldest_pending_seconds gauge"
    );
    let age = backlog.oldest_pending_ms.map_or(0.0, |at| {
        let now = countersign_core::clock::to_millis(services.clock().now());
        (now - at).max(0) as f64 / 1000.0
    });
    let _ = writeln!(out, "countersign_outbox_oldest_pending_seconds {age}");
    out
}

/// Review latency over the changes drafted in the last 30 days (people's reviews), what waits
/// now, and how much went through templates: read at scrape time like the outbox's.
async fn flow_gauges(services: &countersign_core::Services) -> String {
    use countersign_core::domain::{GroupFlow, Stage};
    let Ok((report, _)) = services.flow_unchecked(30).await else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP countersign_review_latency_seconds Time from draft to each stage for changes drafted in the last 30 days and reviewed by people, by tier (\"all\" for every tier)."
    );
    let _ = writeln!(out, "# TYPE countersign_review_latency_seconds gauge");
    let mut groups: Vec<(String, &GroupFlow)> = vec![("all".to_owned(), &report.overall)];
    groups.extend(report.by_tier.iter().map(|(t, g)| (t.to_string(), g)));
    for (tier, group) in &groups {
        for stage in Stage::ALL {
            let latency = group.stage(stage);
            for (quantile, value) in [("0.5", latency.p50), ("0.95", latency.p95)] {
                if let Some(value) = value {
                    let _ = writeln!(
                        out,
                        "countersign_review_latency_seconds{{stage=\"{}\",tier=\"{tier}\",quantile=\"{quantile}\"}} {}",
                        stage.as_str(),
                        value.num_milliseconds() as f64 / 1000.0
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP countersign_changes_drafted Changes drafted in the last 30 days, by tier and by who approved them (people or a template)."
    );
    let _ = writeln!(out, "# TYPE countersign_changes_drafted gauge");
    for (tier, group) in groups.iter().skip(1) {
        let _ = writeln!(
            out,
            "countersign_changes_drafted{{tier=\"{tier}\",through=\"people\"}} {}",
            group.drafted - group.pre_approved
        );
        let _ = writeln!(
            out,
            "countersign_changes_drafted{{tier=\"{tier}\",through=\"template\"}} {}",
            group.pre_approved
        );
    }
    let _ = writeln!(
        out,
        "# HELP countersign_changes_waiting Changes waiting for people now (pending review or sent back)."
    );
    let _ = writeln!(out, "# TYPE countersign_changes_waiting gauge");
    let _ = writeln!(out, "countersign_changes_waiting {}", report.waiting);
    let _ = writeln!(
        out,
        "# HELP countersign_oldest_waiting_seconds Age of the oldest change waiting for people."
    );
    let _ = writeln!(out, "# TYPE countersign_oldest_waiting_seconds gauge");
    let age = report.oldest_waiting_since.map_or(0.0, |at| {
        (services.clock().now() - at).num_milliseconds().max(0) as f64 / 1000.0
    });
    let _ = writeln!(out, "countersign_oldest_waiting_seconds {age}");
    out
}

pub async fn endpoint(
    State(state): State<crate::state::AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    if let Some(token) = &state.config.hardening.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !countersign_core::credentials::constant_time_eq(
            presented.as_bytes(),
            token.expose().as_bytes(),
        ) {
            return (
                axum::http::StatusCode::UNAUTHORIZED,
                [(
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"countersign-metrics\"",
                )],
                "Metrics need the bearer token set in COUNTERSIGN_METRICS_TOKEN.",
            )
                .into_response();
        }
    }
    let mut text = state.metrics.render();
    text.push_str(&outbox_gauges(&state.services).await);
    text.push_str(&flow_gauges(&state.services).await);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}
