//! The stored form of an audio message: 8 kHz mono 16-bit PCM in whole 20 ms frames.
//!
//! Whole frames because the media engine sends one RTP packet per 160 samples: a message that
//! ends mid-packet would need a special case in the hot path, and padding with at most 19.875 ms
//! of silence is inaudible. It also makes `duration_ms` exact.

use crate::wav::WavHeader;
use crate::{AudioError, FRAME_SAMPLES, SAMPLE_RATE};

/// Samples per millisecond at [`SAMPLE_RATE`].
const SAMPLES_PER_MS: u64 = SAMPLE_RATE as u64 / 1000;

/// 8 kHz mono signed 16-bit PCM, padded with silence to a whole number of 20 ms frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// Always a multiple of [`FRAME_SAMPLES`] long: every constructor pads.
    samples: Vec<i16>,
}

impl Normalised {
    /// Pads `samples` (8 kHz mono) with silence to a whole number of 20 ms frames.
    pub fn from_samples(mut samples: Vec<i16>) -> Self {
        let padded = samples.len().div_ceil(FRAME_SAMPLES) * FRAME_SAMPLES;
        samples.resize(padded, 0);
        Self { samples }
    }

    /// The samples, a multiple of [`FRAME_SAMPLES`] long.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// The 20 ms packets, [`FRAME_SAMPLES`] samples each, in playing order.
    pub fn frames(&self) -> std::slice::ChunksExact<'_, i16> {
        self.samples.chunks_exact(FRAME_SAMPLES)
    }

    /// Duration in milliseconds: always a multiple of 20.
    pub fn duration_ms(&self) -> u64 {
        self.samples.len() as u64 / SAMPLES_PER_MS
    }

    /// The canonical WAV file: a 44-byte header (PCM, 16-bit, 8 kHz, mono) and the samples.
    pub fn to_wav(&self) -> Vec<u8> {
        // 4 GB of samples is 74 hours, far above any upload limit; if it ever happened, the
        // "unknown length" header still makes a file that plays to its end.
        let data_len = u32::try_from(self.samples.len() * 2)
            .ok()
            .filter(|&len| len < WavHeader::UNKNOWN_DATA_LEN)
            .unwrap_or(WavHeader::UNKNOWN_DATA_LEN);
        let mut out = Vec::with_capacity(WavHeader::LEN + self.samples.len() * 2);
        out.extend_from_slice(&normalised_header().bytes(data_len));
        for sample in &self.samples {
            out.extend_from_slice(&sample.to_le_bytes());
        }
        out
    }

    /// Reads back what [`Normalised::to_wav`] wrote, and nothing else.
    ///
    /// Strict on purpose: these files are ours, so anything else (another format, a length that
    /// does not match, a partial frame) means the stored file was damaged or is not one of ours.
    pub fn from_wav(bytes: &[u8]) -> Result<Self, AudioError> {
        let not_ours =
            |why: &str| AudioError::NotAudio(format!("not a normalised audio file: {why}"));
        let Some((header, data)) = bytes.split_first_chunk::<{ WavHeader::LEN }>() else {
            return Err(not_ours("shorter than a WAV header"));
        };
        let data_len = u32::try_from(data.len()).map_err(|_| not_ours("too long"))?;
        if *header != normalised_header().bytes(data_len) {
            return Err(not_ours("the header is not 8 kHz mono 16-bit PCM of this length"));
        }
        if data.len() % (FRAME_SAMPLES * 2) != 0 {
            return Err(not_ours("not a whole number of 20 ms frames"));
        }
        let samples =
            data.chunks_exact(2).map(|pair| i16::from_le_bytes([pair[0], pair[1]])).collect();
        Ok(Self { samples })
    }
}

fn normalised_header() -> WavHeader {
    WavHeader::pcm16(1, SAMPLE_RATE)
}
