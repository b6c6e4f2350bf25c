//! The ledger's proofs for auditors' tools: the latest signed checkpoint, an event's inclusion
//! proof and the consistency proof between two tree sizes (RFC 9162), each hash in standard
//! base64 as in the C2SP formats. A tool authenticates with the read-only auditor token a
//! security admin issued it; what a token may read is the policy's decision, so an agent's step
//! token is refused here with 403.

use super::json::core_problem;
use super::me::{bearer, token_refusal, token_required};
use super::problem::{Problem, ProblemBody};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use countersign_core::credentials::looks_like_token;
use countersign_core::error::CoreError;
use countersign_core::Actor;

const HOW: &str = "Authorization: Bearer <auditor token issued on the Audit page>";

/// Who is asking: an auditor's tool, or an identity whose step token the policy will refuse.
async fn reader(state: &AppState, headers: &HeaderMap) -> Result<Actor, Response> {
    let token = bearer(headers).ok_or_else(|| token_required(HOW))?;
    if looks_like_token(token) {
        let principal = super::me::authenticate(state, headers).await?;
        return Ok(principal.actor);
    }
    state
        .services
        .authenticate_auditor_token(token)
        .await
        .map_err(token_refusal)
}

fn refusal(error: CoreError) -> Response {
    match error {
        CoreError::Denied(_) => Problem {
            status: StatusCode::FORBIDDEN,
            title: "Forbidden",
            detail: "this token may not read the ledger's proofs: ask a security admin for an auditor token"
                .to_owned(),
        }
        .into_response(),
        other => core_problem(other).into_response(),
    }
}

fn ok(body: impl serde::Serialize) -> Response {
    (
        StatusCode::OK,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(body),
    )
        .into_response()
}

fn b64(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

/// The latest signed checkpoint (C2SP tlog-checkpoint), with the witnesses' cosignatures.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CheckpointView {
    /// The log's origin line (its name).
    pub origin: String,
    pub tree_size: u64,
    /// The tree's root, standard base64.
    pub root_hash: String,
    /// The signed note exactly as signed, followed by each witness's cosignature line.
    pub note: String,
    /// The log's public key (signed-note verifier key): check `note` against it.
    pub public_key: Option<String>,
    pub signed_at: chrono::DateTime<chrono::Utc>,
    pub cosignatures: usize,
}

/// The latest signed checkpoint of the ledger.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/checkpoint",
    tag = "ledger",
    security(("bearer" = [])),
    responses(
        (status = 200, body = CheckpointView),
        (status = 401, description = "No working auditor token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "A token that may not read proofs", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No checkpoint has been signed yet", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn checkpoint(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let actor = match reader(&state, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    match state.services.latest_cosigned_checkpoint(&actor).await {
        Ok(Some(latest)) => ok(CheckpointView {
            origin: latest.checkpoint.key_name.clone(),
            tree_size: latest.checkpoint.tree_size,
            root_hash: B64.encode(latest.checkpoint.root_hash),
            note: latest.note(),
            public_key: state.services.log_verifier().map(|k| k.to_string()),
            signed_at: countersign_core::clock::from_millis(latest.checkpoint.signed_at_ms),
            cosignatures: latest.cosignatures.len(),
        }),
        Ok(None) => Problem {
            status: StatusCode::NOT_FOUND,
            title: "Not Found",
            detail: "no checkpoint has been signed yet".to_owned(),
        }
        .into_response(),
        Err(error) => refusal(error),
    }
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ProofQuery {
    /// The tree size to prove inclusion in; the latest checkpoint's when left out.
    size: Option<u64>,
}

fn bad_request(detail: &str) -> Response {
    Problem {
        status: StatusCode::BAD_REQUEST,
        title: "Bad Request",
        detail: detail.to_owned(),
    }
    .into_response()
}

/// An event's inclusion proof (RFC 9162 §2.1.3).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InclusionView {
    pub seq: i64,
    /// `seq - 1`: the event's leaf in the tree.
    pub leaf_index: u64,
    pub tree_size: u64,
    /// SHA-256(0x00 ‖ the event's hashed bytes), standard base64.
    pub leaf_hash: String,
    /// The audit path, leaf to root, standard base64.
    pub proof: Vec<String>,
}

/// The proof that event `seq` is in the tree of `size` events.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/events/{seq}/proof",
    tag = "ledger",
    security(("bearer" = [])),
    params(("seq" = i64, Path, description = "The event's sequence number (from 1)"), ProofQuery),
    responses(
        (status = 200, body = InclusionView),
        (status = 400, description = "seq or size is not a number", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No working auditor token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "A token that may not read proofs", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "No size given and no checkpoint signed yet", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The event or size is outside the tree", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn inclusion(
    State(state): State<AppState>,
    Path(seq): Path<String>,
    query: Result<Query<ProofQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let actor = match reader(&state, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let Ok(seq) = seq.parse::<i64>() else {
        return bad_request("seq must be an event's sequence number");
    };
    let Ok(Query(query)) = query else {
        return bad_request("size must be a tree size (a whole number)");
    };
    match state
        .services
        .event_inclusion(&actor, seq, query.size)
        .await
    {
        Ok(found) => ok(InclusionView {
            seq: found.seq,
            leaf_index: found.leaf_index,
            tree_size: found.tree_size,
            leaf_hash: B64.encode(found.leaf_hash),
            proof: b64(&found.proof),
        }),
        Err(error) => refusal(error),
    }
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct ConsistencyQuery {
    /// The smaller tree size (at least 1).
    from: u64,
    /// The larger tree size (at most the tree's size).
    to: u64,
}

/// A consistency proof (RFC 9162 §2.1.4).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ConsistencyView {
    pub from: u64,
    pub to: u64,
    /// Standard base64 hashes.
    pub proof: Vec<String>,
}

/// The proof that the tree of `from` events is a prefix of the tree of `to` events.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/consistency",
    tag = "ledger",
    security(("bearer" = [])),
    params(ConsistencyQuery),
    responses(
        (status = 200, body = ConsistencyView),
        (status = 400, description = "from or to missing or not a number", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No working auditor token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "A token that may not read proofs", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Sizes out of order or past the tree", body = ProblemBody, content_type = "application/problem+json"),
    )
)]
pub async fn consistency(
    State(state): State<AppState>,
    query: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let actor = match reader(&state, &headers).await {
        Ok(actor) => actor,
        Err(response) => return response,
    };
    let Ok(Query(query)) = query else {
        return bad_request("from and to are required: ?from=M&to=N, two tree sizes");
    };
    match state
        .services
        .tree_consistency(&actor, query.from, query.to)
        .await
    {
        Ok(proof) => ok(ConsistencyView {
            from: query.from,
            to: query.to,
            proof: b64(&proof),
        }),
        Err(error) => refusal(error),
    }
}
