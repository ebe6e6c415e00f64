//! [`mutated`]: damage a valid input the way a corrupt download or a fuzzer would.

use proptest::prelude::*;
use proptest::sample::Index;

/// One edit of a byte string; positions are [`Index`]es scaled to the current length.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Flip one bit.
    FlipBit(Index, u8),
    /// Overwrite one byte.
    Set(Index, u8),
    /// Overwrite with an interesting value (0x00, 0xFF, 0x7F, 0x80) spread over 1–8 bytes.
    Extreme(Index, u8, usize),
    /// Insert bytes.
    Insert(Index, Vec<u8>),
    /// Delete up to `n` bytes.
    Delete(Index, usize),
    /// Cut the input at a position.
    Truncate(Index),
    /// Copy a range of up to `n` bytes to another position (repeats records and elements).
    Duplicate(Index, usize, Index),
}

impl Mutation {
    /// Applies the edit to `bytes`.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match self {
            Mutation::FlipBit(at, bit) if len > 0 => bytes[at.index(len)] ^= 1 << (bit % 8),
            Mutation::Set(at, value) if len > 0 => bytes[at.index(len)] = *value,
            Mutation::Extreme(at, which, n) if len > 0 => {
                let value = [0x00, 0xFF, 0x7F, 0x80][usize::from(*which % 4)];
                let start = at.index(len);
                let end = (start + n).min(len);
                bytes[start..end].fill(value);
            }
            Mutation::Insert(at, new) => {
                let at = at.index(len + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Mutation::Delete(at, n) if len > 0 => {
                let start = at.index(len);
                let end = (start + n).min(len);
                bytes.drain(start..end);
            }
            Mutation::Truncate(at) => bytes.truncate(at.index(len + 1)),
            Mutation::Duplicate(from, n, to) if len > 0 => {
                let start = from.index(len);
                let end = (start + n).min(len);
                let piece = bytes[start..end].to_vec();
                let at = to.index(len + 1);
                bytes.splice(at..at, piece);
            }
            _ => {}
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::Set(i, v)),
        2 => (any::<Index>(), any::<u8>(), 1..8usize).prop_map(|(i, w, n)| Mutation::Extreme(i, w, n)),
        2 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..32)).prop_map(|(i, v)| Mutation::Insert(i, v)),
        2 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1..256usize, any::<Index>()).prop_map(|(f, n, t)| Mutation::Duplicate(f, n, t)),
    ]
}

/// `seed` with one to eight [`Mutation`]s applied; shrinks towards fewer, smaller edits.
pub fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(mutation(), 1..=8).prop_map(move |edits| {
        let mut bytes = seed.clone();
        for edit in &edits {
            edit.apply(&mut bytes);
        }
        bytes
    })
}
