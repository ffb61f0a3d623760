//! WAV uploads in every common rate, sample format and channel count come out as 8 kHz mono with
//! the same duration, frequency, amplitude and timing, and without aliasing.

mod common;

use centralita_audio::{FRAME_SAMPLES, Limits, Normalised, SAMPLE_RATE, normalise};
use common::{
    Encoding, amplitude_at, as_f64, db, first_above, last_above, rms, silence, tone, wav,
};

const LIMITS: Limits = Limits { max_duration_ms: 60_000 };
const RATE: f64 = SAMPLE_RATE as f64;

fn normalise_wav(encoding: Encoding, rate: u32, channels: &[Vec<f64>]) -> Normalised {
    let bytes = wav(encoding, rate, false, channels);
    normalise(&bytes, None, &LIMITS)
        .unwrap_or_else(|e| panic!("{encoding:?} at {rate} Hz, {} channels: {e}", channels.len()))
}

/// The middle of the output, away from the onset and end, where the tone is steady.
fn steady(samples: &[f64]) -> &[f64] {
    &samples[400..samples.len() - 400]
}

#[test]
fn a_1khz_tone_keeps_its_duration_frequency_and_level_at_every_rate_and_format() {
    let rates = [4000, 8000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000, 96_000];
    let encodings = [
        Encoding::U8,
        Encoding::I16,
        Encoding::I24,
        Encoding::I32,
        Encoding::F32,
        Encoding::MuLaw,
        Encoding::ALaw,
    ];
    for rate in rates {
        for encoding in encodings {
            for n_channels in [1, 2] {
                let case = format!("{encoding:?} at {rate} Hz, {n_channels} channels");
                let channel = tone(1000.0, 0.5, rate, 1.0);
                let out = normalise_wav(encoding, rate, &vec![channel; n_channels]);

                // 1 s is 50 whole frames: nothing to pad, nothing lost.
                assert_eq!(out.duration_ms(), 1000, "{case}");
                assert_eq!(out.samples().len(), 8000, "{case}");

                let samples = as_f64(out.samples());
                let steady = steady(&samples);
                let at_1k = amplitude_at(steady, RATE, 1000.0);
                let at_600 = amplitude_at(steady, RATE, 600.0);
                let at_1600 = amplitude_at(steady, RATE, 1600.0);
                // G.711 and 8-bit quantisation noise is about -40 dB; a wrong rate would move
                // the tone to another frequency entirely.
                assert!(db(at_1k, at_600) > 30.0, "{case}: 1 kHz {at_1k}, 600 Hz {at_600}");
                assert!(db(at_1k, at_1600) > 30.0, "{case}: 1 kHz {at_1k}, 1600 Hz {at_1600}");
                let level = db(rms(steady), 0.5 / 2f64.sqrt());
                assert!(level.abs() < 1.0, "{case}: level off by {level:.2} dB");
            }
        }
    }
}

#[test]
fn stereo_channels_are_averaged_so_both_are_heard() {
    let left = tone(1000.0, 0.5, 44_100, 1.0);
    let right = tone(400.0, 0.5, 44_100, 1.0);
    let out = normalise_wav(Encoding::I16, 44_100, &[left, right]);
    let samples = as_f64(out.samples());
    let steady = steady(&samples);
    // Averaging halves each channel's level.
    for freq in [1000.0, 400.0] {
        let amplitude = amplitude_at(steady, RATE, freq);
        assert!((amplitude - 0.25).abs() < 0.01, "{freq} Hz at {amplitude}");
    }
    assert!(amplitude_at(steady, RATE, 700.0) < 0.001);
}

#[test]
fn more_channels_are_averaged_too() {
    // 5.1 as an extensible WAV, as audio editors write it: a tone in one channel only.
    let mut channels = vec![silence(48_000, 1.0); 6];
    channels[2] = tone(1000.0, 0.6, 48_000, 1.0);
    let bytes = wav(Encoding::I16, 48_000, true, &channels);
    let out = normalise(&bytes, None, &LIMITS).unwrap();
    let samples = as_f64(out.samples());
    let amplitude = amplitude_at(steady(&samples), RATE, 1000.0);
    assert!((amplitude - 0.1).abs() < 0.005, "1 kHz at {amplitude}");
}

#[test]
fn the_level_of_tones_across_the_voice_band_is_kept() {
    for freq in [300.0, 1000.0, 2000.0, 3000.0, 3400.0] {
        let out = normalise_wav(Encoding::I16, 44_100, &[tone(freq, 0.5, 44_100, 1.0)]);
        let samples = as_f64(out.samples());
        let level = db(rms(steady(&samples)), 0.5 / 2f64.sqrt());
        assert!(level.abs() < 1.0, "{freq} Hz: level off by {level:.2} dB");
    }
}

#[test]
fn tones_above_the_new_nyquist_are_filtered_out_not_aliased() {
    // At 8 kHz a 6 kHz tone would fold to 2 kHz, 4.5 kHz to 3.5 kHz: a decimator without an
    // anti-alias filter would produce them at full level.
    for (freq, alias) in [(4200.0, 3800.0), (4500.0, 3500.0), (6000.0, 2000.0), (7000.0, 1000.0)] {
        for rate in [44_100, 48_000, 16_000] {
            if freq >= f64::from(rate) / 2.0 {
                continue;
            }
            let out = normalise_wav(Encoding::F32, rate, &[tone(freq, 0.5, rate, 1.0)]);
            let samples = as_f64(out.samples());
            let steady = steady(&samples);
            let folded = amplitude_at(steady, RATE, alias);
            assert!(
                db(folded, 0.5) < -60.0,
                "{freq} Hz at {rate} Hz aliased to {alias} Hz: {folded}"
            );
            assert!(db(rms(steady), 0.5) < -60.0, "{freq} Hz at {rate} Hz left {}", rms(steady));
        }
    }
    // Right under the new Nyquist the filter rolls off: 3.95 kHz comes out well attenuated.
    let out = normalise_wav(Encoding::F32, 44_100, &[tone(3950.0, 0.5, 44_100, 1.0)]);
    let samples = as_f64(out.samples());
    let level = db(rms(steady(&samples)), 0.5 / 2f64.sqrt());
    assert!(level < -10.0, "3.95 kHz only attenuated by {level:.2} dB");
}

#[test]
fn the_tone_starts_and_ends_where_it_did() {
    // 100 ms of silence, 1 s of tone, 100 ms of silence: the resampler's delay must be trimmed
    // (no shift) and its tail flushed (no truncation).
    for rate in [11_025, 22_050, 44_100, 48_000] {
        let mut signal = silence(rate, 0.1);
        signal.extend(tone(1000.0, 0.5, rate, 1.0));
        signal.extend(silence(rate, 0.1));
        let out = normalise_wav(Encoding::I16, rate, &[signal]);
        // At 11.025 kHz, 100 ms is 1102.5 frames: the source is a hair over 1.2 s, and the
        // padding takes it to the next 20 ms.
        assert!(out.duration_ms().abs_diff(1200) <= 20, "{rate} Hz: {} ms", out.duration_ms());
        let samples = as_f64(out.samples());
        let start = first_above(&samples, 0.1).unwrap();
        let end = last_above(&samples, 0.1).unwrap();
        // 2 ms is 16 samples at 8 kHz.
        assert!(start.abs_diff(800) <= 16, "{rate} Hz: tone starts at sample {start}, not 800");
        assert!(end.abs_diff(8800) <= 16, "{rate} Hz: tone ends at sample {end}, not 8800");
    }
}

#[test]
fn a_tone_that_fills_the_file_keeps_its_tail() {
    let out = normalise_wav(Encoding::I16, 44_100, &[tone(1000.0, 0.5, 44_100, 1.0)]);
    let samples = as_f64(out.samples());
    assert_eq!(samples.len(), 8000);
    // The last 10 ms before the final millisecond (where the cut itself rings) are at full level.
    let tail = &samples[7912..7992];
    let level = db(rms(tail), 0.5 / 2f64.sqrt());
    assert!(level.abs() < 1.0, "tail level off by {level:.2} dB");
}

#[test]
fn the_result_is_padded_with_silence_to_whole_20ms_frames() {
    // 1234 frames at 44.1 kHz is 223.9 samples at 8 kHz: rounded to 224, padded to 320.
    let signal: Vec<f64> = vec![0.25; 1234];
    let out = normalise_wav(Encoding::I16, 44_100, &[signal]);
    assert_eq!(out.samples().len(), 2 * FRAME_SAMPLES);
    assert_eq!(out.duration_ms(), 40);
    assert!(out.samples()[224..].iter().all(|&s| s == 0), "the padding is silence");
    assert!(out.samples()[100] > 7000, "the audio is before the padding");
    assert_eq!(out.frames().count(), 2);
}

#[test]
fn a_16_bit_8khz_mono_file_is_kept_sample_for_sample() {
    let signal: Vec<f64> = (0..1000).map(|n| ((n * 37 % 200) as f64 - 100.0) / 101.0).collect();
    let bytes = wav(Encoding::I16, 8000, false, std::slice::from_ref(&signal));
    let out = normalise(&bytes, None, &LIMITS).unwrap();
    let expected: Vec<i16> = signal.iter().map(|x| (x * 32767.0).round() as i16).collect();
    assert_eq!(&out.samples()[..1000], &expected[..]);
    assert_eq!(out.samples().len(), 1120);
}

#[test]
fn overloaded_samples_saturate_instead_of_wrapping() {
    // Float WAV may go past full scale; at 8 kHz nothing else touches the samples.
    let mut bytes = wav(Encoding::F32, 8000, false, &[vec![0.0; 4]]);
    let data_at = bytes.len() - 16;
    for (i, value) in [1.5f32, -1.5, 100.0, -0.5].iter().enumerate() {
        bytes[data_at + 4 * i..data_at + 4 * i + 4].copy_from_slice(&value.to_le_bytes());
    }
    let out = normalise(&bytes, None, &LIMITS).unwrap();
    assert_eq!(&out.samples()[..4], &[i16::MAX, i16::MIN, i16::MAX, -16384]);

    // A full-scale square wave overshoots after band-limiting (Gibbs): the peaks must clip, not
    // flip sign.
    let rate = 44_100;
    let square: Vec<f64> = (0..rate).map(|n| if (n / 441) % 2 == 0 { 1.0 } else { -1.0 }).collect();
    let out = normalise_wav(Encoding::F32, rate, &[square]);
    let samples = out.samples();
    assert!(samples.contains(&i16::MAX) && samples.contains(&i16::MIN), "no saturation seen");
    for (n, &sample) in samples.iter().enumerate().take(7900).skip(100) {
        // Each half period is 80 samples at 8 kHz; away from the edges the sign is known.
        let phase = n % 160;
        if (10..70).contains(&phase) {
            assert!(sample > 16_000, "sample {n} is {sample} in a positive half period");
        } else if (90..150).contains(&phase) {
            assert!(sample < -16_000, "sample {n} is {sample} in a negative half period");
        }
    }
}
