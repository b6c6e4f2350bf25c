//! Asking witnesses to cosign the ledger's checkpoints (C2SP tlog-witness): for each configured
//! witness, the latest checkpoint is sent with a consistency proof from the size that witness
//! last cosigned; a witness that knows another size says so (409) and is asked once more from
//! there. Cosignatures are verified against the witness's key before they are kept.

use crate::outbound::OutboundPolicy;
use countersign_core::store::StoredCheckpoint;
use countersign_core::Services;
use countersign_transparency::witness::{AddCheckpoint, CosignerKey};
use std::sync::Arc;
use std::time::Duration;

/// A witness: where its `add-checkpoint` endpoint is, and its public key.
#[derive(Debug, Clone)]
pub struct WitnessTarget {
    pub url: url::Url,
    pub key: CosignerKey,
}

/// Reads `URL KEY` pairs separated by `;` or newlines
/// (`http://127.0.0.1:4200/add-checkpoint witness.example/w1+1a2b3c4d+BA…`).
pub fn parse_targets(text: &str) -> Result<Vec<WitnessTarget>, String> {
    let mut targets = Vec::new();
    for entry in text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (url, key) = entry
            .split_once(char::is_whitespace)
            .ok_or_else(|| format!("`{entry}`: write the witness's URL, a space, its key"))?;
        let url = url::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| format!("`{url}` is not an http(s) URL"))?;
        let key = CosignerKey::parse(key.trim())
            .ok_or_else(|| format!("`{}` is not a witness key (name+id+key)", key.trim()))?;
        targets.push(WitnessTarget { url, key });
    }
    Ok(targets)
}

pub struct Witnessing {
    client: reqwest::Client,
    targets: Vec<WitnessTarget>,
}

/// A witness's answer is a few signature lines.
const MAX_ANSWER: usize = 16 * 1024;

impl Witnessing {
    pub fn new(targets: Vec<WitnessTarget>, policy: Arc<OutboundPolicy>) -> anyhow::Result<Self> {
        for target in &targets {
            policy
                .check_url(target.url.as_str())
                .map_err(|e| anyhow::anyhow!("COUNTERSIGN_WITNESSES: {}: {}", target.url, e.0))?;
        }
        Ok(Witnessing {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .dns_resolver(policy.resolver())
                .timeout(Duration::from_secs(10))
                .build()?,
            targets,
        })
    }

    /// Sends the latest checkpoint to every witness that has not cosigned it; returns how many
    /// cosignatures were kept. A witness that refuses is logged and asked again next time.
    pub async fn cosign_latest(&self, services: &Services) -> anyhow::Result<usize> {
        let Some(latest) = services.store().latest_checkpoint().await? else {
            return Ok(0);
        };
        let mut kept = 0;
        for target in &self.targets {
            match self.cosign(services, target, &latest).await {
                Ok(true) => kept += 1,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(witness = %target.key.name(), %error, "checkpoint not cosigned")
                }
            }
        }
        Ok(kept)
    }

    async fn cosign(
        &self,
        services: &Services,
        target: &WitnessTarget,
        checkpoint: &StoredCheckpoint,
    ) -> anyhow::Result<bool> {
        let mut old = services.store().last_cosigned(target.key.name()).await?;
        if old >= checkpoint.tree_size {
            return Ok(false);
        }
        // At most twice: once from what we believe, once from what the witness says.
        for _ in 0..2 {
            let proof = services
                .log_consistency_proof(old, checkpoint.tree_size)
                .await?;
            let request = AddCheckpoint {
                old_size: old,
                proof,
                checkpoint: checkpoint.note.clone(),
            };
            let response = self
                .client
                .post(target.url.clone())
                .body(request.encode())
                .send()
                .await?;
            let status = response.status();
            let body = read_limited(response).await?;
            match status.as_u16() {
                200 => {
                    return Ok(services
                        .record_cosignature(checkpoint, &target.key, &body)
                        .await?)
                }
                409 => match body.trim().parse::<u64>() {
                    Ok(size) if size != old && size <= checkpoint.tree_size => old = size,
                    _ => anyhow::bail!("the witness refused (409): {}", body.trim()),
                },
                other => anyhow::bail!("the witness refused ({other}): {}", body.trim()),
            }
        }
        anyhow::bail!("the witness and the console disagree on what it last cosigned")
    }
}

async fn read_limited(mut response: reqwest::Response) -> anyhow::Result<String> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER {
            anyhow::bail!("the witness's answer is over {MAX_ANSWER} bytes");
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}
