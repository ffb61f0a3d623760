//! The stored form: `Normalised::to_wav` writes a canonical 8 kHz mono 16-bit WAV, and
//! `from_wav` reads back exactly that and refuses anything else.

use centralita_audio::{AudioError, FRAME_SAMPLES, Normalised, WavHeader, parse_pcm16_wav};

fn some_audio() -> Normalised {
    Normalised::from_samples((0..1000).map(|n| (n * 97 % 65_536 - 32_768) as i16).collect())
}

#[test]
fn samples_are_padded_to_whole_frames() {
    assert_eq!(Normalised::from_samples(vec![]).samples().len(), 0);
    assert_eq!(Normalised::from_samples(vec![]).duration_ms(), 0);
    assert_eq!(Normalised::from_samples(vec![1]).samples(), &[&[1][..], &[0; 159]].concat());
    assert_eq!(Normalised::from_samples(vec![7; 160]).duration_ms(), 20);
    assert_eq!(Normalised::from_samples(vec![7; 161]).duration_ms(), 40);
    let audio = some_audio();
    assert_eq!(audio.samples().len(), 1120);
    assert_eq!(audio.duration_ms(), 140);
    assert!(audio.frames().all(|frame| frame.len() == FRAME_SAMPLES));
}

#[test]
fn to_wav_writes_the_canonical_header() {
    let audio = some_audio();
    let bytes = audio.to_wav();
    assert_eq!(bytes.len(), 44 + 2240);
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(u32_at(4), 36 + 2240, "RIFF size");
    assert_eq!(&bytes[8..12], b"WAVE");
    assert_eq!(&bytes[12..16], b"fmt ");
    assert_eq!(u32_at(16), 16, "fmt size");
    assert_eq!(u16_at(20), 1, "PCM");
    assert_eq!(u16_at(22), 1, "mono");
    assert_eq!(u32_at(24), 8000, "sample rate");
    assert_eq!(u32_at(28), 16_000, "byte rate");
    assert_eq!(u16_at(32), 2, "block align");
    assert_eq!(u16_at(34), 16, "bits per sample");
    assert_eq!(&bytes[36..40], b"data");
    assert_eq!(u32_at(40), 2240, "data size");
    assert_eq!(&bytes[44..46], &audio.samples()[0].to_le_bytes());
    assert_eq!(bytes[..44], WavHeader::pcm16(1, 8000).bytes(2240));
}

#[test]
fn from_wav_reads_back_what_to_wav_wrote() {
    let audio = some_audio();
    assert_eq!(Normalised::from_wav(&audio.to_wav()).unwrap(), audio);
    let silence = Normalised::from_samples(vec![]);
    assert_eq!(Normalised::from_wav(&silence.to_wav()).unwrap(), silence);
}

#[test]
fn the_written_file_is_an_ordinary_pcm_wav() {
    let audio = some_audio();
    let (header, samples) = parse_pcm16_wav(&audio.to_wav()).unwrap();
    assert_eq!(header, WavHeader::pcm16(1, 8000));
    assert_eq!(samples, audio.samples());
}

#[test]
fn from_wav_refuses_anything_else() {
    let good = some_audio().to_wav();
    let refuse = |bytes: &[u8], case: &str| {
        let result = Normalised::from_wav(bytes);
        assert!(matches!(result, Err(AudioError::NotAudio(_))), "{case}: {result:?}");
    };
    refuse(b"", "empty");
    refuse(&good[..43], "a cut header");
    refuse(&good[..good.len() - 2], "a cut data chunk");
    refuse(&good[..good.len() - 320], "a length that disagrees with the header");
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 320]);
    refuse(&longer, "trailing bytes");

    let mut stereo = WavHeader::pcm16(2, 8000).bytes(2240).to_vec();
    stereo.extend_from_slice(&good[44..]);
    refuse(&stereo, "stereo");
    let mut wideband = WavHeader::pcm16(1, 16_000).bytes(2240).to_vec();
    wideband.extend_from_slice(&good[44..]);
    refuse(&wideband, "16 kHz");

    // A well-formed file, but not whole 20 ms frames.
    let mut partial = WavHeader::pcm16(1, 8000).bytes(300).to_vec();
    partial.extend_from_slice(&[0; 300]);
    refuse(&partial, "a partial frame");
}
