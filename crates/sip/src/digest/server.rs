//! The server side of digest authentication, pure: nonces that carry their own issue time
//! and an HMAC-SHA-256 tag (so no table of issued nonces is needed and a restart with a new
//! key simply makes old nonces stale), verification against a stored HA1, and a bounded
//! nonce-count table, owned by the caller, that refuses replays.
//!
//! Time is always passed in as seconds since an epoch of the caller's choosing (the Unix epoch
//! in practice); nothing here reads a clock or draws random numbers.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use super::{Algorithm, Challenge, Credentials, Qop, response_hex};
use crate::method::Method;

/// HMAC-SHA-256 (RFC 2104), written out: it is a dozen lines and keeps the dependency list
/// short. Tested against RFC 4231's vectors.
fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        let hashed = Sha256::digest(key);
        for (d, s) in block.iter_mut().zip(hashed.iter()) {
            *d = *s;
        }
    } else {
        for (d, s) in block.iter_mut().zip(key) {
            *d = *s;
        }
    }
    let mut inner = Sha256::new();
    inner.update(block.map(|b| b ^ 0x36));
    for p in parts {
        inner.update(p);
    }
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(block.map(|b| b ^ 0x5c));
    outer.update(inner);
    let mut out = [0u8; 32];
    for (d, s) in out.iter_mut().zip(outer.finalize().iter()) {
        *d = *s;
    }
    out
}

/// Compares without an early exit, so timing does not reveal how much of a guess matched.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Octets in a nonce before hex encoding: issue time (8), serial (8), tag (16).
const NONCE_BYTES: usize = 32;

/// The outcome of checking credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Authenticated.
    Ok,
    /// The response is right but the nonce expired or is not ours (an old key, say):
    /// challenge again with `stale=true`, and the client retries without asking its user.
    Stale,
    /// Wrong password, user, or realm: challenge again (or 403 after repeated failures).
    Wrong,
    /// Right response with a nonce count already used for this nonce: a replayed request.
    /// Challenge again with a fresh nonce.
    Replay,
    /// Credentials this server never asks for (no qop, auth-int): answer 400.
    Malformed,
}

/// Issues and checks digest nonces for one realm.
#[derive(Debug, Clone)]
pub struct DigestServer {
    /// The HMAC key. A fresh random key per process start is the intended use: nonces of
    /// the previous run then verify as `Stale`, and the (empty) replay table cannot be
    /// fooled by nonces issued before it existed.
    key: Vec<u8>,
    /// The realm put in challenges and required in credentials.
    realm: String,
    /// How long a nonce is good for, in seconds.
    lifetime: u64,
    /// Makes each nonce unique even within one second; also the replay table's key.
    next_serial: u64,
}

/// What a nonce says about itself once its tag checks out.
struct NonceInfo {
    issued: u64,
    serial: u64,
}

impl DigestServer {
    /// A server for `realm` whose nonces last `nonce_lifetime_secs`.
    pub fn new(key: &[u8], realm: &str, nonce_lifetime_secs: u64) -> DigestServer {
        DigestServer {
            key: key.to_vec(),
            realm: realm.to_owned(),
            lifetime: nonce_lifetime_secs,
            next_serial: 0,
        }
    }

    /// The realm.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    fn tag(&self, issued: u64, serial: u64) -> [u8; 32] {
        hmac_sha256(
            &self.key,
            &[
                b"centralita digest nonce\0",
                self.realm.as_bytes(),
                b"\0",
                &issued.to_be_bytes(),
                &serial.to_be_bytes(),
            ],
        )
    }

    /// A fresh nonce issued at `now`.
    pub fn nonce(&mut self, now: u64) -> String {
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        let tag = self.tag(now, serial);
        let mut raw = Vec::with_capacity(NONCE_BYTES);
        raw.extend_from_slice(&now.to_be_bytes());
        raw.extend_from_slice(&serial.to_be_bytes());
        raw.extend_from_slice(tag.get(..16).unwrap_or_default());
        hex::encode(raw)
    }

    /// A challenge (qop="auth") with a fresh nonce; `stale` after a `Verdict::Stale` or
    /// `Verdict::Replay`. A 401 carries one per configured algorithm, preferred first
    /// (RFC 8760 2.4).
    pub fn challenge(&mut self, algorithm: Algorithm, now: u64, stale: bool) -> Challenge {
        Challenge {
            realm: self.realm.clone(),
            nonce: self.nonce(now),
            opaque: None,
            stale,
            algorithm,
            qop: vec![Qop::Auth],
            domain: None,
            userhash: false,
        }
    }

    /// Decodes and authenticates a nonce; `None` if it is not one of ours (under this key).
    fn open(&self, nonce: &str) -> Option<NonceInfo> {
        if nonce.len() != NONCE_BYTES * 2 {
            return None;
        }
        let raw = hex::decode(nonce).ok()?;
        let issued = u64::from_be_bytes(raw.get(..8)?.try_into().ok()?);
        let serial = u64::from_be_bytes(raw.get(8..16)?.try_into().ok()?);
        let tag = self.tag(issued, serial);
        constant_time_eq(raw.get(16..)?, tag.get(..16)?).then_some(NonceInfo { issued, serial })
    }

    /// Checks credentials for a request with `method`, against `ha1_hex` (the stored
    /// `ha1(credentials.algorithm.base(), username, realm, password)` of the user named in
    /// them), at `now`. On success the nonce count is recorded in `counts`. Whether the
    /// digest-uri matches the Request-URI is the caller's check (RFC 7616 3.4.6), as a proxy
    /// on the path may have rewritten the latter.
    pub fn verify(
        &self,
        credentials: &Credentials,
        method: &Method,
        ha1_hex: &str,
        now: u64,
        counts: &mut NonceCounts,
    ) -> Verdict {
        // We always challenge with qop="auth"; RFC 7616 3.4 makes the client use it then.
        if credentials.qop != Some(Qop::Auth) {
            return Verdict::Malformed;
        }
        if credentials.realm != self.realm {
            return Verdict::Wrong;
        }
        let expected = response_hex(
            credentials.algorithm,
            ha1_hex,
            &credentials.nonce,
            credentials.cnonce.as_deref(),
            credentials.nc,
            credentials.qop,
            method.as_str(),
            &credentials.uri,
            b"",
        );
        let given = credentials.response.to_ascii_lowercase();
        if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return Verdict::Wrong;
        }
        let Some(info) = self.open(&credentials.nonce) else { return Verdict::Stale };
        // A nonce from the future (a clock stepped back) is not trusted either.
        if info.issued > now || now - info.issued > self.lifetime {
            return Verdict::Stale;
        }
        // Parse guarantees nc with qop; 0 is never a valid count.
        let nc = credentials.nc.unwrap_or(0);
        counts.record(info.serial, nc)
    }
}

/// The highest nonce count seen per nonce, for replay refusal (RFC 7616 3.4.5), bounded.
///
/// Only nonces whose tag verified and whose response was right are recorded, so a flood of
/// made-up nonces cannot grow it; and it never holds more than `capacity` entries: when full,
/// the oldest nonce (lowest serial) is forgotten, and any nonce at or below the highest
/// forgotten serial is answered `Stale`, since its history is gone. Use one table per
/// `DigestServer`.
#[derive(Debug, Clone)]
pub struct NonceCounts {
    capacity: usize,
    highest: BTreeMap<u64, u32>,
    forgotten_up_to: Option<u64>,
}

impl NonceCounts {
    /// A table holding at most `capacity` nonces (at least one).
    pub fn new(capacity: usize) -> NonceCounts {
        NonceCounts { capacity: capacity.max(1), highest: BTreeMap::new(), forgotten_up_to: None }
    }

    /// How many nonces are tracked.
    pub fn len(&self) -> usize {
        self.highest.len()
    }

    /// Whether no nonce is tracked.
    pub fn is_empty(&self) -> bool {
        self.highest.is_empty()
    }

    fn record(&mut self, serial: u64, nc: u32) -> Verdict {
        if nc == 0 {
            // Counts start at 1 (RFC 7616 3.4).
            return Verdict::Malformed;
        }
        if let Some(seen) = self.highest.get_mut(&serial) {
            if nc <= *seen {
                return Verdict::Replay;
            }
            *seen = nc;
            return Verdict::Ok;
        }
        if self.forgotten_up_to.is_some_and(|f| serial <= f) {
            return Verdict::Stale;
        }
        while self.highest.len() >= self.capacity {
            match self.highest.pop_first() {
                Some((old, _)) => {
                    self.forgotten_up_to = Some(old.max(self.forgotten_up_to.unwrap_or(0)));
                }
                None => break,
            }
        }
        if self.forgotten_up_to.is_some_and(|f| serial <= f) {
            return Verdict::Stale;
        }
        self.highest.insert(serial, nc);
        Verdict::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::super::ha1;
    use super::*;

    #[test]
    fn hmac_rfc4231() {
        // Test case 1.
        let mac = hmac_sha256(&[0x0b; 20], &[b"Hi There"]);
        assert_eq!(
            hex::encode(mac),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2, split across parts.
        let mac = hmac_sha256(b"Jefe", &[b"what do ya want ", b"for nothing?"]);
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        let mac =
            hmac_sha256(&[0xaa; 131], &[b"Test Using Larger Than Block-Size Key - Hash Key First"]);
        assert_eq!(
            hex::encode(mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    const T0: u64 = 1_700_000_000;

    fn setup(alg: Algorithm) -> (DigestServer, Challenge, String) {
        let mut server =
            DigestServer::new(b"0123456789abcdef0123456789abcdef", "pbx.example.com", 300);
        let ch = server.challenge(alg, T0, false);
        let stored = ha1(alg, "alice", "pbx.example.com", "s3cret");
        (server, ch, stored)
    }

    fn answer(ch: &Challenge, password: &str, nc: u32) -> Credentials {
        Credentials::answer(
            ch,
            "alice",
            password,
            &Method::Register,
            "sip:pbx.example.com",
            b"",
            "abcdef",
            nc,
        )
    }

    #[test]
    fn round_trip_both_algorithms() {
        for alg in [Algorithm::Md5, Algorithm::Sha256, Algorithm::Md5Sess, Algorithm::Sha256Sess] {
            let (server, ch, stored) = setup(alg);
            let mut counts = NonceCounts::new(16);
            let creds = Credentials::parse(&answer(&ch, "s3cret", 1).to_string()).unwrap();
            assert_eq!(
                server.verify(&creds, &Method::Register, &stored, T0 + 10, &mut counts),
                Verdict::Ok,
                "{alg}"
            );
            let wrong = answer(&ch, "guess", 2);
            assert_eq!(
                server.verify(&wrong, &Method::Register, &stored, T0 + 10, &mut counts),
                Verdict::Wrong
            );
            assert_eq!(
                server.verify(&creds, &Method::Invite, &stored, T0 + 10, &mut counts),
                Verdict::Wrong
            );
        }
    }

    #[test]
    fn expiry_gives_stale_only_with_the_right_password() {
        let (server, ch, stored) = setup(Algorithm::Sha256);
        let mut counts = NonceCounts::new(16);
        let good = answer(&ch, "s3cret", 1);
        assert_eq!(
            server.verify(&good, &Method::Register, &stored, T0 + 301, &mut counts),
            Verdict::Stale
        );
        assert_eq!(
            server.verify(&good, &Method::Register, &stored, T0 - 1, &mut counts),
            Verdict::Stale
        );
        let bad = answer(&ch, "nope", 1);
        assert_eq!(
            server.verify(&bad, &Method::Register, &stored, T0 + 301, &mut counts),
            Verdict::Wrong
        );
        assert_eq!(
            server.verify(&good, &Method::Register, &stored, T0 + 300, &mut counts),
            Verdict::Ok
        );
    }

    #[test]
    fn foreign_or_forged_nonces_are_stale() {
        let (server, _, stored) = setup(Algorithm::Md5);
        let mut other = DigestServer::new(b"another key", "pbx.example.com", 300);
        let ch = other.challenge(Algorithm::Md5, T0, false);
        let mut counts = NonceCounts::new(16);
        assert_eq!(
            server.verify(&answer(&ch, "s3cret", 1), &Method::Register, &stored, T0, &mut counts),
            Verdict::Stale
        );
        let mut made_up = ch.clone();
        made_up.nonce = "zz".into();
        assert_eq!(
            server.verify(
                &answer(&made_up, "s3cret", 1),
                &Method::Register,
                &stored,
                T0,
                &mut counts
            ),
            Verdict::Stale
        );
        assert!(counts.is_empty(), "nothing recorded for nonces that are not ours");
    }

    #[test]
    fn nonce_counts_refuse_replays() {
        let (server, ch, stored) = setup(Algorithm::Md5);
        let mut counts = NonceCounts::new(16);
        let v = |nc: u32, counts: &mut NonceCounts| {
            server.verify(&answer(&ch, "s3cret", nc), &Method::Register, &stored, T0, counts)
        };
        assert_eq!(v(1, &mut counts), Verdict::Ok);
        assert_eq!(v(1, &mut counts), Verdict::Replay);
        assert_eq!(v(3, &mut counts), Verdict::Ok);
        assert_eq!(v(2, &mut counts), Verdict::Replay);
        assert_eq!(v(4, &mut counts), Verdict::Ok);
        assert_eq!(v(0, &mut counts), Verdict::Malformed);
    }

    #[test]
    fn nonce_counts_stay_bounded() {
        let mut server = DigestServer::new(b"k", "r", 300);
        let stored = ha1(Algorithm::Md5, "alice", "r", "s3cret");
        let mut counts = NonceCounts::new(4);
        let challenges: Vec<Challenge> =
            (0..10).map(|_| server.challenge(Algorithm::Md5, T0, false)).collect();
        for ch in &challenges {
            assert_eq!(
                server.verify(
                    &answer(ch, "s3cret", 1),
                    &Method::Register,
                    &stored,
                    T0,
                    &mut counts
                ),
                Verdict::Ok
            );
        }
        assert_eq!(counts.len(), 4);
        // The oldest were forgotten: their history is gone, so they are stale, never Ok.
        assert_eq!(
            server.verify(
                &answer(&challenges[0], "s3cret", 2),
                &Method::Register,
                &stored,
                T0,
                &mut counts
            ),
            Verdict::Stale
        );
        assert_eq!(
            server.verify(
                &answer(&challenges[9], "s3cret", 2),
                &Method::Register,
                &stored,
                T0,
                &mut counts
            ),
            Verdict::Ok
        );
    }

    #[test]
    fn malformed_when_not_what_we_asked_for() {
        let (server, ch, stored) = setup(Algorithm::Md5);
        let mut legacy = ch.clone();
        legacy.qop.clear();
        let mut counts = NonceCounts::new(4);
        assert_eq!(
            server.verify(
                &answer(&legacy, "s3cret", 1),
                &Method::Register,
                &stored,
                T0,
                &mut counts
            ),
            Verdict::Malformed
        );
        let mut other_realm = answer(&ch, "s3cret", 1);
        other_realm.realm = "elsewhere".into();
        assert_eq!(
            server.verify(&other_realm, &Method::Register, &stored, T0, &mut counts),
            Verdict::Wrong
        );
    }

    #[test]
    fn nonces_are_unique_and_parse_back() {
        let mut server = DigestServer::new(b"k", "r", 300);
        let a = server.nonce(T0);
        let b = server.nonce(T0);
        assert_ne!(a, b);
        assert!(server.open(&a).is_some());
        let mut tampered = a.clone().into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        assert!(server.open(std::str::from_utf8(&tampered).unwrap()).is_none());
    }
}
