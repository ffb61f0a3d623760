//! Helpers shared by the conformance tests: reading the byte-exact torture messages and
//! checking that a parsed message prints back to an equivalent one.

use std::path::PathBuf;

use centralita_sip::{HeaderName, Message};

/// The bytes of `tests/data/<dir>/<file>`.
pub(crate) fn data(dir: &str, file: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", dir, file].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Prints `m`, parses the print, and checks that the two are equivalent: same start line,
/// same header entries (Content-Length aside, which the printer recomputes), same values
/// through every typed view, same body; and that printing is idempotent.
pub(crate) fn assert_round_trip(name: &str, m: &Message) {
    let wire = m.to_bytes();
    let again = Message::parse(&wire).unwrap_or_else(|e| panic!("{name}: reparse failed: {e:?}"));
    match (m, &again) {
        (Message::Request(a), Message::Request(b)) => {
            assert_eq!(a.method, b.method, "{name}");
            assert_eq!(a.uri, b.uri, "{name}");
            assert!(a.uri.equivalent(&b.uri), "{name}");
        }
        (Message::Response(a), Message::Response(b)) => {
            assert_eq!((a.status, &a.reason), (b.status, &b.reason), "{name}");
        }
        _ => panic!("{name}: request/response changed"),
    }
    let entries = |m: &Message| -> Vec<(String, String)> {
        m.headers()
            .iter()
            .filter(|h| h.name != HeaderName::CONTENT_LENGTH)
            .map(|h| (h.name.as_str().to_owned(), h.value.clone()))
            .collect()
    };
    assert_eq!(entries(m), entries(&again), "{name}: header entries");
    let (h1, h2) = (m.headers(), again.headers());
    assert_eq!(h1.via(), h2.via(), "{name}: Via");
    assert_eq!(h1.from().ok(), h2.from().ok(), "{name}: From");
    assert_eq!(h1.to().ok(), h2.to().ok(), "{name}: To");
    assert_eq!(h1.call_id().ok(), h2.call_id().ok(), "{name}: Call-ID");
    assert_eq!(h1.cseq().ok(), h2.cseq().ok(), "{name}: CSeq");
    assert_eq!(h1.contacts(), h2.contacts(), "{name}: Contact");
    assert_eq!(h1.route(), h2.route(), "{name}: Route");
    assert_eq!(h1.record_route(), h2.record_route(), "{name}: Record-Route");
    assert_eq!(h1.max_forwards(), h2.max_forwards(), "{name}: Max-Forwards");
    assert_eq!(h1.expires(), h2.expires(), "{name}: Expires");
    assert_eq!(h1.content_type(), h2.content_type(), "{name}: Content-Type");
    assert_eq!(h1.allow(), h2.allow(), "{name}: Allow");
    assert_eq!(h1.supported(), h2.supported(), "{name}: Supported");
    assert_eq!(h1.require(), h2.require(), "{name}: Require");
    assert_eq!(h1.authorization(), h2.authorization(), "{name}: Authorization");
    assert_eq!(m.body(), again.body(), "{name}: body");
    assert_eq!(again.headers().content_length(), Ok(Some(m.body().len() as u32)), "{name}");
    assert_eq!(again.to_bytes(), wire, "{name}: printing is not idempotent");
}
