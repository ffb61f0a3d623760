//! Decoding an upload with symphonia into mono blocks, WAV and MP3 only.
//!
//! symphonia is hardened against hostile input, but an upload is checked here first anyway,
//! because a few header fields reach arithmetic or allocations in it: a WAV's chunk lengths,
//! channel count, channel mask and sample rate are validated by [`crate::wav::scan_riff`] and
//! [`check_fmt`] before symphonia sees the bytes, and an MP3's ID3v2 tag (which may hold a large
//! picture) is skipped here instead of being parsed.
//!
//! The content decides the container: a `RIFF` file goes to the WAV reader directly (no probing,
//! so junk cannot be mistaken for another format), anything else goes to a probe that knows only
//! MPEG audio.

use std::io::{Cursor, ErrorKind, Read, Seek, SeekFrom};
use std::sync::LazyLock;

use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::{Hint, Probe};
use symphonia::core::formats::{FormatOptions, FormatReader, Track, TrackType};
use symphonia::core::io::{MediaSource, MediaSourceStream};
use symphonia::core::meta::MetadataOptions;
use symphonia::default::formats::{MpaReader, WavReader};

use crate::resample::{MAX_SOURCE_RATE, MIN_SOURCE_RATE};
use crate::wav::{Fmt, scan_riff};
use crate::{AudioError, Format};

/// Most channels accepted (7.1). More is not a voice message, and the bound keeps symphonia's
/// channel arithmetic far from overflowing.
const MAX_CHANNELS: u16 = 8;

/// Bits of a WAVE_FORMAT_EXTENSIBLE channel mask that name a speaker; others are invalid.
const WAVE_CHANNEL_MASK_BITS: u32 = 18;

/// Frames of delay every MPEG layer III decoder adds (the synthesis filterbank and the MDCT
/// overlap): 528 + 1, the value LAME and ffmpeg use.
const MPEG_DECODER_DELAY: u64 = 529;

/// A probe that recognises MPEG audio and nothing else: built once, it holds only tables.
static MPEG_PROBE: LazyLock<Probe> = LazyLock::new(|| {
    let mut probe = Probe::default();
    probe.register_format::<MpaReader<'_>>();
    probe
});

/// The two containers accepted, which differ in what their headers can be trusted with.
#[derive(Debug, Clone, Copy)]
enum Container {
    Wav,
    Mpeg,
}

/// An opened upload, handing out mono blocks at its own sample rate.
pub(crate) struct Source<'a> {
    format: Box<dyn FormatReader + 'a>,
    decoder: Box<dyn AudioDecoder>,
    track_id: u32,
    sample_rate: u32,
    /// The container's frame count, when it is a count and not an estimate.
    declared_frames: Option<u64>,
    /// Leading decoded frames still to drop: the decoder's delay, when the container does not
    /// say how much to trim.
    skip_frames: u64,
    /// Scratch space for one decoded packet, one vector per channel.
    planes: Vec<Vec<f32>>,
    /// Packets decoded, and packets the decoder rejected: a file that is mostly rejects is not
    /// audio, even if a few frames happened to decode.
    good_packets: u64,
    bad_packets: u64,
}

impl<'a> Source<'a> {
    pub(crate) fn open(bytes: &'a [u8], hint: Option<Format>) -> Result<Self, AudioError> {
        if bytes.is_empty() {
            return Err(not_audio("the file is empty"));
        }
        if bytes.starts_with(b"RIFF") {
            Self::open_wav(bytes)
        } else {
            Self::open_mpeg(bytes, hint)
        }
    }

    fn open_wav(bytes: &'a [u8]) -> Result<Self, AudioError> {
        let riff = scan_riff(bytes)?;
        check_fmt(&riff.fmt)?;
        let source = MediaSourceStream::new(
            Box::new(UnknownRiffSize(Cursor::new(bytes))),
            Default::default(),
        );
        let format = WavReader::try_new(source, FormatOptions::default())
            .map_err(|e| not_audio(&format!("unsupported WAV file ({e})")))?;
        Self::from_reader(Box::new(format), Container::Wav)
    }

    fn open_mpeg(bytes: &'a [u8], hint: Option<Format>) -> Result<Self, AudioError> {
        let body = strip_id3(bytes);
        let format = MPEG_PROBE
            .probe(&Hint::new(), stream(body), FormatOptions::default(), MetadataOptions::default())
            .map_err(|_| {
                not_audio(match hint {
                    Some(Format::Wav) => "sent as WAV, but there is no RIFF/WAVE header",
                    Some(Format::Mp3) => "sent as MP3, but no MPEG audio frames were found",
                    None => "neither a WAV nor an MP3 file",
                })
            })?;
        Self::from_reader(format, Container::Mpeg)
    }

    /// Finds the audio track and its decoder, and decides what to make of the track's frame
    /// count and delay.
    fn from_reader(
        format: Box<dyn FormatReader + 'a>,
        container: Container,
    ) -> Result<Self, AudioError> {
        let track = format
            .default_track(TrackType::Audio)
            .ok_or_else(|| not_audio("there is no audio track"))?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|params| params.audio())
            .ok_or_else(|| not_audio("the audio track has no codec parameters"))?;
        let sample_rate = track_rate(track).ok_or_else(|| not_audio("no sample rate"))?;
        if !(MIN_SOURCE_RATE..=MAX_SOURCE_RATE).contains(&sample_rate) {
            return Err(not_audio(&format!("a sample rate of {sample_rate} Hz is not supported")));
        }
        let (believe_count, skip_frames) = match container {
            // The count comes from the data chunk's length (symphonia leaves it out when the
            // length is 0xFFFFFFFF, "unknown"). It is believed even when fewer bytes are present:
            // a file that says it is longer than allowed is refused for what it says it is.
            Container::Wav => (true, 0),
            // With a LAME/ffmpeg info tag (CRC-checked), symphonia knows the exact frame count
            // and trims the encoder's delay and padding (gapless).
            Container::Mpeg if track.delay.is_some() => (true, 0),
            // Without one (CBR files under ~56 kbit/s have frames too small for the tag), the
            // count is an estimate from the first frames' bitrate, which a VBR file with a quiet
            // intro would overstate: it must not refuse a file. The encoder's delay is unknown,
            // but the decoder's own is not: dropping it leaves the audio late by the encoder
            // delay only (576 frames for LAME, 26 ms at 22.05 kHz), with at most one frame of
            // padding at the end.
            Container::Mpeg => (false, MPEG_DECODER_DELAY),
        };
        let declared_frames = track.num_frames.filter(|_| believe_count);
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(params, &AudioDecoderOptions::default())
            .map_err(|e| not_audio(&format!("unsupported codec ({e})")))?;
        let track_id = track.id;
        Ok(Self {
            format,
            decoder,
            track_id,
            sample_rate,
            declared_frames,
            skip_frames,
            planes: Vec::new(),
            good_packets: 0,
            bad_packets: 0,
        })
    }

    pub(crate) fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// The number of frames the container announces, if it can be believed.
    pub(crate) fn declared_frames(&self) -> Option<u64> {
        self.declared_frames
    }

    /// Replaces `mono` with the next decoded block (channels averaged). `Ok(false)` at the end.
    pub(crate) fn next_block(&mut self, mono: &mut Vec<f32>) -> Result<bool, AudioError> {
        loop {
            let packet = match self.format.next_packet() {
                Ok(Some(packet)) => packet,
                Ok(None) => return self.end(),
                // Data cut short (an interrupted upload): keep what was decoded, as players do.
                Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => {
                    return self.end();
                }
                // Damage after some audio: stop there, counting it against the file.
                Err(_) if self.good_packets > 0 => {
                    self.bad_packets += 1;
                    return self.end();
                }
                Err(e) => return Err(not_audio(&format!("unreadable ({e})"))),
            };
            if packet.track_id != self.track_id {
                continue;
            }
            let buffer = match self.decoder.decode(&packet) {
                Ok(buffer) => buffer,
                // A damaged frame: skip it, as players do; `end` refuses a file of mostly these.
                Err(SymphoniaError::DecodeError(_) | SymphoniaError::IoError(_)) => {
                    self.bad_packets += 1;
                    continue;
                }
                Err(e) => return Err(not_audio(&format!("cannot be decoded ({e})"))),
            };
            self.good_packets += 1;
            if buffer.spec().rate() != self.sample_rate {
                return Err(not_audio("the sample rate changes in the middle of the file"));
            }
            let frames = buffer.frames();
            if frames == 0 {
                // Gapless playback trims the encoder's delay and padding: some packets are empty.
                continue;
            }
            buffer.copy_to_vecs_planar::<f32>(&mut self.planes);
            if self.planes.is_empty() {
                continue;
            }
            downmix(&self.planes, frames, mono);
            if self.skip_frames > 0 {
                // `skip` is at most `mono.len()`, a usize.
                let skip = self.skip_frames.min(mono.len() as u64) as usize;
                mono.drain(..skip);
                self.skip_frames -= skip as u64;
                if mono.is_empty() {
                    continue;
                }
            }
            return Ok(true);
        }
    }

    fn end(&self) -> Result<bool, AudioError> {
        if self.bad_packets > self.good_packets {
            return Err(not_audio("most of the file could not be decoded"));
        }
        Ok(false)
    }
}

/// Averages the channels into `mono`: equal weights, so a voice in any channel is kept and
/// the sum cannot clip.
fn downmix(planes: &[Vec<f32>], frames: usize, mono: &mut Vec<f32>) {
    mono.clear();
    mono.resize(frames, 0.0);
    for plane in planes {
        for (sum, sample) in mono.iter_mut().zip(plane) {
            *sum += sample;
        }
    }
    if planes.len() > 1 {
        let scale = 1.0 / planes.len() as f32;
        mono.iter_mut().for_each(|sample| *sample *= scale);
    }
}

/// Refuses the `fmt ` values that are not a voice message, and those that would reach unchecked
/// arithmetic in symphonia (channel count, channel mask).
fn check_fmt(fmt: &Fmt) -> Result<(), AudioError> {
    if fmt.channels == 0 || fmt.channels > MAX_CHANNELS {
        return Err(not_audio(&format!(
            "{} channels (1 to {MAX_CHANNELS} are supported)",
            fmt.channels
        )));
    }
    if !(MIN_SOURCE_RATE..=MAX_SOURCE_RATE).contains(&fmt.sample_rate) {
        return Err(not_audio(&format!(
            "a sample rate of {} Hz is not supported",
            fmt.sample_rate
        )));
    }
    if fmt.block_align == 0 {
        return Err(not_audio("the WAV header gives a block size of 0"));
    }
    if fmt.channel_mask.is_some_and(|mask| mask >> WAVE_CHANNEL_MASK_BITS != 0) {
        return Err(not_audio("the WAV channel mask names unknown speakers"));
    }
    if fmt.bits > 64 {
        return Err(not_audio(&format!("{} bits per sample is not supported", fmt.bits)));
    }
    Ok(())
}

/// Skips leading ID3v2 tags and a trailing ID3v1 tag: metadata, not audio, and an ID3v2 tag
/// may hold a picture whose bytes could look like MPEG frames.
fn strip_id3(mut bytes: &[u8]) -> &[u8] {
    // Some taggers stack several ID3v2 tags; a handful is plenty.
    for _ in 0..8 {
        let Some(header) = bytes.first_chunk::<10>() else { break };
        let syncsafe = header[6..10].iter().all(|b| b & 0x80 == 0);
        if &header[0..3] != b"ID3" || header[3] == 0xFF || header[4] == 0xFF || !syncsafe {
            break;
        }
        let size = header[6..10].iter().fold(0usize, |acc, b| (acc << 7) | usize::from(*b));
        let footer = if header[5] & 0x10 != 0 { 10 } else { 0 };
        bytes = bytes.get(10 + size + footer..).unwrap_or(&[]);
    }
    if let Some(tag_start) = bytes.len().checked_sub(128)
        && bytes[tag_start..].starts_with(b"TAG")
    {
        bytes = &bytes[..tag_start];
    }
    bytes
}

/// A WAV upload as symphonia reads it: the bytes, with the RIFF size read as 0xFFFFFFFF
/// ("unknown").
///
/// Writers disagree about that field (a recorder that was killed never sets it, some tools count
/// it wrongly, ffmpeg streams with 0xFFFFFFFF), players ignore it, and symphonia would refuse a
/// data chunk that does not fit in it. [`scan_riff`] has already checked every chunk before the
/// data against the real length, which is what the field would be for.
struct UnknownRiffSize<'a>(Cursor<&'a [u8]>);

impl UnknownRiffSize<'_> {
    /// Where the RIFF size is in the file.
    const FIELD: std::ops::Range<u64> = 4..8;
}

impl Read for UnknownRiffSize<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let start = self.0.position();
        let read = self.0.read(buf)?;
        for (offset, byte) in (start..).zip(&mut buf[..read]) {
            if offset >= Self::FIELD.end {
                break;
            }
            if Self::FIELD.contains(&offset) {
                *byte = 0xFF;
            }
        }
        Ok(read)
    }
}

impl Seek for UnknownRiffSize<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.0.seek(pos)
    }
}

impl MediaSource for UnknownRiffSize<'_> {
    fn is_seekable(&self) -> bool {
        true
    }

    fn byte_len(&self) -> Option<u64> {
        Some(self.0.get_ref().len() as u64)
    }
}

fn track_rate(track: &Track) -> Option<u32> {
    track.codec_params.as_ref()?.audio()?.sample_rate
}

fn stream(bytes: &[u8]) -> MediaSourceStream<'_> {
    MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default())
}

fn not_audio(reason: &str) -> AudioError {
    AudioError::NotAudio(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id3v2_tags_are_skipped_and_id3v1_dropped() {
        let mut bytes = b"ID3\x04\x00\x00\x00\x00\x01\x00".to_vec(); // 128 bytes of tag
        bytes.extend_from_slice(&[0xAB; 128]);
        bytes.extend_from_slice(b"audio");
        let mut v1 = b"TAG".to_vec();
        v1.resize(128, b' ');
        bytes.extend_from_slice(&v1);
        assert_eq!(strip_id3(&bytes), b"audio");
    }

    #[test]
    fn an_id3v2_tag_longer_than_the_file_leaves_nothing() {
        assert_eq!(strip_id3(b"ID3\x04\x00\x00\x7f\x7f\x7f\x7fshort"), b"");
    }
}
