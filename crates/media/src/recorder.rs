//! A WAV recording built 20 ms at a time: a call (stereo, caller left) or one leg (mono).
//!
//! The caller owns the file and appends what [`Recorder::push`] returns as it comes, so a
//! process killed mid-call leaves a file that plays up to that moment: the header written first
//! ([`Recorder::header_bytes`]) says "length unknown", which players and
//! `centralita_audio::parse_pcm16_wav` read as "up to the end of the file" (see
//! `centralita_audio::wav`). At the end, [`Recorder::finish`] gives the header with the real
//! length, to write at offset 0.
//!
//! Keeping the two channels aligned is the caller's side of the contract: push one frame per
//! 20 ms of the call, with `None` for a side that had nothing (it becomes silence), never
//! skipping a side. With two legs, the natural clock is the caller leg's: on each of its ticks,
//! take one captured frame from each leg (`Leg::take_captured_frame`).

use centralita_audio::WavHeader;

/// Samples per frame and channel.
const FRAME: usize = 160;
/// The largest data length we write: one below "unknown".
const MAX_DATA_LEN: u64 = WavHeader::UNKNOWN_DATA_LEN as u64 - 1;

/// Turns 20 ms frames into the bytes of a 16-bit 8 kHz PCM WAV file.
#[derive(Debug, Clone)]
pub struct Recorder {
    channels: u16,
    /// Sample bytes produced so far (after the header).
    data_len: u64,
    /// The bytes of the last push: 160 frames × 2 channels × 2 bytes at most.
    out: [u8; FRAME * 4],
}

impl Recorder {
    /// A call recording: two channels, the caller left, the other party right.
    pub fn stereo() -> Self {
        Recorder { channels: 2, data_len: 0, out: [0; FRAME * 4] }
    }

    /// A one-leg recording (voicemail).
    pub fn mono() -> Self {
        Recorder { channels: 1, data_len: 0, out: [0; FRAME * 4] }
    }

    /// Channels: 1 or 2.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    fn header(&self) -> WavHeader {
        WavHeader::pcm16(self.channels, 8000)
    }

    /// The header to write first: the length is "unknown" until [`Recorder::finish`].
    pub fn header_bytes(&self) -> [u8; WavHeader::LEN] {
        self.header().bytes(WavHeader::UNKNOWN_DATA_LEN)
    }

    /// The bytes of the next 20 ms, to append to the file. A `None` side is silence. A mono
    /// recording takes `left` and ignores `right`.
    ///
    /// Once the data reaches the 4 GiB a WAV length can express (37 hours of stereo), the
    /// recording stops: the result is empty.
    pub fn push(&mut self, left: Option<&[i16; FRAME]>, right: Option<&[i16; FRAME]>) -> &[u8] {
        const SILENCE: [i16; FRAME] = [0; FRAME];
        let len = FRAME * 2 * usize::from(self.channels);
        if self.data_len + len as u64 > MAX_DATA_LEN {
            return &[];
        }
        let left = left.unwrap_or(&SILENCE);
        if self.channels == 1 {
            for (out, sample) in self.out.chunks_exact_mut(2).zip(left) {
                out.copy_from_slice(&sample.to_le_bytes());
            }
        } else {
            let right = right.unwrap_or(&SILENCE);
            for ((out, l), r) in self.out.chunks_exact_mut(4).zip(left).zip(right) {
                out[..2].copy_from_slice(&l.to_le_bytes());
                out[2..].copy_from_slice(&r.to_le_bytes());
            }
        }
        self.data_len += len as u64;
        &self.out[..len]
    }

    /// Sample bytes produced so far.
    pub fn data_len(&self) -> u64 {
        self.data_len
    }

    /// Milliseconds recorded so far.
    pub fn duration_ms(&self) -> u64 {
        self.data_len / (16 * u64::from(self.channels))
    }

    /// The header with the real length, to write at offset 0 when the recording ends.
    pub fn finish(&self) -> [u8; WavHeader::LEN] {
        // `push` keeps data_len at most MAX_DATA_LEN, which fits in a u32.
        let len = u32::try_from(self.data_len).unwrap_or(WavHeader::UNKNOWN_DATA_LEN);
        self.header().bytes(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_is_little_endian_samples() {
        let mut r = Recorder::mono();
        let mut frame = [0i16; 160];
        frame[0] = 0x0102;
        frame[159] = -2;
        let bytes = r.push(Some(&frame), None).to_vec();
        assert_eq!(bytes.len(), 320);
        assert_eq!(&bytes[..2], &[0x02, 0x01]);
        assert_eq!(&bytes[318..], &[0xFE, 0xFF]);
        assert_eq!(r.duration_ms(), 20);
        assert_eq!(&r.finish()[40..44], &320u32.to_le_bytes());
        assert_eq!(&r.header_bytes()[40..44], &[0xFF; 4]);
    }

    #[test]
    fn a_full_recording_stops_instead_of_overflowing_the_length() {
        let mut r = Recorder::stereo();
        r.data_len = MAX_DATA_LEN - 100;
        assert!(r.push(None, None).is_empty());
        assert_eq!(&r.finish()[40..44], &(MAX_DATA_LEN as u32 - 100).to_le_bytes());
    }
}
