//! Symmetric RTP: before anything arrives we send where the SDP said; the first valid packet
//! latches its source (a NAT's public address); strangers are ignored while the peer talks;
//! the SDP address wins when it does send; a silent peer can be replaced (NAT rebinding); a
//! new SDP address unlatches.

mod common;

use centralita_media::{Codec, Leg, LegEvent, Source};
use common::{Phone, Sent, addr, at, config, ms, t0};

fn destinations(sent: &[Sent]) -> Vec<std::net::SocketAddr> {
    let mut out: Vec<_> = sent.iter().filter(|s| !s.rtcp).map(|s| s.to).collect();
    out.dedup();
    out
}

#[test]
fn the_first_packet_latches_and_strangers_are_ignored() {
    let sdp = addr("10.0.0.5:4000"); // a private address in the SDP
    let nat = addr("198.51.100.77:61000"); // where the packets really come from
    let stranger = addr("203.0.113.66:1234");
    let mut leg = Leg::new(config(Codec::Pcmu, 1), t0());
    leg.set_remote_hint(sdp);
    leg.enable_capture(t0(), true);
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    common::run_until(&mut leg, at(100), &mut sent, &mut events);
    assert_eq!(leg.remote(), Some(sdp));
    assert_eq!(destinations(&sent), [sdp]);

    let mut phone = Phone::new(7, 0, 0);
    let mut intruder = Phone::new(8, 500, 0);
    // Garbage and an unknown payload type do not latch.
    leg.handle_rtp(at(101), stranger, b"\x80\x00garbage");
    leg.handle_rtp(at(101), stranger, &intruder.packet(96, false, &[0; 160], 160));
    assert_eq!(leg.remote(), Some(sdp));
    leg.handle_rtp(at(105), nat, &phone.audio(Codec::Pcmu, &[1000; 160]));
    common::drain(&mut leg, at(105), &mut sent, &mut events);
    assert_eq!(events, [LegEvent::FirstPacket(nat)]);
    assert_eq!(leg.remote(), Some(nat));
    common::run_until(&mut leg, at(200), &mut sent, &mut events);
    assert_eq!(destinations(&sent), [sdp, nat]);
    // RTCP follows to the NAT's next port until the peer's own RTCP shows where it is.
    assert_eq!(leg.remote_rtcp(), Some(addr("198.51.100.77:61001")));
    let rr = [0x80, 201, 0, 1, 0, 0, 0, 7];
    leg.handle_rtcp(at(150), addr("198.51.100.77:61500"), &rr);
    assert_eq!(leg.remote_rtcp(), Some(addr("198.51.100.77:61500")));

    // While the peer talks, a stranger's packets (even with a key press) change nothing.
    for n in 0..20u64 {
        let t = 200 + n * 20;
        leg.handle_rtp(at(t), nat, &phone.audio(Codec::Pcmu, &[1000; 160]));
        leg.handle_rtp(at(t + 1), stranger, &intruder.audio(Codec::Pcmu, &[-9000; 160]));
        leg.handle_rtp(at(t + 2), stranger, &intruder.packet(101, true, &[1, 0x80, 3, 0], 0));
        common::run_until(&mut leg, at(t + 19), &mut sent, &mut events);
    }
    assert_eq!(leg.remote(), Some(nat));
    assert!(events.iter().all(|e| !matches!(e, LegEvent::Dtmf { .. } | LegEvent::Relatched(_))));
    assert_eq!(leg.stats().wrong_source, 40);
    // Nothing of the stranger's audio reached the capture.
    while let Some(frame) = leg.take_captured_frame() {
        assert!(frame.iter().all(|&s| s >= 0), "intruder audio captured");
    }
}

#[test]
fn the_sdp_address_wins_when_it_sends() {
    let sdp = addr("192.0.2.10:4000");
    let other = addr("192.0.2.99:4000");
    let mut leg = Leg::new(config(Codec::Pcma, 1), t0());
    leg.set_remote_hint(sdp);
    let mut phone = Phone::new(7, 0, 0);
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    leg.handle_rtp(at(10), other, &phone.audio(Codec::Pcma, &[0; 160]));
    leg.handle_rtp(at(30), sdp, &phone.audio(Codec::Pcma, &[0; 160]));
    leg.handle_rtp(at(50), other, &phone.audio(Codec::Pcma, &[0; 160]));
    common::drain(&mut leg, at(50), &mut sent, &mut events);
    assert_eq!(events, [LegEvent::FirstPacket(other), LegEvent::Relatched(sdp)]);
    assert_eq!(leg.remote(), Some(sdp));
}

#[test]
fn a_peer_silent_for_two_seconds_can_be_replaced() {
    let first = addr("198.51.100.1:5000");
    let rebound = addr("198.51.100.1:5999");
    let mut leg = Leg::new(config(Codec::Pcma, 1), t0());
    leg.set_remote_hint(addr("10.0.0.1:5000"));
    let mut phone = Phone::new(7, 0, 0);
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    leg.handle_rtp(at(0), first, &phone.audio(Codec::Pcma, &[0; 160]));
    leg.handle_rtp(at(1999), rebound, &phone.audio(Codec::Pcma, &[0; 160]));
    assert_eq!(leg.remote(), Some(first));
    leg.handle_rtp(at(2000), rebound, &phone.audio(Codec::Pcma, &[0; 160]));
    common::drain(&mut leg, at(2000), &mut sent, &mut events);
    assert_eq!(events, [LegEvent::FirstPacket(first), LegEvent::Relatched(rebound)]);
    assert_eq!(leg.remote(), Some(rebound));
}

#[test]
fn a_new_sdp_address_unlatches() {
    let mut leg = Leg::new(config(Codec::Pcma, 1), t0());
    leg.set_remote_hint(addr("192.0.2.1:4000"));
    let mut phone = Phone::new(7, 0, 0);
    leg.handle_rtp(at(0), addr("198.51.100.1:5000"), &phone.audio(Codec::Pcma, &[0; 160]));
    assert_eq!(leg.remote(), Some(addr("198.51.100.1:5000")));
    // The same SDP again (a re-INVITE that did not move the media) keeps the latch.
    leg.set_remote_hint(addr("192.0.2.1:4000"));
    assert_eq!(leg.remote(), Some(addr("198.51.100.1:5000")));
    leg.set_remote_hint(addr("192.0.2.2:6000"));
    assert_eq!(leg.remote(), Some(addr("192.0.2.2:6000")));
    assert_eq!(leg.remote_rtcp(), Some(addr("192.0.2.2:6001")));
    leg.handle_rtp(at(500), addr("198.51.100.2:7000"), &phone.audio(Codec::Pcma, &[0; 160]));
    assert_eq!(leg.remote(), Some(addr("198.51.100.2:7000")));
}

#[test]
fn nothing_is_sent_before_an_address_is_known() {
    let mut leg = Leg::new(config(Codec::Pcma, 1), t0());
    leg.set_source(t0(), Source::Tone(centralita_media::ToneKind::Ringback));
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    common::run_until(&mut leg, t0() + ms(10_000), &mut sent, &mut events);
    assert!(sent.is_empty());
    // Stats still come, every few seconds.
    assert!(events.iter().filter(|e| matches!(e, LegEvent::Stats(_))).count() >= 1);
}
