//! Merkle trees as RFC 9162 (Certificate Transparency 2.0, §2.1) defines them: leaves hashed
//! with a 0x00 prefix, interior nodes with 0x01, the left subtree always the largest power of
//! two; inclusion and consistency proofs, and their verification.
//!
//! Proofs are built from a [`Leaves`] source that can hash any range of leaves, so a log kept in
//! a database can answer from stored subtree hashes instead of rehashing every leaf.

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} leaves")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {first} is larger than tree size {second}")]
    SizesOutOfOrder { first: u64, second: u64 },
    #[error("the proof has {got} hashes; a proof for these sizes has {want}")]
    WrongLength { got: usize, want: usize },
    #[error("the proof does not lead to the expected root")]
    RootMismatch,
}

/// The hash of a leaf: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two smaller than `n` (n ≥ 2): where RFC 9162 splits a tree.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Something that knows the hash of every range of a tree's leaves (MTH(D[lo:hi])).
pub trait Leaves {
    /// How many leaves there are.
    fn size(&self) -> u64;
    /// MTH of leaves `lo..hi` (hi > lo, hi ≤ size).
    fn range_hash(&self, lo: u64, hi: u64) -> Hash;
}

/// Leaf hashes in memory.
impl Leaves for [Hash] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn range_hash(&self, lo: u64, hi: u64) -> Hash {
        range_root(&self[lo as usize..hi as usize])
    }
}

fn range_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&range_root(&leaves[..k]), &range_root(&leaves[k..]))
        }
    }
}

/// The tree head of the first `size` leaves.
pub fn root(leaves: &(impl Leaves + ?Sized), size: u64) -> Hash {
    if size == 0 {
        empty_root()
    } else {
        leaves.range_hash(0, size)
    }
}

/// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 PATH).
pub fn inclusion_proof(
    leaves: &(impl Leaves + ?Sized),
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError> {
    if index >= size || size > leaves.size() {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::new();
    path(leaves, index, 0, size, &mut proof);
    Ok(proof)
}

fn path(leaves: &(impl Leaves + ?Sized), m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
    let n = hi - lo;
    if n == 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(leaves, m, lo, lo + k, out);
        out.push(leaves.range_hash(lo + k, hi));
    } else {
        path(leaves, m - k, lo + k, hi, out);
        out.push(leaves.range_hash(lo, lo + k));
    }
}

/// The proof that the tree of `first` leaves is a prefix of the tree of `second` leaves (RFC
/// 9162 PROOF). Empty when `first` is 0 or equals `second`.
pub fn consistency_proof(
    leaves: &(impl Leaves + ?Sized),
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if second > leaves.size() {
        return Err(ProofError::IndexOutOfRange {
            index: second,
            size: leaves.size(),
        });
    }
    let mut proof = Vec::new();
    if first > 0 && first < second {
        subproof(leaves, first, 0, second, true, &mut proof);
    }
    Ok(proof)
}

fn subproof(
    leaves: &(impl Leaves + ?Sized),
    m: u64,
    lo: u64,
    hi: u64,
    whole: bool,
    out: &mut Vec<Hash>,
) {
    let n = hi - lo;
    if m == n {
        if !whole {
            out.push(leaves.range_hash(lo, hi));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(leaves, m, lo, lo + k, whole, out);
        out.push(leaves.range_hash(lo + k, hi));
    } else {
        subproof(leaves, m - k, lo + k, hi, false, out);
        out.push(leaves.range_hash(lo, lo + k));
    }
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose head is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let want = inclusion_length(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::RootMismatch);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s == 0 && r == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// How many hashes the audit path of `index` in a tree of `size` has.
fn inclusion_length(index: u64, size: u64) -> usize {
    let (mut m, mut lo, mut hi, mut len) = (index, 0u64, size, 0usize);
    while hi - lo > 1 {
        let k = split(hi - lo);
        if m < k {
            hi = lo + k;
        } else {
            m -= k;
            lo += k;
        }
        len += 1;
    }
    len
}

/// Checks that the tree of `first` leaves with head `first_root` is a prefix of the tree of
/// `second` leaves with head `second_root` (RFC 9162 §2.1.4.2; sizes 0 and equal sizes take an
/// empty proof).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == second || first == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        let same = if first == 0 {
            *first_root == empty_root()
        } else {
            first_root == second_root
        };
        return if same {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength { got: 0, want: 1 });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(ProofError::RootMismatch);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr == *first_root && sr == *second_root && s == 0 {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}
