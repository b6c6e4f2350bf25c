//! The consent records access decisions read, kept in memory between decisions. Exact by the
//! same rule as the principal cache: every write of consent records moves the consent generation
//! in its own commit, entries are kept only for the newest generation this process knows of, and
//! a decision's commit checks under the ledger head's lock that the generation it decided with is
//! still the store's (see `recorder`). A decision made with standings that changed meanwhile is
//! never recorded nor answered; it is made again with the records read afresh.
//!
//! Absence is kept too: a subject without records is an entry with none, so "no consent" costs
//! no query either. What is kept is records, not decisions: each decision still applies the
//! standing rule, Cedar and the clock to them.

use crate::domain::ConsentEvent;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Subjects remembered at most, over all purposes; the cache is emptied when full.
const MAX_SUBJECTS: usize = 200_000;

/// A subject's records for one purpose's standing.
pub(super) type Records = Arc<[ConsentEvent]>;

#[derive(Debug)]
struct Kept {
    /// The generation every entry was read at or after (`i64::MIN`: none known yet).
    generation: i64,
    /// Purpose, then subject.
    entries: HashMap<String, HashMap<String, Records>>,
    count: usize,
}

#[derive(Debug)]
pub(super) struct ConsentCache {
    kept: Mutex<Kept>,
}

impl Default for ConsentCache {
    fn default() -> Self {
        Self {
            kept: Mutex::new(Kept {
                generation: i64::MIN,
                entries: HashMap::new(),
                count: 0,
            }),
        }
    }
}

/// The records of the subjects asked about, in the order asked, and the generation to confirm
/// at the commit.
pub(super) struct Standings {
    pub generation: i64,
    pub records: Vec<Records>,
}

impl ConsentCache {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Learns of a consent generation (read from the store or found at a commit); a newer one
    /// empties the cache.
    pub fn observe(&self, generation: i64) {
        let mut kept = self.kept();
        if generation > kept.generation {
            kept.generation = generation;
            kept.entries.clear();
            kept.count = 0;
        }
    }

    /// The records of `subjects` for `purpose`: from memory where kept, the rest in one query.
    pub async fn records_for(
        &self,
        store: &dyn Store,
        subjects: &[&str],
        purpose: &str,
    ) -> Result<Standings, StoreError> {
        if self.kept().generation == i64::MIN {
            self.observe(store.generations().await?.consent);
        }
        let none: Records = Arc::new([]);
        let (generation, mut records, missing) = {
            let kept = self.kept();
            let by_subject = kept.entries.get(purpose);
            let mut records = Vec::with_capacity(subjects.len());
            let mut missing = Vec::new();
            for (n, subject) in subjects.iter().enumerate() {
                match by_subject.and_then(|m| m.get(*subject)) {
                    Some(found) => records.push(found.clone()),
                    None => {
                        records.push(none.clone());
                        missing.push(n);
                    }
                }
            }
            (kept.generation, records, missing)
        };
        if missing.is_empty() {
            return Ok(Standings {
                generation,
                records,
            });
        }
        // Read after the generation was: the records are at least that new, so confirming that
        // generation at the commit is never too lenient.
        let asked: Vec<String> = missing.iter().map(|&n| subjects[n].to_owned()).collect();
        let mut read: HashMap<String, Vec<ConsentEvent>> = HashMap::new();
        for (subject, event) in store.consent_events_for(&asked, purpose).await? {
            read.entry(subject).or_default().push(event);
        }
        let mut kept = self.kept();
        // Kept only if no newer generation arrived meanwhile: these records may predate it.
        let keep = kept.generation == generation;
        if keep && kept.count + asked.len() > MAX_SUBJECTS {
            kept.entries.clear();
            kept.count = 0;
        }
        for (n, subject) in missing.into_iter().zip(asked) {
            let events: Records = read.remove(&subject).unwrap_or_default().into();
            records[n] = events.clone();
            if keep {
                let by_subject = kept.entries.entry(purpose.to_owned()).or_default();
                if by_subject.insert(subject, events).is_none() {
                    kept.count += 1;
                }
            }
        }
        Ok(Standings {
            generation,
            records,
        })
    }
}
