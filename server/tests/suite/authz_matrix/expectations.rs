//! The expected answers, as data (`expectations.txt`): for each route, which principals get
//! which outcome in each state. A line is
//!
//! ```text
//! METHOD /path   principal [principal …]   outcome [pending approved published revoked suspended]
//! ```
//!
//! with one outcome for every state or five, one per state; `*` stands for every principal the
//! route's other lines do not name.

use super::principals::Principal;
use super::world::State;
use std::collections::{BTreeMap, BTreeSet};

pub type Outcomes = [String; 5];

#[derive(Debug, Default)]
pub struct Expectations {
    /// route → principal → outcome per state.
    named: BTreeMap<String, BTreeMap<Principal, Outcomes>>,
    rest: BTreeMap<String, Outcomes>,
}

fn state_index(state: State) -> usize {
    State::ALL.iter().position(|s| *s == state).unwrap()
}

impl Expectations {
    pub fn parse(text: &str) -> Result<Expectations, String> {
        let mut expectations = Expectations::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let at = |why: String| format!("expectations.txt line {}: {why}", n + 1);
            let mut words = line.split_whitespace();
            let (Some(method), Some(path)) = (words.next(), words.next()) else {
                return Err(at("a line starts with METHOD /path".to_owned()));
            };
            let route = format!("{method} {path}");
            let words: Vec<&str> = words.collect();
            let split = words
                .iter()
                .position(|w| *w != "*" && Principal::parse(w).is_none())
                .ok_or_else(|| at("no outcome after the principals".to_owned()))?;
            let (who, outcomes) = words.split_at(split);
            if who.is_empty() {
                return Err(at(format!("no principal before `{}`", outcomes[0])));
            }
            let outcomes: Outcomes = match outcomes.len() {
                1 => std::array::from_fn(|_| outcomes[0].to_owned()),
                5 => std::array::from_fn(|i| outcomes[i].to_owned()),
                k => return Err(at(format!("{k} outcomes: give one, or one per state (5)"))),
            };
            for w in who {
                let duplicate = if *w == "*" {
                    expectations
                        .rest
                        .insert(route.clone(), outcomes.clone())
                        .is_some()
                } else {
                    let principal = Principal::parse(w).unwrap();
                    expectations
                        .named
                        .entry(route.clone())
                        .or_default()
                        .insert(principal, outcomes.clone())
                        .is_some()
                };
                if duplicate {
                    return Err(at(format!("`{w}` appears twice for {route}")));
                }
            }
        }
        Ok(expectations)
    }

    pub fn routes(&self) -> BTreeSet<String> {
        self.named.keys().chain(self.rest.keys()).cloned().collect()
    }

    pub fn expected(&self, route: &str, principal: Principal, state: State) -> Option<&str> {
        self.named
            .get(route)
            .and_then(|named| named.get(&principal))
            .or_else(|| self.rest.get(route))
            .map(|outcomes| outcomes[state_index(state)].as_str())
    }
}

/// Writes observed outcomes in the file's format: per route, the most common answer as `*` and
/// the principals answered otherwise above it, grouped.
pub fn render(observed: &BTreeMap<(String, Principal), BTreeMap<State, String>>) -> String {
    let mut by_route: BTreeMap<&str, BTreeMap<Principal, Vec<String>>> = BTreeMap::new();
    for ((route, principal), states) in observed {
        by_route
            .entry(route)
            .or_default()
            .insert(*principal, states.values().cloned().collect());
    }
    let mut out = String::new();
    for (route, principals) in by_route {
        let mut groups: BTreeMap<Vec<String>, Vec<Principal>> = BTreeMap::new();
        for (principal, outcomes) in principals {
            groups.entry(outcomes).or_default().push(principal);
        }
        let common = groups
            .iter()
            .max_by_key(|(_, who)| who.len())
            .map(|(outcomes, _)| outcomes.clone())
            .unwrap_or_default();
        let mut lines = Vec::new();
        for (outcomes, who) in &groups {
            if *outcomes == common {
                continue;
            }
            let names: Vec<&str> = who.iter().map(|p| p.label()).collect();
            lines.push((names.join(" "), outcomes));
        }
        lines.push(("*".to_owned(), &common));
        for (who, outcomes) in lines {
            let outcomes = if outcomes.iter().all(|o| *o == outcomes[0]) {
                outcomes[0].clone()
            } else {
                outcomes
                    .iter()
                    .map(|o| format!("{o:<12}"))
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            };
            out.push_str(&format!("{route:<40} {who:<44} {outcomes}\n"));
        }
        out.push('\n');
    }
    out
}
