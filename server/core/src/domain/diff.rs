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

/// Past this much text on either side, versions are shown as replaced whole: the comparison's
/// cost must not grow with the square of what an agent sends.
pub const MAX_DIFF_BYTES: usize = 1024 * 1024;
/// The longest a comparison may search for the smallest diff; past it, the diff is still
/// correct, only coarser.
const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_millis(250);

/// The lines of `new` against `old`: unchanged, added and removed, in reading order.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    if old.len() > MAX_DIFF_BYTES || new.len() > MAX_DIFF_BYTES {
        let line = |kind| {
            move |text: &str| DiffLine {
                kind,
                text: text.to_owned(),
            }
        };
        return old
            .lines()
            .map(line(DiffKind::Removed))
            .chain(new.lines().map(line(DiffKind::Added)))
            .collect();
    }
    similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Myers)
        .deadline(std::time::Instant::now() + DIFF_DEADLINE)
        .diff_lines(old, new)
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

    /// Two versions with nothing in common, each a line per number: the worst case for a
    /// minimal diff. Every line is still accounted for, once, in order.
    #[test]
    fn unrelated_versions_still_diff_completely() {
        let old: String = (0..20_000).map(|n| format!("a{n}\n")).collect();
        let new: String = (0..20_000).map(|n| format!("b{n}\n")).collect();
        let diff = line_diff(&old, &new);
        assert_eq!(
            diff.iter().filter(|l| l.kind == DiffKind::Removed).count(),
            20_000
        );
        assert_eq!(
            diff.iter().filter(|l| l.kind == DiffKind::Added).count(),
            20_000
        );
        let huge = "x\n".repeat(MAX_DIFF_BYTES);
        let whole = line_diff("a\n", &huge);
        assert_eq!(
            whole[0],
            DiffLine {
                kind: DiffKind::Removed,
                text: "a".to_owned()
            }
        );
        assert_eq!(whole.len(), 1 + MAX_DIFF_BYTES);
    }
}
