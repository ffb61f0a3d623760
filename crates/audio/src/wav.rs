//! WAV (RIFF/WAVE) headers for PCM files that grow while they are written, and a tolerant reader.
//!
//! Recordings and voicemails are written as the call goes: the media engine writes a header,
//! appends samples, and rewrites the header with the real length when the call ends. A process
//! killed in between must still leave a playable file (product rule: what was recorded survives).
//! That works because of how the header is written and read:
//!
//! 1. At the start, write [`WavHeader::bytes`] with [`WavHeader::UNKNOWN_DATA_LEN`]
//!    (`0xFFFFFFFF`). ffmpeg writes that value when it streams WAV to a pipe, and ffmpeg, sox,
//!    symphonia, browsers and [`parse_pcm16_wav`] read it as "the data runs to the end of the
//!    file".
//! 2. At the end (and, if wanted, from time to time while recording), seek to 0 and write
//!    [`WavHeader::bytes`] again with the real data length.
//!
//! Readers that are given a data length larger than the file ([`parse_pcm16_wav`] included) take
//! what is there, so a header rewritten with a length that was not yet fully flushed is fine too.
//!
//! Everything here is pure: the caller owns the file.

use crate::AudioError;

/// `WAVE_FORMAT_PCM`: integer PCM samples.
const FORMAT_PCM: u16 = 1;
/// `WAVE_FORMAT_EXTENSIBLE`: the real format is in the sub-format GUID.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// The format of a PCM WAV file, as written in its 44-byte canonical header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WavHeader {
    /// Interleaved channels (a call recording is 2: caller left, agent right).
    pub channels: u16,
    /// Frames per second.
    pub sample_rate: u32,
    /// Bits per sample (16 for everything centralita writes).
    pub bits: u16,
}

impl WavHeader {
    /// Length of the canonical header; the samples start at this offset.
    pub const LEN: usize = 44;

    /// Data length meaning "not known yet: up to the end of the file", for a file being written.
    pub const UNKNOWN_DATA_LEN: u32 = u32::MAX;

    /// A 16-bit PCM header.
    pub const fn pcm16(channels: u16, sample_rate: u32) -> Self {
        Self { channels, sample_rate, bits: 16 }
    }

    /// Bytes per frame (one sample of every channel).
    pub const fn block_align(&self) -> u16 {
        self.channels.saturating_mul(self.bits.div_ceil(8))
    }

    /// Bytes per second.
    pub const fn byte_rate(&self) -> u32 {
        self.sample_rate.saturating_mul(self.block_align() as u32)
    }

    /// The canonical 44-byte header (`RIFF`, `fmt ` of 16 bytes, `data`) for `data_len` bytes of
    /// samples.
    ///
    /// Both a real length and [`WavHeader::UNKNOWN_DATA_LEN`] give a playable file: with the
    /// unknown length, the RIFF size is also `0xFFFFFFFF` and readers take the samples up to the
    /// end of the file. A real length must be what follows the header; if it is odd (8-bit mono
    /// only), RIFF requires one pad byte after the data, which the RIFF size here accounts for and
    /// the writer must append when it finishes.
    pub fn bytes(&self, data_len: u32) -> [u8; 44] {
        let riff_len = if data_len == Self::UNKNOWN_DATA_LEN {
            u32::MAX
        } else {
            // 36 = "WAVE" + the fmt chunk (8 + 16) + the data chunk header (8).
            data_len.saturating_add(36).saturating_add(data_len & 1)
        };
        let mut out = [0u8; 44];
        out[0..4].copy_from_slice(b"RIFF");
        out[4..8].copy_from_slice(&riff_len.to_le_bytes());
        out[8..12].copy_from_slice(b"WAVE");
        out[12..16].copy_from_slice(b"fmt ");
        out[16..20].copy_from_slice(&16u32.to_le_bytes());
        out[20..22].copy_from_slice(&FORMAT_PCM.to_le_bytes());
        out[22..24].copy_from_slice(&self.channels.to_le_bytes());
        out[24..28].copy_from_slice(&self.sample_rate.to_le_bytes());
        out[28..32].copy_from_slice(&self.byte_rate().to_le_bytes());
        out[32..34].copy_from_slice(&self.block_align().to_le_bytes());
        out[34..36].copy_from_slice(&self.bits.to_le_bytes());
        out[36..40].copy_from_slice(b"data");
        out[40..44].copy_from_slice(&data_len.to_le_bytes());
        out
    }
}

/// Reads a 16-bit PCM WAV file: its format and its interleaved samples.
///
/// Tolerant where growing files need it: the RIFF size is ignored, and a data length larger than
/// the file (a partial recording, or [`WavHeader::UNKNOWN_DATA_LEN`]) yields the whole frames
/// that are present. Strict elsewhere: only integer PCM of 16 bits, at least one channel and a
/// non-zero rate; chunks before the data must lie inside the file.
pub fn parse_pcm16_wav(bytes: &[u8]) -> Result<(WavHeader, Vec<i16>), AudioError> {
    let riff = scan_riff(bytes)?;
    let fmt = riff.fmt;
    let is_pcm = match fmt.format_tag {
        FORMAT_PCM => true,
        FORMAT_EXTENSIBLE => fmt.sub_format == Some(FORMAT_PCM),
        _ => false,
    };
    if !is_pcm || fmt.bits != 16 {
        return Err(not_audio("only 16-bit integer PCM WAV is accepted here"));
    }
    if fmt.channels == 0 || fmt.sample_rate == 0 {
        return Err(not_audio("the WAV header gives no channels or a zero sample rate"));
    }
    let header = WavHeader::pcm16(fmt.channels, fmt.sample_rate);
    let frame_bytes = usize::from(header.block_align());
    let whole = riff.data.len() - riff.data.len() % frame_bytes;
    let samples = riff.data[..whole]
        .chunks_exact(2)
        .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    Ok((header, samples))
}

/// The `fmt ` chunk fields this crate looks at.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(
    not(feature = "decode"),
    allow(dead_code, reason = "the decoder reads these; the media engine does not")
)]
pub(crate) struct Fmt {
    pub(crate) format_tag: u16,
    pub(crate) channels: u16,
    pub(crate) sample_rate: u32,
    pub(crate) block_align: u16,
    pub(crate) bits: u16,
    /// For `WAVE_FORMAT_EXTENSIBLE`: the format tag inside the sub-format GUID.
    pub(crate) sub_format: Option<u16>,
    /// For `WAVE_FORMAT_EXTENSIBLE`: which speaker positions the channels have.
    pub(crate) channel_mask: Option<u32>,
}

/// What [`scan_riff`] found: the format, and where the samples are.
#[derive(Debug)]
pub(crate) struct Riff<'a> {
    pub(crate) fmt: Fmt,
    /// The data bytes present, never more than the data chunk declares.
    pub(crate) data: &'a [u8],
}

/// Walks the RIFF chunks up to `data`, checking every length against the bytes present.
///
/// Both the reader above and the upload path use it: before symphonia sees a WAV upload, this
/// walk has refused every chunk that claims to extend past the end of the file, so no length
/// field can make anything allocate more than the upload's own size.
pub(crate) fn scan_riff(bytes: &[u8]) -> Result<Riff<'_>, AudioError> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(not_audio("not a RIFF/WAVE file"));
    }
    let mut fmt = None;
    let mut pos = 12usize;
    loop {
        let Some(header) = bytes.get(pos..pos + 8) else {
            return Err(not_audio("the WAV file ends before its data chunk"));
        };
        let id = &header[0..4];
        let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let body_start = pos + 8;
        let present = bytes.len() - body_start;
        if id == b"data" {
            let Some(fmt) = fmt else {
                return Err(not_audio("the WAV data chunk comes before its fmt chunk"));
            };
            // A u32 always fits in usize on the 32- and 64-bit targets this server runs on;
            // if it did not, the length could not be present anyway.
            let declared = usize::try_from(len).unwrap_or(usize::MAX);
            let data = &bytes[body_start..body_start + declared.min(present)];
            return Ok(Riff { fmt, data });
        }
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > present {
            return Err(not_audio("a WAV chunk claims to extend past the end of the file"));
        }
        let body = &bytes[body_start..body_start + len];
        if id == b"fmt " {
            fmt = Some(parse_fmt(body)?);
        }
        // Chunks are padded to an even length; `len <= present` keeps this from overflowing.
        pos = body_start + len + (len & 1);
    }
}

fn parse_fmt(body: &[u8]) -> Result<Fmt, AudioError> {
    if body.len() < 16 {
        return Err(not_audio("the WAV fmt chunk is too short"));
    }
    let u16_at = |at: usize| u16::from_le_bytes([body[at], body[at + 1]]);
    let u32_at =
        |at: usize| u32::from_le_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
    let format_tag = u16_at(0);
    // Extensible: cbSize (2), valid bits (2), channel mask (4), then the GUID whose first two
    // bytes are the real format tag.
    let (sub_format, channel_mask) = if format_tag == FORMAT_EXTENSIBLE && body.len() >= 40 {
        (Some(u16_at(24)), Some(u32_at(20)))
    } else {
        (None, None)
    };
    Ok(Fmt {
        format_tag,
        channels: u16_at(2),
        sample_rate: u32_at(4),
        block_align: u16_at(12),
        bits: u16_at(14),
        sub_format,
        channel_mask,
    })
}

fn not_audio(reason: &str) -> AudioError {
    AudioError::NotAudio(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_are_where_riff_puts_them() {
        let h = WavHeader::pcm16(2, 8000).bytes(6400);
        assert_eq!(&h[0..4], b"RIFF");
        assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 6436);
        assert_eq!(&h[8..16], b"WAVEfmt ");
        assert_eq!(u32::from_le_bytes(h[16..20].try_into().unwrap()), 16);
        assert_eq!(u16::from_le_bytes(h[20..22].try_into().unwrap()), 1);
        assert_eq!(u16::from_le_bytes(h[22..24].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(h[24..28].try_into().unwrap()), 8000);
        assert_eq!(u32::from_le_bytes(h[28..32].try_into().unwrap()), 32000);
        assert_eq!(u16::from_le_bytes(h[32..34].try_into().unwrap()), 4);
        assert_eq!(u16::from_le_bytes(h[34..36].try_into().unwrap()), 16);
        assert_eq!(&h[36..40], b"data");
        assert_eq!(u32::from_le_bytes(h[40..44].try_into().unwrap()), 6400);
    }

    #[test]
    fn unknown_length_saturates_the_riff_size() {
        let h = WavHeader::pcm16(1, 8000).bytes(WavHeader::UNKNOWN_DATA_LEN);
        assert_eq!(&h[4..8], &[0xFF; 4]);
        assert_eq!(&h[40..44], &[0xFF; 4]);
    }

    #[test]
    fn odd_data_length_counts_the_pad_byte() {
        let h = WavHeader { channels: 1, sample_rate: 8000, bits: 8 }.bytes(3);
        assert_eq!(u32::from_le_bytes(h[4..8].try_into().unwrap()), 40);
    }

    #[test]
    fn chunks_past_the_end_are_refused_before_anything_reads_them() {
        let mut bytes = b"RIFF\0\0\0\0WAVELIST".to_vec();
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        bytes.extend_from_slice(b"INFOjunk");
        assert!(matches!(scan_riff(&bytes), Err(AudioError::NotAudio(_))));
    }
}
