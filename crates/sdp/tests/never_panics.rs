//! Property tests: bytes from the network never panic the parser or the negotiation, whatever
//! they are; what parses prints back to text that parses to the same description; printing
//! grows the text by a bounded amount; and our answers always keep the offer's shape.

mod common;

use centralita_sdp::{
    AnswerPrefs, Attribute, Connection, Direction, Media, OfferPrefs, Origin, SessionDescription,
    Timing, accept_answer, answer, offer, remote_audio,
};
use proptest::prelude::*;

fn corpus() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> =
        common::all().into_iter().map(|(_, s)| common::crlf(s).into_bytes()).collect();
    out.extend(common::rfc5118_bodies().into_iter().map(|(_, b)| b));
    out
}

/// Everything the B2BUA might do with a received description; none of it may panic, and
/// what it produces must hold together.
fn exercise(input: &[u8]) {
    let Ok(sdp) = SessionDescription::parse(input) else { return };
    let printed = sdp.to_string();
    // Canonical printing adds CRs, `s=-` and `t=0 0`, and each byte that is not UTF-8 becomes
    // U+FFFD (three bytes); nothing else grows.
    assert!(
        printed.len() <= 3 * input.len() + 32,
        "printing grew {} to {}",
        input.len(),
        printed.len()
    );
    let again = SessionDescription::parse(&printed)
        .unwrap_or_else(|e| panic!("reprint does not parse: {e:?}\n{printed}"));
    assert_eq!(again, sdp);
    assert_eq!(again.to_string(), printed, "printing is not idempotent");

    let remote = remote_audio(&sdp);
    let local = common::local();
    match answer(&sdp, &local, &AnswerPrefs::default()) {
        Ok((ours, n)) => {
            let remote = remote.expect("answered without a usable stream");
            assert_eq!(ours.media.len(), sdp.media.len());
            assert_eq!(ours.media.iter().filter(|m| m.port != 0).count(), 1);
            assert!(remote.codecs.contains(&(n.payload_type, n.codec)));
            assert_eq!(SessionDescription::parse(ours.to_string()).unwrap(), ours);
            let _ = accept_answer(&sdp, &ours);
        }
        Err(why) => {
            let _ = (why.warning_code(), why.to_string());
        }
    }
    let ours = offer(&local, &OfferPrefs::default());
    let _ = accept_answer(&ours, &sdp);
    let held = sdp.with_direction(Direction::Inactive);
    assert_eq!(SessionDescription::parse(held.to_string()).unwrap(), held);
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
        Just(b'/'),
        Just(b'='),
        Just(b'0'),
        Just(b'9'),
        Just(b'a'),
        Just(b'm'),
        Just(b'c'),
        Just(b'-'),
        Just(0u8),
        Just(0xffu8),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), interesting.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), interesting).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), 1usize..80).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
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

/// Lines that look like SDP, so the random input gets past `v=0` and into every branch.
fn sdp_like() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("o=- 1 1 IN IP4 192.0.2.1".to_owned()),
        Just("c=IN IP4 192.0.2.1".to_owned()),
        Just("c=IN IP6 ::".to_owned()),
        Just("m=audio 4000 RTP/AVP 0 8 101".to_owned()),
        Just("a=rtpmap:101 telephone-event/8000".to_owned()),
        Just("a=sendonly".to_owned()),
        "[a-z]=[ -~]{0,30}",
        "m=[a-z]{1,6} [0-9/]{1,7} [A-Za-z/]{1,10}( [0-9]{1,3}){0,4}",
        "a=(rtpmap|fmtp|ptime|rtcp|maxptime):[ 0-9A-Za-z/-]{0,20}",
        "c=[A-Z]{1,3} [A-Z0-9]{1,4} [0-9a-f.:/]{1,20}",
    ];
    (prop::collection::vec(line, 0..24), any::<bool>()).prop_map(|(lines, lf)| {
        let end = if lf { "\n" } else { "\r\n" };
        let mut text = format!("v=0{end}");
        for l in lines {
            text.push_str(&l);
            text.push_str(end);
        }
        text.into_bytes()
    })
}

// Generated descriptions, for the print/parse round trip. The strategies produce what the
// parser can produce: tokens without blanks, texts without blanks at their ends, RTP formats
// that are payload types.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9+./_:#-]{1,12}"
}

fn text() -> impl Strategy<Value = String> {
    "[!-~é€]([ -~é€\t]{0,18}[!-~é€])?"
}

fn attribute() -> impl Strategy<Value = Attribute> {
    ("[A-Za-z][A-Za-z0-9-]{0,12}", prop::option::of(prop_oneof![text(), Just(String::new())]))
        .prop_map(|(name, value)| Attribute { name, value })
}

fn connection() -> impl Strategy<Value = Connection> {
    (token(), token(), token()).prop_map(|(net_type, addr_type, address)| Connection {
        net_type,
        addr_type,
        address,
    })
}

fn media() -> impl Strategy<Value = Media> {
    let rtp = (
        prop::sample::select(vec![
            "RTP/AVP",
            "rtp/avp",
            "RTP/SAVP",
            "UDP/TLS/RTP/SAVPF",
            "TCP/RTP/AVP",
        ]),
        prop::collection::vec(0u8..=127, 0..8),
    )
        .prop_map(|(p, pts)| (p.to_owned(), pts.iter().map(u8::to_string).collect::<Vec<_>>()));
    let other = (
        prop::sample::select(vec!["udptl", "TCP/MSRP", "DTLS/SCTP"]),
        prop::collection::vec(token(), 0..3),
    )
        .prop_map(|(p, f)| (p.to_owned(), f));
    (
        "[a-z]{1,11}",
        any::<u16>(),
        prop::option::of(any::<u16>()),
        prop_oneof![rtp, other],
        prop::option::of(connection()),
        prop::collection::vec(token(), 0..3),
        prop::collection::vec(attribute(), 0..6),
    )
        .prop_map(
            |(kind, port, port_count, (protocol, formats), connection, bandwidths, attributes)| {
                Media {
                    kind,
                    port,
                    port_count,
                    protocol,
                    formats,
                    connection,
                    bandwidths,
                    attributes,
                }
            },
        )
}

fn description() -> impl Strategy<Value = SessionDescription> {
    let origin =
        (prop::collection::vec(token(), 1..3), token(), any::<u64>(), token(), token(), token())
            .prop_map(|(user, session_id, session_version, net_type, addr_type, address)| Origin {
                username: user.join(" "),
                session_id,
                session_version,
                net_type,
                addr_type,
                address,
            });
    (
        origin,
        text(),
        prop::option::of(connection()),
        prop::collection::vec(token(), 0..3),
        (any::<u64>(), any::<u64>()),
        prop::collection::vec(attribute(), 0..6),
        prop::collection::vec(media(), 0..5),
    )
        .prop_map(
            |(origin, session_name, connection, bandwidths, (start, stop), attributes, media)| {
                SessionDescription {
                    origin,
                    session_name,
                    connection,
                    bandwidths,
                    timing: Timing { start, stop },
                    attributes,
                    media,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        exercise(&bytes);
    }

    #[test]
    fn sdp_like_lines_never_panic(bytes in sdp_like()) {
        exercise(&bytes);
    }

    #[test]
    fn mutated_fixtures_never_panic(
        which in any::<prop::sample::Index>(),
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let corpus = corpus();
        exercise(&apply(which.get(&corpus).clone(), &mutations));
    }

    #[test]
    fn printing_then_parsing_gives_the_same_description(sdp in description()) {
        let printed = sdp.to_string();
        let again = SessionDescription::parse(&printed);
        prop_assert_eq!(again.as_ref(), Ok(&sdp), "{}", printed);
        exercise(printed.as_bytes());
    }

    #[test]
    fn line_breaks_put_in_fields_by_hand_cannot_add_lines(
        sdp in description(),
        evil in "[amvo=: \r\n\0]{0,16}",
    ) {
        // "\r\nm=audio ..." in a session name must not become a media line of its own.
        let mut sdp = sdp;
        sdp.session_name.push_str(&evil);
        sdp.attributes.push(Attribute { name: format!("x{evil}"), value: Some(evil.clone()) });
        if let Some(m) = sdp.media.first_mut() {
            m.attributes.push(Attribute { name: "y".to_owned(), value: Some(evil.clone()) });
        }
        let printed = sdp.to_string();
        let again = SessionDescription::parse(&printed);
        let shape = |s: &SessionDescription| {
            (s.attributes.len(), s.media.len(), s.media.iter().map(|m| m.attributes.len()).sum::<usize>())
        };
        prop_assert_eq!(again.as_ref().map(shape), Ok(shape(&sdp)), "{}", printed);
    }
}

#[test]
fn every_fixture_is_exercised() {
    for bytes in corpus() {
        exercise(&bytes);
    }
}

/// Inputs the proptests and fuzzers found; each once panicked or misbehaved.
#[test]
fn regressions() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/regressions");
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries {
        let path = e.unwrap().path();
        exercise(&std::fs::read(&path).unwrap());
    }
}

/// Writes the fixtures (CRLF and LF) and the RFC 5118 bodies into the fuzz corpus. Not a
/// check: run it by hand when fixtures change, with
/// `cargo test -p centralita-sdp --test never_panics -- --ignored write_fuzz_seeds`.
#[test]
#[ignore = "writes files; run by hand to reseed the fuzz corpus"]
fn write_fuzz_seeds() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/parse_sdp");
    std::fs::create_dir_all(dir).unwrap();
    for (name, sdp) in common::all() {
        std::fs::write(format!("{dir}/seed-{name}-crlf"), common::crlf(sdp)).unwrap();
        std::fs::write(format!("{dir}/seed-{name}-lf"), sdp).unwrap();
    }
    for (file, body) in common::rfc5118_bodies() {
        std::fs::write(format!("{dir}/seed-rfc5118-{}", file.trim_end_matches(".dat")), body)
            .unwrap();
    }
}
