//! A console with a world in it, for runs against the agent API from outside (the API
//! conformance run): the load world (an active workflow, an agent holding a client secret, the
//! reference system on loopback), served on loopback. Prints one JSON line saying where it is
//! and how to authenticate, then serves until stopped.

use crate::loadtest::{world, World};
use anyhow::Context;

/// `consent`: with the decision benchmark's customers' consent, for a load run from another
/// process (`countersign-load decisions --target`).
pub async fn serve(port: u16, database: &str, consent: bool) -> anyhow::Result<()> {
    // Logs go to standard error; the JSON line on standard output is the only output there.
    crate::telemetry::init(crate::config::LogFormat::Text);
    // Kept whole until the end: it owns the temporary directory the database lives in.
    let world: World = world(database).await?;
    if consent {
        crate::loadtest::import_consent(&world.services, &world.admin).await?;
    }
    let (agent, secret) = (&world.agent, &world.secret);
    let scope = format!("step:{}", world.step.id);
    let token = world
        .services
        .issue_token(&agent.id.to_string(), secret, Some(&scope))
        .await
        .map_err(|e| anyhow::anyhow!("the fixture's token was refused: {e}"))?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let base_url = format!("http://{}", listener.local_addr()?);
    println!(
        "{}",
        serde_json::json!({
            "base_url": base_url,
            "access_token": token.access_token.0,
            "client_id": agent.id.to_string(),
            "client_secret": secret,
            "scope": scope,
        })
    );
    // As a console runs: the subject index follows the decisions.
    crate::startup::spawn_subject_indexer(world.services.clone());
    crate::serve_http::serve(listener, crate::web::build(world.state.clone()), async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}
