//! Test helpers: a WAV writer for every sample format uploads come in, tone generators, and
//! measurements (Goertzel filter, RMS, onset) on the normalised output.
//!
//! Each test file uses a different part of this module.
#![allow(dead_code)]

use std::f64::consts::TAU;

/// How samples are stored in a generated WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// 8-bit unsigned integer PCM.
    U8,
    /// 16-bit signed integer PCM.
    I16,
    /// 24-bit signed integer PCM.
    I24,
    /// 32-bit signed integer PCM.
    I32,
    /// 32-bit IEEE float.
    F32,
    /// G.711 µ-law.
    MuLaw,
    /// G.711 A-law.
    ALaw,
}

impl Encoding {
    fn bits(self) -> u16 {
        match self {
            Encoding::U8 | Encoding::MuLaw | Encoding::ALaw => 8,
            Encoding::I16 => 16,
            Encoding::I24 => 24,
            Encoding::I32 | Encoding::F32 => 32,
        }
    }

    fn format_tag(self) -> u16 {
        match self {
            Encoding::U8 | Encoding::I16 | Encoding::I24 | Encoding::I32 => 1,
            Encoding::F32 => 3,
            Encoding::ALaw => 6,
            Encoding::MuLaw => 7,
        }
    }

    fn encode(self, x: f64, out: &mut Vec<u8>) {
        let x = x.clamp(-1.0, 1.0);
        match self {
            Encoding::U8 => out.push((x * 127.0 + 128.0).round() as u8),
            Encoding::I16 => out.extend_from_slice(&((x * 32767.0).round() as i16).to_le_bytes()),
            Encoding::I24 => {
                out.extend_from_slice(&((x * 8_388_607.0).round() as i32).to_le_bytes()[..3]);
            }
            Encoding::I32 => {
                out.extend_from_slice(&((x * 2_147_483_647.0).round() as i32).to_le_bytes());
            }
            Encoding::F32 => out.extend_from_slice(&(x as f32).to_le_bytes()),
            Encoding::MuLaw => out.push(linear_to_ulaw((x * 32767.0).round() as i16)),
            Encoding::ALaw => out.push(linear_to_alaw((x * 32767.0).round() as i16)),
        }
    }
}

/// Writes a WAV file the way common tools do: `fmt ` of 16 bytes for integer PCM, 18 bytes plus
/// a `fact` chunk for float and G.711, `WAVE_FORMAT_EXTENSIBLE` when `extensible` is set.
/// `channels[c][n]` is sample `n` of channel `c`, full scale ±1.0.
pub(crate) fn wav(
    encoding: Encoding,
    rate: u32,
    extensible: bool,
    channels: &[Vec<f64>],
) -> Vec<u8> {
    let n_channels = channels.len() as u16;
    let frames = channels.first().map_or(0, Vec::len);
    let bits = encoding.bits();
    let block_align = n_channels * bits / 8;

    let mut fmt = Vec::new();
    fmt.extend_from_slice(&(if extensible { 0xFFFE } else { encoding.format_tag() }).to_le_bytes());
    fmt.extend_from_slice(&n_channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    fmt.extend_from_slice(&block_align.to_le_bytes());
    fmt.extend_from_slice(&bits.to_le_bytes());
    if extensible {
        fmt.extend_from_slice(&22u16.to_le_bytes());
        fmt.extend_from_slice(&bits.to_le_bytes());
        let mask = (1u32 << n_channels) - 1;
        fmt.extend_from_slice(&mask.to_le_bytes());
        fmt.extend_from_slice(&encoding.format_tag().to_le_bytes());
        fmt.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00]);
        fmt.extend_from_slice(&[0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]);
    } else if encoding.format_tag() != 1 {
        fmt.extend_from_slice(&0u16.to_le_bytes());
    }

    let mut data = Vec::with_capacity(frames * usize::from(block_align));
    for n in 0..frames {
        for channel in channels {
            encoding.encode(channel[n], &mut data);
        }
    }

    let mut chunks = Vec::new();
    push_chunk(&mut chunks, b"fmt ", &fmt);
    if encoding.format_tag() != 1 || extensible {
        push_chunk(&mut chunks, b"fact", &(frames as u32).to_le_bytes());
    }
    push_chunk(&mut chunks, b"data", &data);

    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(4 + chunks.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(&chunks);
    out
}

fn push_chunk(out: &mut Vec<u8>, id: &[u8; 4], body: &[u8]) {
    out.extend_from_slice(id);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    if body.len() % 2 == 1 {
        out.push(0);
    }
}

/// A sine of `amplitude` at `freq` Hz, `seconds` long, sampled at `rate`.
pub(crate) fn tone(freq: f64, amplitude: f64, rate: u32, seconds: f64) -> Vec<f64> {
    let frames = (seconds * f64::from(rate)).round() as usize;
    (0..frames).map(|n| amplitude * (TAU * freq * n as f64 / f64::from(rate)).sin()).collect()
}

/// `seconds` of silence at `rate`.
pub(crate) fn silence(rate: u32, seconds: f64) -> Vec<f64> {
    vec![0.0; (seconds * f64::from(rate)).round() as usize]
}

/// The normalised samples as floats, full scale ±1.0.
pub(crate) fn as_f64(samples: &[i16]) -> Vec<f64> {
    samples.iter().map(|&s| f64::from(s) / 32768.0).collect()
}

/// Amplitude of the `freq` component of `samples` (at `rate`), by a Goertzel filter: a sine of
/// amplitude A gives about A.
pub(crate) fn amplitude_at(samples: &[f64], rate: f64, freq: f64) -> f64 {
    let coeff = 2.0 * (TAU * freq / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / samples.len() as f64
}

/// Root mean square.
pub(crate) fn rms(samples: &[f64]) -> f64 {
    (samples.iter().map(|x| x * x).sum::<f64>() / samples.len() as f64).sqrt()
}

/// `a / b` in decibels.
pub(crate) fn db(a: f64, b: f64) -> f64 {
    20.0 * (a / b).log10()
}

/// Index of the first sample whose magnitude reaches `threshold`.
pub(crate) fn first_above(samples: &[f64], threshold: f64) -> Option<usize> {
    samples.iter().position(|x| x.abs() >= threshold)
}

/// Index of the last sample whose magnitude reaches `threshold`.
pub(crate) fn last_above(samples: &[f64], threshold: f64) -> Option<usize> {
    samples.iter().rposition(|x| x.abs() >= threshold)
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
pub(crate) fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

/// G.711 µ-law encoder (ITU-T G.711, as in the reference g711.c).
fn linear_to_ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let mut x = i32::from(sample);
    let sign = if x < 0 {
        x = -x;
        0x80
    } else {
        0
    };
    x = x.min(CLIP) + BIAS;
    let exponent = (31 - x.leading_zeros() as i32 - 7).clamp(0, 7);
    let mantissa = (x >> (exponent + 3)) & 0x0F;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// G.711 A-law encoder (ITU-T G.711, as in the reference g711.c).
fn linear_to_alaw(sample: i16) -> u8 {
    const SEG_END: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];
    let mut pcm = i32::from(sample) >> 3;
    let mask = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let Some(seg) = SEG_END.iter().position(|&end| pcm <= end) else {
        return (0x7F ^ mask) as u8;
    };
    let shift = if seg < 2 { 1 } else { seg as i32 };
    (((seg as i32) << 4 | ((pcm >> shift) & 0x0F)) ^ mask) as u8
}
