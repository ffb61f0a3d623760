//! Uploads that are not usable audio get a clear error: garbage, empty files, cut-off headers,
//! absurd header values, and files over the duration limit.

mod common;

use centralita_audio::{AudioError, Format, Limits, WavHeader, normalise};
use common::{Encoding, random_bytes, tone, wav};

const LIMITS: Limits = Limits { max_duration_ms: 60_000 };
const MP3: &[u8] = include_bytes!("data/tone-1k-44100-stereo-64k.mp3");

fn assert_not_audio(bytes: &[u8], case: &str) {
    for hint in [None, Some(Format::Wav), Some(Format::Mp3)] {
        let result = normalise(bytes, hint, &LIMITS);
        assert!(matches!(result, Err(AudioError::NotAudio(_))), "{case} ({hint:?}): {result:?}");
    }
}

/// A 16-bit mono WAV of a 1 kHz tone at 16 kHz.
fn small_wav(seconds: f64) -> Vec<u8> {
    wav(Encoding::I16, 16_000, false, &[tone(1000.0, 0.5, 16_000, seconds)])
}

/// `bytes` with the little-endian value `value` written at `at`.
fn patched(bytes: &[u8], at: usize, value: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at..at + value.len()].copy_from_slice(value);
    out
}

#[test]
fn empty_and_tiny_inputs_are_not_audio() {
    assert_not_audio(b"", "empty");
    assert_not_audio(b"\0", "one byte");
    assert_not_audio(b"RIFF", "a bare RIFF tag");
    assert_not_audio(b"ID3", "a bare ID3 tag");
    assert_not_audio(b"hello, this is not a sound", "text");
}

#[test]
fn random_bytes_are_not_audio() {
    for (seed, len) in [(1, 16), (2, 1000), (3, 64 * 1024), (4, 1024 * 1024)] {
        assert_not_audio(&random_bytes(seed, len), &format!("{len} random bytes"));
    }
}

#[test]
fn a_wav_header_without_samples_is_empty() {
    let bytes = small_wav(0.0);
    let result = normalise(&bytes, None, &LIMITS);
    assert!(matches!(result, Err(AudioError::Empty)), "{result:?}");
}

#[test]
fn a_header_cut_short_is_not_audio() {
    let bytes = small_wav(0.1);
    // Every cut inside the 44-byte header (RIFF, fmt, data chunk header).
    for len in 1..44 {
        assert_not_audio(&bytes[..len], &format!("WAV cut at {len} bytes"));
    }
    // A cut MP3 header or first frame.
    for len in [1, 2, 3, 4, 10, 100] {
        assert_not_audio(&MP3[..len], &format!("MP3 cut at {len} bytes"));
    }
}

#[test]
fn data_cut_short_keeps_what_is_there() {
    // An interrupted copy: the header says 1 s, half of it arrived.
    let bytes = small_wav(1.0);
    let half = &bytes[..44 + 16_000];
    let out = normalise(half, None, &LIMITS).unwrap();
    assert_eq!(out.duration_ms(), 500);

    // An MP3 cut in the middle of a frame.
    let out = normalise(&MP3[..MP3.len() / 2], None, &LIMITS).unwrap();
    assert!((900..=1100).contains(&out.duration_ms()), "{} ms", out.duration_ms());
}

#[test]
fn absurd_wav_header_values_are_refused() {
    let bytes = small_wav(0.1);
    // Offsets in the canonical header: channels 22, rate 24, block align 32, bits 34, data len 40.
    let cases: [(&str, usize, &[u8]); 9] = [
        ("0 channels", 22, &0u16.to_le_bytes()),
        ("65535 channels", 22, &u16::MAX.to_le_bytes()),
        ("0 Hz", 24, &0u32.to_le_bytes()),
        ("4 GHz", 24, &u32::MAX.to_le_bytes()),
        ("a block size of 0", 32, &0u16.to_le_bytes()),
        ("0 bits per sample", 34, &0u16.to_le_bytes()),
        ("13 bits per sample", 34, &13u16.to_le_bytes()),
        ("65535 bits per sample", 34, &u16::MAX.to_le_bytes()),
        ("format tag 0x1234", 20, &0x1234u16.to_le_bytes()),
    ];
    for (case, at, value) in cases {
        assert_not_audio(&patched(&bytes, at, value), case);
    }
    // A fmt chunk that claims to be 4 GB long, in a file of 3 kB.
    assert_not_audio(&patched(&bytes, 16, &u32::MAX.to_le_bytes()), "a 4 GB fmt chunk");
    // A LIST chunk before the data claiming more bytes than the file has.
    let mut listed = bytes[..36].to_vec();
    listed.extend_from_slice(b"LIST");
    listed.extend_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
    listed.extend_from_slice(b"INFOISFT");
    listed.extend_from_slice(&bytes[36..]);
    assert_not_audio(&listed, "a 2 GB LIST chunk");
}

#[test]
fn a_data_length_of_4gb_in_a_small_file_is_refused_from_the_header() {
    // 0xFFFFFFFE bytes of 16-bit mono at 16 kHz would be 37 hours: the header alone says it is
    // over the limit, and nothing of that size is ever allocated.
    let bytes = patched(&small_wav(0.1), 40, &0xFFFF_FFFEu32.to_le_bytes());
    let result = normalise(&bytes, None, &LIMITS);
    assert!(matches!(result, Err(AudioError::TooLong { max_ms: 60_000 })), "{result:?}");

    // Without a limit to trip, the samples present are decoded and nothing more.
    let unlimited = Limits { max_duration_ms: u64::MAX };
    assert_eq!(normalise(&bytes, None, &unlimited).unwrap().duration_ms(), 100);
}

#[test]
fn the_unknown_length_of_a_streamed_wav_is_not_a_lie() {
    // 0xFFFFFFFF is what ffmpeg writes when it streams WAV, and what our own recordings say
    // until they are finalised: it means "up to the end of the file".
    let bytes = small_wav(0.5);
    let mut streamed = patched(&bytes, 40, &WavHeader::UNKNOWN_DATA_LEN.to_le_bytes());
    streamed = patched(&streamed, 4, &u32::MAX.to_le_bytes());
    let out = normalise(&streamed, None, &LIMITS).unwrap();
    assert_eq!(out, normalise(&bytes, None, &LIMITS).unwrap());
    assert_eq!(out.duration_ms(), 500);
}

#[test]
fn a_wav_longer_than_the_limit_is_refused() {
    // The header says 3 s (and all of it is there): refused before decoding. The crate's unit
    // tests show that no frame is decoded in this case, and that a file whose header gives no
    // length is refused as soon as decoding passes the limit.
    let bytes = small_wav(3.0);
    let limits = Limits { max_duration_ms: 2000 };
    let result = normalise(&bytes, None, &limits);
    assert!(matches!(result, Err(AudioError::TooLong { max_ms: 2000 })), "{result:?}");

    let streamed = patched(&bytes, 40, &WavHeader::UNKNOWN_DATA_LEN.to_le_bytes());
    let result = normalise(&streamed, None, &limits);
    assert!(matches!(result, Err(AudioError::TooLong { max_ms: 2000 })), "{result:?}");

    // A header declaring 2 hours with only 0.1 s present: refused for what it declares.
    let declared_2h = patched(&small_wav(0.1), 40, &(2 * 3600 * 32_000u32).to_le_bytes());
    let result = normalise(&declared_2h, None, &LIMITS);
    assert!(matches!(result, Err(AudioError::TooLong { max_ms: 60_000 })), "{result:?}");
}

#[test]
fn a_riff_file_that_is_not_wave_is_not_audio() {
    let avi = patched(&small_wav(0.1), 8, b"AVI ");
    assert_not_audio(&avi, "RIFF AVI");
}
