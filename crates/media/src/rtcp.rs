//! RTCP (RFC 3550 §6): reading compound packets, writing our sender/receiver report, and the
//! receiver statistics a report block carries (RFC 3550 appendix A.1, A.3 and A.8).
//!
//! We read sender reports (SR) and receiver reports (RR) with their report blocks, and skip
//! every other packet type (SDES, BYE, APP, feedback) by its length. We write one compound
//! packet per report interval: SR when we sent media since the last report, RR otherwise, with
//! at most one report block (a leg receives one stream), followed by the SDES CNAME item RFC
//! 3550 §6.1 requires in every compound packet.
//!
//! Time on the wire is NTP time (RFC 5905, 32.32 fixed point). This crate has no wall clock:
//! the leg maps its `Instant`s to NTP from a value the caller read once (see `LegConfig`), which
//! is all round-trip time needs, since it only compares our own timestamps with each other.

use std::time::{Duration, Instant};

use crate::error::{BufferTooSmall, RtcpError};

/// Packet type of a sender report.
pub const PT_SR: u8 = 200;
/// Packet type of a receiver report.
pub const PT_RR: u8 = 201;
/// Packet type of source description items.
pub const PT_SDES: u8 = 202;
/// Packet type of a goodbye.
pub const PT_BYE: u8 = 203;

/// Length of one report block.
const BLOCK_LEN: usize = 24;
/// Length of the sender info of an SR.
const SENDER_INFO_LEN: usize = 20;

/// One reception report block: what a receiver says about one stream it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The stream this block is about.
    pub ssrc: u32,
    /// Packets lost since the previous report, as a fraction of 256.
    pub fraction_lost: u8,
    /// Packets lost since the start (expected minus received); negative with duplicates.
    /// 24 bits signed on the wire.
    pub cumulative_lost: i32,
    /// Highest sequence number received, with the wrap count in the upper 16 bits.
    pub extended_highest_seq: u32,
    /// Interarrival jitter in timestamp units (1/8000 s for G.711).
    pub jitter: u32,
    /// Middle 32 bits of the NTP time of the last SR received from that stream, 0 if none.
    pub last_sr: u32,
    /// Delay between receiving that SR and sending this block, in 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl ReportBlock {
    fn parse(b: &[u8; BLOCK_LEN]) -> Self {
        let u32_at = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        // Sign-extend the 24-bit cumulative loss.
        let cumulative_lost = (i32::from_be_bytes([b[5], b[6], b[7], 0])) >> 8;
        ReportBlock {
            ssrc: u32_at(0),
            fraction_lost: b[4],
            cumulative_lost,
            extended_highest_seq: u32_at(8),
            jitter: u32_at(12),
            last_sr: u32_at(16),
            delay_since_last_sr: u32_at(20),
        }
    }

    fn write(&self, out: &mut [u8]) {
        out[0..4].copy_from_slice(&self.ssrc.to_be_bytes());
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7F_FFFF).to_be_bytes();
        out[4] = self.fraction_lost;
        out[5..8].copy_from_slice(&lost[1..4]);
        out[8..12].copy_from_slice(&self.extended_highest_seq.to_be_bytes());
        out[12..16].copy_from_slice(&self.jitter.to_be_bytes());
        out[16..20].copy_from_slice(&self.last_sr.to_be_bytes());
        out[20..24].copy_from_slice(&self.delay_since_last_sr.to_be_bytes());
    }

    /// Round-trip time from this block, received at NTP time `now_ntp` about a stream whose
    /// SRs we send (RFC 3550 §6.4.1: arrival − LSR − DLSR). `None` when the peer has not yet
    /// received an SR from us, or the result is negative (clocks or a forged block).
    pub fn round_trip(&self, now_ntp: u64) -> Option<Duration> {
        if self.last_sr == 0 {
            return None;
        }
        let rtt =
            ntp_middle(now_ntp).wrapping_sub(self.last_sr).wrapping_sub(self.delay_since_last_sr);
        // Above 2^31 means negative; a round trip of more than 9 hours is not one.
        (rtt < 1 << 31).then(|| Duration::from_nanos((u64::from(rtt) * 1_000_000_000) >> 16))
    }
}

/// The sender info of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// Wall-clock time of the report (NTP 32.32).
    pub ntp: u64,
    /// The same instant in the stream's RTP timestamp units.
    pub rtp_timestamp: u32,
    /// Packets sent since the stream started.
    pub packet_count: u32,
    /// Payload octets sent since the stream started.
    pub octet_count: u32,
}

/// The report blocks of an SR or RR, read lazily from the datagram.
#[derive(Debug, Clone)]
pub struct ReportBlocks<'a> {
    /// Whole blocks only: the parser checked the count against the length.
    bytes: &'a [u8],
}

impl Iterator for ReportBlocks<'_> {
    type Item = ReportBlock;

    fn next(&mut self) -> Option<ReportBlock> {
        let (block, rest) = self.bytes.split_first_chunk::<BLOCK_LEN>()?;
        self.bytes = rest;
        Some(ReportBlock::parse(block))
    }
}

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone)]
pub enum RtcpPacket<'a> {
    /// A sender report: the sender's clock and counters, and its reception reports.
    SenderReport {
        /// The sender's SSRC.
        ssrc: u32,
        /// Its clock and counters.
        info: SenderInfo,
        /// What it says about the streams it receives.
        blocks: ReportBlocks<'a>,
    },
    /// A receiver report: reception reports only.
    ReceiverReport {
        /// The reporter's SSRC.
        ssrc: u32,
        /// What it says about the streams it receives.
        blocks: ReportBlocks<'a>,
    },
    /// Any other type (SDES, BYE, APP, RTPFB, ...), skipped.
    Other {
        /// The packet type.
        packet_type: u8,
    },
}

/// Reads the packets of a compound RTCP datagram one by one; stops after the first error.
#[derive(Debug, Clone)]
pub struct RtcpReader<'a> {
    rest: &'a [u8],
    failed: bool,
}

/// Reads `bytes` as a compound RTCP datagram.
pub fn read_compound(bytes: &[u8]) -> RtcpReader<'_> {
    RtcpReader { rest: bytes, failed: false }
}

impl<'a> Iterator for RtcpReader<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let result = self.read_one();
        self.failed = result.is_err();
        Some(result)
    }
}

impl<'a> RtcpReader<'a> {
    fn read_one(&mut self) -> Result<RtcpPacket<'a>, RtcpError> {
        let Some(head) = self.rest.first_chunk::<4>() else {
            return Err(RtcpError::Truncated);
        };
        if head[0] >> 6 != 2 {
            return Err(RtcpError::BadVersion);
        }
        let count = usize::from(head[0] & 0x1F);
        let packet_type = head[1];
        // The length counts 32-bit words minus one, header included.
        let len = (usize::from(u16::from_be_bytes([head[2], head[3]])) + 1) * 4;
        let Some(packet) = self.rest.get(..len) else {
            return Err(RtcpError::LengthPastEnd);
        };
        self.rest = &self.rest[len..];
        let body = &packet[4..];
        let blocks_at = |offset: usize| -> Result<ReportBlocks<'a>, RtcpError> {
            let wanted = offset + count * BLOCK_LEN;
            match body.get(offset..wanted) {
                Some(bytes) => Ok(ReportBlocks { bytes }),
                None => Err(RtcpError::TooManyBlocks),
            }
        };
        let u32_at =
            |at: usize| u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        match packet_type {
            PT_SR => {
                if body.len() < 4 + SENDER_INFO_LEN {
                    return Err(RtcpError::Truncated);
                }
                let info = SenderInfo {
                    ntp: (u64::from(u32_at(4)) << 32) | u64::from(u32_at(8)),
                    rtp_timestamp: u32_at(12),
                    packet_count: u32_at(16),
                    octet_count: u32_at(20),
                };
                let blocks = blocks_at(4 + SENDER_INFO_LEN)?;
                Ok(RtcpPacket::SenderReport { ssrc: u32_at(0), info, blocks })
            }
            PT_RR => {
                if body.len() < 4 {
                    return Err(RtcpError::Truncated);
                }
                let blocks = blocks_at(4)?;
                Ok(RtcpPacket::ReceiverReport { ssrc: u32_at(0), blocks })
            }
            _ => Ok(RtcpPacket::Other { packet_type }),
        }
    }
}

/// What one of our reports says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report<'a> {
    /// Our SSRC.
    pub ssrc: u32,
    /// Present if we sent media since the previous report: the packet is then an SR.
    pub sender: Option<SenderInfo>,
    /// Present once we receive a stream.
    pub block: Option<ReportBlock>,
    /// Our canonical name (SDES CNAME), at most 255 bytes; longer is cut.
    pub cname: &'a [u8],
}

impl Report<'_> {
    /// Bytes [`Report::write`] needs.
    pub fn encoded_len(&self) -> usize {
        let report = 8 + if self.sender.is_some() { SENDER_INFO_LEN } else { 0 };
        let blocks = if self.block.is_some() { BLOCK_LEN } else { 0 };
        report + blocks + self.sdes_len()
    }

    fn cname(&self) -> &[u8] {
        &self.cname[..self.cname.len().min(255)]
    }

    fn sdes_len(&self) -> usize {
        // Header, SSRC, CNAME item (type, length, text), the end-of-list zero, padded to 4.
        (8 + 2 + self.cname().len() + 1).div_ceil(4) * 4
    }

    /// Writes the compound packet (SR or RR, then SDES) into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, BufferTooSmall> {
        let total = self.encoded_len();
        BufferTooSmall::check(out, total)?;
        let out = &mut out[..total];
        out.fill(0);
        let count = u8::from(self.block.is_some());
        let mut at = 8;
        let packet_type = if let Some(info) = &self.sender {
            out[8..12].copy_from_slice(&((info.ntp >> 32) as u32).to_be_bytes());
            out[12..16].copy_from_slice(&(info.ntp as u32).to_be_bytes());
            out[16..20].copy_from_slice(&info.rtp_timestamp.to_be_bytes());
            out[20..24].copy_from_slice(&info.packet_count.to_be_bytes());
            out[24..28].copy_from_slice(&info.octet_count.to_be_bytes());
            at += SENDER_INFO_LEN;
            PT_SR
        } else {
            PT_RR
        };
        if let Some(block) = &self.block {
            block.write(&mut out[at..at + BLOCK_LEN]);
            at += BLOCK_LEN;
        }
        write_header(out, count, packet_type, at);
        out[4..8].copy_from_slice(&self.ssrc.to_be_bytes());

        let sdes = &mut out[at..];
        let sdes_len = sdes.len();
        write_header(sdes, 1, PT_SDES, sdes_len);
        sdes[4..8].copy_from_slice(&self.ssrc.to_be_bytes());
        let cname = self.cname();
        sdes[8] = 1; // CNAME
        // `cname()` is at most 255 bytes long.
        sdes[9] = cname.len() as u8;
        sdes[10..10 + cname.len()].copy_from_slice(cname);
        // The end-of-list zero and the padding are already zero.
        Ok(total)
    }
}

fn write_header(out: &mut [u8], count: u8, packet_type: u8, len: usize) {
    out[0] = 0x80 | count;
    out[1] = packet_type;
    // Our packets are at most a few hundred bytes: the word count fits in 16 bits.
    out[2..4].copy_from_slice(&((len / 4 - 1) as u16).to_be_bytes());
}

/// The middle 32 bits of an NTP timestamp: what LSR and RTT computations use.
pub fn ntp_middle(ntp: u64) -> u32 {
    (ntp >> 16) as u32
}

/// `base` plus `elapsed`, in NTP 32.32 units (wrapping, as NTP eras do).
pub fn ntp_add(base: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs() << 32;
    let frac = (u64::from(elapsed.subsec_nanos()) << 32) / 1_000_000_000;
    base.wrapping_add(secs | frac)
}

/// Largest gap in sequence numbers still taken as loss, not as a restarted stream (A.1).
const MAX_DROPOUT: u16 = 3000;
/// Largest step backwards still taken as reordering, not as a restarted stream (A.1).
const MAX_MISORDER: u16 = 100;

/// Statistics of the stream a leg receives, as RFC 3550 appendix A.1, A.3 and A.8 define them.
///
/// Without probation: a leg only counts packets from the address it latched on, so the "is
/// this a real source" question of A.1 is already answered.
#[derive(Debug, Clone, Default)]
pub struct ReceiverStats {
    /// The stream being counted; a new SSRC restarts the counts.
    ssrc: Option<u32>,
    /// Highest sequence number seen.
    max_seq: u16,
    /// Sequence wraps, shifted by 16 (the upper half of the extended sequence number).
    cycles: u32,
    /// Extended sequence number of the first packet.
    base_seq: u32,
    /// The sequence number after a large jump; if the next packet has it, the stream restarted.
    bad_seq: Option<u16>,
    /// Packets counted (duplicates included, as A.3 does).
    received: u32,
    /// `expected()` at the previous report block.
    expected_prior: u32,
    /// `received` at the previous report block.
    received_prior: u32,
    /// Relative transit time of the previous audio packet, for the jitter.
    transit: Option<u32>,
    /// Interarrival jitter ×16 (A.8 keeps four fractional bits to avoid rounding drift).
    jitter_q4: u64,
    /// Middle NTP bits of the last SR received, and when it arrived.
    last_sr: Option<(u32, Instant)>,
}

impl ReceiverStats {
    /// No stream yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a packet. `timestamp` is the RTP timestamp for audio packets and `None` for
    /// packets whose timestamp is not their sampling time (RFC 4733 events keep the event's
    /// start for every packet); `arrival` is the arrival time in the same units (8 kHz) from
    /// any fixed origin.
    pub fn on_packet(&mut self, ssrc: u32, seq: u16, timestamp: Option<u32>, arrival: u32) {
        if self.ssrc != Some(ssrc) {
            *self = ReceiverStats { ssrc: Some(ssrc), last_sr: self.last_sr, ..Self::default() };
            self.restart(seq);
        } else if !self.update_seq(seq) {
            return;
        }
        self.received = self.received.wrapping_add(1);
        if let Some(ts) = timestamp {
            let transit = arrival.wrapping_sub(ts);
            if let Some(previous) = self.transit {
                let d = u64::from((transit.wrapping_sub(previous) as i32).unsigned_abs());
                // J += (|D| - J) / 16, with J kept ×16.
                self.jitter_q4 = (self.jitter_q4 + d).saturating_sub((self.jitter_q4 + 8) >> 4);
            }
            self.transit = Some(transit);
        }
    }

    fn restart(&mut self, seq: u16) {
        self.max_seq = seq;
        self.cycles = 0;
        self.base_seq = u32::from(seq);
        self.bad_seq = None;
        self.received = 0;
        self.expected_prior = 0;
        self.received_prior = 0;
        self.transit = None;
    }

    /// A.1's `update_seq`: false when the packet must not be counted (a first packet after a
    /// large jump, which is remembered to detect a restarted stream).
    fn update_seq(&mut self, seq: u16) -> bool {
        let delta = seq.wrapping_sub(self.max_seq);
        if delta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(1 << 16);
            }
            self.max_seq = seq;
        } else if delta <= u16::MAX - MAX_MISORDER {
            if self.bad_seq == Some(seq) {
                // Two packets in a row after a jump: the sender restarted its sequence.
                self.restart(seq);
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                return false;
            }
        }
        // Otherwise a duplicate or reordered packet: counted, the maximum unchanged.
        true
    }

    /// Whether a stream has been received.
    pub fn has_stream(&self) -> bool {
        self.ssrc.is_some()
    }

    /// The SSRC being received.
    pub fn ssrc(&self) -> Option<u32> {
        self.ssrc
    }

    /// Highest sequence number with the wrap count in the upper 16 bits.
    pub fn extended_highest_seq(&self) -> u32 {
        self.cycles | u32::from(self.max_seq)
    }

    /// Packets expected from the first to the highest sequence number.
    pub fn expected(&self) -> u32 {
        if self.ssrc.is_none() {
            return 0;
        }
        self.extended_highest_seq().wrapping_sub(self.base_seq).wrapping_add(1)
    }

    /// Packets received (duplicates included).
    pub fn received(&self) -> u32 {
        self.received
    }

    /// Expected minus received, clamped to the 24-bit signed range of the report block.
    pub fn cumulative_lost(&self) -> i32 {
        let lost = i64::from(self.expected()) - i64::from(self.received);
        // The clamp makes the value fit in 24 bits, hence in an i32.
        lost.clamp(-0x80_0000, 0x7F_FFFF) as i32
    }

    /// Interarrival jitter in timestamp units.
    pub fn jitter(&self) -> u32 {
        u32::try_from(self.jitter_q4 >> 4).unwrap_or(u32::MAX)
    }

    /// Interarrival jitter in milliseconds (8 kHz clock).
    pub fn jitter_ms(&self) -> f64 {
        f64::from(self.jitter()) / 8.0
    }

    /// Remembers an SR from the stream, for the LSR/DLSR fields of our next block.
    pub fn on_sender_report(&mut self, now: Instant, ntp: u64) {
        self.last_sr = Some((ntp_middle(ntp), now));
    }

    /// The report block to send now, starting a new interval for the fraction lost (A.3).
    pub fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let ssrc = self.ssrc?;
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            // lost_interval <= expected_interval, so the quotient is at most 256; 256 (every
            // packet lost, which cannot happen since we count at least one) is clamped.
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sr, delay_since_last_sr) = match self.last_sr {
            Some((lsr, at)) => {
                let delay = now.saturating_duration_since(at);
                let units = (delay.as_nanos() << 16) / 1_000_000_000;
                (lsr, u32::try_from(units).unwrap_or(u32::MAX))
            }
            None => (0, 0),
        };
        Some(ReportBlock {
            ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost(),
            extended_highest_seq: self.extended_highest_seq(),
            jitter: self.jitter(),
            last_sr,
            delay_since_last_sr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sr_with_a_block_round_trips() {
        let block = ReportBlock {
            ssrc: 0x1111_2222,
            fraction_lost: 64,
            cumulative_lost: -5,
            extended_highest_seq: 0x0001_0005,
            jitter: 37,
            last_sr: 0xAABB_CCDD,
            delay_since_last_sr: 65536,
        };
        let info = SenderInfo {
            ntp: 0x0102_0304_0506_0708,
            rtp_timestamp: 160_000,
            packet_count: 1000,
            octet_count: 160_000,
        };
        let report = Report { ssrc: 7, sender: Some(info), block: Some(block), cname: b"abcd1234" };
        let mut buf = [0u8; 128];
        let n = report.write(&mut buf).unwrap();
        assert_eq!(n, report.encoded_len());
        assert_eq!(n % 4, 0);
        let packets: Vec<_> = read_compound(&buf[..n]).collect::<Result<_, _>>().unwrap();
        assert_eq!(packets.len(), 2);
        let RtcpPacket::SenderReport { ssrc, info: got, blocks } = &packets[0] else {
            panic!("{packets:?}")
        };
        assert_eq!((*ssrc, *got), (7, info));
        assert_eq!(blocks.clone().collect::<Vec<_>>(), vec![block]);
        assert!(matches!(packets[1], RtcpPacket::Other { packet_type: PT_SDES }));
    }

    #[test]
    fn rr_without_blocks_round_trips() {
        let report = Report { ssrc: 9, sender: None, block: None, cname: b"" };
        let mut buf = [0u8; 64];
        let n = report.write(&mut buf).unwrap();
        let first = read_compound(&buf[..n]).next().unwrap().unwrap();
        let RtcpPacket::ReceiverReport { ssrc, mut blocks } = first else { panic!("{first:?}") };
        assert_eq!(ssrc, 9);
        assert!(blocks.next().is_none());
        assert!(report.write(&mut [0u8; 8]).is_err());
    }

    #[test]
    fn bad_compounds_stop_at_the_first_error() {
        // RR claiming two blocks in a 2-word body.
        let rr = [0x82, PT_RR, 0, 1, 0, 0, 0, 1];
        let got: Vec<_> = read_compound(&rr).collect();
        assert_eq!(got.len(), 1);
        assert!(matches!(got[0], Err(RtcpError::TooManyBlocks)));
        // A BYE, then a length past the end.
        let two = [0x81, PT_BYE, 0, 1, 0, 0, 0, 1, 0x80, PT_RR, 0, 9];
        let got: Vec<_> = read_compound(&two).collect();
        assert!(matches!(got[0], Ok(RtcpPacket::Other { packet_type: PT_BYE })));
        assert!(matches!(got[1], Err(RtcpError::LengthPastEnd)));
        assert_eq!(got.len(), 2);
        assert!(matches!(
            read_compound(&[0x40, 200, 0, 0]).next(),
            Some(Err(RtcpError::BadVersion))
        ));
        assert!(matches!(read_compound(&[0x80, 200]).next(), Some(Err(RtcpError::Truncated))));
        // An SR too short for its sender info.
        assert!(matches!(
            read_compound(&[0x80, PT_SR, 0, 1, 0, 0, 0, 1]).next(),
            Some(Err(RtcpError::Truncated))
        ));
    }

    #[test]
    fn in_order_stream_has_no_loss() {
        let mut s = ReceiverStats::new();
        for n in 0..100u16 {
            s.on_packet(1, 65500u16.wrapping_add(n), Some(u32::from(n) * 160), u32::from(n) * 160);
        }
        assert_eq!(s.expected(), 100);
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(s.extended_highest_seq(), (1 << 16) | 63);
        assert_eq!(s.jitter(), 0);
        let block = s.report_block(Instant::now()).unwrap();
        assert_eq!(block.fraction_lost, 0);
    }

    #[test]
    fn loss_is_counted_and_the_fraction_is_per_interval() {
        let mut s = ReceiverStats::new();
        let now = Instant::now();
        // 100 packets, every 4th lost: 25 % in the first interval.
        for n in (0..100u16).filter(|n| n % 4 != 3) {
            s.on_packet(5, n, Some(u32::from(n) * 160), u32::from(n) * 160);
        }
        // The highest seq is 98, so 99 expected and 75 received.
        assert_eq!(s.cumulative_lost(), 99 - 75);
        let block = s.report_block(now).unwrap();
        assert_eq!(block.fraction_lost, ((24 << 8) / 99) as u8);
        // The second interval: only 99 (lost at the end of the first, seen missing once 100
        // arrives) is lost out of 101.
        for n in 100..200u16 {
            s.on_packet(5, n, Some(u32::from(n) * 160), u32::from(n) * 160);
        }
        let block = s.report_block(now).unwrap();
        assert_eq!(block.fraction_lost, (256 / 101) as u8);
        assert_eq!(block.cumulative_lost, 25);
        // A clean third interval: fraction 0, cumulative unchanged.
        for n in 200..300u16 {
            s.on_packet(5, n, Some(u32::from(n) * 160), u32::from(n) * 160);
        }
        let block = s.report_block(now).unwrap();
        assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 25));
    }

    #[test]
    fn jitter_follows_a8_for_a_constant_alternating_delay() {
        let mut s = ReceiverStats::new();
        // Arrivals alternate 0 and 40 samples (5 ms) late: |D| = 40 every packet, so J → 40.
        for n in 0..500u32 {
            s.on_packet(5, n as u16, Some(n * 160), n * 160 + (n % 2) * 40);
        }
        assert!((39..=40).contains(&s.jitter()), "{}", s.jitter());
        assert!((s.jitter_ms() - 5.0).abs() < 0.2);
    }

    #[test]
    fn a_restarted_sequence_resyncs_after_two_packets() {
        let mut s = ReceiverStats::new();
        for n in 0..10u16 {
            s.on_packet(5, n, None, 0);
        }
        s.on_packet(5, 30_000, None, 0); // a jump: not counted yet
        assert_eq!(s.received(), 10);
        s.on_packet(5, 30_001, None, 0); // confirmed: a new sequence
        assert_eq!(s.received(), 1);
        assert_eq!(s.expected(), 1);
        // A new SSRC restarts too.
        s.on_packet(6, 7, None, 0);
        assert_eq!((s.ssrc(), s.received(), s.expected()), (Some(6), 1, 1));
    }

    #[test]
    fn round_trip_from_lsr_and_dlsr() {
        let block =
            ReportBlock { last_sr: 0x0001_0000, delay_since_last_sr: 0x8000, ..Default::default() };
        // Now is 2 s in middle-bits units: 2 - 1 - 0.5 = 0.5 s.
        let now_ntp = 0x0002_0000u64 << 16;
        assert_eq!(block.round_trip(now_ntp), Some(Duration::from_millis(500)));
        assert_eq!(ReportBlock::default().round_trip(now_ntp), None);
        let early = 0x0001_0000u64 << 16;
        assert_eq!(block.round_trip(early), None);
    }

    #[test]
    fn ntp_add_counts_fractions() {
        assert_eq!(ntp_add(0, Duration::from_millis(500)), 1 << 31);
        assert_eq!(ntp_add(5 << 32, Duration::from_secs(2)), 7 << 32);
    }
}
