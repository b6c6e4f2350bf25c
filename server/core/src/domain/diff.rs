//! Line diffs between two texts, for reviewers comparing versions of a change.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffKind {
    Same,
    Added,
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: DiffKind,
    pub text: String,
}

/// The lines of `new` against `old`: unchanged, added and removed, in reading order.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|change| DiffLine {
            kind: match change.tag() {
                similar::ChangeTag::Equal => DiffKind::Same,
                similar::ChangeTag::Insert => DiffKind::Added,
                similar::ChangeTag::Delete => DiffKind::Removed,
            },
            text: change.value().trim_end_matches('\n').to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_show_as_removed_then_added() {
        let diff = line_diff(
            "Hello.\nSave 20% today.\nBye.\n",
            "Hello.\nSave up to 20% today.\nBye.\n",
        );
        let kinds: Vec<(DiffKind, &str)> = diff.iter().map(|l| (l.kind, l.text.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (DiffKind::Same, "Hello."),
                (DiffKind::Removed, "Save 20% today."),
                (DiffKind::Added, "Save up to 20% today."),
                (DiffKind::Same, "Bye."),
            ]
        );
        assert!(line_diff("same", "same")
            .iter()
            .all(|l| l.kind == DiffKind::Same));
    }
}
