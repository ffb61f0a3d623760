//! The RTP stream a leg sends: one SSRC, one sequence and one timeline for the leg's whole
//! life, whatever feeds it (prompt, tone, silence, the other leg's packets).
//!
//! To the phone at the other end, switching from ringback to the agent's voice must look like
//! one stream with a new talkspurt, not a new stream: a new SSRC or a jump in sequence numbers
//! makes some phones and SBCs drop audio or reset their jitter buffer. So:
//!
//! - Every source switch starts a *segment*. Its first packet has the marker bit (RFC 3551
//!   §4.1: the start of a talkspurt) and its timestamp is where the stream's clock is now,
//!   never before the end of the previous packet, so timestamps never go backwards.
//! - Audio we generate (tone, prompt, silence) advances the timestamp by the samples sent.
//! - Forwarded packets keep the source's timing: within a segment, our timestamp is the
//!   source's plus a fixed offset, and our sequence number the source's plus a fixed offset.
//!   The far end thus sees the same spacing, the same gaps for lost packets and the same order
//!   as we received, and its jitter buffer can do its job. The first forwarded packet of a
//!   segment follows our previous packet by exactly one, so sequence numbers stay continuous
//!   across every switch. A source that changes SSRC or jumps in sequence (another device, a
//!   restarted stream) starts a new segment.
//!
//! The stream's clock is `initial_ts` at the instant the leg was created, plus 8 ticks per
//! millisecond since.

use std::time::Instant;

use crate::rtcp::SenderInfo;
use crate::rtp::{seq_diff, ts_diff};

/// A jump in the source's sequence numbers larger than this starts a new segment.
const MAX_SOURCE_JUMP: i16 = 100;

/// Where a forwarded packet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourcePacket {
    /// The source stream.
    pub ssrc: u32,
    /// Its sequence number.
    pub sequence: u16,
    /// Its timestamp.
    pub timestamp: u32,
    /// Its marker bit (talkspurt or telephone-event start): kept.
    pub marker: bool,
}

/// Sequence number, timestamp and marker for a packet to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Marker bit.
    pub marker: bool,
    /// Sequence number.
    pub sequence: u16,
    /// Timestamp.
    pub timestamp: u32,
}

#[derive(Debug, Clone, Copy)]
enum Segment {
    /// A switch happened; the next packet anchors the new segment.
    Fresh,
    /// Generated audio: the next packet's timestamp.
    Generated { next_ts: u32 },
    /// Forwarded packets: our numbers are the source's plus these offsets. `issued` counts
    /// the sequence numbers the segment has used so far (saturating), to tell a reordered
    /// packet of this segment from one of before it without comparing across a wrap.
    Forwarded { src_ssrc: u32, seq_offset: u16, ts_offset: u32, issued: u32 },
}

/// Our outgoing stream's numbering.
#[derive(Debug, Clone)]
pub struct OutgoingStream {
    ssrc: u32,
    start: Instant,
    initial_ts: u32,
    /// One past the highest sequence number sent.
    next_seq: u16,
    /// The timestamp just after the last audio sent (its timestamp plus its samples).
    end_ts: Option<u32>,
    /// The last packet's timestamp and when it was sent (for the SR's RTP timestamp).
    last_sent: Option<(u32, Instant)>,
    segment: Segment,
    packets: u32,
    octets: u32,
    /// Whether a packet was sent since the last RTCP report (SR or RR).
    sent_since_report: bool,
}

impl OutgoingStream {
    /// A stream that has sent nothing.
    pub fn new(ssrc: u32, initial_seq: u16, initial_ts: u32, now: Instant) -> Self {
        OutgoingStream {
            ssrc,
            start: now,
            initial_ts,
            next_seq: initial_seq,
            end_ts: None,
            last_sent: None,
            segment: Segment::Fresh,
            packets: 0,
            octets: 0,
            sent_since_report: false,
        }
    }

    /// Our SSRC.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The stream's clock at `now`.
    fn clock(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.start);
        // Wrapping is what RTP timestamps do.
        let ticks = (elapsed.as_micros() * 8 / 1000) as u32;
        self.initial_ts.wrapping_add(ticks)
    }

    /// The first timestamp of a new segment: the clock, unless the previous packet's audio
    /// ends later than that.
    fn anchor(&self, now: Instant) -> u32 {
        let clock = self.clock(now);
        match self.end_ts {
            Some(end) if ts_diff(end, clock) > 0 => end,
            _ => clock,
        }
    }

    /// The source changes: the next packet starts a new segment, with the marker bit.
    pub fn switch(&mut self) {
        self.segment = Segment::Fresh;
    }

    /// Stamps a generated packet of `samples` samples, sent at `now`.
    pub fn generated(&mut self, now: Instant, samples: u32, payload_len: usize) -> Stamp {
        let (marker, timestamp) = match self.segment {
            Segment::Generated { next_ts } => (false, next_ts),
            _ => (true, self.anchor(now)),
        };
        self.segment = Segment::Generated { next_ts: timestamp.wrapping_add(samples) };
        let sequence = self.next_seq;
        self.sent(now, sequence, timestamp, samples, payload_len);
        Stamp { marker, sequence, timestamp }
    }

    /// Generated audio that was not sent (the server was too late to send it in time): the
    /// timeline moves on as if it had been.
    pub fn skip(&mut self, samples: u32) {
        if let Segment::Generated { next_ts } = &mut self.segment {
            *next_ts = next_ts.wrapping_add(samples);
        }
    }

    /// Stamps a forwarded packet of `samples` samples (0 for a telephone-event), or `None` if
    /// it must be dropped (it belongs before the current segment: a late packet from before a
    /// switch, whose numbers are taken).
    pub fn forwarded(
        &mut self,
        now: Instant,
        src: &SourcePacket,
        samples: u32,
        payload_len: usize,
    ) -> Option<Stamp> {
        let mut marker = src.marker;
        let continues = match self.segment {
            Segment::Forwarded { src_ssrc, seq_offset, .. } if src_ssrc == src.ssrc => {
                let distance = seq_diff(src.sequence.wrapping_add(seq_offset), self.next_seq);
                (-MAX_SOURCE_JUMP..=MAX_SOURCE_JUMP).contains(&distance)
            }
            _ => false,
        };
        if !continues {
            marker = true;
            self.segment = Segment::Forwarded {
                src_ssrc: src.ssrc,
                seq_offset: self.next_seq.wrapping_sub(src.sequence),
                ts_offset: self.anchor(now).wrapping_sub(src.timestamp),
                issued: 0,
            };
        }
        let Segment::Forwarded { seq_offset, ts_offset, issued, .. } = &mut self.segment else {
            // Set just above when it was anything else.
            return None;
        };
        let sequence = src.sequence.wrapping_add(*seq_offset);
        let timestamp = src.timestamp.wrapping_add(*ts_offset);
        // Within ±MAX_SOURCE_JUMP of next_seq, checked above.
        let distance = i32::from(seq_diff(sequence, self.next_seq));
        if distance < 0 {
            // Reordered: forward it (the far end reorders) unless its number was used before
            // this segment began.
            if distance.unsigned_abs() > *issued {
                return None;
            }
        } else {
            *issued = issued.saturating_add(distance.unsigned_abs() + 1);
        }
        self.sent(now, sequence, timestamp, samples, payload_len);
        Some(Stamp { marker, sequence, timestamp })
    }

    fn sent(&mut self, now: Instant, sequence: u16, timestamp: u32, samples: u32, len: usize) {
        if seq_diff(sequence, self.next_seq) >= 0 {
            self.next_seq = sequence.wrapping_add(1);
        }
        if samples > 0 {
            let end = timestamp.wrapping_add(samples);
            if self.end_ts.is_none_or(|e| ts_diff(end, e) > 0) {
                self.end_ts = Some(end);
            }
        }
        self.last_sent = Some((timestamp, now));
        self.packets = self.packets.wrapping_add(1);
        // RTP payloads are far below 4 GB; the counter wraps as RFC 3550 says it may.
        self.octets = self.octets.wrapping_add(len as u32);
        self.sent_since_report = true;
    }

    /// Packets sent.
    pub fn packets(&self) -> u32 {
        self.packets
    }

    /// Payload octets sent.
    pub fn octets(&self) -> u32 {
        self.octets
    }

    /// The sender info for an SR at `now` (with `ntp` the NTP time of `now`), if we sent since
    /// the previous report; starts a new report interval.
    pub fn take_sender_info(&mut self, now: Instant, ntp: u64) -> Option<SenderInfo> {
        if !std::mem::take(&mut self.sent_since_report) {
            return None;
        }
        let (last_ts, at) = self.last_sent?;
        let since = now.saturating_duration_since(at);
        let rtp_timestamp = last_ts.wrapping_add((since.as_micros() * 8 / 1000) as u32);
        Some(SenderInfo {
            ntp,
            rtp_timestamp,
            packet_count: self.packets,
            octet_count: self.octets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn generated_then_forwarded_then_generated_is_continuous() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut s = OutgoingStream::new(1, 65534, 1000, t0);
        let a = s.generated(ms(0), 160, 160);
        let b = s.generated(ms(20), 160, 160);
        assert_eq!((a.marker, a.sequence, a.timestamp), (true, 65534, 1000));
        assert_eq!((b.marker, b.sequence, b.timestamp), (false, 65535, 1160));
        s.switch();
        let src = |seq: u16, ts: u32| SourcePacket {
            ssrc: 9,
            sequence: seq,
            timestamp: ts,
            marker: false,
        };
        let c = s.forwarded(ms(45), &src(500, 90_000), 160, 160).unwrap();
        // The clock at 45 ms is 1360; the previous packet ended at 1320.
        assert_eq!((c.marker, c.sequence, c.timestamp), (true, 0, 1360));
        // The source lost 501: the gap is kept in both numbers.
        let d = s.forwarded(ms(85), &src(502, 90_320), 160, 160).unwrap();
        assert_eq!((d.marker, d.sequence, d.timestamp), (false, 2, 1680));
        // 501 arrives late: it gets its own place.
        let e = s.forwarded(ms(86), &src(501, 90_160), 160, 160).unwrap();
        assert_eq!((e.sequence, e.timestamp), (1, 1520));
        // A packet from before the segment is dropped.
        assert_eq!(s.forwarded(ms(87), &src(499, 89_840), 160, 160), None);
        s.switch();
        let f = s.generated(ms(100), 160, 160);
        assert_eq!((f.marker, f.sequence, f.timestamp), (true, 3, 1840));
    }

    #[test]
    fn a_new_source_ssrc_or_a_jump_starts_a_segment() {
        let t0 = Instant::now();
        let mut s = OutgoingStream::new(1, 10, 0, t0);
        let p =
            |ssrc: u32, seq: u16| SourcePacket { ssrc, sequence: seq, timestamp: 0, marker: false };
        assert!(s.forwarded(t0, &p(5, 100), 160, 160).unwrap().marker);
        assert!(!s.forwarded(t0, &p(5, 101), 160, 160).unwrap().marker);
        let other = s.forwarded(t0, &p(6, 7), 160, 160).unwrap();
        assert_eq!((other.marker, other.sequence), (true, 12));
        let jump = s.forwarded(t0, &p(6, 5000), 160, 160).unwrap();
        assert_eq!((jump.marker, jump.sequence), (true, 13));
    }

    #[test]
    fn a_long_bridge_keeps_forwarding_across_the_wrap() {
        let t0 = Instant::now();
        let mut s = OutgoingStream::new(1, 0, 0, t0);
        let p = |seq: u16| SourcePacket { ssrc: 5, sequence: seq, timestamp: 0, marker: false };
        // 200,000 packets (more than an hour), one reordered pair in every hundred.
        for n in 0..200_000u32 {
            let seq = if n % 100 == 50 {
                n + 1
            } else if n % 100 == 51 {
                n - 1
            } else {
                n
            };
            let stamp = s.forwarded(t0, &p(seq as u16), 160, 160);
            assert_eq!(stamp.map(|st| st.sequence), Some(seq as u16), "packet {n}");
        }
    }
}
