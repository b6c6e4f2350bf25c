//! Verifying the ledger against what the log once signed: the chain is recomputed, the Merkle
//! tree is rebuilt from the events as they are now, and every signed checkpoint found (in the
//! database, the operator's anchor directory, a file an auditor brings) must still match — a
//! truncated, rewritten or forked ledger contradicts the checkpoints signed before the tampering.

use super::Services;
use crate::actor::Actor;
use crate::error::CoreResult;
use crate::ledger::ChainVerifier;
use crate::policy::{Action, Resource};
use countersign_transparency::merkle::{self, Hash};
use countersign_transparency::{Checkpoint, VerifierKey};

const CHUNK: i64 = 20_000;

/// A signed checkpoint to check the ledger against, and where it was found.
#[derive(Debug, Clone)]
pub struct CheckpointSource {
    /// e.g. "the database", "anchors/00000042.checkpoint", "auditor.checkpoint".
    pub origin: String,
    pub note: String,
}

/// What contradicts the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contradiction {
    pub source: String,
    pub problem: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVerification {
    pub events: u64,
    /// The root of the whole ledger as it is now.
    pub root: Hash,
    /// The chain's first broken link, if any.
    pub broken_link: Option<crate::ledger::BrokenLink>,
    /// Checkpoints that verified and match.
    pub matched: Vec<(String, u64)>,
    pub contradictions: Vec<Contradiction>,
}

impl LogVerification {
    pub fn intact(&self) -> bool {
        self.broken_link.is_none() && self.contradictions.is_empty()
    }
}

/// Roots of every prefix, one leaf at a time: the complete subtrees on the tree's right edge.
#[derive(Default)]
struct Frontier {
    size: u64,
    subtrees: Vec<(u64, Hash)>,
}

impl Frontier {
    fn push(&mut self, leaf: Hash) {
        let mut node = (1u64, leaf);
        while let Some(&(width, left)) = self.subtrees.last() {
            if width != node.0 {
                break;
            }
            self.subtrees.pop();
            node = (width * 2, merkle::node_hash(&left, &node.1));
        }
        self.subtrees.push(node);
        self.size += 1;
    }

    fn root(&self) -> Hash {
        let mut iter = self.subtrees.iter().rev();
        let Some(&(_, mut root)) = iter.next() else {
            return merkle::empty_root();
        };
        for (_, left) in iter {
            root = merkle::node_hash(left, &root);
        }
        root
    }
}

/// For each event, whether its stored hash matches its bytes, and its Merkle leaf: the hashing
/// of a chunk, split over two threads (the links between events are checked in order after).
fn hash_all(events: &[crate::ledger::StoredEvent]) -> Vec<(bool, Hash)> {
    let work = |part: &[crate::ledger::StoredEvent]| -> Vec<(bool, Hash)> {
        part.iter()
            .map(|event| {
                let bytes = event.hashed_bytes();
                (
                    crate::ledger::hash_matches(event, &bytes),
                    merkle::leaf_hash(&bytes),
                )
            })
            .collect()
    };
    if events.len() < 2_000 {
        return work(events);
    }
    let (first, second) = events.split_at(events.len() / 2);
    std::thread::scope(|scope| {
        let later = scope.spawn(|| work(second));
        let mut hashed = work(first);
        hashed.extend(later.join().unwrap_or_else(|_| work(second)));
        hashed
    })
}

impl Services {
    /// Recomputes the chain and the Merkle tree of the whole ledger and checks it against the
    /// stored checkpoints and `extra` ones, each opened with `key`.
    pub async fn verify_log(
        &self,
        actor: &Actor,
        key: &VerifierKey,
        extra: Vec<CheckpointSource>,
    ) -> CoreResult<LogVerification> {
        self.authorize(actor, Action::VerifyAudit, &Resource::Ledger)?;
        let mut sources = extra;
        for stored in self.store.checkpoints().await? {
            sources.push(CheckpointSource {
                origin: format!("the database's checkpoint of {} events", stored.tree_size),
                note: stored.note,
            });
        }
        let mut contradictions = Vec::new();
        let keys = self.trusted_log_keys(key).await?;
        // Every checkpoint that opens, by the size it vouches for.
        let mut wanted: Vec<(u64, Hash, String)> = Vec::new();
        for source in sources {
            let mut opened = keys.iter().map(|k| Checkpoint::open(&source.note, k));
            match opened.find_map(Result::ok) {
                Some((checkpoint, _)) => {
                    wanted.push((checkpoint.size, checkpoint.root, source.origin))
                }
                None => {
                    let why = Checkpoint::open(&source.note, key)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    contradictions.push(Contradiction {
                        source: source.origin,
                        problem: format!(
                            "not a checkpoint signed by {} or a key it was handed over to: {why}",
                            key.name()
                        ),
                    })
                }
            }
        }
        wanted.sort_by_key(|(size, _, _)| *size);

        let mut chain = ChainVerifier::default();
        let mut broken_link = None;
        let mut frontier = Frontier::default();
        let mut matched = Vec::new();
        let mut next = 0;
        let check_at = |frontier: &Frontier,
                        next: &mut usize,
                        matched: &mut Vec<(String, u64)>,
                        contradictions: &mut Vec<Contradiction>| {
            while let Some((size, root, origin)) = wanted.get(*next) {
                if *size != frontier.size {
                    break;
                }
                if frontier.root() == *root {
                    matched.push((origin.clone(), *size));
                } else {
                    contradictions.push(Contradiction {
                        source: origin.clone(),
                        problem: format!(
                            "the first {size} events no longer hash to the root this checkpoint \
                             signed: events were rewritten, or the ledger forked"
                        ),
                    });
                }
                *next += 1;
            }
        };
        check_at(&frontier, &mut next, &mut matched, &mut contradictions);
        // The next chunk is read while this one is hashed: reading and hashing each take about
        // half the time, on different cores.
        let fetch = |after: i64| {
            let store = self.store.clone();
            tokio::spawn(async move { store.events_after(after, CHUNK).await })
        };
        let mut pending = fetch(0);
        loop {
            let chunk = pending.await.map_err(|e| {
                crate::error::CoreError::Store(crate::store::StoreError::Corrupt(format!(
                    "reading the ledger stopped: {e}"
                )))
            })??;
            let Some(last) = chunk.last() else { break };
            pending = fetch(last.seq);
            for (event, (hash_matches, leaf)) in chunk.iter().zip(hash_all(&chunk)) {
                if broken_link.is_none() {
                    if let Err(link) = chain.check_linked(event, hash_matches) {
                        broken_link = Some(link);
                    }
                }
                frontier.push(leaf);
                check_at(&frontier, &mut next, &mut matched, &mut contradictions);
            }
        }
        for (size, _, origin) in &wanted[next..] {
            contradictions.push(Contradiction {
                source: origin.clone(),
                problem: format!(
                    "it vouches for {size} events and the ledger holds {}: events were cut off \
                     its end",
                    frontier.size
                ),
            });
        }
        Ok(LogVerification {
            events: frontier.size,
            root: frontier.root(),
            broken_link,
            matched,
            contradictions,
        })
    }

    /// `key`, and every key the log was handed over to from it or to it: a rotation counts only
    /// when both its keys signed it, so whoever can write the database cannot add one.
    async fn trusted_log_keys(&self, key: &VerifierKey) -> CoreResult<Vec<VerifierKey>> {
        let filter = crate::store::EventFilter {
            action: Some(super::KEY_ROTATED.to_owned()),
            ..Default::default()
        };
        let rotations: Vec<(VerifierKey, VerifierKey)> = self
            .store
            .events_matching(&filter, None, 10_000)
            .await?
            .iter()
            .filter_map(|event| {
                let details: serde_json::Value = serde_json::from_str(&event.details).ok()?;
                super::rotation(details.get("statement")?.as_str()?)
            })
            .collect();
        let mut trusted = vec![key.clone()];
        loop {
            let known = |k: &VerifierKey| trusted.iter().any(|t| t.to_string() == k.to_string());
            let found: Vec<VerifierKey> = rotations
                .iter()
                .filter(|(old, new)| known(old) != known(new))
                .map(|(old, new)| if known(old) { new.clone() } else { old.clone() })
                .collect();
            if found.is_empty() {
                return Ok(trusted);
            }
            trusted.extend(found);
        }
    }
}
