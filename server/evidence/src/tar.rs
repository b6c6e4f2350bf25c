//! The pack's container: a POSIX ustar archive of regular files, written the same way every time
//! (fixed mode, owner, and modification time) so that the same pack is the same bytes, and read
//! strictly (checksums, no links, no absolute or `..` paths, no duplicates).

use thiserror::Error;

const BLOCK: usize = 512;
/// Every entry's modification time: 2000-01-01, so packs do not depend on when they were made.
const MTIME: u64 = 946_684_800;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TarError {
    #[error("the archive is cut short")]
    Truncated,
    #[error("entry header {0} has a wrong checksum")]
    Checksum(usize),
    #[error("entry `{0}` is not a regular file")]
    NotAFile(String),
    #[error("entry `{0}` has a path a pack never has")]
    BadPath(String),
    #[error("entry `{0}` appears twice")]
    Duplicate(String),
    #[error("entry `{0}` has an unreadable size")]
    BadSize(String),
    #[error("the path `{0}` is too long for a pack")]
    LongPath(String),
}

fn octal(field: &mut [u8], value: u64) {
    let digits = format!("{value:0width$o}", width = field.len() - 1);
    field[..digits.len()].copy_from_slice(digits.as_bytes());
    field[digits.len()] = 0;
}

fn valid_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

/// The archive of `files`, in the order given.
pub fn write(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>, TarError> {
    let mut out = Vec::new();
    for (path, bytes) in files {
        if path.len() > 99 || !valid_path(path) {
            return Err(TarError::LongPath(path.clone()));
        }
        let mut header = [0u8; BLOCK];
        header[..path.len()].copy_from_slice(path.as_bytes());
        octal(&mut header[100..108], 0o644);
        octal(&mut header[108..116], 0);
        octal(&mut header[116..124], 0);
        octal(&mut header[124..136], bytes.len() as u64);
        octal(&mut header[136..148], MTIME);
        header[148..156].fill(b' ');
        header[156] = b'0';
        header[257..263].copy_from_slice(b"ustar\0");
        header[263..265].copy_from_slice(b"00");
        let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
        let digits = format!("{sum:06o}\0 ");
        header[148..156].copy_from_slice(digits.as_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(bytes);
        let pad = (BLOCK - bytes.len() % BLOCK) % BLOCK;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 2 * BLOCK));
    Ok(out)
}

fn field_text(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// The files of an archive, in order.
pub fn read(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, TarError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut at = 0;
    let mut index = 0;
    loop {
        let header = archive.get(at..at + BLOCK).ok_or(TarError::Truncated)?;
        if header.iter().all(|b| *b == 0) {
            return Ok(files);
        }
        let stored = field_text(&header[148..156]);
        let mut copy = [0u8; BLOCK];
        copy.copy_from_slice(header);
        copy[148..156].fill(b' ');
        let sum: u32 = copy.iter().map(|b| u32::from(*b)).sum();
        if u32::from_str_radix(stored.trim(), 8).ok() != Some(sum) {
            return Err(TarError::Checksum(index));
        }
        let mut path = field_text(&header[..100]);
        let prefix = field_text(&header[345..500]);
        if !prefix.is_empty() {
            path = format!("{prefix}/{path}");
        }
        if !matches!(header[156], b'0' | 0) {
            return Err(TarError::NotAFile(path));
        }
        if !valid_path(&path) {
            return Err(TarError::BadPath(path));
        }
        let size = usize::from_str_radix(field_text(&header[124..136]).trim(), 8)
            .map_err(|_| TarError::BadSize(path.clone()))?;
        let start = at + BLOCK;
        let bytes = archive
            .get(start..start.checked_add(size).ok_or(TarError::Truncated)?)
            .ok_or(TarError::Truncated)?;
        if files.iter().any(|(p, _)| *p == path) {
            return Err(TarError::Duplicate(path));
        }
        files.push((path, bytes.to_vec()));
        at = start + size.div_ceil(BLOCK) * BLOCK;
        index += 1;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn files_round_trip_and_the_same_files_give_the_same_bytes() {
        let files = vec![
            ("manifest.json".to_owned(), b"{}".to_vec()),
            ("content/v1.txt".to_owned(), vec![b'x'; 1025]),
            ("empty".to_owned(), Vec::new()),
        ];
        let archive = write(&files).unwrap();
        assert_eq!(archive.len() % BLOCK, 0);
        assert_eq!(read(&archive).unwrap(), files);
        assert_eq!(write(&files).unwrap(), archive, "reproducible");
    }

    #[test]
    fn damaged_and_hostile_archives_are_refused() {
        let archive = write(&[("a.txt".to_owned(), b"hello".to_vec())]).unwrap();
        let mut flipped = archive.clone();
        flipped[3] ^= 1;
        assert_eq!(read(&flipped), Err(TarError::Checksum(0)));
        assert_eq!(read(&archive[..600]), Err(TarError::Truncated));
        assert!(write(&[("../etc/passwd".to_owned(), Vec::new())]).is_err());
        let twice = write(&[
            ("a.txt".to_owned(), b"1".to_vec()),
            ("a.txt".to_owned(), b"2".to_vec()),
        ])
        .unwrap();
        assert_eq!(read(&twice), Err(TarError::Duplicate("a.txt".to_owned())));
    }
}
