//! Real offers from phones, PBXs, carriers and gateways (sources in `common`), one row each
//! with the negotiation we expect, checked the same way for every row: both line-end styles
//! parse to the same description, `remote_audio` reads the stream, `answer` answers it with
//! the right codec, events, ptime and direction and rejects every other stream in order, and
//! the answer prints to text that parses back.

mod common;

use std::net::SocketAddr;

use centralita_sdp::{
    AnswerPrefs, Codec, Direction, SessionDescription, Unusable, accept_answer, answer,
    remote_audio,
};
use common::{crlf, local, parse};

/// What an offer must negotiate to.
#[derive(Debug)]
struct Expected {
    codec: Codec,
    payload_type: u8,
    telephone_event: Option<u8>,
    /// The offer's `a=ptime`, which the answer mirrors (the negotiation uses 20 without it).
    ptime: Option<u32>,
    remote: &'static str,
    rtcp_port: Option<u16>,
    remote_direction: Direction,
}

#[derive(Debug)]
enum Outcome {
    Answered(Expected),
    Refused(Unusable),
}
use Outcome::*;

fn g711(
    codec: Codec,
    payload_type: u8,
    telephone_event: Option<u8>,
    ptime: Option<u32>,
    remote: &'static str,
) -> Expected {
    Expected {
        codec,
        payload_type,
        telephone_event,
        ptime,
        remote,
        rtcp_port: None,
        remote_direction: Direction::SendRecv,
    }
}

fn table() -> Vec<(&'static str, &'static str, Outcome)> {
    use Codec::{Pcma, Pcmu};
    vec![
        (
            "baresip",
            common::BARESIP,
            Answered(g711(Pcmu, 0, Some(101), Some(20), "192.0.2.15:16906")),
        ),
        // PCMA is listed before PCMU; 101 is G726-32 here and the events are on 10.
        (
            "baresip-android",
            common::BARESIP_ANDROID,
            Answered(g711(Pcma, 8, Some(10), Some(20), "192.0.2.187:8570")),
        ),
        (
            "linphone-3",
            common::LINPHONE_3,
            Answered(g711(Pcmu, 0, Some(101), None, "192.0.2.5:7078")),
        ),
        // Only 100 is telephone-event/8000; 101 is at 48000 and 99 at 16000.
        (
            "linphone-4",
            common::LINPHONE_4,
            Answered(g711(Pcmu, 0, Some(100), None, "192.0.2.240:7078")),
        ),
        (
            "zoiper-5",
            common::ZOIPER_5,
            Answered(g711(Pcmu, 0, Some(101), None, "192.0.2.10:54141")),
        ),
        // PCMA and PCMU without rtpmap: the static table.
        (
            "zoiper-2",
            common::ZOIPER_2,
            Answered(g711(Pcma, 8, Some(101), None, "192.0.2.155:61265")),
        ),
        (
            "yealink-t27g",
            common::YEALINK_T27G,
            Answered(g711(Pcmu, 0, Some(101), Some(20), "192.0.2.146:11808")),
        ),
        (
            "polycom-335",
            common::POLYCOM_335,
            Answered(g711(Pcmu, 0, Some(127), None, "192.0.2.25:2230")),
        ),
        (
            "polycom-hold",
            common::POLYCOM_HOLD,
            Answered(Expected {
                remote_direction: Direction::SendOnly,
                ..g711(Pcmu, 0, Some(101), None, "192.0.2.242:2222")
            }),
        ),
        (
            "cisco-sipua",
            common::CISCO_SIPUA,
            Answered(g711(Pcmu, 0, Some(101), None, "192.0.2.10:20096")),
        ),
        (
            "asterisk-pjsip",
            common::ASTERISK_PJSIP,
            Answered(g711(Pcmu, 0, Some(101), Some(20), "192.0.2.35:13344")),
        ),
        (
            "asterisk-chan-sip",
            common::ASTERISK_CHAN_SIP,
            Answered(g711(Pcmu, 0, Some(101), Some(20), "192.0.2.248:13354")),
        ),
        (
            "freeswitch",
            common::FREESWITCH,
            Answered(g711(Pcmu, 0, Some(101), Some(20), "192.0.2.221:27744")),
        ),
        (
            "twilio",
            common::TWILIO,
            Answered(Expected {
                rtcp_port: Some(40151),
                ..g711(Pcmu, 0, Some(101), Some(20), "192.0.2.72:40150")
            }),
        ),
        (
            "twilio-blanks",
            common::TWILIO_BLANKS,
            Answered(Expected {
                rtcp_port: Some(47413),
                ..g711(Pcmu, 0, Some(101), Some(20), "192.0.2.254:47412")
            }),
        ),
        ("twilio-srtp", common::TWILIO_SRTP, Refused(Unusable::UnsupportedTransport)),
        (
            "webrtc-gateway",
            common::WEBRTC_GATEWAY,
            Answered(Expected {
                rtcp_port: Some(11493),
                ..g711(Pcma, 8, Some(101), Some(20), "192.0.2.67:11492")
            }),
        ),
        ("webrtc-browser", common::WEBRTC_BROWSER, Refused(Unusable::UnsupportedTransport)),
        (
            "webrtc-gateway-all-codecs",
            common::WEBRTC_GATEWAY_ALL_CODECS,
            Answered(g711(Pcmu, 0, Some(126), None, "192.0.2.90:30040")),
        ),
        ("sipp-uac", common::SIPP_UAC, Answered(g711(Pcmu, 0, None, None, "192.0.2.1:6000"))),
        ("sipp-uas", common::SIPP_UAS, Answered(g711(Pcmu, 0, None, None, "192.0.2.2:6000"))),
        // Lower-case names; of the two telephone-event/8000, 101 comes first in the m= line.
        (
            "mobicents",
            common::MOBICENTS,
            Answered(Expected {
                rtcp_port: Some(37403),
                ..g711(Pcma, 8, Some(101), Some(20), "192.0.2.1:37402")
            }),
        ),
        (
            "doubango",
            common::DOUBANGO,
            Answered(g711(Pcmu, 0, Some(101), Some(20), "192.0.2.84:46052")),
        ),
        (
            "pjsua",
            common::PJSUA,
            Answered(Expected {
                rtcp_port: Some(4020),
                ..g711(Pcmu, 0, Some(121), None, "192.0.2.62:4035")
            }),
        ),
        ("t38-reinvite", common::T38_REINVITE, Refused(Unusable::NoAudio)),
        (
            "softphone-answer",
            common::SOFTPHONE_ANSWER,
            Answered(g711(Pcma, 8, Some(97), None, "192.0.2.99:58085")),
        ),
    ]
}

#[test]
fn every_fixture_has_a_row() {
    let rows: Vec<&str> = table().iter().map(|(n, _, _)| *n).collect();
    let fixtures: Vec<&str> = common::all().iter().map(|(n, _)| *n).collect();
    assert_eq!(rows, fixtures);
}

#[test]
fn real_offers_negotiate_as_expected() {
    for (name, text, outcome) in table() {
        let sent = crlf(text);
        let offer = parse(name, &sent);
        assert_eq!(parse(name, text), offer, "{name}: LF and CRLF differ");
        assert_round_trip(name, &offer);

        let prefs = AnswerPrefs::default();
        let (expected, (ours, negotiated)) = match outcome {
            Refused(why) => {
                assert_eq!(remote_audio(&offer), Err(why), "{name}");
                assert_eq!(answer(&offer, &local(), &prefs).map(|_| ()), Err(why), "{name}");
                continue;
            }
            Answered(e) => {
                (e, answer(&offer, &local(), &prefs).unwrap_or_else(|u| panic!("{name}: {u:?}")))
            }
        };

        let remote = remote_audio(&offer).unwrap();
        let remote_addr: SocketAddr = expected.remote.parse().unwrap();
        assert_eq!(remote.rtp_address(), remote_addr, "{name}");
        assert_eq!(remote.rtcp_port, expected.rtcp_port, "{name}");
        assert_eq!(remote.ptime_ms, expected.ptime, "{name}");
        assert_eq!(remote.direction, expected.remote_direction, "{name}");

        assert_eq!(negotiated.codec, expected.codec, "{name}");
        assert_eq!(negotiated.payload_type, expected.payload_type, "{name}");
        assert_eq!(negotiated.telephone_event, expected.telephone_event, "{name}");
        assert_eq!(negotiated.ptime_ms, expected.ptime.unwrap_or(20), "{name}");
        assert_eq!(negotiated.remote, remote_addr, "{name}");
        assert_eq!(negotiated.remote_direction, expected.remote_direction, "{name}");
        assert_eq!(negotiated.local_direction, expected.remote_direction.mirrored(), "{name}");

        check_answer(name, &offer, &ours, &expected);
        // The offerer reading our answer agrees on what was negotiated.
        let seen = accept_answer(&offer, &ours).unwrap_or_else(|u| panic!("{name}: {u:?}"));
        assert_eq!(
            (seen.codec, seen.payload_type, seen.telephone_event),
            (negotiated.codec, negotiated.payload_type, negotiated.telephone_event),
            "{name}"
        );
        assert_eq!(seen.local_direction, expected.remote_direction, "{name}");
    }
}

/// The answer has one line per offered line, only the first audio stream open, and in it
/// exactly what we support.
fn check_answer(name: &str, offer: &SessionDescription, ours: &SessionDescription, e: &Expected) {
    assert_round_trip(name, ours);
    assert_eq!(ours.media.len(), offer.media.len(), "{name}: one m= line per offered line");
    let audio = offer.media.iter().position(|m| m.is_audio()).unwrap();
    for (i, (o, a)) in offer.media.iter().zip(&ours.media).enumerate() {
        assert_eq!(a.kind, o.kind, "{name}: m= line {i} kind");
        assert_eq!(a.protocol, o.protocol, "{name}: m= line {i} protocol");
        if i != audio {
            assert_eq!(a.port, 0, "{name}: m= line {i} must be rejected");
            assert!(a.attributes.is_empty(), "{name}: nothing copied into a rejected line");
        }
    }
    let m = &ours.media[audio];
    assert_eq!(m.port, 30000, "{name}");
    let mut formats = vec![e.payload_type.to_string()];
    formats.extend(e.telephone_event.map(|te| te.to_string()));
    assert_eq!(m.formats, formats, "{name}");
    assert_eq!(m.ptime(), e.ptime, "{name}: ptime mirrored only when offered");
    assert_eq!(m.direction(), Some(e.remote_direction.mirrored()), "{name}");
    if let Some(te) = e.telephone_event {
        assert_eq!(m.fmtp(te), Some("0-15"), "{name}");
        assert_eq!(m.rtpmap(te).map(|r| r.encoding), Some("telephone-event"), "{name}");
    }
    let allowed = ["rtpmap", "fmtp", "ptime", "sendrecv", "sendonly", "recvonly", "inactive"];
    for a in &m.attributes {
        assert!(allowed.contains(&a.name.as_str()), "{name}: copied {}", a.name);
    }
    assert!(ours.attributes.is_empty(), "{name}: no session attributes");
    assert_eq!(ours.connection.as_ref().and_then(|c| c.ip()), Some(local().address), "{name}");
}

fn assert_round_trip(name: &str, sdp: &SessionDescription) {
    let printed = sdp.to_string();
    assert!(printed.ends_with("\r\n") && !printed.replace("\r\n", "").contains('\n'), "{name}");
    let again =
        SessionDescription::parse(&printed).unwrap_or_else(|e| panic!("{name}: {e:?}\n{printed}"));
    assert_eq!(&again, sdp, "{name}: print/parse changed the description");
    assert_eq!(again.to_string(), printed, "{name}: printing is not idempotent");
}

/// The whole answer text for two rows, so a change in what we print is seen.
#[test]
fn answer_text_to_twilio_and_freeswitch() {
    let (ours, _) =
        answer(&parse("twilio", common::TWILIO), &local(), &AnswerPrefs::default()).unwrap();
    assert_eq!(
        ours.to_string(),
        "v=0\r\n\
         o=centralita 4242 1 IN IP4 198.51.100.7\r\n\
         s=-\r\n\
         c=IN IP4 198.51.100.7\r\n\
         t=0 0\r\n\
         m=audio 30000 RTP/AVP 0 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    let (ours, _) =
        answer(&parse("freeswitch", common::FREESWITCH), &local(), &AnswerPrefs::default())
            .unwrap();
    assert!(ours.to_string().ends_with("a=sendrecv\r\nm=video 0 RTP/AVP 102\r\n"), "{ours}");
}

/// The unknown attributes of a real offer are kept, in order, when parsing.
#[test]
fn unknown_attributes_are_kept() {
    let offer = parse("polycom-335", common::POLYCOM_335);
    let names: Vec<&str> = offer.media[0].attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["rtpmap", "rtpmap", "rtpmap", "rtpmap", "fmtp", "rtpmap", "oldoip", "oldcip"]
    );
    assert_eq!(offer.media[0].attribute("oldoip").unwrap().value.as_deref(), Some("192.0.2.46"));
    let offer = parse("baresip", common::BARESIP);
    assert_eq!(offer.attribute("tool").unwrap().value.as_deref(), Some("baresip 0.6.3"));
    let offer = parse("pjsua", common::PJSUA);
    assert_eq!(offer.bandwidths, ["AS:117"]);
    assert_eq!(offer.media[0].bandwidths, ["TIAS:96000"]);
}
