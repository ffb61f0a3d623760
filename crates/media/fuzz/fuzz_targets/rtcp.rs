//! Fuzzes the RTCP compound reader: every packet reads or the reader stops with a typed error;
//! report blocks never exceed what the length holds; a report we write from what was read
//! reads back to the same values.

#![no_main]

use centralita_media::rtcp::{Report, RtcpPacket, read_compound};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut seen = 0usize;
    for packet in read_compound(data) {
        if packet.is_ok() {
            seen += 1;
            assert!(seen * 4 <= data.len(), "every packet read is at least 4 bytes");
        }
        let (ssrc, sender, blocks) = match packet {
            Ok(RtcpPacket::SenderReport { ssrc, info, blocks }) => (ssrc, Some(info), blocks),
            Ok(RtcpPacket::ReceiverReport { ssrc, blocks }) => (ssrc, None, blocks),
            Ok(RtcpPacket::Other { .. }) | Err(_) => continue,
        };
        let blocks: Vec<_> = blocks.collect();
        assert!(blocks.len() <= 31);
        let block = blocks.first().copied().map(|mut b| {
            // 24 bits on the wire.
            b.cumulative_lost = b.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF);
            b
        });
        let report = Report { ssrc, sender, block, cname: b"fuzz" };
        let mut buf = vec![0u8; report.encoded_len()];
        report.write(&mut buf).expect("sized by encoded_len");
        let first = read_compound(&buf).next().expect("one packet").expect("it reads");
        match first {
            RtcpPacket::SenderReport { ssrc: s, info, mut blocks } => {
                assert_eq!((s, Some(info)), (ssrc, sender));
                assert_eq!(blocks.next(), block);
            }
            RtcpPacket::ReceiverReport { ssrc: s, mut blocks } => {
                assert_eq!((s, None), (ssrc, sender));
                assert_eq!(blocks.next(), block);
            }
            RtcpPacket::Other { .. } => panic!("we wrote an SR or RR"),
        }
    }
});
