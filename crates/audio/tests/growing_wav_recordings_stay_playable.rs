//! A recording is written as the call goes: header first, samples appended, header rewritten at
//! the end. Whatever moment the process dies at, the file on disk reads back.

use centralita_audio::{Limits, WavHeader, normalise, parse_pcm16_wav};

/// What the media engine writes: a header with `header_len` as the data length, then samples.
fn recording(header_len: u32, samples: &[i16]) -> Vec<u8> {
    let mut bytes = WavHeader::pcm16(2, 8000).bytes(header_len).to_vec();
    for sample in samples {
        bytes.extend_from_slice(&sample.to_le_bytes());
    }
    bytes
}

fn stereo_samples(frames: usize) -> Vec<i16> {
    (0..frames * 2).map(|n| (n as i16).wrapping_mul(31)).collect()
}

#[test]
fn a_finished_recording_reads_back_exactly() {
    let samples = stereo_samples(800);
    let bytes = recording(3200, &samples);
    let (header, read) = parse_pcm16_wav(&bytes).unwrap();
    assert_eq!(header, WavHeader { channels: 2, sample_rate: 8000, bits: 16 });
    assert_eq!(read, samples);
}

#[test]
fn a_recording_killed_before_its_header_was_fixed_reads_what_was_written() {
    let samples = stereo_samples(800);
    // Still the "unknown" length written at the start.
    let (_, read) = parse_pcm16_wav(&recording(WavHeader::UNKNOWN_DATA_LEN, &samples)).unwrap();
    assert_eq!(read, samples);
    // A header rewritten with a length that had not all reached the disk.
    let (_, read) = parse_pcm16_wav(&recording(1_000_000, &samples)).unwrap();
    assert_eq!(read, samples);
}

#[test]
fn a_recording_cut_in_the_middle_of_a_frame_keeps_the_whole_frames() {
    let samples = stereo_samples(800);
    let mut bytes = recording(WavHeader::UNKNOWN_DATA_LEN, &samples);
    bytes.truncate(bytes.len() - 3); // half of the last right sample, all of its left one
    let (_, read) = parse_pcm16_wav(&bytes).unwrap();
    assert_eq!(read, &samples[..samples.len() - 2]);
}

#[test]
fn an_empty_recording_is_an_empty_file_not_an_error() {
    let (header, read) = parse_pcm16_wav(&recording(WavHeader::UNKNOWN_DATA_LEN, &[])).unwrap();
    assert_eq!(header.channels, 2);
    assert!(read.is_empty());
}

#[test]
fn a_recording_in_progress_also_decodes_as_an_upload() {
    // The same file through symphonia: the unknown length is read to the end of the file.
    let samples = stereo_samples(8000);
    let bytes = recording(WavHeader::UNKNOWN_DATA_LEN, &samples);
    let out = normalise(&bytes, None, &Limits { max_duration_ms: 10_000 }).unwrap();
    assert_eq!(out.duration_ms(), 1000);
}

#[test]
fn only_16_bit_pcm_is_read() {
    let mut eight_bit = WavHeader { channels: 1, sample_rate: 8000, bits: 8 }.bytes(4).to_vec();
    eight_bit.extend_from_slice(&[128; 4]);
    assert!(parse_pcm16_wav(&eight_bit).is_err());
    let zero_channels = recording(4, &[0, 0]);
    let mut zero_channels = zero_channels.clone();
    zero_channels[22] = 0;
    zero_channels[23] = 0;
    assert!(parse_pcm16_wav(&zero_channels).is_err());
    assert!(parse_pcm16_wav(b"RIFF\x24\0\0\0WAVE").is_err());
    assert!(parse_pcm16_wav(b"").is_err());
}
