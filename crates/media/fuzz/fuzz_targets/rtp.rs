//! Fuzzes the RTP parser: any bytes parse or fail with a typed error, the payload lies inside
//! the datagram after the header, and what parses writes back to the same header fields.

#![no_main]

use centralita_media::rtp::{HEADER_LEN, RtpHeader, RtpPacket, looks_like_rtcp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = looks_like_rtcp(data);
    let Ok(p) = RtpPacket::parse(data) else { return };
    assert!(p.payload.len() + HEADER_LEN + usize::from(p.csrc_count) * 4 <= data.len());
    let header = RtpHeader {
        marker: p.marker,
        payload_type: p.payload_type,
        sequence: p.sequence,
        timestamp: p.timestamp,
        ssrc: p.ssrc,
    };
    let mut out = vec![0u8; HEADER_LEN + p.payload.len()];
    header.write(&mut out).expect("the buffer is long enough");
    out[HEADER_LEN..].copy_from_slice(p.payload);
    let again = RtpPacket::parse(&out).expect("a written packet parses");
    assert_eq!(
        (again.marker, again.payload_type, again.sequence),
        (p.marker, p.payload_type, p.sequence)
    );
    assert_eq!((again.timestamp, again.ssrc, again.payload), (p.timestamp, p.ssrc, p.payload));
});
