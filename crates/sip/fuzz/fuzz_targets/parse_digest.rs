//! Fuzzes the digest header parsers (WWW-Authenticate/Authorization values) and runs what
//! parses through printing and the server's verification, which must never panic either.

#![no_main]

use centralita_sip::Method;
use centralita_sip::digest::{Challenge, Credentials, DigestServer, NonceCounts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = Challenge::parse(text) {
        let printed = c.to_string();
        assert_eq!(Challenge::parse(&printed).as_ref(), Ok(&c), "{printed}");
        let _ = Credentials::answer(&c, "user", "pass", &Method::Register, "sip:x", b"", "cn", 1);
    }
    if let Ok(c) = Credentials::parse(text) {
        let printed = c.to_string();
        assert_eq!(Credentials::parse(&printed).as_ref(), Ok(&c), "{printed}");
        let server = DigestServer::new(b"fuzz key", "realm", 300);
        let mut counts = NonceCounts::new(8);
        let _ = server.verify(&c, &Method::Register, "00112233445566778899aabbccddeeff", 1_000, &mut counts);
    }
});
