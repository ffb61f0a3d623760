//! Two phones bridged through the server over emulated networks: the audio crosses in both
//! directions, untouched when both sides use the same law and transcoded when they do not, and
//! the stereo recording keeps each party on its own channel.

mod common;

use centralita_audio::{WavHeader, parse_pcm16_wav};
use centralita_media::{Codec, LegEvent, Recorder};
use common::{Call, decode_in_order, goertzel, rtp_only};

fn sine(freq: f64, amp: f64) -> Box<dyn FnMut(usize) -> i16> {
    Box::new(move |n| (amp * (std::f64::consts::TAU * freq * n as f64 / 8000.0).sin()) as i16)
}

/// Mean square at `freq` over the second half of `samples` (after the call settled).
fn level_at(samples: &[i16], freq: f64) -> f64 {
    goertzel(&samples[samples.len() / 2..], freq)
}

#[test]
fn same_law_packets_cross_untouched_both_ways() {
    let mut call = Call::new(Codec::Pcma, Codec::Pcma, (0.0, 30, 0), (0.0, 30, 0));
    call.voice_a = sine(600.0, 8000.0);
    call.voice_b = sine(1100.0, 8000.0);
    call.bridge();
    call.run(3000);

    // Every payload the server sent to B is a payload A's phone sent, byte for byte, in order.
    let to_b = rtp_only(&call.heard_by_b);
    assert!(to_b.len() >= 140, "{} packets", to_b.len());
    let mut phone_a = common::Phone::new(0x1234_5678, 1000, 0);
    let mut voice = sine(600.0, 8000.0);
    let mut n = 0usize;
    let expected: Vec<Vec<u8>> = (0..to_b.len())
        .map(|_| {
            let pcm: Vec<i16> = (0..160).map(|k| voice(n + k)).collect();
            n += 160;
            phone_a.audio(Codec::Pcma, &pcm)[12..].to_vec()
        })
        .collect();
    for (got, want) in to_b.iter().zip(&expected) {
        assert_eq!(got.payload, &want[..]);
        assert_eq!(got.payload_type, 8);
        assert_eq!(got.ssrc, 0xBBBB_0002);
    }
    // And B's phone hears 600 Hz, A's phone 1100 Hz.
    let heard_b = decode_in_order(&to_b);
    let heard_a = decode_in_order(&rtp_only(&call.heard_by_a));
    assert!(level_at(&heard_b, 600.0) > 8000.0 * 8000.0 / 2.0 * 0.9);
    assert!(level_at(&heard_a, 1100.0) > 8000.0 * 8000.0 / 2.0 * 0.9);
}

#[test]
fn different_laws_are_transcoded_over_a_lossy_jittery_network() {
    let mut call = Call::new(Codec::Pcma, Codec::Pcmu, (0.03, 20, 40), (0.03, 20, 40));
    call.voice_a = sine(600.0, 8000.0);
    call.voice_b = sine(1100.0, 8000.0);
    call.bridge();
    call.run(10_000);

    let to_b = rtp_only(&call.heard_by_b);
    let to_a = rtp_only(&call.heard_by_a);
    assert!(to_b.iter().all(|p| p.payload_type == 0), "B negotiated PCMU");
    assert!(to_a.iter().all(|p| p.payload_type == 8), "A negotiated PCMA");
    let heard_b = decode_in_order(&to_b);
    let heard_a = decode_in_order(&rtp_only(&call.heard_by_a));
    // The tone survives transcoding (within G.711's noise) and nothing else leaks across.
    let full = 8000.0 * 8000.0 / 2.0;
    assert!(level_at(&heard_b, 600.0) > full * 0.7, "{}", level_at(&heard_b, 600.0));
    assert!(level_at(&heard_b, 1100.0) < full * 0.001);
    assert!(level_at(&heard_a, 1100.0) > full * 0.7);
    assert!(level_at(&heard_a, 600.0) < full * 0.001);
    // Losses upstream show as gaps in B's sequence numbers (the numbering follows the
    // source), not as a stream that pretends nothing was lost.
    let stats_b = call.b.stats();
    assert!(stats_b.packets_lost > 0);
}

#[test]
fn the_recording_has_the_caller_left_and_the_other_party_right() {
    let mut call = Call::new(Codec::Pcma, Codec::Pcmu, (0.02, 20, 30), (0.0, 20, 0));
    call.voice_a = sine(600.0, 8000.0);
    call.voice_b = sine(1100.0, 8000.0);
    call.bridge();
    call.record();
    call.run(5000);

    // "Killed mid-call": the file as it is now, header still saying "unknown length".
    assert_eq!(&call.wav[40..44], &[0xFF; 4]);
    let (header, samples) = parse_pcm16_wav(&call.wav).unwrap();
    assert_eq!(header, WavHeader { channels: 2, sample_rate: 8000, bits: 16 });
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    // One frame per 20 ms of the call (ticks at 0, 20, ..., 5000 ms).
    assert!((250..=251).contains(&(left.len() / 160)), "{} frames", left.len() / 160);
    let full = 8000.0 * 8000.0 / 2.0;
    assert!(level_at(&left, 600.0) > full * 0.7, "left {}", level_at(&left, 600.0));
    assert!(level_at(&left, 1100.0) < full * 0.001);
    assert!(level_at(&right, 1100.0) > full * 0.7, "right {}", level_at(&right, 1100.0));
    assert!(level_at(&right, 600.0) < full * 0.001);

    // Finished: the header rewritten with the real length.
    let recorder: &Recorder = call.recorder.as_ref().unwrap();
    let mut finished = call.wav.clone();
    finished[..44].copy_from_slice(&recorder.finish());
    assert_eq!(
        u32::from_le_bytes(finished[40..44].try_into().unwrap()) as usize,
        finished.len() - 44
    );
    assert_eq!(u16::from_le_bytes([finished[22], finished[23]]), 2);
    assert_eq!(u32::from_le_bytes(finished[24..28].try_into().unwrap()), 8000);
    assert_eq!(u32::from_le_bytes(finished[28..32].try_into().unwrap()), 32_000);
    let (_, again) = parse_pcm16_wav(&finished).unwrap();
    assert_eq!(again, samples);
    // A file cut in the middle of a frame still reads.
    let cut = &call.wav[..call.wav.len() - 3];
    assert!(parse_pcm16_wav(cut).unwrap().1.len() >= samples.len() - 2);
}

#[test]
fn a_missing_side_is_recorded_as_silence_and_keeps_alignment() {
    let mut recorder = Recorder::stereo();
    let frame = [1000i16; 160];
    let mut wav = recorder.header_bytes().to_vec();
    wav.extend_from_slice(recorder.push(Some(&frame), None));
    wav.extend_from_slice(recorder.push(None, Some(&frame)));
    let (_, samples) = parse_pcm16_wav(&wav).unwrap();
    assert_eq!(samples.len(), 640);
    assert!(samples[..320].chunks(2).all(|lr| lr == [1000, 0]));
    assert!(samples[320..].chunks(2).all(|lr| lr == [0, 1000]));
}

#[test]
fn a_partner_that_stops_sending_is_covered_by_silence() {
    // B's phone never sends: after FILL_AFTER, A's phone still gets a packet every 20 ms.
    let mut call = Call::new(Codec::Pcmu, Codec::Pcmu, (0.0, 10, 0), (0.0, 10, 0));
    call.voice_a = sine(600.0, 8000.0);
    call.up_b.loss = 1.0;
    call.bridge();
    call.run(3000);
    let to_a = rtp_only(&call.heard_by_a);
    // From 0.5 s (+ network delay) on: 2.5 s of silence packets.
    assert!((120..=126).contains(&to_a.len()), "{}", to_a.len());
    assert!(to_a.iter().all(|p| p.payload.iter().all(|&b| b == 0xFF)));
    assert!(to_a[0].marker && to_a[1..].iter().all(|p| !p.marker));
    assert!(call.events_b.iter().all(|(_, e)| !matches!(e, LegEvent::FirstPacket(_))));
}
