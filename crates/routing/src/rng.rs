//! A tiny deterministic generator for the random distribution.
//!
//! The engine must not draw entropy itself (it is sans-IO and its runs must be reproducible),
//! and choosing one agent among a few needs no cryptographic quality: SplitMix64 is enough and
//! costs a handful of instructions per draw.

/// SplitMix64 (Steele, Lea, Flood 2014).
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index below `len` (which must not be 0). The modulo bias is below 2^-50 for any team
    /// size we will meet.
    pub(crate) fn below(&mut self, len: usize) -> usize {
        debug_assert!(len > 0);
        (self.next_u64() % len as u64) as usize
    }
}
