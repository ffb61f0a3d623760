//! G.711 µ-law and A-law: 16-bit linear PCM to 8-bit codes and back, and code-to-code
//! transcoding between the two laws.
//!
//! Everything is computed at compile time into 256-entry tables (decode, µ→A, A→µ: 1 KiB in
//! all, shared by every call), and encoding is a handful of bit operations, so the per-packet
//! cost is one table load or a few instructions per sample and nothing is allocated.
//!
//! Scale: G.711 is defined on 14-bit (µ-law) and 13-bit (A-law) magnitudes. We use the
//! conventional 16-bit scaling (µ-law values ×4, A-law ×8), so µ-law decodes to ±32124 at most
//! and A-law to ±32256, and the encoders read the top 14 or 13 bits of the `i16` sample.
//! Encoding picks the quantisation interval of ITU-T G.711 (truncation of the dropped low bits,
//! as the ITU reference encoder does) and decoding returns the interval's centre.

/// Which G.711 law a payload is in; the two static RTP payload types of RFC 3551.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, RTP payload type 0 (North America, Japan).
    Pcmu,
    /// G.711 A-law, RTP payload type 8 (Europe and most of the world).
    Pcma,
}

impl Codec {
    /// The static RTP payload type (RFC 3551): 0 for PCMU, 8 for PCMA.
    pub const fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The codec of a static payload type, if it is one of the two G.711 laws.
    pub const fn from_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The code for a zero sample: what a silent packet is filled with.
    pub const fn silence(self) -> u8 {
        match self {
            Codec::Pcmu => ULAW_SILENCE,
            Codec::Pcma => ALAW_SILENCE,
        }
    }

    /// Encodes one linear sample.
    pub fn encode(self, sample: i16) -> u8 {
        match self {
            Codec::Pcmu => ulaw_encode(sample),
            Codec::Pcma => alaw_encode(sample),
        }
    }

    /// Decodes one code to a linear sample.
    pub fn decode(self, code: u8) -> i16 {
        match self {
            Codec::Pcmu => ulaw_decode(code),
            Codec::Pcma => alaw_decode(code),
        }
    }

    /// Encodes `pcm` into `out`, sample by sample, up to the shorter of the two.
    pub fn encode_into(self, pcm: &[i16], out: &mut [u8]) {
        match self {
            Codec::Pcmu => out.iter_mut().zip(pcm).for_each(|(o, &s)| *o = ulaw_encode(s)),
            Codec::Pcma => out.iter_mut().zip(pcm).for_each(|(o, &s)| *o = alaw_encode(s)),
        }
    }

    /// Decodes `codes` into `out`, up to the shorter of the two.
    pub fn decode_into(self, codes: &[u8], out: &mut [i16]) {
        let table = match self {
            Codec::Pcmu => &ULAW_TO_LINEAR,
            Codec::Pcma => &ALAW_TO_LINEAR,
        };
        out.iter_mut().zip(codes).for_each(|(o, &c)| *o = table[usize::from(c)]);
    }

    /// Rewrites `codes` from law `self` into law `to` (byte for byte, through a 256-entry
    /// table). Copies unchanged when the laws are the same.
    pub fn transcode_into(self, to: Codec, codes: &[u8], out: &mut [u8]) {
        let table = match (self, to) {
            (Codec::Pcmu, Codec::Pcma) => &ULAW_TO_ALAW,
            (Codec::Pcma, Codec::Pcmu) => &ALAW_TO_ULAW,
            _ => {
                let n = codes.len().min(out.len());
                out[..n].copy_from_slice(&codes[..n]);
                return;
            }
        };
        out.iter_mut().zip(codes).for_each(|(o, &c)| *o = table[usize::from(c)]);
    }
}

/// µ-law code of a zero sample (positive zero: all bits set, as G.711 inverts them).
pub const ULAW_SILENCE: u8 = 0xFF;
/// A-law code of the smallest positive sample (A-law has no zero; even bits are inverted).
pub const ALAW_SILENCE: u8 = 0xD5;

/// µ-law bias added before the segment search (33 at 14 bits, ×4 at 16 bits).
const ULAW_BIAS: i32 = 0x84;
/// Largest magnitude the µ-law encoder represents before clipping (32767 - bias).
const ULAW_CLIP: i32 = 32635;

/// Encodes a 16-bit sample to µ-law.
pub const fn ulaw_encode(sample: i16) -> u8 {
    let s = sample as i32;
    // G.711 µ-law is sign-magnitude and symmetric: -x and x differ only by the sign bit.
    // Before G.711's inversion the sign bit is set for negative values (so a transmitted
    // code with the top bit set is positive: 0x80 is the loudest positive code).
    let (sign, magnitude) = if s < 0 { (0x80, -s) } else { (0x00, s) };
    let magnitude = if magnitude > ULAW_CLIP { ULAW_CLIP } else { magnitude };
    let biased = magnitude + ULAW_BIAS; // 0x84..=0x7FFF: bit 7 at least is set
    // The segment is the position of the top bit above bit 7: 0..=7.
    let segment = (31 - biased.leading_zeros() as i32) - 7;
    let mantissa = (biased >> (segment + 3)) & 0x0F;
    // G.711 transmits µ-law codes with every bit inverted.
    !((sign | (segment << 4) | mantissa) as u8)
}

/// Decodes a µ-law code to a 16-bit sample (the centre of its interval).
pub const fn ulaw_decode(code: u8) -> i16 {
    let c = !code;
    let segment = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << segment) - ULAW_BIAS;
    if c & 0x80 != 0 { -magnitude as i16 } else { magnitude as i16 }
}

/// Encodes a 16-bit sample to A-law.
pub const fn alaw_encode(sample: i16) -> u8 {
    // A-law works on 13 bits; the arithmetic shift floors, and negative values are mapped to
    // their one's complement so that -1..=-8 (16-bit) land in the first negative interval.
    let s = (sample as i32) >> 3;
    let (sign, magnitude) = if s < 0 { (0x00, -s - 1) } else { (0x80, s) };
    // 0..=4095 at 13 bits: segments 0 and 1 both have steps of 2 (16 at our scale).
    let code = if magnitude < 32 {
        magnitude >> 1
    } else {
        // Top bit position 5..=11 gives segments 1..=7.
        let segment = (31 - magnitude.leading_zeros() as i32) - 4;
        let mantissa = (magnitude >> segment) & 0x0F;
        (segment << 4) | mantissa
    };
    // G.711 transmits A-law codes with the even bits inverted.
    ((sign | code) as u8) ^ 0x55
}

/// Decodes an A-law code to a 16-bit sample (the centre of its interval).
pub const fn alaw_decode(code: u8) -> i16 {
    let c = code ^ 0x55;
    let segment = ((c >> 4) & 0x07) as i32;
    let mantissa = (c & 0x0F) as i32;
    let magnitude =
        if segment == 0 { (mantissa << 4) + 8 } else { ((mantissa << 4) + 0x108) << (segment - 1) };
    if c & 0x80 != 0 { magnitude as i16 } else { -magnitude as i16 }
}

/// µ-law code → linear sample.
pub static ULAW_TO_LINEAR: [i16; 256] = decode_table(Codec::Pcmu);
/// A-law code → linear sample.
pub static ALAW_TO_LINEAR: [i16; 256] = decode_table(Codec::Pcma);
/// µ-law code → the A-law code of the same linear value (via the 16-bit value: decode, then
/// encode; never more than one A-law step from the µ-law level).
pub static ULAW_TO_ALAW: [u8; 256] = transcode_table(Codec::Pcmu);
/// A-law code → the µ-law code of the same linear value (decode, then encode).
pub static ALAW_TO_ULAW: [u8; 256] = transcode_table(Codec::Pcma);

const fn decode_table(codec: Codec) -> [i16; 256] {
    let mut table = [0i16; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = match codec {
            Codec::Pcmu => ulaw_decode(code as u8),
            Codec::Pcma => alaw_decode(code as u8),
        };
        code += 1;
    }
    table
}

const fn transcode_table(from: Codec) -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = match from {
            Codec::Pcmu => alaw_encode(ulaw_decode(code as u8)),
            Codec::Pcma => ulaw_encode(alaw_decode(code as u8)),
        };
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ITU-T G.711 decoder output values, written from the standard's tables (µ-law Table
    /// 2a at 14 bits, A-law Table 1a at 13 bits) as (first value, step) per segment, then
    /// scaled to 16 bits. Independent of the bit tricks above.
    const ULAW_SEGMENTS: [(i32, i32); 8] =
        [(0, 2), (33, 4), (99, 8), (231, 16), (495, 32), (1023, 64), (2079, 128), (4191, 256)];
    const ALAW_SEGMENTS: [(i32, i32); 8] =
        [(1, 2), (33, 2), (66, 4), (132, 8), (264, 16), (528, 32), (1056, 64), (2112, 128)];

    fn itu_ulaw(code: u8) -> i32 {
        let c = !code;
        let (first, step) = ULAW_SEGMENTS[usize::from((c >> 4) & 7)];
        let value = (first + step * i32::from(c & 0x0F)) * 4;
        // Transmitted bit 1 is the polarity, 1 for positive; µ-law inverts it with the rest.
        if c & 0x80 == 0 { value } else { -value }
    }

    fn itu_alaw(code: u8) -> i32 {
        let c = code ^ 0x55;
        let (first, step) = ALAW_SEGMENTS[usize::from((c >> 4) & 7)];
        let value = (first + step * i32::from(c & 0x0F)) * 8;
        if c & 0x80 != 0 { value } else { -value }
    }

    #[test]
    fn every_code_decodes_to_the_itu_value() {
        for code in 0..=255u8 {
            assert_eq!(i32::from(ulaw_decode(code)), itu_ulaw(code), "µ-law {code:#04x}");
            assert_eq!(i32::from(alaw_decode(code)), itu_alaw(code), "A-law {code:#04x}");
            assert_eq!(ULAW_TO_LINEAR[usize::from(code)], ulaw_decode(code));
            assert_eq!(ALAW_TO_LINEAR[usize::from(code)], alaw_decode(code));
        }
    }

    #[test]
    fn well_known_codes() {
        // Silence, the extremes, and the codes a G.711 hex dump shows for them.
        assert_eq!(ulaw_encode(0), 0xFF);
        assert_eq!(ulaw_decode(0xFF), 0);
        assert_eq!(ulaw_decode(0x7F), 0); // negative zero
        assert_eq!(ulaw_decode(0x80), 32124);
        assert_eq!(ulaw_decode(0x00), -32124);
        assert_eq!(ulaw_encode(i16::MAX), 0x80);
        assert_eq!(ulaw_encode(i16::MIN), 0x00);
        assert_eq!(alaw_encode(0), 0xD5);
        assert_eq!(alaw_decode(0xD5), 8);
        assert_eq!(alaw_decode(0x55), -8);
        assert_eq!(alaw_decode(0xAA), 32256);
        assert_eq!(alaw_decode(0x2A), -32256);
        assert_eq!(alaw_encode(i16::MAX), 0xAA);
        assert_eq!(alaw_encode(i16::MIN), 0x2A);
        assert_eq!(Codec::Pcmu.silence(), ulaw_encode(0));
        assert_eq!(Codec::Pcma.silence(), alaw_encode(0));
    }

    /// ITU decision values at the segment boundaries (µ-law 14-bit: 31, 95, 223, 479, 991,
    /// 2015, 4063; A-law 13-bit: 32, 64, 128, 256, 512, 1024, 2048): the value just below a
    /// boundary ends one segment, the boundary starts the next.
    #[test]
    fn segment_boundaries_fall_where_the_itu_tables_put_them() {
        for (segment, boundary) in [31, 95, 223, 479, 991, 2015, 4063].into_iter().enumerate() {
            let below = !ulaw_encode((boundary * 4 - 1) as i16);
            let at = !ulaw_encode((boundary * 4) as i16);
            assert_eq!((below >> 4) & 7, segment as u8, "below {boundary}");
            assert_eq!(below & 0x0F, 0x0F, "below {boundary}");
            assert_eq!((at >> 4) & 7, segment as u8 + 1, "at {boundary}");
            assert_eq!(at & 0x0F, 0, "at {boundary}");
        }
        for (segment, boundary) in [32, 64, 128, 256, 512, 1024, 2048].into_iter().enumerate() {
            let below = alaw_encode((boundary * 8 - 1) as i16) ^ 0x55;
            let at = alaw_encode((boundary * 8) as i16) ^ 0x55;
            assert_eq!((below >> 4) & 7, segment as u8, "below {boundary}");
            assert_eq!(below & 0x0F, 0x0F, "below {boundary}");
            assert_eq!((at >> 4) & 7, segment as u8 + 1, "at {boundary}");
            assert_eq!(at & 0x0F, 0, "at {boundary}");
        }
    }

    /// Half the step of the segment `decoded` lies in, at 16 bits.
    fn ulaw_half_step(decoded: i16) -> i32 {
        let c = !ulaw_encode(decoded);
        4 << ((c >> 4) & 7)
    }

    fn alaw_half_step(decoded: i16) -> i32 {
        let segment = ((alaw_encode(decoded) ^ 0x55) >> 4) & 7;
        8 << segment.saturating_sub(1)
    }

    #[test]
    fn every_i16_round_trips_within_half_a_quantisation_step() {
        for x in i16::MIN..=i16::MAX {
            let x32 = i32::from(x);
            let u = ulaw_decode(ulaw_encode(x));
            if x32.abs() <= 32124 {
                let err = (i32::from(u) - x32).abs();
                assert!(err <= ulaw_half_step(u), "µ-law {x} -> {u}");
            } else {
                assert_eq!(i32::from(u), 32124 * x32.signum(), "µ-law clips {x}");
            }
            let a = alaw_decode(alaw_encode(x));
            if (-32256..=32256).contains(&x32) {
                let err = (i32::from(a) - x32).abs();
                assert!(err <= alaw_half_step(a), "A-law {x} -> {a}");
            } else {
                assert_eq!(i32::from(a), 32256 * x32.signum(), "A-law clips {x}");
            }
        }
    }

    #[test]
    fn encoding_a_decoded_value_gives_the_same_code() {
        for code in 0..=255u8 {
            let u = ulaw_encode(ulaw_decode(code));
            // µ-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes to 0xFF.
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(u, expected, "µ-law {code:#04x}");
            assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
        }
    }

    #[test]
    fn encoding_is_monotonic() {
        let mut last = (i16::MIN, i16::MIN);
        for x in i16::MIN..=i16::MAX {
            let now = (ulaw_decode(ulaw_encode(x)), alaw_decode(alaw_encode(x)));
            assert!(now.0 >= last.0 && now.1 >= last.1, "at {x}");
            last = now;
        }
    }

    #[test]
    fn transcoding_stays_within_one_step_of_the_source_level() {
        for code in 0..=255u8 {
            let level = ulaw_decode(code);
            let a = alaw_decode(ULAW_TO_ALAW[usize::from(code)]);
            let bound = alaw_half_step(a).max(if level.unsigned_abs() > 32256 { 1000 } else { 0 });
            assert!((i32::from(a) - i32::from(level)).abs() <= bound, "µ {code:#04x}");

            let level = alaw_decode(code);
            let u = ulaw_decode(ALAW_TO_ULAW[usize::from(code)]);
            let bound = if level.unsigned_abs() > 32124 { 200 } else { ulaw_half_step(u) };
            assert!((i32::from(u) - i32::from(level)).abs() <= bound, "A {code:#04x}");
        }
    }

    #[test]
    fn transcoding_there_and_back_is_stable() {
        // A → µ → A lands on the same A-law code except where µ-law is coarser (the loud
        // segments) or clips; µ → A → µ likewise. Both must then be idempotent.
        for code in 0..=255u8 {
            let a1 = ULAW_TO_ALAW[usize::from(ALAW_TO_ULAW[usize::from(code)])];
            let a2 = ULAW_TO_ALAW[usize::from(ALAW_TO_ULAW[usize::from(a1)])];
            assert_eq!(a1, a2, "A {code:#04x}");
            let u1 = ALAW_TO_ULAW[usize::from(ULAW_TO_ALAW[usize::from(code)])];
            let u2 = ALAW_TO_ULAW[usize::from(ULAW_TO_ALAW[usize::from(u1)])];
            assert_eq!(u1, u2, "µ {code:#04x}");
        }
        // Quiet A-law codes survive the round trip exactly: µ-law is finer below 372 (its
        // steps are 8 and 16 there, A-law's 16). Above, µ-law is as coarse or coarser (32 from
        // 396 where A-law still has 16), so codes may merge.
        for magnitude in -46..46i16 {
            let code = alaw_encode(magnitude * 8);
            let back = ULAW_TO_ALAW[usize::from(ALAW_TO_ULAW[usize::from(code)])];
            assert_eq!(back, code, "A-law level {}", magnitude * 8);
        }
    }

    #[test]
    fn slices_encode_decode_and_transcode() {
        let pcm: Vec<i16> = (0..160i32).map(|n| ((n - 80) * 400) as i16).collect();
        let mut mu = [0u8; 160];
        let mut a = [0u8; 160];
        Codec::Pcmu.encode_into(&pcm, &mut mu);
        Codec::Pcmu.transcode_into(Codec::Pcma, &mu, &mut a);
        let mut back = [0i16; 160];
        Codec::Pcma.decode_into(&a, &mut back);
        for (x, y) in pcm.iter().zip(back) {
            // Half a µ-law step, then half an A-law step: 512 + 512 at the loudest.
            assert!((i32::from(*x) - i32::from(y)).abs() <= 1024, "{x} vs {y}");
        }
        let mut same = [0u8; 160];
        Codec::Pcma.transcode_into(Codec::Pcma, &a, &mut same);
        assert_eq!(same, a);
    }
}
