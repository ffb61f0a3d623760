//! RTP packets (RFC 3550 §5.1): a borrowed view of a received datagram, and a header writer
//! into a caller-provided buffer.
//!
//! Parsing never copies and never allocates: [`RtpPacket`] points into the datagram, the
//! payload is the bytes between the header (fixed part, CSRC list, extension) and the padding.
//! Every length read from the packet is checked against the bytes present, so any datagram
//! gives either a packet or an [`RtpError`].

use crate::error::{BufferTooSmall, RtpError};

/// Length of the fixed RTP header (no CSRC, no extension): what we write.
pub const HEADER_LEN: usize = 12;

/// A received RTP packet, borrowing the datagram it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    /// Marks a significant point in the stream: the first packet of a talkspurt, of an
    /// RFC 4733 event, or after a source switch.
    pub marker: bool,
    /// 7-bit payload type (0 PCMU, 8 PCMA, 13 CN, a dynamic one for telephone-event).
    pub payload_type: u8,
    /// Increments by one per packet; wraps at 65535.
    pub sequence: u16,
    /// Sampling instant of the first sample, in clock-rate units (8000 Hz for G.711).
    pub timestamp: u32,
    /// Identifies the stream; a new SSRC means the sender restarted its stream.
    pub ssrc: u32,
    /// Number of CSRCs in the header (skipped; mixers we talk to rarely send any).
    pub csrc_count: u8,
    /// Whether a header extension was present (skipped).
    pub has_extension: bool,
    /// The payload, without header, extension or padding.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Reads a datagram as an RTP version 2 packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RtpError> {
        let Some(fixed) = bytes.first_chunk::<HEADER_LEN>() else {
            return Err(RtpError::TooShort);
        };
        if fixed[0] >> 6 != 2 {
            return Err(RtpError::BadVersion);
        }
        let padding = fixed[0] & 0x20 != 0;
        let has_extension = fixed[0] & 0x10 != 0;
        let csrc_count = fixed[0] & 0x0F;
        let mut start = HEADER_LEN + usize::from(csrc_count) * 4;
        if start > bytes.len() {
            return Err(RtpError::CsrcPastEnd);
        }
        if has_extension {
            // 16 bits "defined by profile", 16 bits length in 32-bit words, then the words.
            let Some(ext) = bytes.get(start..start + 4) else {
                return Err(RtpError::ExtensionPastEnd);
            };
            let words = usize::from(u16::from_be_bytes([ext[2], ext[3]]));
            start += 4 + words * 4;
            if start > bytes.len() {
                return Err(RtpError::ExtensionPastEnd);
            }
        }
        let mut end = bytes.len();
        if padding {
            // The last byte counts the padding bytes, itself included (so never zero).
            let count = usize::from(bytes[end - 1]);
            if count == 0 || count > end - start {
                return Err(RtpError::BadPadding);
            }
            end -= count;
        }
        Ok(RtpPacket {
            marker: fixed[1] & 0x80 != 0,
            payload_type: fixed[1] & 0x7F,
            sequence: u16::from_be_bytes([fixed[2], fixed[3]]),
            timestamp: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            ssrc: u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]),
            csrc_count,
            has_extension,
            payload: &bytes[start..end],
        })
    }
}

/// The header of a packet we send: version 2, no padding, no extension, no CSRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// See [`RtpPacket::marker`].
    pub marker: bool,
    /// 7-bit payload type; the top bit is ignored.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Timestamp in 8 kHz units.
    pub timestamp: u32,
    /// Our stream's SSRC.
    pub ssrc: u32,
}

impl RtpHeader {
    /// Writes the 12-byte header at the start of `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        BufferTooSmall::check(out, HEADER_LEN)?;
        out[0] = 0x80;
        out[1] = (u8::from(self.marker) << 7) | (self.payload_type & 0x7F);
        out[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        out[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        out[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
        Ok(HEADER_LEN)
    }
}

/// Whether a datagram on an RTP port is in fact RTCP (RFC 5761 §4: packet types 192-223 fall
/// on RTP payload types 64-95, which RTP must not use when multiplexed). Lets a leg accept a
/// peer that multiplexes RTCP on the RTP port even though we did not offer it.
pub fn looks_like_rtcp(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] >> 6 == 2 && (192..=223).contains(&bytes[1])
}

/// `a - b` for 16-bit sequence numbers, as the signed distance on the circle.
pub(crate) fn seq_diff(a: u16, b: u16) -> i16 {
    a.wrapping_sub(b) as i16
}

/// `a - b` for 32-bit timestamps, as the signed distance on the circle.
pub(crate) fn ts_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(first: u8, extra: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut p = vec![first, 0x88, 0x12, 0x34, 0, 0, 0x01, 0x40, 0xDE, 0xAD, 0xBE, 0xEF];
        p.extend_from_slice(extra);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn fixed_header_fields() {
        let bytes = packet(0x80, &[], &[1, 2, 3]);
        let p = RtpPacket::parse(&bytes).unwrap();
        assert!(p.marker);
        assert_eq!(p.payload_type, 8);
        assert_eq!(p.sequence, 0x1234);
        assert_eq!(p.timestamp, 320);
        assert_eq!(p.ssrc, 0xDEAD_BEEF);
        assert_eq!(p.payload, &[1, 2, 3]);
    }

    #[test]
    fn csrcs_extension_and_padding_are_skipped() {
        let extra = [
            0, 0, 0, 1, 0, 0, 0, 2, // two CSRCs
            0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0, // one-byte extension header, one word
        ];
        let mut bytes = packet(0x80 | 0x20 | 0x10 | 2, &extra, &[7, 8, 9]);
        bytes.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let p = RtpPacket::parse(&bytes).unwrap();
        assert_eq!(p.csrc_count, 2);
        assert!(p.has_extension);
        assert_eq!(p.payload, &[7, 8, 9]);
    }

    #[test]
    fn lengths_past_the_end_are_errors() {
        assert_eq!(RtpPacket::parse(&[0x80; 11]), Err(RtpError::TooShort));
        assert_eq!(RtpPacket::parse(&packet(0x40, &[], &[])), Err(RtpError::BadVersion));
        assert_eq!(RtpPacket::parse(&packet(0x8F, &[], &[0; 8])), Err(RtpError::CsrcPastEnd));
        let ext = [0xBE, 0xDE, 0xFF, 0xFF];
        assert_eq!(RtpPacket::parse(&packet(0x90, &ext, &[])), Err(RtpError::ExtensionPastEnd));
        assert_eq!(RtpPacket::parse(&packet(0x90, &[0xBE], &[])), Err(RtpError::ExtensionPastEnd));
        assert_eq!(RtpPacket::parse(&packet(0xA0, &[], &[1, 0])), Err(RtpError::BadPadding));
        assert_eq!(RtpPacket::parse(&packet(0xA0, &[], &[1, 3])), Err(RtpError::BadPadding));
        // Padding may eat the whole payload.
        assert_eq!(RtpPacket::parse(&packet(0xA0, &[], &[1, 2])).unwrap().payload, &[] as &[u8]);
    }

    #[test]
    fn written_header_parses_back() {
        let header = RtpHeader {
            marker: true,
            payload_type: 0x80 | 101,
            sequence: 65535,
            timestamp: u32::MAX,
            ssrc: 7,
        };
        let mut buf = [0u8; 14];
        assert_eq!(header.write(&mut buf), Ok(12));
        buf[12] = 42;
        buf[13] = 43;
        let p = RtpPacket::parse(&buf).unwrap();
        assert_eq!((p.marker, p.payload_type, p.sequence), (true, 101, 65535));
        assert_eq!((p.timestamp, p.ssrc, p.payload), (u32::MAX, 7, &[42, 43][..]));
        assert_eq!(header.write(&mut [0u8; 11]), Err(BufferTooSmall { needed: 12, available: 11 }));
    }

    #[test]
    fn rtcp_on_the_rtp_port_is_recognised() {
        assert!(looks_like_rtcp(&[0x81, 200, 0, 6]));
        assert!(looks_like_rtcp(&[0x80, 201, 0, 1]));
        assert!(!looks_like_rtcp(&[0x80, 0x00]));
        assert!(!looks_like_rtcp(&[0x80, 0x88]));
        assert!(!looks_like_rtcp(&[0x81]));
    }

    #[test]
    fn wrapping_distances() {
        assert_eq!(seq_diff(0, 65535), 1);
        assert_eq!(seq_diff(65535, 0), -1);
        assert_eq!(ts_diff(10, u32::MAX - 9), 20);
    }
}
