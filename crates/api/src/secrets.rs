//! Secrets: API tokens, password hashes, SIP digest HA1 values. Nothing here is stored or
//! logged in clear; tokens are shown once, when made.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use sha2::Digest;

/// Prefix of every API token, so that a leaked one is recognisable by secret scanners.
pub(crate) const TOKEN_PREFIX: &str = "cnt_";

/// A new random API token: 256 bits from the operating system's CSPRNG.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{TOKEN_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A new random password for SIP credentials the user did not choose: 18 bytes, base64url.
pub(crate) fn new_sip_password() -> String {
    let mut bytes = [0u8; 18];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A short random suffix, for generated SIP usernames.
pub(crate) fn random_suffix() -> String {
    let mut bytes = [0u8; 4];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// How a token is stored and looked up: SHA-256, hex. Tokens carry 256 bits of entropy, so a
/// fast hash is enough (a slow one would only slow every request down).
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// An argon2id hash (PHC string) of a password, with a random salt and the crate's defaults
/// (OWASP's recommended parameters). CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, String> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

/// Whether `password` matches a stored argon2 hash. CPU-heavy: call from a blocking thread.
pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2::Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// The digest HA1 values of SIP credentials, `H(username:realm:password)` in hex, for MD5 and
/// SHA-256 (RFC 8760): enough to check a REGISTER, useless to log in anywhere else.
pub fn sip_ha1(username: &str, realm: &str, password: &str) -> (String, String) {
    use centralita_sip::digest::{Algorithm, ha1};
    (
        ha1(Algorithm::Md5, username, realm, password),
        ha1(Algorithm::Sha256, username, realm, password),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_recognisable() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(token_hash(&a).len(), 64);
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn ha1_matches_rfc_2617_example() {
        // RFC 2617 §3.5: Mufasa / testrealm@host.com / Circle Of Life.
        let (md5, _) = sip_ha1("Mufasa", "testrealm@host.com", "Circle Of Life");
        assert_eq!(md5, "939e7578ed9e3c518a452acee763bce9");
        // RFC 7616 §3.9.1: Mufasa / http-auth@example.org / Circle of Life.
        let (_, sha) = sip_ha1("Mufasa", "http-auth@example.org", "Circle of Life");
        assert_eq!(sha, "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
    }
}
