//! The parser's leniencies (what real SDP does that RFC 4566 does not allow, and we read
//! anyway) and its refusals (each with its typed error and line number), including the
//! limits that bound what a body can make us allocate.

mod common;

use centralita_sdp::{Attribute, SdpError, SessionDescription, remote_audio};
use common::parse;

const HEAD: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";

/// A minimal description in canonical form, which every lenient variant must equal.
fn canonical() -> SessionDescription {
    parse("canonical", &format!("{HEAD}m=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n"))
}

#[test]
fn leniencies() {
    let table = [
        (
            "LF only",
            "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0 8\na=sendrecv\n",
        ),
        (
            "no final line end",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv",
        ),
        (
            "mixed line ends",
            "v=0\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\nc=IN IP4 192.0.2.1\r\nt=0 0\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\n",
        ),
        (
            "missing t=",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "unreadable t=",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=now\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "second t= ignored",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nt=1 2\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "empty s=",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "s= with a blank",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns= \r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "missing s=",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "blank lines",
            "\r\nv=0\r\n\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n\r\n\r\n",
        ),
        (
            "blanks around lines and fields",
            "v=0 \r\n o=-  1 1\tIN IP4 192.0.2.1\r\ns=-\r\nc=IN  IP4  192.0.2.1 \r\nt=0 0\r\nm=audio  4000 RTP/AVP 0  8 \r\na=sendrecv \r\n",
        ),
        (
            "t= before c= and s= last",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\ns=-\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "lines we do not use",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\ni=A call\r\nu=http://example.com/\r\ne=alice@example.com\r\np=+1 555 0100\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nr=7d 1h 0 25h\r\nz=2882844526 -1h\r\nk=prompt\r\nm=audio 4000 RTP/AVP 0 8\r\ni=voice\r\nk=clear:x\r\na=sendrecv\r\n",
        ),
        (
            "a letter from the future",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\ny=whatever\r\nm=audio 4000 RTP/AVP 0 8\r\na=sendrecv\r\n",
        ),
        (
            "an attribute without a name",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8\r\na=\r\na=:x\r\na=sendrecv\r\n",
        ),
    ];
    let expected = canonical();
    for (name, text) in table {
        assert_eq!(parse(name, text), expected, "{name}");
    }
}

#[test]
fn what_is_kept() {
    let sdp = parse(
        "kept",
        "v=0\r\no=Jane Q Public 2890844526 2890842807 IN IP4 192.0.2.1\r\ns=Talk to me\r\n\
         c=IN IP4 192.0.2.1\r\nb=CT:1000\r\nt=3034423619 3042462419\r\na=recvonly\r\na=X-nat:0\r\n\
         m=audio 4000/2 RTP/AVP 0 008\r\nc=IN IP4 224.2.1.1/127/2\r\nc=IN IP4 192.0.2.99\r\n\
         b=AS:64\r\nb=TIAS:64000\r\na=rtpmap: 0 PCMU/8000 \r\na=fmtp:101 0-15\r\na=silenceSupp:off - - - -\r\n\
         a=ssrc:1 cname:x:y\r\na=rtcp-mux\r\nm=image 0 udptl t38\r\n",
    );
    assert_eq!(sdp.origin.username, "Jane Q Public", "blanks in the user name");
    assert_eq!(sdp.origin.session_id, "2890844526");
    assert_eq!(sdp.origin.session_version, 2890842807);
    assert_eq!(sdp.session_name, "Talk to me");
    assert_eq!(sdp.bandwidths, ["CT:1000"]);
    assert_eq!((sdp.timing.start, sdp.timing.stop), (3034423619, 3042462419));
    assert_eq!(sdp.attributes, [Attribute::flag("recvonly"), Attribute::new("X-nat", "0")]);
    let m = &sdp.media[0];
    assert_eq!((m.port, m.port_count), (4000, Some(2)));
    assert_eq!(m.formats, ["0", "008"]);
    assert_eq!(
        m.connection.as_ref().unwrap().address,
        "224.2.1.1/127/2",
        "the first c= of a level"
    );
    assert_eq!(m.bandwidths, ["AS:64", "TIAS:64000"]);
    assert_eq!(m.attributes[0], Attribute::new("rtpmap", "0 PCMU/8000"));
    assert_eq!(m.attributes[2], Attribute::new("silenceSupp", "off - - - -"));
    assert_eq!(m.attributes[3], Attribute::new("ssrc", "1 cname:x:y"), "split at the first colon");
    assert_eq!(m.attributes[4], Attribute::flag("rtcp-mux"));
    assert_eq!(sdp.media[1].formats, ["t38"], "formats of non-RTP protocols are tokens");
    assert_eq!(sdp.media[1].kind, "image");
    // Printed canonically: the user name keeps its blanks, the port count comes back.
    let printed = sdp.to_string();
    assert!(
        printed.contains("o=Jane Q Public 2890844526 2890842807 IN IP4 192.0.2.1\r\n"),
        "{printed}"
    );
    assert!(printed.contains("m=audio 4000/2 RTP/AVP 0 008\r\n"), "{printed}");
    assert_eq!(parse("reprinted", &printed), sdp);
}

#[test]
fn not_utf8_is_replaced_not_refused() {
    let mut body = b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=Caf".to_vec();
    body.extend([0xe9, 0xff]);
    body.extend(b"\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    let sdp = SessionDescription::parse(&body).unwrap();
    assert_eq!(sdp.session_name, "Caf\u{fffd}\u{fffd}");
    assert!(remote_audio(&sdp).is_ok());
}

#[test]
fn refusals() {
    let table: Vec<(&str, String, SdpError)> = vec![
        ("empty", String::new(), SdpError::Empty),
        ("blank lines only", "\r\n\r\n \r\n".to_owned(), SdpError::Empty),
        ("no v=", "o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n".to_owned(), SdpError::MissingVersion),
        ("v=1", "v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\n".to_owned(), SdpError::UnsupportedVersion),
        ("v=00", "v=00\r\n".to_owned(), SdpError::UnsupportedVersion),
        ("not SDP", "<html>\r\n".to_owned(), SdpError::BadLine { line: 1 }),
        ("HTTP-ish", "HTTP/1.1 200 OK\r\n".to_owned(), SdpError::BadLine { line: 1 }),
        ("upper-case type", format!("{HEAD}A=sendrecv\r\n"), SdpError::BadLine { line: 6 }),
        ("no =", format!("{HEAD}m audio\r\n"), SdpError::BadLine { line: 6 }),
        ("blank before =", format!("{HEAD}a =sendrecv\r\n"), SdpError::BadLine { line: 6 }),
        ("NUL", format!("{HEAD}a=tool:x\0y\r\n"), SdpError::BadLine { line: 6 }),
        ("bare CR", format!("{HEAD}a=tool:x\ry\r\n"), SdpError::BadLine { line: 6 }),
        ("escape", format!("{HEAD}s=\u{1b}[2J\r\n"), SdpError::BadLine { line: 6 }),
        ("no o=", "v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n".to_owned(), SdpError::MissingOrigin),
        ("m= before o=", "v=0\r\nm=audio 4000 RTP/AVP 0\r\n".to_owned(), SdpError::MissingOrigin),
        (
            "o= with five fields",
            "v=0\r\no=- 1 IN IP4 192.0.2.1\r\n".to_owned(),
            SdpError::BadOrigin { line: 2 },
        ),
        (
            "o= version not a number",
            "v=0\r\no=- 1 x IN IP4 192.0.2.1\r\n".to_owned(),
            SdpError::BadOrigin { line: 2 },
        ),
        (
            "o= version signed",
            "v=0\r\no=- 1 +1 IN IP4 192.0.2.1\r\n".to_owned(),
            SdpError::BadOrigin { line: 2 },
        ),
        (
            "o= version over 64 bits",
            "v=0\r\no=- 1 18446744073709551616 IN IP4 192.0.2.1\r\n".to_owned(),
            SdpError::BadOrigin { line: 2 },
        ),
        (
            "second o=",
            format!("{HEAD}o=- 2 2 IN IP4 192.0.2.1\r\n"),
            SdpError::UnexpectedLine { line: 6 },
        ),
        ("second s=", format!("{HEAD}s=again\r\n"), SdpError::UnexpectedLine { line: 6 }),
        ("second v=", format!("{HEAD}v=0\r\n"), SdpError::UnexpectedLine { line: 6 }),
        (
            "t= in a media section",
            format!("{HEAD}m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n"),
            SdpError::UnexpectedLine { line: 7 },
        ),
        (
            "c= with two fields",
            format!("{HEAD}m=audio 4000 RTP/AVP 0\r\nc=IN 192.0.2.1\r\n"),
            SdpError::BadConnection { line: 7 },
        ),
        (
            "c= with four fields",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1 x\r\n".to_owned(),
            SdpError::BadConnection { line: 3 },
        ),
        (
            "m= without formats field",
            format!("{HEAD}m=audio 4000\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        ("m= empty", format!("{HEAD}m=\r\n"), SdpError::BadMedia { line: 6 }),
        (
            "m= port not a number",
            format!("{HEAD}m=audio x RTP/AVP 0\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        (
            "m= port signed",
            format!("{HEAD}m=audio +4000 RTP/AVP 0\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        (
            "m= port negative",
            format!("{HEAD}m=audio -1 RTP/AVP 0\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        (
            "m= port over 65535",
            format!("{HEAD}m=audio 65536 RTP/AVP 0\r\n"),
            SdpError::PortOutOfRange { line: 6 },
        ),
        (
            "m= port far over",
            format!("{HEAD}m=audio 99999999999999999999 RTP/AVP 0\r\n"),
            SdpError::PortOutOfRange { line: 6 },
        ),
        (
            "m= port count over",
            format!("{HEAD}m=audio 4000/70000 RTP/AVP 0\r\n"),
            SdpError::PortOutOfRange { line: 6 },
        ),
        (
            "m= port count empty",
            format!("{HEAD}m=audio 4000/ RTP/AVP 0\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        (
            "RTP format not a number",
            format!("{HEAD}m=audio 4000 RTP/AVP 0 PCMA\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        (
            "RTP payload type over 127",
            format!("{HEAD}m=audio 4000 RTP/AVP 0 128\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
        (
            "SRTP payload type over 127",
            format!("{HEAD}m=audio 4000 RTP/SAVP 300\r\n"),
            SdpError::BadMedia { line: 6 },
        ),
    ];
    for (name, text, error) in table {
        assert_eq!(SessionDescription::parse(&text), Err(error), "{name}");
    }
}

#[test]
fn port_65535_is_the_last_good_one() {
    let sdp = parse("max port", &format!("{HEAD}m=audio 65535 RTP/AVP 0\r\n"));
    assert_eq!(sdp.media[0].port, 65535);
}

#[test]
fn limits() {
    // Size: 64 KiB is read, one octet more is not (and is not even looked at).
    let pad = |n: usize| format!("{HEAD}a=x:{}\r\n", "y".repeat(n));
    let at_limit = pad(64 * 1024 - HEAD.len() - 6);
    assert_eq!(at_limit.len(), 64 * 1024);
    assert!(SessionDescription::parse(&at_limit).is_ok());
    assert_eq!(
        SessionDescription::parse(pad(64 * 1024 - HEAD.len() - 5)),
        Err(SdpError::TooLarge { limit: 65536 })
    );
    let mut garbage = vec![0u8; 64 * 1024 + 1];
    garbage[0] = b'v';
    assert_eq!(SessionDescription::parse(&garbage), Err(SdpError::TooLarge { limit: 65536 }));

    // Lines: 1024 counted, blank ones included.
    let lines = |n: usize| format!("{HEAD}{}", "\r\n".repeat(n));
    assert!(SessionDescription::parse(lines(1024 - 5)).is_ok());
    assert_eq!(
        SessionDescription::parse(lines(1024 - 4)),
        Err(SdpError::TooManyLines { limit: 1024 })
    );

    // m= lines: 32.
    let media = |n: usize| format!("{HEAD}{}", "m=audio 0 RTP/AVP 0\r\n".repeat(n));
    assert_eq!(parse("32", &media(32)).media.len(), 32);
    assert_eq!(SessionDescription::parse(media(33)), Err(SdpError::TooManyMedia { limit: 32 }));

    // Attributes: 256 per section, session and each media counted apart.
    let attrs = |n: usize| "a=x\r\n".repeat(n);
    let ok = format!("{HEAD}{}m=audio 0 RTP/AVP 0\r\n{}", attrs(256), attrs(256));
    assert!(SessionDescription::parse(ok).is_ok());
    let session = format!("{HEAD}{}", attrs(257));
    assert_eq!(SessionDescription::parse(session), Err(SdpError::TooManyAttributes { limit: 256 }));
    let media_level = format!("{HEAD}m=audio 0 RTP/AVP 0\r\n{}", attrs(257));
    assert_eq!(
        SessionDescription::parse(media_level),
        Err(SdpError::TooManyAttributes { limit: 256 })
    );

    // Formats: 128 per m= line.
    let formats = |n: usize| format!("{HEAD}m=audio 4000 RTP/AVP{}\r\n", " 0".repeat(n));
    assert_eq!(parse("128", &formats(128)).media[0].formats.len(), 128);
    assert_eq!(
        SessionDescription::parse(formats(129)),
        Err(SdpError::TooManyFormats { line: 6, limit: 128 })
    );
}

#[test]
fn errors_do_not_quote_the_input() {
    // Error texts go to logs and Warning headers; the body may carry numbers and addresses.
    let text = format!("{HEAD}m=audio 4000 RTP/AVP 0\r\nc=IN +15550100\r\n");
    let e = SessionDescription::parse(&text).unwrap_err();
    assert_eq!(e.to_string(), "malformed c= line 7");
}

#[test]
fn from_str_and_bytes_agree() {
    let text = format!("{HEAD}m=audio 4000 RTP/AVP 0\r\n");
    let a: SessionDescription = text.parse().unwrap();
    assert_eq!(SessionDescription::parse(text.as_bytes()).unwrap(), a);
}
