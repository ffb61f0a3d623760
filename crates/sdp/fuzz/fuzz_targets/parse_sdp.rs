//! Fuzzes the SDP parser and everything the B2BUA does with what it returns: printing (which
//! must parse back to the same description and stay bounded by the input), reading the audio
//! stream, answering it, reading it as the answer to our offer, and re-offering with another
//! direction. Nothing may panic, and our answer must keep the offer's shape.

#![no_main]

use centralita_sdp::{
    AnswerPrefs, Direction, LocalMedia, OfferPrefs, SessionDescription, accept_answer, answer,
    offer, remote_audio,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse(data) else { return };
    let printed = sdp.to_string();
    // Canonical printing adds CRs, `s=-` and `t=0 0`, and each byte that is not UTF-8 becomes
    // U+FFFD (three bytes); nothing else grows.
    assert!(printed.len() <= 3 * data.len() + 32, "printing grew the text");
    let again = SessionDescription::parse(&printed).expect("a printed description must parse");
    assert_eq!(again, sdp);
    assert_eq!(again.to_string(), printed);

    let local = LocalMedia::new([198, 51, 100, 7].into(), 30000, 1);
    let remote = remote_audio(&sdp);
    if let Ok((ours, n)) = answer(&sdp, &local, &AnswerPrefs::default()) {
        let remote = remote.expect("answered without a usable stream");
        assert!(remote.codecs.contains(&(n.payload_type, n.codec)));
        assert_eq!(ours.media.len(), sdp.media.len());
        assert_eq!(ours.media.iter().filter(|m| m.port != 0).count(), 1);
        assert_eq!(SessionDescription::parse(ours.to_string()).as_ref(), Ok(&ours));
        let _ = accept_answer(&sdp, &ours);
    }
    let _ = accept_answer(&offer(&local, &OfferPrefs::default()), &sdp);
    let held = sdp.with_direction(Direction::SendOnly);
    assert_eq!(SessionDescription::parse(held.to_string()).as_ref(), Ok(&held));
});
