//! RFC 5118 IPv6 torture messages, one row per file, fed two ways: the raw archive bytes
//! (bare LF line endings, and some Content-Lengths that do not match), which tests LF
//! tolerance and framing together; and "as they would travel" (CRLF, a closed header
//! section, Content-Length recomputed), which tests what the RFC is about.

mod common;

use std::net::IpAddr;

use centralita_sip::{Contact, Host, Message, ParseError, UriError};
use common::{assert_round_trip, data};

/// (file, verdict on the raw bytes, verdict as travelling: `None` means accepted).
fn table() -> Vec<(&'static str, Option<ParseError>, Option<ParseError>)> {
    let bad_uri = ParseError::BadRequestUri(UriError::BadHost);
    let too_long = ParseError::ContentLengthExceedsDatagram;
    vec![
        ("ipv6-good.dat", None, None),
        ("ipv6-bad.dat", Some(bad_uri.clone()), Some(bad_uri)),
        ("port-ambiguous.dat", None, None),
        ("port-unambiguous.dat", None, None),
        ("via-received-param-with-delim.dat", None, None),
        ("via-received-param-no-delim.dat", None, None),
        // Content-Length 268, body 242 octets as archived.
        ("ipv6-in-sdp.dat", Some(too_long.clone()), None),
        ("mult-ip-in-header.dat", None, None),
        // Content-Length 181, body 180 octets as archived.
        ("mult-ip-in-sdp.dat", Some(too_long), None),
        ("ipv4-mapped-ipv6.dat", None, None),
        // Tolerated per RFC 5118 4.10; the raw file also lacks the empty line.
        ("ipv6-bug-abnf-3-colons.dat", None, None),
        ("ipv6-correct-abnf-2-colons.dat", None, None),
    ]
}

/// The message as a sender would have put it on the wire.
fn as_travelling(raw: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = text.split_once("\n\n").unwrap_or((text.trim_end_matches('\n'), ""));
    let body = body.replace('\n', "\r\n");
    let mut out = String::new();
    for line in head.lines() {
        if line.to_ascii_lowercase().starts_with("content-length:") {
            out.push_str(&format!("Content-Length: {}\r\n", body.len()));
        } else {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

#[test]
fn every_file_has_its_verdict() {
    let table = table();
    let count = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc5118"))
        .unwrap()
        .count();
    assert_eq!(count, table.len());
    for (file, raw_verdict, travel_verdict) in table {
        let raw = data("rfc5118", file);
        for (how, bytes, verdict) in
            [("raw", raw.clone(), raw_verdict), ("travelling", as_travelling(&raw), travel_verdict)]
        {
            let parsed = Message::parse(&bytes);
            match verdict {
                None => {
                    let m = parsed.unwrap_or_else(|e| panic!("{file} ({how}): {e:?}"));
                    assert_eq!(m.check(), Ok(()), "{file} ({how})");
                    assert_round_trip(file, &m);
                }
                Some(e) => assert_eq!(parsed.err(), Some(e), "{file} ({how})"),
            }
        }
    }
}

fn request(file: &str) -> centralita_sip::Request {
    match Message::parse(&as_travelling(&data("rfc5118", file))) {
        Ok(Message::Request(r)) => r,
        other => panic!("{file}: {other:?}"),
    }
}

fn v6(s: &str) -> Host {
    Host::Ipv6(s.parse().unwrap())
}

#[test]
fn ipv6_details() {
    let r = request("ipv6-good.dat");
    assert_eq!(r.uri.as_sip().unwrap().host(), &v6("2001:db8::10"));
    assert_eq!(r.headers.top_via().unwrap().host, v6("2001:db8::9:1"));
    let Contact::Address(c) = &r.headers.contacts().unwrap()[0] else { panic!() };
    assert_eq!(c.uri.as_sip().unwrap().host(), &v6("2001:db8::1"));

    // 4.3: no port, the 5070 is the last group of the address.
    let u = request("port-ambiguous.dat").uri;
    assert_eq!(
        (u.as_sip().unwrap().host(), u.as_sip().unwrap().port()),
        (&v6("2001:db8::10:5070"), None)
    );
    let u = request("port-unambiguous.dat").uri;
    assert_eq!(
        (u.as_sip().unwrap().host(), u.as_sip().unwrap().port()),
        (&v6("2001:db8::10"), Some(5070))
    );

    let want: IpAddr = "2001:db8::9:255".parse().unwrap();
    assert_eq!(
        request("via-received-param-with-delim.dat").headers.top_via().unwrap().received(),
        Some(want)
    );
    assert_eq!(
        request("via-received-param-no-delim.dat").headers.top_via().unwrap().received(),
        Some(want)
    );

    let vias = request("mult-ip-in-header.dat").headers.via().unwrap();
    assert_eq!((vias[0].host.clone(), vias[0].port), (v6("2001:db8::9:1"), Some(6050)));
    assert_eq!(vias[1].host, Host::Ipv4([192, 0, 2, 1].into()));
    assert_eq!(vias[2].received(), Some("192.0.2.200".parse().unwrap()));

    let r = request("ipv4-mapped-ipv6.dat");
    let vias = r.headers.via().unwrap();
    assert_eq!((vias[0].host.clone(), vias[0].port), (v6("::ffff:192.0.2.10"), Some(19823)));
    assert_eq!(vias[1].host, v6("::ffff:192.0.2.2"));

    // 4.10: the extra colon is tolerated and reads as the correct address.
    let bug = request("ipv6-bug-abnf-3-colons.dat").uri;
    let good = request("ipv6-correct-abnf-2-colons.dat").uri;
    assert!(bug.equivalent(&good));
    assert_eq!(request("ipv6-in-sdp.dat").body.len(), 251);
}
