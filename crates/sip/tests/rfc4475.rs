//! RFC 4475 torture messages, one row per file: what the parser must make of each, then
//! per-file checks of the details the RFC calls out.

mod common;

use centralita_sip::{
    Contact, HeaderName, Host, Message, Method, ParseError, UriError, ValueError, error_response,
};
use common::{assert_round_trip, data};

/// What should become of a file.
#[derive(Debug)]
enum Verdict {
    /// Parses, passes `check`, prints back equivalent.
    Valid,
    /// Parses and prints back, but `check` refuses it with this error (RFC 4475 3.3).
    Semantic(ParseError),
    /// Refused by the parser with this error.
    Refused(ParseError),
}
use Verdict::*;

fn header(h: HeaderName, e: ValueError) -> ParseError {
    ParseError::InvalidHeader { header: h, error: e }
}

fn table() -> Vec<(&'static str, Verdict)> {
    vec![
        // 3.1.1: valid messages.
        ("wsinv.dat", Valid),
        ("intmeth.dat", Valid),
        ("esc01.dat", Valid),
        ("escnull.dat", Valid),
        ("esc02.dat", Valid),
        // Strictly invalid, but RFC 4475 3.1.1.6 says to accept it.
        ("lwsdisp.dat", Valid),
        ("longreq.dat", Valid),
        ("dblreq.dat", Valid),
        ("semiuri.dat", Valid),
        ("transports.dat", Valid),
        ("mpart01.dat", Valid),
        ("unreason.dat", Valid),
        ("noreason.dat", Valid),
        // 3.1.2: invalid messages.
        ("badinv01.dat", Refused(header(HeaderName::VIA, ValueError::EmptyListElement))),
        ("clerr.dat", Refused(ParseError::ContentLengthExceedsDatagram)),
        ("ncl.dat", Refused(header(HeaderName::CONTENT_LENGTH, ValueError::NotANumber))),
        ("scalar02.dat", Refused(header(HeaderName::CSEQ, ValueError::NumberTooLarge))),
        ("scalarlg.dat", Refused(header(HeaderName::CSEQ, ValueError::NumberTooLarge))),
        ("quotbal.dat", Refused(header(HeaderName::TO, ValueError::UnterminatedQuote))),
        ("ltgtruri.dat", Refused(ParseError::BadRequestUri(UriError::MissingScheme))),
        (
            "lwsruri.dat",
            Refused(ParseError::BadStartLine("not METHOD SP Request-URI SP SIP-Version")),
        ),
        (
            "lwsstart.dat",
            Refused(ParseError::BadStartLine("not METHOD SP Request-URI SP SIP-Version")),
        ),
        ("trws.dat", Refused(ParseError::BadStartLine("not METHOD SP Request-URI SP SIP-Version"))),
        ("escruri.dat", Refused(ParseError::BadRequestUri(UriError::HeadersNotAllowed))),
        // The Date is not something a B2BUA processes, so the liberal reading applies.
        ("baddate.dat", Valid),
        ("regbadct.dat", Refused(header(HeaderName::CONTACT, ValueError::UnbracketedUri))),
        ("badaspec.dat", Refused(header(HeaderName::TO, ValueError::SpaceInUri))),
        (
            "baddn.dat",
            Refused(header(
                HeaderName::FROM,
                ValueError::Expected("a quoted display name before <URI>"),
            )),
        ),
        ("badvers.dat", Refused(ParseError::UnsupportedVersion)),
        ("mismatch01.dat", Semantic(ParseError::CSeqMethodMismatch)),
        ("mismatch02.dat", Semantic(ParseError::CSeqMethodMismatch)),
        ("bigcode.dat", Refused(ParseError::BadStatusCode)),
        // 3.2: transaction layer. Well formed; the bare cookie is for the transaction layer.
        ("badbranch.dat", Valid),
        // 3.3: application layer.
        ("insuf.dat", Semantic(ParseError::MissingHeader(HeaderName::FROM))),
        ("unkscm.dat", Valid),
        ("novelsc.dat", Valid),
        ("unksm2.dat", Valid),
        ("bext01.dat", Valid),
        ("invut.dat", Valid),
        ("regaut01.dat", Valid),
        ("multi01.dat", Semantic(ParseError::DuplicateHeader(HeaderName::FROM))),
        ("mcl01.dat", Refused(ParseError::DuplicateHeader(HeaderName::CONTENT_LENGTH))),
        ("bcast.dat", Valid),
        ("zeromf.dat", Valid),
        ("cparam01.dat", Valid),
        ("cparam02.dat", Valid),
        ("regescrt.dat", Valid),
        ("sdp01.dat", Valid),
        // 3.4: backward compatibility.
        ("inv2543.dat", Valid),
        // Not described by the RFC: a request line without a version.
        ("test.dat", Refused(ParseError::BadStartLine("not METHOD SP Request-URI SP SIP-Version"))),
    ]
}

#[test]
fn every_file_has_its_verdict() {
    let table = table();
    let mut files: Vec<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc4475"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".dat"))
            .collect();
    files.sort();
    let mut listed: Vec<String> = table.iter().map(|(f, _)| (*f).to_owned()).collect();
    listed.sort();
    assert_eq!(files, listed, "the table must cover every file exactly once");

    for (file, verdict) in table {
        let bytes = data("rfc4475", file);
        let parsed = Message::parse(&bytes);
        match verdict {
            Valid => {
                let m = parsed.unwrap_or_else(|e| panic!("{file}: {e:?}"));
                assert_eq!(m.check(), Ok(()), "{file}");
                assert_round_trip(file, &m);
            }
            Semantic(expected) => {
                let m = parsed.unwrap_or_else(|e| panic!("{file}: {e:?}"));
                assert_eq!(m.check(), Err(expected.clone()), "{file}");
                assert_round_trip(file, &m);
                let r = error_response(&bytes, &expected).expect(file);
                assert_eq!(r.status, 400, "{file}");
            }
            Refused(expected) => {
                assert_eq!(parsed.as_ref().err(), Some(&expected), "{file}");
                // Over a stream (with CRLF-terminated framing) the verdict is the same or,
                // for clerr, a wait for more bytes.
                let stream = centralita_sip::parse_stream(&bytes);
                assert!(matches!(stream, Err(_) | Ok(None)), "{file}: {stream:?}");
            }
        }
    }
}

/// RFC 4475 asks for a 400 (505 for badvers) wherever a response is possible; responses
/// (scalarlg, bigcode) are dropped, never answered.
#[test]
fn refused_requests_are_answered_where_possible() {
    for (file, verdict) in table() {
        let Refused(error) = verdict else { continue };
        let bytes = data("rfc4475", file);
        let response = error_response(&bytes, &error);
        match file {
            // Responses, and test.dat, which has neither Via nor CSeq to answer to.
            "scalarlg.dat" | "bigcode.dat" | "test.dat" => assert!(response.is_none(), "{file}"),
            _ => {
                let r = response.unwrap_or_else(|| panic!("{file}: no response"));
                assert_eq!(r.status, if file == "badvers.dat" { 505 } else { 400 }, "{file}");
                assert!(r.reason.starts_with(if file == "badvers.dat" {
                    "Version Not Supported"
                } else {
                    "Bad Request"
                }));
                // It parses as a message unless the broken header is one it had to echo.
                let wire = r.to_bytes();
                let echoed = [
                    HeaderName::VIA,
                    HeaderName::FROM,
                    HeaderName::TO,
                    HeaderName::CALL_ID,
                    HeaderName::CSEQ,
                ];
                match &error {
                    ParseError::InvalidHeader { header, .. } if echoed.contains(header) => {}
                    _ => {
                        Message::parse(&wire)
                            .unwrap_or_else(|e| panic!("{file}: our answer does not parse: {e:?}"));
                    }
                }
            }
        }
    }
}

fn request(file: &str) -> centralita_sip::Request {
    match Message::parse(&data("rfc4475", file)) {
        Ok(Message::Request(r)) => r,
        other => panic!("{file}: {other:?}"),
    }
}

#[test]
fn wsinv_details() {
    let r = request("wsinv.dat");
    let h = &r.headers;
    assert_eq!(h.to().unwrap().tag(), Some("1918181833n"));
    let from = h.from().unwrap();
    assert_eq!(from.display_name.as_deref(), Some(r#"J Rosenberg \""#));
    assert_eq!(from.tag(), Some("98asjd8"));
    assert_eq!(h.max_forwards(), Ok(Some(68)));
    assert_eq!(h.cseq().unwrap().seq, 9);
    let vias = h.via().unwrap();
    assert_eq!(vias.len(), 3);
    assert_eq!(vias[0].branch(), Some("390skdjuw"));
    assert_eq!(vias[1].transport, "TCP");
    assert_eq!(vias[2].host, Host::Ipv4([192, 168, 255, 111].into()));
    assert_eq!(vias[2].branch(), Some("z9hG4bK30239"));
    assert_eq!(
        h.get(&HeaderName::new("NewFangledHeader")),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(h.get(&HeaderName::new("UnknownHeaderWithUnusualValue")), Some(";;,,;;,;"));
    assert_eq!(h.get(&HeaderName::new("Subject")), Some(""));
    let Contact::Address(c) = &h.contacts().unwrap()[0] else { panic!() };
    assert_eq!(c.display_name.as_deref(), Some(r#"Quoted string """#));
    assert_eq!(c.params.value("q"), Some("0.33"));
    assert!(h.route().unwrap()[0].uri.as_sip().unwrap().lr());
    assert_eq!(r.body.len(), 150);
}

#[test]
fn intmeth_details() {
    let r = request("intmeth.dat");
    assert_eq!(r.method, Method::Extension("!interesting-Method0123456789_*+`.%indeed'~".into()));
    let to = r.headers.to().unwrap();
    assert_eq!(to.display_name.as_deref(), Some("BEL:\x07 NUL:\0 DEL:\x7f"));
    assert_eq!(r.headers.call_id(), Ok(r#"intmeth.word%ZK-!.*_+'@word`~)(><:\/"][?}{"#));
    assert_eq!(
        r.headers.get(&HeaderName::new("extensionHeader-!.%*+_`'~")),
        Some("\u{feff}大停電")
    );
    // The display name with control characters prints as quoted-pairs and reads back.
    let printed = centralita_sip::NameAddr::parse(&to.to_string()).unwrap();
    assert_eq!(printed, to);
}

#[test]
fn escaping_details() {
    let r = request("esc01.dat");
    let uri = r.uri.as_sip().unwrap();
    assert_eq!(uri.user_unescaped().as_deref(), Some("sips:user@example.com"));
    let to = r.headers.to().unwrap();
    assert!(to.uri.equivalent(&"sip:user@example.com".parse().unwrap()));
    let Contact::Address(c) = &r.headers.contacts().unwrap()[0] else { panic!() };
    assert!(c.uri.as_sip().unwrap().lr());
    assert!(c.uri.equivalent(&"sip:caller@host5.example.net;lr;name=value%2541".parse().unwrap()));

    let r = request("escnull.dat");
    assert_eq!(
        r.headers.to().unwrap().uri.as_sip().unwrap().user_unescaped().as_deref(),
        Some("null-\0-null")
    );
    let contacts = r.headers.contacts().unwrap();
    let (Contact::Address(a), Contact::Address(b)) = (&contacts[0], &contacts[1]) else { panic!() };
    assert!(!a.uri.equivalent(&b.uri), "two distinct bindings");

    let r = request("esc02.dat");
    assert_eq!(r.method, Method::Extension("RE%47IST%45R".into()));
    assert_eq!(r.headers.contacts().unwrap().len(), 2, "C%6Fntact is not Contact");
    assert_eq!(r.headers.to().unwrap().display_name.as_deref(), Some("%Z%45"));
    assert_eq!(r.headers.top_via().unwrap().branch(), Some("z9hG4bK209%fzsnel234"));
}

#[test]
fn framing_details() {
    // dblreq: the trailing INVITE is not part of the REGISTER.
    let r = request("dblreq.dat");
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
    assert!(!r.to_bytes().windows(6).any(|w| w == b"INVITE"));
    // inv2543: no Content-Length, the body runs to the end of the datagram.
    let r = request("inv2543.dat");
    assert_eq!(r.body.len(), 105);
    assert_eq!(r.headers.top_via().unwrap().branch(), None);
    assert_eq!(r.headers.max_forwards(), Ok(None));
    // mpart01: a binary body framed by Content-Length only.
    let r = request("mpart01.dat");
    assert_eq!(r.body.len(), 553);
    assert_eq!(r.body.iter().filter(|&&b| b == 0).count(), 2);
    assert!(r.headers.content_type().unwrap().unwrap().is("multipart", "mixed"));
    // On a stream, clerr waits for the 9999 octets it announced.
    assert_eq!(centralita_sip::parse_stream(&data("rfc4475", "clerr.dat")), Ok(None));
}

#[test]
fn uri_details() {
    let r = request("semiuri.dat");
    let u = r.uri.as_sip().unwrap();
    assert_eq!(u.user_unescaped().as_deref(), Some("user;par=u@example.net"));
    assert_eq!(u.host(), &Host::Domain("example.com".into()));
    assert!(u.params().is_empty());
    assert_eq!(r.headers.get_all(&HeaderName::ACCEPT).count(), 6);

    assert_eq!(request("unkscm.dat").uri.scheme(), "nobodykNowsthisscheme".to_ascii_lowercase());
    assert_eq!(request("novelsc.dat").uri.to_string(), "soap.beep://192.0.2.103:3002");
    let r = request("unksm2.dat");
    assert_eq!(r.headers.to().unwrap().uri.scheme(), "isbn");
    assert_eq!(r.headers.from().unwrap().uri.scheme(), "http");

    // cparam01: a header parameter; cparam02: a URI parameter.
    let Contact::Address(c) = &request("cparam01.dat").headers.contacts().unwrap()[0] else {
        panic!()
    };
    assert!(c.params.contains("unknownparam"));
    assert_eq!(c.uri.as_sip().unwrap().param("unknownparam"), None);
    let Contact::Address(c) = &request("cparam02.dat").headers.contacts().unwrap()[0] else {
        panic!()
    };
    assert!(!c.params.contains("unknownparam"));
    assert_eq!(c.uri.as_sip().unwrap().param("unknownparam"), Some(None));
    // regescrt: the escaped Route stays in the Contact URI.
    let Contact::Address(c) = &request("regescrt.dat").headers.contacts().unwrap()[0] else {
        panic!()
    };
    assert_eq!(
        c.uri.as_sip().unwrap().headers(),
        &[("Route".to_owned(), "%3Csip:sip.example.com%3E".to_owned())]
    );
    assert_eq!(c.to_string(), "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>");
}

#[test]
fn application_layer_details() {
    assert_eq!(request("badbranch.dat").headers.top_via().unwrap().rfc3261_branch(), None);
    let r = request("bext01.dat");
    assert_eq!(
        r.headers.require().unwrap(),
        vec!["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    assert_eq!(
        r.headers.proxy_require().unwrap(),
        vec!["noProxiesSupportThis", "norDoAnyProxiesSupportThis"]
    );
    assert!(
        request("invut.dat")
            .headers
            .content_type()
            .unwrap()
            .unwrap()
            .is("application", "unknownformat")
    );
    // regaut01: an unknown scheme is kept, not refused; the digest view has nothing in it.
    let r = request("regaut01.dat");
    assert_eq!(r.headers.authorization(), Ok(vec![]));
    assert_eq!(
        r.headers.get(&HeaderName::AUTHORIZATION),
        Some("NoOneKnowsThisScheme opaque-data=here")
    );
    assert_eq!(request("zeromf.dat").headers.max_forwards(), Ok(Some(0)));
    assert_eq!(request("longreq.dat").headers.via().unwrap().len(), 34);
    assert_eq!(request("transports.dat").headers.via().unwrap()[3].transport, "UNKNOWN");
    let Ok(Message::Response(r)) = Message::parse(&data("rfc4475", "bcast.dat")) else { panic!() };
    assert_eq!(r.headers.via().unwrap()[1].host, Host::Ipv4([255, 255, 255, 255].into()));
    let Ok(Message::Response(r)) = Message::parse(&data("rfc4475", "unreason.dat")) else {
        panic!()
    };
    assert!(r.reason.starts_with("= 2**3 * 5**2 \u{43d}\u{43e} "));
    let Ok(Message::Response(r)) = Message::parse(&data("rfc4475", "noreason.dat")) else {
        panic!()
    };
    assert_eq!((r.status, r.reason.as_str()), (100, ""));
    assert!(r.to_bytes().starts_with(b"SIP/2.0 100 \r\n"));
}
