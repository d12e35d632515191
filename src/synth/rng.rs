//! A small deterministic PRNG (SplitMix64): the same seed gives the same corpus on every platform.

/// FNV-1a hash, used to derive independent streams from labels.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";

#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// An independent stream for `label`, so adding draws in one part of the corpus does not
    /// shift every other part.
    pub fn derive(seed: u64, label: &str) -> Self {
        let mut r = Rng(seed ^ fnv1a(label).rotate_left(17));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n.max(1))) >> 64) as u64
    }

    /// Uniform in `lo..hi` (hi > lo).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as u64) as i64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }

    fn chars(&mut self, set: &[u8], n: usize) -> String {
        (0..n).map(|_| set[self.below(set.len() as u64) as usize] as char).collect()
    }

    /// Mixed-case letters and digits (CloudTrail file-name suffixes).
    pub fn alnum(&mut self, n: usize) -> String {
        self.chars(ALNUM, n)
    }

    /// Upper-case letters and digits 2-7 (the alphabet of AWS key and principal ids).
    pub fn upper_alnum(&mut self, n: usize) -> String {
        self.chars(UPPER_ALNUM, n)
    }

    pub fn hex(&mut self, n: usize) -> String {
        self.chars(HEX, n)
    }

    /// A version-4 UUID in canonical form.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

/// A stable id for a named thing (e.g. `AIDA` + 17 chars for a user): independent of the seed so
/// the IAM files and the events always agree.
pub fn stable_id(prefix: &str, name: &str, len: usize) -> String {
    let mut r = Rng::derive(0x7a11_7a11, &format!("{prefix}/{name}"));
    format!("{prefix}{}", r.upper_alnum(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::derive(7, "x").next_u64(), Rng::derive(7, "y").next_u64());
    }

    #[test]
    fn uuid_is_v4_shaped() {
        let u = Rng::new(1).uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(3);
        for n in 1..50 {
            assert!(r.below(n) < n);
        }
        assert_eq!(stable_id("AIDA", "alice", 17).len(), 21);
        assert_eq!(stable_id("AIDA", "alice", 17), stable_id("AIDA", "alice", 17));
    }
}
