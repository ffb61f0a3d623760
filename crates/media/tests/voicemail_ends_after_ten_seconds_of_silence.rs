//! Silence detection as the voicemail uses it: the caller talks, stops, and the leg says
//! "silent for 10 s" 10 s after the last sound (within a frame and the jitter buffer's
//! delay), whether the phone keeps sending quiet audio, line noise, comfort noise, or nothing.

mod common;

use centralita_media::{Codec, Leg, LegEvent, SilenceConfig};
use common::{Phone, Rng, addr, amplitude, at, config, t0, white_noise};

enum After {
    /// µ-law/A-law silence packets.
    Zeros,
    /// Line noise at −60 dBFS.
    LineNoise,
    /// Comfort-noise packets (PT 13), one every 200 ms.
    ComfortNoise,
    /// Nothing at all (the phone stops sending).
    Nothing,
}

/// Talks for 3 s, then `after` for 12 s; returns the silence events with their time in ms.
fn run(after: After) -> Vec<(u64, LegEvent)> {
    let from = addr("192.0.2.1:7000");
    let mut leg = Leg::new(config(Codec::Pcma, 1), t0());
    leg.set_remote_hint(from);
    leg.enable_silence_detection(t0(), Some(SilenceConfig::default()));
    let mut rng = Rng::new(5);
    // A steady vowel-like sound for 3 s, so that the end of the sound is known exactly.
    let voice: Vec<i16> = common::sines(&[220.0, 440.0, 660.0], amplitude(-20.0), 0, 24_000);
    let noise = white_noise(&mut rng, amplitude(-60.0) / 2f64.sqrt(), 12 * 8000);
    let mut phone = Phone::new(3, 100, 0);
    let mut out = Vec::new();
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    for n in 0..750u64 {
        let now_ms = n * 20 + 5;
        let packet = if n < 150 {
            Some(phone.audio(Codec::Pcma, &voice[n as usize * 160..][..160]))
        } else {
            let k = (n as usize - 150) * 160;
            match after {
                After::Zeros => Some(phone.audio(Codec::Pcma, &[0; 160])),
                After::LineNoise => Some(phone.audio(Codec::Pcma, &noise[k..k + 160])),
                After::ComfortNoise if n % 10 == 0 => Some(phone.packet(13, false, &[60], 1600)),
                After::ComfortNoise | After::Nothing => None,
            }
        };
        if let Some(bytes) = packet {
            leg.handle_rtp(at(now_ms), from, &bytes);
        }
        common::run_until(&mut leg, at(now_ms), &mut sent, &mut events);
        for e in events.drain(..) {
            if matches!(e, LegEvent::SilenceFor(_) | LegEvent::SpeechStarted) {
                out.push((now_ms, e));
            }
        }
    }
    out
}

fn check(events: &[(u64, LegEvent)]) {
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].1, LegEvent::SpeechStarted);
    assert!(events[0].0 <= 80, "speech heard at {} ms", events[0].0);
    // The last voice packet arrived at 2985 ms; it was played at the next tick or the one after.
    let (when, LegEvent::SilenceFor(ms)) = events[1] else { panic!("{events:?}") };
    assert_eq!(ms, 10_000);
    assert!((12_980..=13_065).contains(&when), "silence reported at {when} ms");
}

#[test]
fn quiet_packets_end_the_voicemail() {
    check(&run(After::Zeros));
}

#[test]
fn line_noise_counts_as_silence() {
    check(&run(After::LineNoise));
}

#[test]
fn comfort_noise_counts_as_silence() {
    check(&run(After::ComfortNoise));
}

#[test]
fn a_phone_that_stops_sending_is_silent() {
    check(&run(After::Nothing));
}

#[test]
fn speech_restarts_the_count() {
    let from = addr("192.0.2.1:7000");
    let mut leg = Leg::new(config(Codec::Pcmu, 1), t0());
    leg.set_remote_hint(from);
    leg.enable_silence_detection(
        t0(),
        Some(SilenceConfig { threshold_dbfs: -45.0, report_after_ms: 2000 }),
    );
    let tone = common::sines(&[300.0], amplitude(-25.0), 0, 160);
    let mut phone = Phone::new(3, 100, 0);
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    let mut silences = Vec::new();
    // Quiet 1.5 s, 100 ms of sound, quiet 3 s.
    for n in 0..230u64 {
        let now_ms = n * 20 + 5;
        let pcm: &[i16] = if (75..80).contains(&n) { &tone } else { &[0; 160] };
        leg.handle_rtp(at(now_ms), from, &phone.audio(Codec::Pcmu, pcm));
        common::run_until(&mut leg, at(now_ms), &mut sent, &mut events);
        for e in events.drain(..) {
            if let LegEvent::SilenceFor(_) = e {
                silences.push(now_ms);
            }
        }
    }
    // Not at 2 s (the sound at 1.5 s restarted the count), but 2 s after the sound ended.
    assert_eq!(silences.len(), 1, "{silences:?}");
    assert!((3580..=3640).contains(&silences[0]), "{silences:?}");
}
