//! The Merkle tree against the Certificate Transparency reference vectors (RFC 6962 test data,
//! as published with transparency-dev/merkle) and against an independent implementation
//! (the `ct-merkle` crate), over every tree size and index up to 70.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use countersign_transparency::merkle::{
    consistency_proof, empty_root, inclusion_proof, leaf_hash, root, verify_consistency,
    verify_inclusion, Hash, ProofError,
};

const CT_ENTRIES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Tree heads for sizes 0 to 8.
const CT_ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn h(text: &str) -> Hash {
    hex::decode(text).unwrap().try_into().unwrap()
}

fn ct_leaves() -> Vec<Hash> {
    CT_ENTRIES
        .iter()
        .map(|e| leaf_hash(&hex::decode(e).unwrap()))
        .collect()
}

#[test]
fn tree_heads_match_the_reference_for_every_size() {
    let leaves = ct_leaves();
    assert_eq!(empty_root(), h(CT_ROOTS[0]));
    for size in 0..=8u64 {
        assert_eq!(
            root(leaves.as_slice(), size),
            h(CT_ROOTS[size as usize]),
            "size {size}"
        );
    }
}

#[test]
fn inclusion_proofs_match_the_reference() {
    let leaves = ct_leaves();
    let cases: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            3,
            &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
        ),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (index, size, want) in cases {
        let proof = inclusion_proof(leaves.as_slice(), index, size).unwrap();
        let want: Vec<Hash> = want.iter().map(|w| h(w)).collect();
        assert_eq!(proof, want, "leaf {index} of {size}");
        verify_inclusion(
            &leaves[index as usize],
            index,
            size,
            &proof,
            &h(CT_ROOTS[size as usize]),
        )
        .unwrap();
    }
}

#[test]
fn consistency_proofs_match_the_reference() {
    let leaves = ct_leaves();
    let cases: [(u64, u64, &[&str]); 3] = [
        (
            2,
            8,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    for (first, second, want) in cases {
        let proof = consistency_proof(leaves.as_slice(), first, second).unwrap();
        let want: Vec<Hash> = want.iter().map(|w| h(w)).collect();
        assert_eq!(proof, want, "{first} → {second}");
        verify_consistency(
            first,
            second,
            &h(CT_ROOTS[first as usize]),
            &h(CT_ROOTS[second as usize]),
            &proof,
        )
        .unwrap();
        verify_consistency(
            first,
            second,
            &h(CT_ROOTS[first as usize - 1]),
            &h(CT_ROOTS[second as usize]),
            &proof,
        )
        .unwrap_err();
    }
}

const N: usize = 70;

fn entries() -> Vec<Vec<u8>> {
    (0..N)
        .map(|i| format!("ledger event {i}").into_bytes())
        .collect()
}

/// ct-merkle builds its own tree from the same entries: roots, inclusion proofs and
/// consistency proofs must be byte for byte the same as ours, for every size and index.
#[test]
fn an_independent_implementation_agrees_on_every_root_and_proof() {
    use ct_merkle::mem_backed_tree::MemoryBackedTree;
    let entries = entries();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
    let mut theirs = MemoryBackedTree::<sha2_011::Sha256, Vec<u8>>::new();
    let mut roots = vec![empty_root()];
    for (n, entry) in entries.iter().enumerate() {
        theirs.push(entry.clone());
        let size = n as u64 + 1;
        let ours = root(leaves.as_slice(), size);
        assert_eq!(theirs.root().as_bytes().as_slice(), ours, "root of {size}");
        roots.push(ours);
        for index in 0..size {
            let proof = inclusion_proof(leaves.as_slice(), index, size).unwrap();
            assert_eq!(
                theirs.prove_inclusion(index as usize).as_bytes(),
                proof.concat().as_slice(),
                "inclusion of {index} in {size}"
            );
            verify_inclusion(&leaves[index as usize], index, size, &proof, &ours).unwrap();
        }
        for first in 1..size {
            let proof = consistency_proof(leaves.as_slice(), first, size).unwrap();
            assert_eq!(
                theirs.prove_consistency((size - first) as usize).as_bytes(),
                proof.concat().as_slice(),
                "consistency {first} → {size}"
            );
            verify_consistency(first, size, &roots[first as usize], &ours, &proof).unwrap();
        }
    }
}

#[test]
fn altered_proofs_are_refused() {
    let leaves: Vec<Hash> = entries().iter().map(|e| leaf_hash(e)).collect();
    let roots: Vec<Hash> = (0..=N as u64).map(|n| root(leaves.as_slice(), n)).collect();
    for size in 2..=N as u64 {
        for index in 0..size {
            let proof = inclusion_proof(leaves.as_slice(), index, size).unwrap();
            let leaf = &leaves[index as usize];
            let check = |p: &[Hash]| verify_inclusion(leaf, index, size, p, &roots[size as usize]);
            let mut flipped = proof.clone();
            flipped[0][7] ^= 1;
            assert!(check(&flipped).is_err(), "flipped {index}/{size}");
            assert!(
                check(&proof[..proof.len() - 1]).is_err(),
                "cut {index}/{size}"
            );
            let mut longer = proof.clone();
            longer.push([0xab; 32]);
            assert!(check(&longer).is_err(), "extended {index}/{size}");
            if proof.len() >= 2 && proof[0] != proof[1] {
                let mut swapped = proof.clone();
                swapped.swap(0, 1);
                assert!(check(&swapped).is_err(), "swapped {index}/{size}");
            }
            // The right proof for another leaf, or for the same leaf at another index.
            if index + 1 < size {
                assert!(verify_inclusion(
                    &leaves[index as usize + 1],
                    index,
                    size,
                    &proof,
                    &roots[size as usize]
                )
                .is_err());
            }
        }
        for first in 1..size {
            let proof = consistency_proof(leaves.as_slice(), first, size).unwrap();
            let check = |p: &[Hash]| {
                verify_consistency(
                    first,
                    size,
                    &roots[first as usize],
                    &roots[size as usize],
                    p,
                )
            };
            let mut flipped = proof.clone();
            flipped[0][3] ^= 0x80;
            assert!(check(&flipped).is_err(), "flipped {first}→{size}");
            assert!(
                check(&proof[..proof.len() - 1]).is_err(),
                "cut {first}→{size}"
            );
            let mut longer = proof.clone();
            longer.push([0xcd; 32]);
            assert!(check(&longer).is_err(), "extended {first}→{size}");
            // A forked history: same sizes, another first tree.
            let mut forked = leaves[..first as usize].to_vec();
            forked[0][0] ^= 1;
            let forked_root = root(forked.as_slice(), first);
            assert!(
                verify_consistency(first, size, &forked_root, &roots[size as usize], &proof)
                    .is_err(),
                "fork {first}→{size}"
            );
        }
    }
}

#[test]
fn degenerate_sizes_have_empty_proofs_and_out_of_range_requests_are_named() {
    let leaves = ct_leaves();
    let r4 = root(leaves.as_slice(), 4);
    let r8 = root(leaves.as_slice(), 8);
    verify_consistency(4, 4, &r4, &r4, &[]).unwrap();
    assert!(verify_consistency(4, 4, &r4, &r8, &[]).is_err());
    verify_consistency(0, 8, &empty_root(), &r8, &[]).unwrap();
    assert!(verify_consistency(0, 8, &r4, &r8, &[]).is_err());
    assert!(verify_consistency(8, 4, &r8, &r4, &[]).is_err());
    assert_eq!(
        inclusion_proof(leaves.as_slice(), 8, 8),
        Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
    );
    assert_eq!(
        consistency_proof(leaves.as_slice(), 5, 3),
        Err(ProofError::SizesOutOfOrder {
            first: 5,
            second: 3
        })
    );
    assert!(consistency_proof(leaves.as_slice(), 1, 9).is_err());
    assert_eq!(consistency_proof(leaves.as_slice(), 0, 8), Ok(vec![]));
    assert_eq!(consistency_proof(leaves.as_slice(), 8, 8), Ok(vec![]));
}
