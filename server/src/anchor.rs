//! Checkpoints anchored outside the database: each signed checkpoint is also written to a
//! directory the operator chooses (another disk, a mounted bucket, a WORM share), one file per
//! tree size, never overwritten. `countersign audit verify` reads them back.

use countersign_core::services::CheckpointSource;
use countersign_core::store::StoredCheckpoint;
use std::io::Write;
use std::path::{Path, PathBuf};

fn file_for(dir: &Path, size: u64) -> PathBuf {
    dir.join(format!("{size:020}.checkpoint"))
}

/// Writes `checkpoint` unless its file is there with the same note. A file of that size with
/// another note means two histories were signed: refused, loudly.
pub fn write(dir: &Path, checkpoint: &StoredCheckpoint) -> anyhow::Result<bool> {
    std::fs::create_dir_all(dir)?;
    let path = file_for(dir, checkpoint.tree_size);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(mut file) => {
            file.write_all(checkpoint.note.as_bytes())?;
            file.sync_all()?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let there = std::fs::read_to_string(&path)?;
            if there == checkpoint.note {
                Ok(false)
            } else {
                anyhow::bail!(
                    "{} holds another checkpoint of {} events: the ledger has two histories",
                    path.display(),
                    checkpoint.tree_size
                )
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// Every checkpoint file in `dir`, by name.
pub fn read_all(dir: &Path) -> anyhow::Result<Vec<CheckpointSource>> {
    let mut sources = Vec::new();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| p.extension().is_some_and(|e| e == "checkpoint"))
        .collect();
    paths.sort();
    for path in paths {
        sources.push(CheckpointSource {
            origin: path.display().to_string(),
            note: std::fs::read_to_string(&path)?,
        });
    }
    Ok(sources)
}
