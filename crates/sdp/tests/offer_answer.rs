//! Offer/answer cases one rule at a time: which codec, which telephone-event, which ptime,
//! which stream, which address; our own offers; reading the answers to them; and why a
//! description is refused, with its SIP warning code.

mod common;

use centralita_sdp::{
    AnswerPrefs, Codec, CodecOrder, Direction, LocalMedia, Negotiated, OfferPrefs,
    SessionDescription, Unusable, accept_answer, answer, offer, remote_audio,
};
use common::{local, parse};

/// An offer from 192.0.2.1 with a session-level `c=` and the given media lines.
fn offer_with(media: &str) -> SessionDescription {
    let text =
        format!("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{media}");
    parse(media, &text)
}

fn negotiate(media: &str, prefs: &AnswerPrefs) -> Result<Negotiated, Unusable> {
    answer(&offer_with(media), &local(), prefs).map(|(_, n)| n)
}

fn only(codecs: &[Codec]) -> AnswerPrefs {
    AnswerPrefs { codecs: codecs.to_vec(), ..AnswerPrefs::default() }
}

fn ours_first(codecs: &[Codec]) -> AnswerPrefs {
    AnswerPrefs { codecs: codecs.to_vec(), order: CodecOrder::Ours, ..AnswerPrefs::default() }
}

#[test]
fn codec_choice() {
    use Codec::{Pcma, Pcmu};
    let any = AnswerPrefs::default();
    type Row = (&'static str, &'static str, AnswerPrefs, Result<(Codec, u8), Unusable>);
    let table: Vec<Row> = vec![
        ("PCMU only", "m=audio 4000 RTP/AVP 0\r\n", any.clone(), Ok((Pcmu, 0))),
        ("PCMA only", "m=audio 4000 RTP/AVP 8\r\n", any.clone(), Ok((Pcma, 8))),
        ("both, PCMU first", "m=audio 4000 RTP/AVP 0 8\r\n", any.clone(), Ok((Pcmu, 0))),
        ("both, PCMA first", "m=audio 4000 RTP/AVP 8 0\r\n", any.clone(), Ok((Pcma, 8))),
        (
            "our order wins",
            "m=audio 4000 RTP/AVP 0 8\r\n",
            ours_first(&[Pcma, Pcmu]),
            Ok((Pcma, 8)),
        ),
        (
            "our order, other way",
            "m=audio 4000 RTP/AVP 8 0\r\n",
            ours_first(&[Pcmu, Pcma]),
            Ok((Pcmu, 0)),
        ),
        ("restricted to PCMA", "m=audio 4000 RTP/AVP 0 8\r\n", only(&[Pcma]), Ok((Pcma, 8))),
        (
            "restricted, not offered",
            "m=audio 4000 RTP/AVP 0\r\n",
            only(&[Pcma]),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "nothing allowed",
            "m=audio 4000 RTP/AVP 0 8\r\n",
            only(&[]),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "neither (G.729, G.722)",
            "m=audio 4000 RTP/AVP 18 9\r\na=rtpmap:18 G729/8000\r\na=rtpmap:9 G722/8000\r\n",
            any.clone(),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "neither, static types",
            "m=audio 4000 RTP/AVP 3 4\r\n",
            any.clone(),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "dynamic type by name",
            "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 pcma/8000\r\n",
            any.clone(),
            Ok((Pcma, 96)),
        ),
        (
            "rtpmap overrides the static table",
            "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 G729/8000\r\n",
            any.clone(),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "wrong clock rate",
            "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/16000\r\n",
            any.clone(),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "stereo",
            "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/8000/2\r\n",
            any.clone(),
            Err(Unusable::NoCommonCodec),
        ),
        (
            "mono spelled out",
            "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 PCMU/8000/1\r\n",
            any.clone(),
            Ok((Pcmu, 96)),
        ),
        (
            "unreadable rtpmap is no rtpmap",
            "m=audio 4000 RTP/AVP 8\r\na=rtpmap:8 PCMA\r\n",
            any.clone(),
            Ok((Pcma, 8)),
        ),
    ];
    for (name, media, prefs, expected) in table {
        let got = negotiate(media, &prefs).map(|n| (n.codec, n.payload_type));
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn telephone_event_choice() {
    let any = AnswerPrefs::default();
    for pt in [96u8, 100, 101, 127] {
        let media = format!(
            "m=audio 4000 RTP/AVP 0 {pt}\r\na=rtpmap:{pt} telephone-event/8000\r\na=fmtp:{pt} 0-16\r\n"
        );
        let (ours, n) = answer(&offer_with(&media), &local(), &any).unwrap();
        assert_eq!(n.telephone_event, Some(pt));
        let m = &ours.media[0];
        assert_eq!(m.formats, ["0".to_owned(), pt.to_string()]);
        assert_eq!(m.fmtp(pt), Some("0-15"), "we answer the DTMF events only");
        assert_eq!(m.rtpmap(pt).unwrap().clock_rate, 8000);
    }
    let table: Vec<(&str, &str, Option<u8>)> = vec![
        ("absent", "m=audio 4000 RTP/AVP 0\r\n", None),
        (
            "only at 48000",
            "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/48000\r\n",
            None,
        ),
        (
            "mapped but not listed",
            "m=audio 4000 RTP/AVP 0\r\na=rtpmap:101 telephone-event/8000\r\n",
            None,
        ),
        ("listed but not mapped", "m=audio 4000 RTP/AVP 0 101\r\n", None),
        (
            "name in capitals",
            "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 TELEPHONE-EVENT/8000\r\n",
            Some(101),
        ),
        (
            "first of two at 8000",
            "m=audio 4000 RTP/AVP 0 126 101\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:126 telephone-event/8000\r\n",
            Some(126),
        ),
        (
            "no fmtp means 0-15",
            "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
            Some(101),
        ),
    ];
    for (name, media, expected) in table {
        let (ours, n) = answer(&offer_with(media), &local(), &any).unwrap();
        assert_eq!(n.telephone_event, expected, "{name}");
        let formats: Vec<&str> = ours.media[0].formats.iter().map(String::as_str).collect();
        let expected_formats: Vec<String> =
            std::iter::once("0".to_owned()).chain(expected.map(|t| t.to_string())).collect();
        assert_eq!(formats, expected_formats, "{name}");
        if expected.is_none() {
            assert!(ours.media[0].attribute("fmtp").is_none(), "{name}");
        }
    }
}

#[test]
fn ptime_is_mirrored_when_sane() {
    let table: Vec<(&str, Option<u32>, u32)> = vec![
        ("a=ptime:30\r\n", Some(30), 30),
        ("a=ptime:10\r\n", Some(10), 10),
        ("", None, 20),
        ("a=ptime:0\r\n", None, 20),
        ("a=ptime:1000\r\n", None, 20),
        ("a=ptime:abc\r\n", None, 20),
        ("a=ptime:20.5\r\n", None, 20),
        ("a=maxptime:40\r\n", None, 20),
    ];
    for (attr, mirrored, used) in table {
        let (ours, n) = answer(
            &offer_with(&format!("m=audio 4000 RTP/AVP 0\r\n{attr}")),
            &local(),
            &AnswerPrefs::default(),
        )
        .unwrap();
        assert_eq!(ours.media[0].ptime(), mirrored, "{attr}");
        assert_eq!(n.ptime_ms, used, "{attr}");
    }
}

#[test]
fn which_stream_is_answered() {
    // (media lines, index answered or why not)
    let table: Vec<(&str, &str, Result<usize, Unusable>)> = vec![
        ("port 0 audio", "m=audio 0 RTP/AVP 0\r\n", Err(Unusable::AllPortsZero)),
        (
            "two, both port 0",
            "m=audio 0 RTP/AVP 0\r\nm=audio 0 RTP/AVP 8\r\n",
            Err(Unusable::AllPortsZero),
        ),
        ("port 0 then usable", "m=audio 0 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 8\r\n", Ok(1)),
        ("two usable: the first", "m=audio 4000 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 8\r\n", Ok(0)),
        (
            "audio and video",
            "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
            Ok(0),
        ),
        ("video then audio", "m=video 4002 RTP/AVP 31\r\nm=audio 4000 RTP/AVP 0\r\n", Ok(1)),
        ("video only", "m=video 4002 RTP/AVP 31\r\n", Err(Unusable::NoAudio)),
        ("no media at all", "", Err(Unusable::NoAudio)),
        ("SRTP then RTP", "m=audio 4000 RTP/SAVP 0\r\nm=audio 4002 RTP/AVP 0\r\n", Ok(1)),
        ("SRTP only", "m=audio 4000 RTP/SAVP 0\r\n", Err(Unusable::UnsupportedTransport)),
        ("RTP over TCP", "m=audio 4000 TCP/RTP/AVP 0\r\n", Err(Unusable::UnsupportedTransport)),
        ("protocol in lower case", "m=audio 4000 rtp/avp 0\r\n", Ok(0)),
        ("G.729 only, then PCMA", "m=audio 4000 RTP/AVP 18\r\nm=audio 4002 RTP/AVP 8\r\n", Ok(1)),
        // The report is about the stream that got furthest.
        (
            "port 0 and G.729",
            "m=audio 0 RTP/AVP 0\r\nm=audio 4002 RTP/AVP 18\r\n",
            Err(Unusable::NoCommonCodec),
        ),
        (
            "T.38 and disabled audio",
            "m=audio 0 RTP/AVP 0\r\nm=image 4002 udptl t38\r\n",
            Err(Unusable::AllPortsZero),
        ),
    ];
    for (name, media, expected) in table {
        let offer = offer_with(media);
        match (answer(&offer, &local(), &AnswerPrefs::default()), expected) {
            (Ok((ours, _)), Ok(index)) => {
                assert_eq!(ours.media.len(), offer.media.len(), "{name}");
                for (i, m) in ours.media.iter().enumerate() {
                    assert_eq!(m.port != 0, i == index, "{name}: stream {i}");
                }
                assert_eq!(remote_audio(&offer).unwrap().port, offer.media[index].port, "{name}");
            }
            (Err(got), Err(why)) => {
                assert_eq!(got, why, "{name}");
                assert_eq!(remote_audio(&offer), Err(why), "{name}");
            }
            (got, expected) => panic!("{name}: got {got:?}, expected {expected:?}"),
        }
    }
}

#[test]
fn rejected_lines_keep_kind_protocol_and_one_format() {
    let offer = offer_with(
        "m=audio 4000 RTP/AVP 0\r\nm=video 4002 RTP/AVP 96 97\r\nb=AS:512\r\na=rtpmap:96 H264/90000\r\n\
         m=image 4004 udptl t38\r\na=T38FaxVersion:0\r\nm=audio 4006 RTP/AVP 8\r\n",
    );
    let (ours, _) = answer(&offer, &local(), &AnswerPrefs::default()).unwrap();
    let text = ours.to_string();
    assert!(
        text.ends_with(
            "a=sendrecv\r\nm=video 0 RTP/AVP 96\r\nm=image 0 udptl t38\r\nm=audio 0 RTP/AVP 8\r\n"
        ),
        "{text}"
    );
}

#[test]
fn where_media_goes() {
    let head = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n";
    let table: Vec<(&str, String, Result<&str, Unusable>)> = vec![
        (
            "session c=",
            format!("{head}c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Ok("192.0.2.1:4000"),
        ),
        (
            "media c=",
            format!("{head}m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\n"),
            Ok("192.0.2.2:4000"),
        ),
        (
            "media c= wins",
            format!("{head}c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\n"),
            Ok("192.0.2.2:4000"),
        ),
        (
            "each stream its own",
            format!(
                "{head}m=audio 0 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\nm=audio 4002 RTP/AVP 0\r\nc=IN IP4 192.0.2.3\r\n"
            ),
            Ok("192.0.2.3:4002"),
        ),
        (
            "IPv6",
            format!("{head}c=IN IP6 2001:db8::1\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Ok("[2001:db8::1]:4000"),
        ),
        (
            "IPv6 session, IPv4 media",
            format!(
                "{head}c=IN IP6 2001:db8::1\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\n"
            ),
            Ok("192.0.2.2:4000"),
        ),
        (
            "no c= anywhere",
            format!("{head}m=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "host name",
            format!("{head}c=IN IP4 host.example.com\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "IPv6 address typed IP4",
            format!("{head}c=IN IP4 2001:db8::1\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "IPv4 address typed IP6",
            format!("{head}c=IN IP6 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "bracketed IPv6 (RFC 5118 says no brackets)",
            format!("{head}c=IN IP6 [2001:db8::1]\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "multicast with TTL",
            format!("{head}c=IN IP4 224.2.1.1/127\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "multicast",
            format!("{head}c=IN IP6 ff0e::1\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Err(Unusable::BadConnection),
        ),
        (
            "another network type",
            format!(
                "{head}c=ATM NSAP 47.0005.80.ffe100.0000.f21a.0204.0020.4813.2410.00\r\nm=audio 4000 RTP/AVP 0\r\n"
            ),
            Err(Unusable::BadConnection),
        ),
        (
            "lower-case types",
            format!("{head}c=in ip4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"),
            Ok("192.0.2.1:4000"),
        ),
    ];
    for (name, text, expected) in table {
        let offer = parse(name, &text);
        let got = remote_audio(&offer).map(|a| a.rtp_address());
        assert_eq!(got, expected.map(|a| a.parse().unwrap()), "{name}");
    }
}

#[test]
fn warning_codes_for_the_488() {
    let table = [
        (Unusable::NoAudio, 304, "Media type not available"),
        (Unusable::AllPortsZero, 304, "Media type not available"),
        (Unusable::UnsupportedTransport, 302, "Incompatible transport protocol"),
        (Unusable::NoCommonCodec, 305, "Incompatible media format"),
        (Unusable::BadConnection, 301, "Incompatible network address formats"),
        (Unusable::AnswerMismatch, 307, "Session description parameter not understood"),
        (Unusable::CodecNotOffered, 305, "Incompatible media format"),
    ];
    for (why, code, text) in table {
        assert_eq!((why.warning_code(), why.to_string().as_str()), (code, text), "{why:?}");
    }
}

#[test]
fn our_default_offer() {
    let ours = offer(&local(), &OfferPrefs::default());
    assert_eq!(
        ours.to_string(),
        "v=0\r\n\
         o=centralita 4242 1 IN IP4 198.51.100.7\r\n\
         s=-\r\n\
         c=IN IP4 198.51.100.7\r\n\
         t=0 0\r\n\
         m=audio 30000 RTP/AVP 0 8 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    assert_eq!(parse("our offer", &ours.to_string()), ours);
}

#[test]
fn our_offer_options() {
    let formats = |prefs: OfferPrefs| offer(&local(), &prefs).media[0].formats.join(" ");
    let with = |codecs: &[Codec], te: Option<u8>| OfferPrefs {
        codecs: codecs.to_vec(),
        telephone_event: te,
        ..OfferPrefs::default()
    };
    assert_eq!(formats(with(&[Codec::Pcma, Codec::Pcmu], Some(101))), "8 0 101");
    assert_eq!(formats(with(&[Codec::Pcmu], Some(96))), "0 96");
    assert_eq!(formats(with(&[Codec::Pcma], None)), "8");
    assert_eq!(formats(with(&[], Some(101))), "0 8 101", "never an offer without a codec");
    assert_eq!(formats(with(&[Codec::Pcmu, Codec::Pcmu], None)), "0", "no duplicates");
    assert_eq!(formats(with(&[Codec::Pcmu], Some(0))), "0", "events cannot take a codec's type");
    assert_eq!(formats(with(&[Codec::Pcmu], Some(200))), "0", "payload types stop at 127");

    let held = offer(
        &local(),
        &OfferPrefs { direction: Direction::SendOnly, ptime_ms: 30, ..OfferPrefs::default() },
    );
    assert_eq!(held.media[0].direction(), Some(Direction::SendOnly));
    assert_eq!(held.media[0].ptime(), Some(30));

    let v6 = LocalMedia {
        username: "a b\r\n".to_owned(),
        ..LocalMedia::new("2001:db8::7".parse().unwrap(), 30000, 1)
    };
    let text = offer(&v6, &OfferPrefs::default()).to_string();
    assert!(
        text.starts_with(
            "v=0\r\no=a-b-- 1 1 IN IP6 2001:db8::7\r\ns=-\r\nc=IN IP6 2001:db8::7\r\n"
        ),
        "{text}"
    );
    let again = parse("v6 offer", &text);
    assert_eq!(remote_audio(&again).unwrap().rtp_address(), "[2001:db8::7]:30000".parse().unwrap());
    let empty = LocalMedia { username: String::new(), ..local() };
    assert!(offer(&empty, &OfferPrefs::default()).to_string().starts_with("v=0\r\no=- 4242 1 "));
}

#[test]
fn answers_to_our_offer() {
    let ours = offer(&local(), &OfferPrefs::default());
    // SIPp's default uas answers PCMU, no events; ptime stays ours.
    let n = accept_answer(&ours, &parse("sipp-uas", common::SIPP_UAS)).unwrap();
    assert_eq!(
        (n.codec, n.payload_type, n.telephone_event, n.ptime_ms),
        (Codec::Pcmu, 0, None, 20)
    );
    assert_eq!(n.remote, "192.0.2.2:6000".parse().unwrap());
    assert_eq!((n.local_direction, n.remote_direction), (Direction::SendRecv, Direction::SendRecv));

    // A soft phone picking PCMA and telephone-event on 97: we send events to it on 97.
    let n = accept_answer(&ours, &parse("softphone", common::SOFTPHONE_ANSWER)).unwrap();
    assert_eq!((n.codec, n.payload_type, n.telephone_event), (Codec::Pcma, 8, Some(97)));

    // A desk phone listing G.729 first: the first codec we offered.
    let polycom = "v=0\r\no=- 1268178554 1268178554 IN IP4 192.0.2.7\r\ns=Polycom IP Phone\r\n\
                   c=IN IP4 192.0.2.7\r\nt=0 0\r\na=sendrecv\r\nm=audio 2262 RTP/AVP 18 0 8 101\r\n\
                   a=rtpmap:18 G729/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n\
                   a=rtpmap:101 telephone-event/8000\r\na=ptime:30\r\n";
    let n = accept_answer(&ours, &parse("polycom", polycom)).unwrap();
    assert_eq!((n.codec, n.telephone_event, n.ptime_ms), (Codec::Pcmu, Some(101), 30));

    // Our own answer to our own offer closes the loop.
    let other = LocalMedia::new("203.0.113.5".parse().unwrap(), 40000, 7);
    let (their_answer, theirs) = answer(&ours, &other, &AnswerPrefs::default()).unwrap();
    let n = accept_answer(&ours, &their_answer).unwrap();
    assert_eq!(
        (n.codec, n.payload_type, n.telephone_event, n.ptime_ms),
        (Codec::Pcmu, 0, Some(101), 20)
    );
    assert_eq!(n.remote, "203.0.113.5:40000".parse().unwrap());
    assert_eq!(theirs.remote, "198.51.100.7:30000".parse().unwrap());
}

#[test]
fn answers_we_refuse() {
    let pcmu_only = offer(
        &local(),
        &OfferPrefs { codecs: vec![Codec::Pcmu], telephone_event: None, ..OfferPrefs::default() },
    );
    let head = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n";
    let table: Vec<(&str, String, Unusable)> = vec![
        (
            "a codec we did not offer",
            format!("{head}m=audio 5000 RTP/AVP 8\r\n"),
            Unusable::CodecNotOffered,
        ),
        ("no G.711 at all", format!("{head}m=audio 5000 RTP/AVP 18\r\n"), Unusable::NoCommonCodec),
        ("our stream rejected", format!("{head}m=audio 0 RTP/AVP 0\r\n"), Unusable::AllPortsZero),
        (
            "one line too many",
            format!("{head}m=audio 5000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n"),
            Unusable::AnswerMismatch,
        ),
        ("no line", head.to_owned(), Unusable::AnswerMismatch),
        (
            "video where audio was",
            format!("{head}m=video 5000 RTP/AVP 31\r\n"),
            Unusable::AnswerMismatch,
        ),
        (
            "SRTP answer",
            format!("{head}m=audio 5000 RTP/SAVP 0\r\n"),
            Unusable::UnsupportedTransport,
        ),
        (
            "no address",
            "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"
                .to_owned(),
            Unusable::BadConnection,
        ),
    ];
    for (name, text, why) in table {
        assert_eq!(accept_answer(&pcmu_only, &parse(name, &text)), Err(why), "{name}");
    }
    // An offer of ours without audio cannot be answered with any.
    let mut no_audio = pcmu_only.clone();
    no_audio.media[0].port = 0;
    let answer_text = format!("{head}m=audio 0 RTP/AVP 0\r\n");
    assert_eq!(accept_answer(&no_audio, &parse("x", &answer_text)), Err(Unusable::NoAudio));
}

#[test]
fn events_only_when_both_have_them() {
    let no_events = offer(&local(), &OfferPrefs { telephone_event: None, ..OfferPrefs::default() });
    let n = accept_answer(&no_events, &parse("softphone", common::SOFTPHONE_ANSWER)).unwrap();
    assert_eq!(n.telephone_event, None);
    let ours = offer(&local(), &OfferPrefs::default());
    let n = accept_answer(&ours, &parse("sipp-uas", common::SIPP_UAS)).unwrap();
    assert_eq!(n.telephone_event, None);
}
