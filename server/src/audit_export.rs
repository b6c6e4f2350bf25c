//! `GET /audit/export?format=jsonl|csv&…`: the ledger as filtered on the Audit page, every
//! matching event newest first, streamed page by page (a filter that matches millions of events
//! never sits in memory). People's route; the core decides who may read the ledger.

use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use countersign_core::error::CoreError;
use countersign_core::ledger::StoredEvent;
use countersign_core::services::AuditQuery;
use countersign_core::store::EventFilter;
use countersign_core::{Actor, Services};

pub const ROUTES: [&str; 1] = ["/audit/export"];
/// Events read per page of the stream.
const PAGE: i64 = 2_000;

pub fn router() -> Router<AppState> {
    Router::new().route(ROUTES[0], get(export))
}

#[derive(serde::Deserialize, Default)]
struct ExportQuery {
    format: Option<String>,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    flagged: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Jsonl,
    Csv,
}

fn plain(status: StatusCode, message: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

fn refusal(error: CoreError) -> Response {
    match error {
        CoreError::Denied(_) => plain(
            StatusCode::FORBIDDEN,
            "The ledger is for security admins and auditors.".to_owned(),
        ),
        CoreError::Invalid { field, problem } => plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{field}: {problem}"),
        ),
        other => {
            tracing::error!(error = %other, "the ledger export failed");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The export failed; the console's log says why.".to_owned(),
            )
        }
    }
}

fn encode(events: &[StoredEvent], format: Format, header_row: bool) -> Vec<u8> {
    match format {
        Format::Jsonl => {
            let mut out = Vec::new();
            for event in events {
                let details: serde_json::Value =
                    serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null);
                let line = serde_json::json!({
                    "seq": event.seq,
                    "at": event.at().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "actor_ref": event.actor_ref,
                    "actor_label": event.actor_label,
                    "action": event.action,
                    "subject": event.subject,
                    "details": details,
                    "prev_hash": event.prev_hash,
                    "hash": event.hash,
                });
                if serde_json::to_writer(&mut out, &line).is_ok() {
                    out.push(b'\n');
                }
            }
            out
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            if header_row {
                let _ = writer.write_record([
                    "seq",
                    "at",
                    "actor_ref",
                    "actor_label",
                    "action",
                    "subject",
                    "details",
                    "prev_hash",
                    "hash",
                ]);
            }
            for event in events {
                // Labels and details come from people and agents: no cell runs as a formula.
                let safe = |text: &str| countersign_core::spreadsheet::cell(text).into_owned();
                let _ = writer.write_record([
                    event.seq.to_string(),
                    event
                        .at()
                        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    safe(&event.actor_ref),
                    safe(&event.actor_label),
                    safe(&event.action),
                    safe(&event.subject),
                    safe(&event.details),
                    event.prev_hash.clone(),
                    event.hash.clone(),
                ]);
            }
            writer.into_inner().unwrap_or_default()
        }
    }
}

/// What the stream carries between pages.
struct Cursor {
    services: Services,
    actor: Actor,
    filter: EventFilter,
    format: Format,
    /// The next page's `before`; `None` once the oldest match was sent.
    before: Option<Option<i64>>,
    first: Option<Vec<StoredEvent>>,
}

async fn export(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Query(query): Query<ExportQuery>,
) -> Response {
    let format = match query.format.as_deref().unwrap_or("jsonl") {
        "jsonl" => Format::Jsonl,
        "csv" => Format::Csv,
        other => {
            return plain(
                StatusCode::BAD_REQUEST,
                format!(
                    "format must be jsonl or csv, not {}",
                    other.chars().take(20).collect::<String>()
                ),
            )
        }
    };
    let services = state.services.clone();
    let filter = match services
        .audit_filter(&AuditQuery {
            actor: query.actor,
            action: query.action,
            subject: query.subject,
            from: query.from,
            to: query.to,
            flagged: query.flagged.as_deref() == Some("1"),
        })
        .await
    {
        Ok(filter) => filter,
        Err(error) => return refusal(error),
    };
    // The first page is read before answering, so a refusal is an answer, not a cut stream.
    let first = match services.events_matching(&actor, &filter, None, PAGE).await {
        Ok(first) => first,
        Err(error) => return refusal(error),
    };
    let cursor = Cursor {
        services,
        actor,
        filter,
        format,
        before: Some(None),
        first: Some(first),
    };
    let stream = futures_util::stream::unfold(cursor, |mut cursor| async move {
        let before = cursor.before?;
        let header_row = cursor.first.is_some();
        let events = match cursor.first.take() {
            Some(first) => first,
            None => match cursor
                .services
                .events_matching(&cursor.actor, &cursor.filter, before, PAGE)
                .await
            {
                Ok(events) => events,
                Err(error) => {
                    tracing::error!(%error, "the ledger export stopped");
                    return None;
                }
            },
        };
        cursor.before = if (events.len() as i64) < PAGE {
            None
        } else {
            events.last().map(|e| Some(e.seq))
        };
        let bytes = encode(&events, cursor.format, header_row);
        Some((Ok::<_, std::io::Error>(bytes), cursor))
    });
    let (content_type, name) = match format {
        Format::Jsonl => ("application/x-ndjson", "countersign-ledger.jsonl"),
        Format::Csv => ("text/csv; charset=utf-8", "countersign-ledger.csv"),
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .unwrap_or(HeaderValue::from_static("attachment")),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}
