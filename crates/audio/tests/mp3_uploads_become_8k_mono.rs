//! Real MP3 files (made by LAME, see tests/data/README.md) come out as 8 kHz mono of the right
//! duration and frequency.
//!
//! MP3 adds silence at both ends: the encoder's delay and the decoder's (529 frames) at the
//! start, padding to a whole MPEG frame at the end. With a LAME tag (the 44.1 kHz file), the
//! decoder trims both exactly and the duration is exact. Without one (the 22.05 kHz file: its
//! 104-byte frames have no room for the tag), only the decoder's delay is known and trimmed; the
//! encoder's 576 frames (26 ms) stay at the start and up to one frame of padding at the end,
//! hence the 60 ms tolerance.

mod common;

use centralita_audio::{AudioError, Format, Limits, Normalised, normalise};
use common::{amplitude_at, as_f64, db, first_above, rms};

const STEREO_44K: &[u8] = include_bytes!("data/tone-1k-44100-stereo-64k.mp3");
const MONO_22K: &[u8] = include_bytes!("data/tone-1k-22050-mono-32k.mp3");
const LIMITS: Limits = Limits { max_duration_ms: 60_000 };

fn assert_is_the_2s_1khz_tone(out: &Normalised, name: &str) {
    let ms = out.duration_ms();
    assert!(ms.abs_diff(2000) <= 60, "{name}: {ms} ms");
    let samples = as_f64(out.samples());
    let steady = &samples[800..15_200];
    let at_1k = amplitude_at(steady, 8000.0, 1000.0);
    for other in [600.0, 1600.0, 2000.0, 3000.0] {
        let at_other = amplitude_at(steady, 8000.0, other);
        assert!(db(at_1k, at_other) > 40.0, "{name}: 1 kHz {at_1k}, {other} Hz {at_other}");
    }
    // The source is a 0.5 sine; MP3 at these bitrates keeps it within 1 dB.
    let level = db(rms(steady), 0.5 / 2f64.sqrt());
    assert!(level.abs() < 1.0, "{name}: level off by {level:.2} dB");
}

#[test]
fn a_44khz_stereo_mp3_with_a_lame_tag_is_exact() {
    let out = normalise(STEREO_44K, Some(Format::Mp3), &LIMITS).unwrap();
    assert_is_the_2s_1khz_tone(&out, "44.1 kHz stereo");
    // Gapless: the encoder and decoder delays are trimmed, so the tone starts at once.
    assert_eq!(out.duration_ms(), 2000);
    let start = first_above(&as_f64(out.samples()), 0.1).unwrap();
    assert!(start <= 16, "the tone starts at sample {start}");
}

#[test]
fn a_22khz_mono_mp3_without_a_lame_tag_is_within_the_encoder_delay() {
    let out = normalise(MONO_22K, Some(Format::Mp3), &LIMITS).unwrap();
    assert_is_the_2s_1khz_tone(&out, "22.05 kHz mono");
    // Only LAME's 576-frame encoder delay is left: 26 ms, 209 samples at 8 kHz.
    let start = first_above(&as_f64(out.samples()), 0.1).unwrap();
    assert!(start.abs_diff(209) <= 16, "the tone starts at sample {start}");
}

#[test]
fn the_content_decides_not_the_declared_type() {
    let as_declared = normalise(STEREO_44K, Some(Format::Mp3), &LIMITS).unwrap();
    assert_eq!(normalise(STEREO_44K, Some(Format::Wav), &LIMITS).unwrap(), as_declared);
    assert_eq!(normalise(STEREO_44K, None, &LIMITS).unwrap(), as_declared);
}

#[test]
fn id3_tags_are_skipped_even_when_they_look_like_audio() {
    // An ID3v2.4 tag of 2048 bytes full of MPEG frame sync words (as cover art can be), and an
    // ID3v1 tag at the end.
    let mut tagged = b"ID3\x04\x00\x00\x00\x00\x10\x00".to_vec();
    tagged.extend(std::iter::repeat_n([0xFF, 0xFB, 0x50, 0x64], 512).flatten());
    tagged.extend_from_slice(STEREO_44K);
    let mut v1 = b"TAGtitle".to_vec();
    v1.resize(128, 0);
    tagged.extend_from_slice(&v1);

    let plain = normalise(STEREO_44K, None, &LIMITS).unwrap();
    assert_eq!(normalise(&tagged, None, &LIMITS).unwrap(), plain);
}

#[test]
fn an_mp3_longer_than_the_limit_is_refused() {
    let limits = Limits { max_duration_ms: 1500 };
    for (name, bytes) in [("44.1 kHz", STEREO_44K), ("22.05 kHz", MONO_22K)] {
        let result = normalise(bytes, None, &limits);
        assert!(matches!(result, Err(AudioError::TooLong { max_ms: 1500 })), "{name}: {result:?}");
    }
}
