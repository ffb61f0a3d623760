//! Hold and resume, each way: a peer's re-INVITE putting us on hold (sendonly, inactive, the
//! RFC 2543 `c=0.0.0.0`) and taking us off it, and our own re-offers made from our previous
//! description with the same session id, the next version and a new direction.

mod common;

use centralita_sdp::{
    AnswerPrefs, Direction, OfferPrefs, SessionDescription, accept_answer, answer, offer,
    remote_audio,
};
use common::{local, parse};

/// A re-INVITE body: version `version`, the given connection, and the given extra lines
/// (session-level before `m=`, media-level after).
fn reinvite(version: u32, c: &str, session: &str, media: &str) -> SessionDescription {
    let text = format!(
        "v=0\r\no=- 77 {version} IN IP4 192.0.2.1\r\ns=-\r\nc={c}\r\nt=0 0\r\n{session}\
         m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n{media}"
    );
    parse(&text, &text)
}

#[test]
fn peer_holds_and_resumes() {
    let v4 = "IN IP4 192.0.2.1";
    // (case, c=, session lines, media lines, on hold?, what the peer does, our answer)
    let table = [
        (
            "resume: sendrecv",
            v4,
            "",
            "a=sendrecv\r\n",
            false,
            Direction::SendRecv,
            Direction::SendRecv,
        ),
        (
            "no attribute means sendrecv",
            v4,
            "",
            "",
            false,
            Direction::SendRecv,
            Direction::SendRecv,
        ),
        (
            "hold: sendonly",
            v4,
            "",
            "a=sendonly\r\n",
            true,
            Direction::SendOnly,
            Direction::RecvOnly,
        ),
        (
            "hold: inactive",
            v4,
            "",
            "a=inactive\r\n",
            true,
            Direction::Inactive,
            Direction::Inactive,
        ),
        (
            "recvonly is not hold",
            v4,
            "",
            "a=recvonly\r\n",
            false,
            Direction::RecvOnly,
            Direction::SendOnly,
        ),
        (
            "RFC 2543 hold: c=0.0.0.0",
            "IN IP4 0.0.0.0",
            "",
            "",
            true,
            Direction::SendOnly,
            Direction::RecvOnly,
        ),
        (
            "c=0.0.0.0 and recvonly",
            "IN IP4 0.0.0.0",
            "",
            "a=recvonly\r\n",
            true,
            Direction::Inactive,
            Direction::Inactive,
        ),
        ("c=:: (IPv6)", "IN IP6 ::", "", "", true, Direction::SendOnly, Direction::RecvOnly),
        (
            "session-level sendonly",
            v4,
            "a=sendonly\r\n",
            "",
            true,
            Direction::SendOnly,
            Direction::RecvOnly,
        ),
        (
            "media level wins over session level",
            v4,
            "a=sendonly\r\n",
            "a=sendrecv\r\n",
            false,
            Direction::SendRecv,
            Direction::SendRecv,
        ),
        (
            "attribute in capitals",
            v4,
            "",
            "a=SENDONLY\r\n",
            true,
            Direction::SendOnly,
            Direction::RecvOnly,
        ),
    ];
    for (case, c, session, media, hold, theirs, ours) in table {
        let sdp = reinvite(2, c, session, media);
        let remote = remote_audio(&sdp).unwrap_or_else(|e| panic!("{case}: {e:?}"));
        assert_eq!(remote.is_hold(), hold, "{case}");
        assert_eq!(remote.direction, theirs, "{case}");
        let (our_answer, n) = answer(&sdp, &local(), &AnswerPrefs::default()).unwrap();
        assert_eq!(our_answer.media[0].direction(), Some(ours), "{case}");
        assert_eq!((n.remote_direction, n.local_direction), (theirs, ours), "{case}");
    }
}

#[test]
fn a_phone_call_put_on_hold_and_resumed() {
    // The Polycom's hold re-INVITE (session-level sendonly), and its resume: the same body
    // with the next version and sendrecv.
    let hold = parse("polycom-hold", common::POLYCOM_HOLD);
    assert!(remote_audio(&hold).unwrap().is_hold());
    let resume_text = common::POLYCOM_HOLD
        .replace("1167770390", "1167770391")
        .replace("a=sendonly", "a=sendrecv");
    let resume = parse("polycom-resume", &resume_text);
    assert!(!remote_audio(&resume).unwrap().is_hold());
    assert_eq!(resume.origin.session_version, hold.origin.session_version + 1);
    assert_eq!(resume.origin.session_id, hold.origin.session_id);
}

#[test]
fn we_hold_when_answering() {
    // What we want, what they offer, what we answer (RFC 3264 §6.1 allows no more).
    let table = [
        (Direction::SendOnly, "a=sendrecv\r\n", Direction::SendOnly),
        (Direction::SendOnly, "a=sendonly\r\n", Direction::Inactive),
        (Direction::SendOnly, "a=recvonly\r\n", Direction::SendOnly),
        (Direction::SendOnly, "a=inactive\r\n", Direction::Inactive),
        (Direction::Inactive, "a=sendrecv\r\n", Direction::Inactive),
        (Direction::Inactive, "a=sendonly\r\n", Direction::Inactive),
        (Direction::RecvOnly, "a=sendrecv\r\n", Direction::RecvOnly),
        (Direction::RecvOnly, "a=recvonly\r\n", Direction::Inactive),
        (Direction::SendRecv, "a=recvonly\r\n", Direction::SendOnly),
    ];
    for (want, offered, expected) in table {
        let prefs = AnswerPrefs { direction: want, ..AnswerPrefs::default() };
        let (ours, n) =
            answer(&reinvite(2, "IN IP4 192.0.2.1", "", offered), &local(), &prefs).unwrap();
        assert_eq!(ours.media[0].direction(), Some(expected), "{want:?} against {offered}");
        assert_eq!(n.local_direction, expected, "{want:?} against {offered}");
    }
}

#[test]
fn we_hold_and_resume_with_re_offers() {
    let first = offer(&local(), &OfferPrefs::default());

    let mut held = first.with_direction(Direction::SendOnly);
    held.bump_version();
    assert_eq!(held.origin.session_id, first.origin.session_id);
    assert_eq!(held.origin.session_version, first.origin.session_version + 1);
    let directions = held.media[0]
        .attributes
        .iter()
        .filter(|a| Direction::from_attribute_name(&a.name).is_some());
    assert_eq!(directions.count(), 1, "one direction attribute, replaced not added");
    let held = parse("held", &held.to_string());
    assert_eq!(held.direction_for(0), Direction::SendOnly);
    // Everything but the version and the direction is as before.
    let mut back = held.with_direction(Direction::SendRecv);
    back.origin.session_version = first.origin.session_version;
    assert_eq!(back, first);

    // The phone answers recvonly: we send (music on hold), it does not.
    let phone = "v=0\r\no=- 5 6 IN IP4 192.0.2.8\r\ns=-\r\nc=IN IP4 192.0.2.8\r\nt=0 0\r\n\
                 m=audio 7000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\n";
    let n = accept_answer(&held, &parse("phone", phone)).unwrap();
    assert_eq!((n.local_direction, n.remote_direction), (Direction::SendOnly, Direction::RecvOnly));

    let mut resumed = held.with_direction(Direction::SendRecv);
    resumed.bump_version();
    assert_eq!(resumed.origin.session_version, first.origin.session_version + 2);
    let phone = phone.replace("a=recvonly", "a=sendrecv");
    let n = accept_answer(&resumed, &parse("phone", &phone)).unwrap();
    assert_eq!((n.local_direction, n.remote_direction), (Direction::SendRecv, Direction::SendRecv));

    // Inactive hold, and an old phone answering it with c=0.0.0.0.
    let inactive = first.with_direction(Direction::Inactive);
    let old = "v=0\r\no=- 5 6 IN IP4 192.0.2.8\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 7000 RTP/AVP 0\r\n";
    let n = accept_answer(&inactive, &parse("old phone", old)).unwrap();
    assert_eq!((n.local_direction, n.remote_direction), (Direction::Inactive, Direction::SendOnly));
}

#[test]
fn with_direction_touches_only_enabled_streams_and_the_session_level() {
    let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendrecv\r\na=tool:x\r\n\
                m=audio 4000 RTP/AVP 0\r\na=recvonly\r\na=ptime:20\r\nm=video 0 RTP/AVP 31\r\na=inactive\r\n";
    let sdp = parse("two streams", text);
    let held = sdp.with_direction(Direction::SendOnly);
    assert_eq!(held.direction(), None);
    assert!(held.attribute("tool").is_some());
    assert_eq!(held.media[0].direction(), Some(Direction::SendOnly));
    assert_eq!(held.media[0].ptime(), Some(20));
    assert_eq!(held.media[1], sdp.media[1], "a rejected stream is left alone");
}

#[test]
fn the_version_saturates() {
    let mut sdp = offer(&local(), &OfferPrefs::default());
    sdp.origin.session_version = u64::MAX - 1;
    sdp.bump_version();
    assert_eq!(sdp.origin.session_version, u64::MAX);
    sdp.bump_version();
    assert_eq!(sdp.origin.session_version, u64::MAX);
    assert_eq!(parse("max", &sdp.to_string()), sdp);
}

#[test]
fn direction_helpers() {
    for d in [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive] {
        assert_eq!(Direction::from_flags(d.sends(), d.receives()), d);
        assert_eq!(d.mirrored().mirrored(), d);
        assert_eq!(Direction::from_attribute_name(d.as_str()), Some(d));
    }
    assert_eq!(Direction::SendOnly.mirrored(), Direction::RecvOnly);
    assert_eq!(Direction::Inactive.mirrored(), Direction::Inactive);
    assert_eq!(Direction::from_attribute_name("sendrecv2"), None);
}
