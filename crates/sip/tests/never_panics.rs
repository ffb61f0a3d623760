//! Property tests: bytes from the network never panic the parser, whatever they are; what
//! parses prints back to something that parses to the same thing; output stays bounded by
//! input; and a stream cut anywhere frames the same messages as whole datagrams.

mod common;

use centralita_sip::digest::{Challenge, Credentials};
use centralita_sip::{HeaderName, Message, error_response, parse_stream};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in ["rfc4475", "rfc5118"] {
        let path = format!("{}/tests/data/{dir}", env!("CARGO_MANIFEST_DIR"));
        let mut names: Vec<_> =
            std::fs::read_dir(path).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        for n in names {
            out.push(common::data(dir, n.to_str().unwrap()));
        }
    }
    out
}

/// Everything a caller might do with a parsed message; none of it may panic.
fn exercise(input: &[u8], m: &Message) {
    let h = m.headers();
    let _ = (h.via(), h.top_via(), h.from(), h.to(), h.call_id(), h.cseq(), h.contacts());
    let _ = (h.route(), h.record_route(), h.max_forwards(), h.expires(), h.min_expires());
    let _ = (h.content_type(), h.content_length(), h.allow(), h.supported(), h.require());
    let _ = (h.proxy_require(), h.unsupported(), h.rseq(), h.rack(), h.reason());
    let _ =
        (h.www_authenticate(), h.authorization(), h.proxy_authenticate(), h.proxy_authorization());
    let _ = m.check();
    let _ = m.to_string();
    if let Message::Request(r) = m {
        let _ = centralita_sip::Response::for_request(r, 400, "Bad Request").to_bytes();
    }
    // Printing may lengthen names and split lists, but only by a bounded amount per entry.
    let wire = m.to_bytes();
    assert!(wire.len() <= input.len() + 64 * (h.len() + 1) + 64, "output grew unboundedly");
    // What we print parses back to the same message (the received Content-Length aside).
    common::assert_round_trip("mutated input", m);
    let mut again =
        Message::parse(&wire).unwrap_or_else(|e| panic!("reprint does not parse: {e:?}"));
    let mut orig = m.clone();
    orig.headers_mut().remove(&HeaderName::CONTENT_LENGTH);
    again.headers_mut().remove(&HeaderName::CONTENT_LENGTH);
    assert_eq!(orig, again);
}

fn parse_everything(bytes: &[u8]) {
    match Message::parse(bytes) {
        Ok(m) => exercise(bytes, &m),
        Err(e) => {
            let _ = e.reason_phrase();
            if let Some(r) = error_response(bytes, &e) {
                let _ = r.to_bytes();
            }
        }
    }
    let _ = parse_stream(bytes);
    // The digest parsers, like the fuzz target: what parses prints back to the same value.
    let text = String::from_utf8_lossy(bytes);
    if let Ok(c) = Challenge::parse(&text) {
        assert_eq!(Challenge::parse(&c.to_string()), Ok(c));
    }
    if let Ok(c) = Credentials::parse(&text) {
        assert_eq!(Credentials::parse(&c.to_string()), Ok(c));
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Duplicate(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to the grammar, plus anything.
    let interesting = prop_oneof![
        Just(b'\r'),
        Just(b'\n'),
        Just(b' '),
        Just(b'\t'),
        Just(b':'),
        Just(b';'),
        Just(b','),
        Just(b'"'),
        Just(b'\\'),
        Just(b'<'),
        Just(b'>'),
        Just(b'@'),
        Just(b'%'),
        Just(b'['),
        Just(b']'),
        Just(b'='),
        Just(b'?'),
        Just(b'0'),
        Just(b'9'),
        Just(0u8),
        Just(0xffu8),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), interesting).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match *m {
            Mutation::Set(i, b) if !bytes.is_empty() => bytes[i % len] = b,
            Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
            Mutation::Delete(i) if !bytes.is_empty() => {
                bytes.remove(i % len);
            }
            Mutation::Duplicate(i, n) if !bytes.is_empty() => {
                let start = i % len;
                let end = (start + n).min(bytes.len());
                let piece = bytes[start..end].to_vec();
                bytes.splice(end..end, piece);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..1500)) {
        parse_everything(&bytes);
    }

    #[test]
    fn mutated_torture_messages_never_panic(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let corpus = corpus();
        let bytes = apply(which.get(&corpus).clone(), &mutations);
        parse_everything(&bytes);
    }

    #[test]
    fn a_stream_cut_anywhere_frames_the_same_messages(which in any::<prop::sample::Index>(), cut in any::<prop::sample::Index>()) {
        // Every message that parses as a datagram and has a Content-Length that fits,
        // reprinted (so framing is exact) and sent twice down a stream.
        let corpus = corpus();
        let Ok(m) = Message::parse(which.get::<Vec<u8>>(&corpus)) else { return Ok(()) };
        let wire = m.to_bytes();
        let stream = [wire.clone(), b"\r\n\r\n".to_vec(), wire.clone()].concat();
        let cut = cut.index(stream.len());
        match parse_stream(&stream[..cut]).unwrap() {
            None => prop_assert!(cut < wire.len()),
            Some((first, n)) => {
                prop_assert_eq!(n, wire.len());
                prop_assert_eq!(&first.to_bytes(), &wire);
            }
        }
        let (_, n) = parse_stream(&stream).unwrap().unwrap();
        let (second, _) = parse_stream(&stream[n..]).unwrap().unwrap();
        prop_assert_eq!(second.to_bytes(), wire);
    }
}

/// Inputs the proptests and fuzzers found; each once panicked or misbehaved.
#[test]
fn regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/regressions");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let path = e.unwrap().path();
        parse_everything(&std::fs::read(&path).unwrap());
    }
}
