//! Fuzzes a leg in every mode at once (capture, in-band DTMF, silence detection, bridged to a
//! second leg with the other law): the input is a sequence of datagrams on its RTP and RTCP
//! sockets from a few addresses, with time moving on; nothing may panic and every output
//! stays bounded.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use centralita_media::tones::TonePlan;
use centralita_media::{Codec, Leg, LegConfig, SilenceConfig, Source};
use libfuzzer_sys::fuzz_target;

fn config(codec: Codec, ssrc: u32) -> LegConfig {
    LegConfig {
        codec,
        dtmf_payload_type: Some(101),
        tone_plan: TonePlan::ES,
        ssrc,
        initial_seq: 65_530,
        initial_ts: u32::MAX - 1000,
        ntp_at_start: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let peers: [SocketAddr; 3] = [
        "192.0.2.1:4000".parse().unwrap(),
        "192.0.2.1:4001".parse().unwrap(),
        "203.0.113.5:9".parse().unwrap(),
    ];
    let mut a = Leg::new(config(Codec::Pcmu, 0xA), t0);
    let mut b = Leg::new(config(Codec::Pcma, 0xB), t0);
    a.set_remote_hint(peers[0]);
    b.set_remote_hint("192.0.2.2:4000".parse().unwrap());
    a.enable_capture(t0, true);
    a.enable_inband_dtmf(t0, true);
    a.enable_silence_detection(t0, Some(SilenceConfig::default()));
    a.set_source(t0, Source::Tone(centralita_media::ToneKind::Busy));
    b.set_source(t0, Source::Forward);
    let mut now = t0;
    // Records: a 3-byte head (time step, socket and sender, length) then the datagram.
    let mut rest = data;
    while let [step, who, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (datagram, next) = tail.split_at(len);
        rest = next;
        now += Duration::from_millis(u64::from(*step));
        let from = peers[usize::from(who % 3)];
        if who & 4 == 0 {
            a.handle_rtp(now, from, datagram);
        } else {
            a.handle_rtcp(now, from, datagram);
        }
        if who & 8 != 0 {
            a.set_source(now, Source::Forward);
        }
        while let Some(f) = a.take_forward() {
            assert!(f.payload.len() <= centralita_media::leg::MAX_PAYLOAD);
            b.push_forward(now, &f);
        }
        for leg in [&mut a, &mut b] {
            let mut rounds = 0;
            while leg.poll_timeout().is_some_and(|t| t <= now) && rounds < 10_000 {
                rounds += 1;
                leg.handle_timeout(now);
                while let Some(t) = leg.poll_transmit(now) {
                    assert!(t.contents.len() <= 12 + centralita_media::leg::MAX_PAYLOAD);
                }
            }
            while leg.poll_transmit(now).is_some() {}
            while leg.poll_event().is_some() {}
        }
        while a.take_captured_frame().is_some() {}
    }
});
