//! Bytes from the network must never panic: random bytes, and valid WAV and MP3 files with
//! random damage (bytes overwritten, header fields set to extremes, cut anywhere), go through
//! every entry point and come back as `Ok` or `Err`.

mod common;

use centralita_audio::{Limits, Normalised, normalise, parse_pcm16_wav};
use common::{Encoding, tone, wav};
use proptest::prelude::*;

const MP3_STEREO: &[u8] = include_bytes!("data/tone-1k-44100-stereo-64k.mp3");
const MP3_MONO: &[u8] = include_bytes!("data/tone-1k-22050-mono-32k.mp3");

fn everything(bytes: &[u8]) {
    for max_duration_ms in [0, 500, 60_000] {
        let _ = normalise(bytes, None, &Limits { max_duration_ms });
    }
    let _ = parse_pcm16_wav(bytes);
    let _ = Normalised::from_wav(bytes);
}

/// Valid files to damage, one per container and sample format family.
fn originals() -> Vec<Vec<u8>> {
    let short = |rate| tone(1000.0, 0.5, rate, 0.05);
    vec![
        wav(Encoding::I16, 8000, false, &[short(8000)]),
        wav(Encoding::I16, 44_100, false, &[short(44_100), short(44_100)]),
        wav(Encoding::U8, 22_050, false, &[short(22_050)]),
        wav(Encoding::I24, 48_000, true, &[short(48_000), short(48_000), short(48_000)]),
        wav(Encoding::F32, 16_000, false, &[short(16_000)]),
        wav(Encoding::MuLaw, 8000, false, &[short(8000)]),
        Normalised::from_samples(vec![1000; 480]).to_wav(),
        MP3_STEREO.to_vec(),
        MP3_MONO.to_vec(),
    ]
}

/// Damage to apply: bytes overwritten anywhere, u32 fields in the first 80 bytes (where the
/// headers are) set to extremes, and a cut.
#[derive(Debug, Clone)]
struct Damage {
    original: usize,
    pokes: Vec<(usize, u8)>,
    fields: Vec<(usize, u32)>,
    cut: Option<usize>,
}

fn damage() -> impl Strategy<Value = Damage> {
    let extreme = prop_oneof![
        Just(0u32),
        Just(1),
        Just(0xFFFF),
        Just(0x7FFF_FFFF),
        Just(0xFFFF_FFFE),
        Just(u32::MAX),
        any::<u32>(),
    ];
    (
        0..9usize,
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..12),
        prop::collection::vec((0..80usize, extreme), 0..3),
        prop::option::of(any::<usize>()),
    )
        .prop_map(|(original, pokes, fields, cut)| Damage { original, pokes, fields, cut })
}

fn apply(damage: &Damage, originals: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = originals[damage.original].clone();
    for &(at, value) in &damage.pokes {
        let at = at % bytes.len();
        bytes[at] = value;
    }
    for &(at, value) in &damage.fields {
        if at + 4 <= bytes.len() {
            bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
    }
    if let Some(cut) = damage.cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes
}

/// 512 cases by default; `PROPTEST_CASES=100000` for a longer hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512);
    ProptestConfig { cases, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        everything(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_known_magic_never_panic(
        magic in prop_oneof![
            Just(b"RIFF\xff\xff\xff\xffWAVEfmt ".to_vec()),
            Just(b"ID3\x04\x00\x00\x00\x00\x00\x10".to_vec()),
            Just(vec![0xFF, 0xFB, 0x50, 0x64]),
            Just(vec![0xFF, 0xF3, 0x40, 0xC4]),
        ],
        tail in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        everything(&[magic, tail].concat());
    }

    #[test]
    fn damaged_files_never_panic(damage in damage()) {
        let originals = originals();
        everything(&apply(&damage, &originals));
    }
}
