//! Uploaded audio messages, made playable on a phone line.
//!
//! Admins upload welcome messages, voicemail greetings, IVR prompts and voicedrops as WAV or MP3
//! at whatever rate and channel count their tool produced. [`normalise`] decodes them with a real
//! decoder (symphonia), averages the channels, resamples to 8 kHz with a band-limited resampler
//! (rubato) and pads to whole 20 ms packets, so that the result is stored once, as
//! [`Normalised::to_wav`], and the media engine only has to G.711-encode 160 samples per packet.
//!
//! The [`wav`] module is the other half: the header of the 16-bit PCM WAV files the media engine
//! writes while a call goes on (recordings, voicemails), and a tolerant reader for them.
//!
//! Architecture invariants:
//! - This crate does no I/O and reads no clock: bytes in, samples or bytes out.
//! - No input can make it panic, and no header field makes it allocate more than what the bytes
//!   actually present could hold (tested with proptest on random and mutated files).
//! - Work is bounded by [`Limits`]: a file longer than allowed is refused from its header when
//!   the header counts frames (WAV data length, MP3 LAME tag), otherwise as soon as decoding
//!   passes the limit.

#[cfg(feature = "decode")]
mod decode;
mod normalised;
#[cfg(feature = "decode")]
mod resample;
pub mod wav;

pub use normalised::Normalised;
pub use wav::{WavHeader, parse_pcm16_wav};

/// Sample rate of every normalised audio message.
pub const SAMPLE_RATE: u32 = 8000;
/// Samples in one 20 ms packet at SAMPLE_RATE.
pub const FRAME_SAMPLES: usize = 160;

/// What the uploader said the bytes are (from Content-Type); a hint only: the content is probed.
///
/// The content decides: a WAV sent as `audio/mpeg` is decoded as WAV. The hint only makes the
/// error message clearer when neither format is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RIFF/WAVE (`audio/wav`).
    Wav,
    /// MPEG audio layer III (`audio/mpeg`).
    Mp3,
}

/// What an upload may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest accepted audio, in milliseconds of the source (before padding to 20 ms frames).
    pub max_duration_ms: u64,
}

/// Why an upload cannot become an audio message.
///
/// The messages are written for the admin who uploaded the file: they describe the file, never
/// this crate's internals.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The bytes are not audio we can decode (garbage, truncated header, unknown container/codec).
    #[error("not a WAV or MP3 file that can be decoded: {0}")]
    NotAudio(String),
    /// Decoded fine but contains no samples.
    #[error("the file contains no audio")]
    Empty,
    /// Longer than the limit. Detect this early (from the container's frame count when known,
    /// otherwise while decoding) so a huge file is not decoded entirely before being refused.
    #[error("the audio is longer than the limit of {max_ms} ms")]
    TooLong {
        /// The limit that was exceeded, in milliseconds.
        max_ms: u64,
    },
}

/// Decode any supported upload, downmix to mono, resample to 8 kHz, pad to whole frames.
///
/// A WAV whose data chunk is shorter than its header says (an interrupted copy, a recording
/// whose process died) is decoded up to where the bytes end, as players do, unless the length
/// it declares is already over the limit ([`AudioError::TooLong`], said from the header). A
/// header that is itself cut short is [`AudioError::NotAudio`].
#[cfg(feature = "decode")]
pub fn normalise(
    bytes: &[u8],
    hint: Option<Format>,
    limits: &Limits,
) -> Result<Normalised, AudioError> {
    normalise_counting(bytes, hint, limits, &mut 0)
}

/// [`normalise`], also reporting how many source frames were decoded, so tests can show that a
/// file over the limit is refused without being decoded to the end.
#[cfg(feature = "decode")]
fn normalise_counting(
    bytes: &[u8],
    hint: Option<Format>,
    limits: &Limits,
    decoded_frames: &mut u64,
) -> Result<Normalised, AudioError> {
    let mut source = decode::Source::open(bytes, hint)?;
    let rate = source.sample_rate();
    let too_long = TooLongCheck { rate, max_ms: limits.max_duration_ms };

    if source.declared_frames().is_some_and(|frames| too_long.exceeded_by(frames)) {
        return Err(AudioError::TooLong { max_ms: limits.max_duration_ms });
    }

    let mut resampler = resample::ToNarrowband::new(rate)?;
    let mut block = Vec::new();
    while source.next_block(&mut block)? {
        *decoded_frames += block.len() as u64;
        if too_long.exceeded_by(*decoded_frames) {
            return Err(AudioError::TooLong { max_ms: limits.max_duration_ms });
        }
        resampler.push(&block)?;
    }
    if *decoded_frames == 0 {
        return Err(AudioError::Empty);
    }
    let samples = resampler.finish()?.into_iter().map(to_i16).collect();
    Ok(Normalised::from_samples(samples))
}

#[cfg(feature = "decode")]
/// The duration limit expressed in source frames, compared exactly (no rounding to ms).
struct TooLongCheck {
    rate: u32,
    max_ms: u64,
}

#[cfg(feature = "decode")]
impl TooLongCheck {
    fn exceeded_by(&self, frames: u64) -> bool {
        // u128: `max_ms` may be u64::MAX ("no limit") and must not overflow into a refusal.
        u128::from(frames) * 1000 > u128::from(self.max_ms) * u128::from(self.rate)
    }
}

#[cfg(feature = "decode")]
/// Float sample (full scale ±1.0) to 16-bit, saturating: the resampler's filter can overshoot
/// full scale on clipped sources, and wrapping around would turn a peak into a loud click.
fn to_i16(sample: f32) -> i16 {
    // symphonia converts i16 to f32 by dividing by 32768, so this is exact for 16-bit sources.
    let scaled = (sample * 32768.0).round();
    if scaled.is_nan() {
        0
    } else {
        // After the clamp the value is an integer in i16's range, so the cast is exact.
        scaled.clamp(f32::from(i16::MIN), f32::from(i16::MAX)) as i16
    }
}

#[cfg(all(test, feature = "decode"))]
mod tests {
    use super::*;

    /// A 16-bit mono WAV at 8 kHz, `seconds` long, its data length either real or "unknown".
    fn wav_8k(seconds: u32, streaming: bool) -> Vec<u8> {
        let samples = 8000 * seconds as usize;
        let data_len = if streaming { WavHeader::UNKNOWN_DATA_LEN } else { samples as u32 * 2 };
        let mut bytes = WavHeader::pcm16(1, 8000).bytes(data_len).to_vec();
        for n in 0..samples {
            let value = ((n as f32 * 0.3).sin() * 8000.0) as i16;
            bytes.extend_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn a_long_file_with_a_believable_header_is_refused_before_decoding() {
        let bytes = wav_8k(20, false);
        let mut decoded = 0;
        let result =
            normalise_counting(&bytes, None, &Limits { max_duration_ms: 2000 }, &mut decoded);
        assert!(matches!(result, Err(AudioError::TooLong { max_ms: 2000 })), "{result:?}");
        assert_eq!(decoded, 0, "the header alone should have refused it");
    }

    #[test]
    fn a_long_file_without_a_length_is_refused_once_decoding_passes_the_limit() {
        let bytes = wav_8k(20, true);
        let mut decoded = 0;
        let result =
            normalise_counting(&bytes, None, &Limits { max_duration_ms: 2000 }, &mut decoded);
        assert!(matches!(result, Err(AudioError::TooLong { max_ms: 2000 })), "{result:?}");
        // symphonia hands out WAV packets of at most 1152 frames.
        assert!(decoded > 16_000 && decoded <= 16_000 + 1152, "decoded {decoded} frames");
    }

    #[test]
    fn exactly_the_limit_is_accepted() {
        let bytes = wav_8k(2, false);
        let normalised = normalise(&bytes, None, &Limits { max_duration_ms: 2000 }).unwrap();
        assert_eq!(normalised.duration_ms(), 2000);
    }

    #[test]
    fn float_to_i16_saturates_instead_of_wrapping() {
        assert_eq!(to_i16(1.5), i16::MAX);
        assert_eq!(to_i16(-1.5), i16::MIN);
        assert_eq!(to_i16(f32::INFINITY), i16::MAX);
        assert_eq!(to_i16(f32::NEG_INFINITY), i16::MIN);
        assert_eq!(to_i16(f32::NAN), 0);
        assert_eq!(to_i16(-1.0), i16::MIN);
        assert_eq!(to_i16(0.5), 16384);
        assert_eq!(to_i16(f32::from(1234i16) / 32768.0), 1234);
    }
}
