//! What the far end sees from one leg while the server switches its source: prompt → tone →
//! the bridged party → silence. One SSRC throughout, sequence numbers +1 every packet,
//! timestamps never going back and following the clock, the marker bit exactly on the first
//! packet after each switch, and forwarded payloads untouched.

mod common;

use std::sync::Arc;

use centralita_audio::Normalised;
use centralita_media::{Codec, Forward, ForwardKind, Leg, LegEvent, Source};
use common::{Sent, addr, at, config, t0};

#[test]
fn prompt_then_tone_then_forward_then_silence_is_one_continuous_stream() {
    let phone = addr("192.0.2.50:30000");
    let cfg = config(Codec::Pcmu, 0x5555_0001);
    let mut leg = Leg::new(cfg, t0());
    leg.set_remote_hint(phone);
    let (mut sent, mut events) = (Vec::<Sent>::new(), Vec::new());

    // A one-second prompt of a ramp, so its packets can be recognised.
    let samples: Vec<i16> = (0..8000).map(|n| ((n % 160) as i16 - 80) * 100).collect();
    let prompt = Arc::new(Normalised::from_samples(samples.clone()));
    leg.set_source(at(3), Source::Prompt(prompt));
    common::run_until(&mut leg, at(1013), &mut sent, &mut events);
    let finished_at = events.iter().position(|e| *e == LegEvent::PlaybackFinished);
    assert!(finished_at.is_some(), "{events:?}");
    let prompt_packets = sent.iter().filter(|s| !s.rtcp).count();
    // The prompt's 50 packets, then silence up to 1013 ms.
    let first_prompt = sent.iter().position(|s| !s.rtcp && s.rtp().marker).unwrap();
    assert_eq!(first_prompt, 0);
    assert_eq!(prompt_packets, 50);
    for (n, s) in sent[first_prompt..].iter().filter(|s| !s.rtcp).enumerate() {
        let mut expected = [0u8; 160];
        Codec::Pcmu.encode_into(&samples[n * 160..][..160], &mut expected);
        assert_eq!(s.rtp().payload, &expected, "prompt packet {n}");
    }

    // Ringback at an arbitrary moment, then the bridge.
    leg.set_source(at(1517), Source::Tone(centralita_media::ToneKind::Ringback));
    common::run_until(&mut leg, at(3007), &mut sent, &mut events);
    leg.set_source(at(3007), Source::Forward);
    // The other leg's packets: 20 ms apart, arriving with jitter, its own numbering.
    let mut payloads = Vec::new();
    for n in 0..100u32 {
        let arrive = at(3010 + u64::from(n) * 20 + u64::from(n % 3) * 4);
        common::run_until(&mut leg, arrive, &mut sent, &mut events);
        let payload: Vec<u8> = (0..160).map(|k| (n * 7 + k) as u8).collect();
        let fwd = Forward {
            kind: ForwardKind::Audio(Codec::Pcmu),
            marker: n == 0,
            sequence: 40_000u16.wrapping_add(n as u16),
            timestamp: 123_456 + n * 160,
            ssrc: 0xFEED,
            payload: &payload,
        };
        leg.push_forward(arrive, &fwd);
        common::drain(&mut leg, arrive, &mut sent, &mut events);
        payloads.push(payload);
    }
    leg.set_source(at(5100), Source::Silence);
    common::run_until(&mut leg, at(6000), &mut sent, &mut events);

    let rtp: Vec<&Sent> = sent.iter().filter(|s| !s.rtcp).collect();
    assert!(rtp.iter().all(|s| s.to == phone));
    let packets: Vec<_> = rtp.iter().map(|s| s.rtp()).collect();
    assert!(packets.iter().all(|p| p.ssrc == cfg.ssrc && p.payload_type == 0));
    // Sequence numbers: +1 every packet, through the wrap at 65535.
    assert_eq!(packets[0].sequence, cfg.initial_seq);
    for pair in packets.windows(2) {
        assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1));
    }
    // Timestamps: each packet starts at or after the end of the previous one, and follows the
    // clock (within the 20 ms of a packet and the jitter of the forwarded ones).
    for (s, pair) in rtp[1..].iter().zip(packets.windows(2)) {
        let step = pair[1].timestamp.wrapping_sub(pair[0].timestamp) as i32;
        assert!(step >= 160, "step {step} at {:?}", s.at - t0());
        let clock = cfg.initial_ts.wrapping_add(((s.at - t0()).as_micros() * 8 / 1000) as u32);
        let drift = pair[1].timestamp.wrapping_sub(clock) as i32;
        assert!(
            (-200..=240).contains(&drift),
            "timestamp {drift} from the clock at {:?}",
            s.at - t0()
        );
    }
    // The marker: on the first packet of each source, nowhere else.
    let markers: Vec<u64> =
        rtp.iter().filter(|s| s.rtp().marker).map(|s| (s.at - t0()).as_millis() as u64).collect();
    // The prompt from the first tick after it was set (20 ms), silence after it ended (no
    // marker: it follows on), the tone at 1520, the forward at 3010, silence at 5100.
    assert_eq!(markers, [20, 1520, 3010, 5100]);
    // Forwarded payloads untouched.
    let forwarded: Vec<&[u8]> = rtp
        .iter()
        .filter(|s| s.at >= at(3010) && s.at < at(5100))
        .map(|s| s.rtp().payload)
        .collect();
    assert_eq!(forwarded.len(), 100);
    for (got, want) in forwarded.iter().zip(&payloads) {
        assert_eq!(*got, &want[..]);
    }
    // Forwarded timestamps keep the source's spacing exactly (the jitter is not copied in).
    let fwd_ts: Vec<u32> = rtp
        .iter()
        .filter(|s| s.at >= at(3010) && s.at < at(5100))
        .map(|s| s.rtp().timestamp)
        .collect();
    assert!(fwd_ts.windows(2).all(|w| w[1].wrapping_sub(w[0]) == 160));
}

#[test]
fn the_beep_ends_and_the_leg_falls_back_to_silence() {
    let mut leg = Leg::new(config(Codec::Pcma, 9), t0());
    leg.set_remote_hint(addr("192.0.2.50:30000"));
    let (mut sent, mut events) = (Vec::<Sent>::new(), Vec::new());
    leg.set_source(t0(), Source::Tone(centralita_media::ToneKind::Beep));
    common::run_until(&mut leg, at(1000), &mut sent, &mut events);
    assert!(events.contains(&LegEvent::ToneFinished));
    let rtp: Vec<_> = sent.iter().filter(|s| !s.rtcp).collect();
    // 20 packets of beep, then A-law silence.
    assert!(rtp[..20].iter().all(|s| s.rtp().payload.iter().any(|&b| b != 0xD5)));
    assert!(rtp[20..].iter().all(|s| s.rtp().payload.iter().all(|&b| b == 0xD5)));
    assert_eq!(rtp.len(), 51);
}

#[test]
fn a_late_server_skips_packets_but_keeps_the_timeline() {
    let mut leg = Leg::new(config(Codec::Pcmu, 9), t0());
    leg.set_remote_hint(addr("192.0.2.50:30000"));
    let (mut sent, mut events) = (Vec::<Sent>::new(), Vec::new());
    common::run_until(&mut leg, at(100), &mut sent, &mut events);
    // The loop stalls for 300 ms, then catches up in one go.
    leg.handle_timeout(at(400));
    common::drain(&mut leg, at(400), &mut sent, &mut events);
    common::run_until(&mut leg, at(400), &mut sent, &mut events);
    let rtp: Vec<_> = sent.iter().filter(|s| !s.rtcp).map(|s| s.rtp()).collect();
    // No burst of stale packets: 0..=100 ms (6), then only what is not more than 60 ms late.
    assert!(rtp.len() <= 6 + 4, "{}", rtp.len());
    let last = rtp.last().unwrap();
    let ts = last.timestamp.wrapping_sub(config(Codec::Pcmu, 9).initial_ts);
    assert_eq!(ts, 400 * 8, "the timestamp says where in time the packet is");
    for pair in rtp.windows(2) {
        assert_eq!(pair[1].sequence, pair[0].sequence.wrapping_add(1));
    }
}
