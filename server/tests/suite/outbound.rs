//! Calls to connected systems and agents' callbacks, against real HTTP servers on loopback: an
//! internal destination is refused unless allowed, a redirect is not followed, and an answer is
//! read no further than its limit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::loopback_allowed;
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum::Router;
use countersign::connector::HttpConnector;
use countersign::outbound::OutboundPolicy;
use countersign_core::connector::{Connector, Delivery, DeliveryError, Endpoint};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn delivery(base_url: &str) -> Delivery {
    Delivery {
        base_url: base_url.to_owned(),
        endpoint: Endpoint::Publish,
        idempotency_key: "msg_outbound_test".to_owned(),
        body: serde_json::json!({ "content": { "sha256": "sha256:00" } }),
        secret: countersign_core::secrets::new_signing_secret(),
    }
}

#[tokio::test]
async fn internal_destinations_need_the_operators_allow_list() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let url = serve(Router::new().fallback(post(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "{}" }
    })))
    .await;
    let strict = HttpConnector::new(Duration::from_secs(2), OutboundPolicy::default()).unwrap();
    for base in [url.clone(), url.replace("127.0.0.1", "localhost")] {
        match strict.deliver(&delivery(&base)).await {
            Err(DeliveryError::Blocked(why)) => {
                assert!(why.contains("loopback"), "{why}");
                assert!(why.contains("COUNTERSIGN_OUTBOUND_ALLOW"), "{why}");
            }
            other => panic!("{base}: expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "nothing reached the server");
    assert!(
        !DeliveryError::Blocked(String::new()).is_temporary(),
        "not retried"
    );

    let allowed = HttpConnector::new(Duration::from_secs(2), loopback_allowed()).unwrap();
    let answer = allowed.deliver(&delivery(&url)).await;
    assert!(
        matches!(answer, Err(DeliveryError::WrongReceipt(_))),
        "{answer:?}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1, "allowed, it was called");
}

#[tokio::test]
async fn redirects_are_not_followed_and_answers_stop_at_their_limit() {
    let reached = Arc::new(AtomicUsize::new(0));
    let counter = reached.clone();
    let target = serve(Router::new().fallback(post(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "{}" }
    })))
    .await;
    let redirecting = serve(Router::new().fallback(post(move || {
        let to = format!("{target}/elsewhere");
        async move { Redirect::temporary(&to).into_response() }
    })))
    .await;
    let connector = HttpConnector::new(Duration::from_secs(2), loopback_allowed()).unwrap();
    let answer = connector.deliver(&delivery(&redirecting)).await;
    assert!(
        matches!(answer, Err(DeliveryError::Refused { status: 307, .. })),
        "{answer:?}"
    );
    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );

    // Two mebibytes (arriving in chunks): refused once the first mebibyte is passed.
    let huge = serve(Router::new().fallback(post(|| async { vec![b' '; 2 << 20] }))).await;
    match connector.deliver(&delivery(&huge)).await {
        Err(DeliveryError::WrongReceipt(why)) => {
            assert!(why.contains("larger than 1 MiB"), "{why}")
        }
        other => panic!("expected the size refusal, got {other:?}"),
    }
}
