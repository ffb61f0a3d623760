//! The SDP bodies of the RFC 5118 IPv6 torture messages (byte-exact copies in `tests/data`,
//! bare LF as archived): `IN IP6` addresses written without brackets (§4.6), one stream
//! over IPv4 and one over IPv6 (§4.8), and IPv4-mapped IPv6 addresses (§4.9).

mod common;

use std::net::{IpAddr, Ipv6Addr};

use centralita_sdp::{AnswerPrefs, Codec, SessionDescription, Unusable, answer, remote_audio};
use common::{body, crlf, data, local, rfc5118_bodies};

fn sdp(file: &str) -> SessionDescription {
    SessionDescription::parse(body(&data(file))).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

#[test]
fn the_files_are_the_archived_bytes() {
    // Same digests as /work/shared/testdata/rfc5118/README.md; line ends must not be converted.
    let lens =
        [("ipv6-in-sdp.dat", 570), ("mult-ip-in-sdp.dat", 510), ("ipv4-mapped-ipv6.dat", 636)];
    for (file, len) in lens {
        let bytes = data(file);
        assert_eq!(bytes.len(), len, "{file}");
        assert!(!bytes.contains(&b'\r'), "{file}: bare LF as archived");
    }
}

#[test]
fn every_body_parses_the_same_with_lf_and_crlf() {
    for (file, bytes) in rfc5118_bodies() {
        let lf = SessionDescription::parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        let as_sent = crlf(std::str::from_utf8(&bytes).unwrap());
        assert_eq!(SessionDescription::parse(&as_sent).unwrap(), lf, "{file}");
        assert_eq!(SessionDescription::parse(lf.to_string()).unwrap(), lf, "{file}: round trip");
    }
}

/// §4.6: IPv6 at session level and in `o=`; audio is G726-32 only, video H.263.
#[test]
fn ipv6_in_sdp() {
    let s = sdp("ipv6-in-sdp.dat");
    assert_eq!((s.origin.addr_type.as_str(), s.origin.address.as_str()), ("IP6", "2001:db8::20"));
    assert_eq!(s.origin.session_id, "971731711378798081");
    assert_eq!(s.session_name, "Live video feed for today's meeting");
    let ip: IpAddr = "2001:db8::20".parse().unwrap();
    assert_eq!(s.connection.as_ref().and_then(|c| c.ip()), Some(ip));
    assert_eq!((s.timing.start, s.timing.stop), (3338481189, 3370017201));
    assert_eq!(s.media.len(), 2);
    assert_eq!(s.media[0].rtpmap(2).map(|r| r.encoding), Some("G726-32"));
    // Nothing we can anchor: 488 with warning 305.
    assert_eq!(remote_audio(&s), Err(Unusable::NoCommonCodec));
    assert_eq!(
        answer(&s, &local(), &AnswerPrefs::default()).map(|_| ()),
        Err(Unusable::NoCommonCodec)
    );
    assert_eq!(Unusable::NoCommonCodec.warning_code(), 305);
}

/// The same message from a peer that also offers PCMU: the stream is used over IPv6.
#[test]
fn ipv6_in_sdp_with_pcmu() {
    let text = String::from_utf8(body(&data("ipv6-in-sdp.dat")).to_vec())
        .unwrap()
        .replace("m=audio 6000 RTP/AVP 2\n", "m=audio 6000 RTP/AVP 2 0\n");
    let s = SessionDescription::parse(&text).unwrap();
    let (ours, n) = answer(&s, &local(), &AnswerPrefs::default()).unwrap();
    assert_eq!((n.codec, n.payload_type), (Codec::Pcmu, 0));
    assert_eq!(n.remote, "[2001:db8::20]:6000".parse().unwrap());
    assert_eq!(ours.media[1].port, 0, "video rejected");
}

/// §4.8: no session `c=`; audio (PCMU) over IPv4 and video over IPv6, each with its own `c=`.
#[test]
fn mult_ip_in_sdp() {
    let s = sdp("mult-ip-in-sdp.dat");
    assert!(s.connection.is_none());
    assert_eq!(s.session_name, "-", "an empty s= reads as -");
    let audio = remote_audio(&s).unwrap();
    assert_eq!(audio.rtp_address(), "192.0.2.1:22334".parse().unwrap());
    assert_eq!(audio.codecs, [(0, Codec::Pcmu)], "static payload type 0 without rtpmap");
    assert_eq!(s.connection_for(1).and_then(|c| c.ip()), Some("2001:db8::1".parse().unwrap()));
    let (ours, n) = answer(&s, &local(), &AnswerPrefs::default()).unwrap();
    assert_eq!((n.codec, n.telephone_event, n.ptime_ms), (Codec::Pcmu, None, 20));
    assert_eq!(ours.to_string().lines().last(), Some("m=video 0 RTP/AVP 107"));
}

/// §4.9: `c=IN IP6 ::ffff:192.0.2.2` is an IPv6 address (kept as such) and valid.
#[test]
fn ipv4_mapped_ipv6() {
    let s = sdp("ipv4-mapped-ipv6.dat");
    let mapped: Ipv6Addr = "::ffff:192.0.2.2".parse().unwrap();
    assert_eq!(s.connection.as_ref().and_then(|c| c.ip()), Some(IpAddr::V6(mapped)));
    assert_eq!(remote_audio(&s), Err(Unusable::NoCommonCodec));
    let text = String::from_utf8(body(&data("ipv4-mapped-ipv6.dat")).to_vec())
        .unwrap()
        .replace("RTP/AVP 2\n", "RTP/AVP 8\n");
    let s = SessionDescription::parse(&text).unwrap();
    assert_eq!(remote_audio(&s).unwrap().rtp_address(), "[::ffff:192.0.2.2]:6000".parse().unwrap());
}
