//! Every tone of every plan, measured: the right frequencies during "on", silence during
//! "off", on/off boundaries where the plan puts them (within one frame), no drift after long
//! playing, and the beep that ends.

mod common;

use centralita_media::tones::{Tone, ToneGenerator, ToneKind, TonePlan};
use common::{goertzel, mean_square};

/// Generates `frames` 20 ms frames of `tone`.
fn render(tone: Tone, frames: usize) -> Vec<i16> {
    let mut generator = ToneGenerator::new(tone);
    let mut out = Vec::with_capacity(frames * 160);
    let mut frame = [0i16; 160];
    for _ in 0..frames {
        generator.next_frame(&mut frame);
        out.extend_from_slice(&frame);
    }
    out
}

/// The expected on/off state of each sample of a cadence.
fn expected_on(tone: &Tone, sample: usize) -> bool {
    tone.is_on_at(sample as u64)
}

/// Checks one tone: per-frequency level during on, silence during off, boundaries exact.
fn check(plan: &TonePlan, kind: ToneKind) {
    let tone = plan.tone(kind);
    let period = tone.period_samples() as usize;
    // Two full cycles (and a bit) for repeating tones.
    let frames = if tone.repeat { (2 * period + 4000) / 160 + 1 } else { period / 160 + 5 };
    let samples = render(tone, frames);

    // Exact on/off per sample: zero exactly when off, non-zero somewhere in every on-ms.
    for (n, chunk) in samples.chunks(8).enumerate() {
        let on = expected_on(&tone, n * 8);
        assert_eq!(
            chunk.iter().any(|&s| s != 0),
            on,
            "{} {kind:?}: millisecond {} should be {}",
            plan.name,
            n,
            if on { "on" } else { "off" }
        );
    }

    // Frequencies and levels over each whole "on" segment.
    let mut n = 0;
    while n < samples.len() {
        let on = expected_on(&tone, n);
        let len = (n..samples.len()).take_while(|&m| expected_on(&tone, m) == on).count();
        let segment = &samples[n..n + len];
        if on && len >= 800 {
            // Each component at its plan level: -10 dBm0 single, -13 dBm0 each of a pair.
            let peak = 22_656.0 * 10f64.powf(f64::from(tone.level_dbm0) / 20.0);
            let expected_ms = peak * peak / 2.0;
            let mut tone_ms = 0.0;
            for f in tone.frequencies.iter().filter(|&&f| f != 0) {
                let measured = goertzel(segment, f64::from(*f));
                let ratio_db = 10.0 * (measured / expected_ms).log10();
                assert!(
                    ratio_db.abs() < 0.3,
                    "{} {kind:?} {f} Hz: {ratio_db:.2} dB off",
                    plan.name
                );
                tone_ms += measured;
            }
            // Nothing else: the components hold all the energy.
            let total = mean_square(segment);
            assert!(
                (tone_ms / total - 1.0).abs() < 0.02,
                "{} {kind:?}: {tone_ms} of {total}",
                plan.name
            );
            // And not a neighbour: 50 Hz off is far down (the segment is long).
            let f0 = f64::from(tone.frequencies[0]);
            for off in [f0 - 60.0, f0 + 130.0] {
                if tone.frequencies.iter().any(|&f| (f64::from(f) - off).abs() < 40.0) {
                    continue;
                }
                assert!(
                    goertzel(segment, off) < expected_ms / 100.0,
                    "{} {kind:?} at {off}",
                    plan.name
                );
            }
        }
        n += len;
    }
}

#[test]
fn every_tone_of_every_plan_has_its_frequencies_and_cadence() {
    for plan in TonePlan::ALL {
        for kind in [ToneKind::Ringback, ToneKind::Busy, ToneKind::Beep] {
            check(&plan, kind);
        }
    }
}

#[test]
fn the_plans_are_the_ones_of_the_product() {
    let es = TonePlan::from_name("es").unwrap();
    assert_eq!(es.ringback.frequencies, [425, 0]);
    assert_eq!(es.ringback.cadence_ms, [1500, 3000, 0, 0]);
    assert_eq!(es.busy.cadence_ms, [200, 200, 0, 0]);
    let us = TonePlan::from_name("us").unwrap();
    assert_eq!(us.ringback.frequencies, [440, 480]);
    assert_eq!(us.ringback.cadence_ms, [2000, 4000, 0, 0]);
    assert_eq!(us.busy.frequencies, [480, 620]);
    assert_eq!(us.busy.cadence_ms, [500, 500, 0, 0]);
    let uk = TonePlan::from_name("uk").unwrap();
    assert_eq!(uk.ringback.frequencies, [400, 450]);
    assert_eq!(uk.ringback.cadence_ms, [400, 200, 400, 2000]);
    assert_eq!(uk.busy.frequencies, [400, 0]);
    assert_eq!(uk.busy.cadence_ms, [375, 375, 0, 0]);
    for plan in TonePlan::ALL {
        assert_eq!(plan.beep.frequencies, [1000, 0]);
        assert_eq!(plan.beep.cadence_ms, [400, 0, 0, 0]);
        assert!(!plan.beep.repeat && plan.ringback.repeat && plan.busy.repeat);
    }
}

/// The on/off edges, located from the audio frame by frame, fall in the frame the plan says,
/// an hour into ringback as in its first second.
#[test]
fn cadence_does_not_drift_after_an_hour() {
    let tone = TonePlan::ES.ringback;
    let mut generator = ToneGenerator::new(tone);
    let mut frame = [0i16; 160];
    // One hour is 180,000 frames.
    for _ in 0..180_000 {
        generator.next_frame(&mut frame);
    }
    // The hour is a whole number of 4.5 s cycles: we are at the start of "on".
    let mut states = Vec::new();
    for _ in 0..(2 * 225) {
        generator.next_frame(&mut frame);
        states.push(frame.iter().any(|&s| s != 0));
    }
    let on_frames: Vec<usize> = (0..states.len()).filter(|&n| states[n]).collect();
    assert_eq!(on_frames.first(), Some(&0));
    // 1.5 s on = frames 0..75, 3 s off = 75..225, then on again.
    assert!(states[..75].iter().all(|&s| s) && states[75..225].iter().all(|&s| !s));
    assert!(states[225..300].iter().all(|&s| s));
    // And the phase is still that of a 425 Hz sine started an hour ago: compare with a fresh
    // generator (the period of 425 Hz divides one second).
    let mut fresh = ToneGenerator::new(tone);
    let mut again = ToneGenerator::new(tone);
    for _ in 0..180_000 {
        again.next_frame(&mut frame);
    }
    let (mut a, mut b) = ([0i16; 160], [0i16; 160]);
    fresh.next_frame(&mut a);
    again.next_frame(&mut b);
    assert_eq!(a, b);
}

#[test]
fn uk_busy_edges_fall_mid_frame_exactly() {
    // 375 ms = 18.75 frames: the edge is at sample 3000, inside frame 18.
    let samples = render(TonePlan::UK.busy, 40);
    assert!(samples[2990..3000].iter().any(|&s| s != 0));
    assert!(samples[3000..6000].iter().all(|&s| s == 0));
    assert!(samples[6000..6010].iter().any(|&s| s != 0));
}

#[test]
fn phase_is_continuous_across_frames() {
    // A sine sampled continuously has no jumps larger than its slope allows: for 425 Hz at
    // peak A, |Δ| ≤ A × 2π × 425 / 8000.
    let samples = render(TonePlan::ES.ringback, 75);
    let peak = f64::from(samples.iter().map(|s| s.unsigned_abs()).max().unwrap());
    let limit = peak * std::f64::consts::TAU * 425.0 / 8000.0 + 2.0;
    for pair in samples.windows(2) {
        assert!(f64::from(pair[1] - pair[0]).abs() <= limit, "{pair:?}");
    }
}
