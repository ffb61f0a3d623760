//! Bytes from the network must never panic: random datagrams, and valid packets with random
//! damage, through every parser and through legs in every mode (capture, detectors, bridge).

mod common;

use centralita_media::dtmf::{TelephoneEvent, parse_sip_info};
use centralita_media::rtcp::{self, RtcpPacket};
use centralita_media::rtp::RtpPacket;
use centralita_media::{Codec, Leg, SilenceConfig, Source};
use common::{addr, config, ms, rtp_packet, t0};
use proptest::prelude::*;

/// A valid RTP packet of one of the types a leg accepts, to be damaged.
fn valid_rtp() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(0u8), Just(8), Just(13), Just(101)],
        any::<u16>(),
        any::<u32>(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|(pt, seq, ts, marker, payload)| rtp_packet(pt, marker, seq, ts, 0x55, &payload))
}

/// A valid compound RTCP packet, to be damaged.
fn valid_rtcp() -> impl Strategy<Value = Vec<u8>> {
    (any::<bool>(), any::<bool>(), any::<[u8; 24]>(), any::<u64>()).prop_map(
        |(sr, block, raw, ntp)| {
            let b = rtcp::ReportBlock {
                ssrc: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]) % 2 + 0xA,
                fraction_lost: raw[4],
                cumulative_lost: i32::from_be_bytes([raw[5], raw[6], raw[7], raw[8]]) >> 8,
                extended_highest_seq: u32::from_be_bytes([raw[9], raw[10], raw[11], raw[12]]),
                jitter: u32::from_be_bytes([raw[13], raw[14], raw[15], raw[16]]),
                last_sr: u32::from_be_bytes([raw[17], raw[18], raw[19], raw[20]]),
                delay_since_last_sr: u32::from_be_bytes([raw[20], raw[21], raw[22], raw[23]]),
            };
            let sender = sr.then_some(rtcp::SenderInfo {
                ntp,
                rtp_timestamp: 1,
                packet_count: 2,
                octet_count: 3,
            });
            let report =
                rtcp::Report { ssrc: 0x55, sender, block: block.then_some(b), cname: b"peer" };
            let mut buf = vec![0u8; report.encoded_len()];
            report.write(&mut buf).unwrap();
            buf
        },
    )
}

/// Flips, truncates or extends a packet.
fn damaged(packet: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (
        packet,
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        any::<usize>(),
        proptest::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(mut p, flips, cut, tail)| {
            for (at, value) in flips {
                if !p.is_empty() {
                    let n = at % p.len();
                    p[n] = value;
                }
            }
            if cut % 3 == 0 {
                p.truncate(cut % (p.len() + 1));
            } else if cut % 3 == 1 {
                p.extend(tail);
            }
            p
        })
}

fn datagram() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        damaged(valid_rtp()),
        damaged(valid_rtcp()),
    ]
}

fn parse_everything(bytes: &[u8]) {
    if let Ok(p) = RtpPacket::parse(bytes) {
        assert!(p.payload.len() <= bytes.len().saturating_sub(12));
        let _ = TelephoneEvent::parse(p.payload);
    }
    for packet in rtcp::read_compound(bytes).take(1000) {
        match packet {
            Ok(
                RtcpPacket::SenderReport { blocks, .. } | RtcpPacket::ReceiverReport { blocks, .. },
            ) => {
                assert!(blocks.count() <= 31);
            }
            Ok(RtcpPacket::Other { .. }) | Err(_) => {}
        }
    }
    let _ = TelephoneEvent::parse(bytes);
    for content_type in ["application/dtmf-relay", "application/dtmf", "text/plain"] {
        let _ = parse_sip_info(content_type, bytes);
    }
}

/// Two legs in every mode at once, fed the datagrams on both sockets, with time moving on.
fn legs_survive(datagrams: &[Vec<u8>]) {
    let peer = addr("192.0.2.1:4000");
    let mut a = Leg::new(config(Codec::Pcmu, 0xA), t0());
    let mut b = Leg::new(config(Codec::Pcma, 0xB), t0());
    a.set_remote_hint(peer);
    b.set_remote_hint(addr("192.0.2.2:4000"));
    a.enable_capture(t0(), true);
    a.enable_inband_dtmf(t0(), true);
    a.enable_silence_detection(t0(), Some(SilenceConfig::default()));
    a.set_source(t0(), Source::Forward);
    b.set_source(t0(), Source::Forward);
    let mut now = t0();
    for (n, bytes) in datagrams.iter().enumerate() {
        now += ms(7);
        let from = if n % 5 == 4 { addr("203.0.113.9:9") } else { peer };
        a.handle_rtp(now, from, bytes);
        a.handle_rtcp(now, from, bytes);
        while let Some(f) = a.take_forward() {
            b.push_forward(now, &f);
        }
        for leg in [&mut a, &mut b] {
            while leg.poll_timeout().is_some_and(|t| t <= now) {
                leg.handle_timeout(now);
                while leg.poll_transmit(now).is_some() {}
            }
            while leg.poll_transmit(now).is_some() {}
            while leg.poll_event().is_some() {}
        }
        while a.take_captured_frame().is_some() {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn no_datagram_panics_a_parser(bytes in datagram()) {
        parse_everything(&bytes);
    }

    #[test]
    fn no_sequence_of_datagrams_panics_a_leg(datagrams in proptest::collection::vec(datagram(), 1..40)) {
        legs_survive(&datagrams);
    }
}
