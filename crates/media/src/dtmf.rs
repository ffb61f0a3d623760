//! Out-of-band DTMF: RFC 4733 telephone-events (payload, receiver, sender) and the two SIP
//! INFO bodies phones use.
//!
//! A key press travels as a burst of RTP packets sharing one timestamp (the press's start): a
//! first packet with the marker bit, updates whose duration grows, and (usually) three copies of
//! the final packet with the end bit. Any of them can be lost, duplicated or reordered. The
//! [`DtmfReceiver`] turns that into each press reported exactly once, as early as it is
//! believable: at the end bit, or once the press has lasted 40 ms, or (when every later packet
//! was lost) when the next press starts or 200 ms after its last packet.

use std::time::{Duration, Instant};

use crate::error::{SipInfoError, TelephoneEventError};
use crate::rtp::ts_diff;

/// The DTMF keys of RFC 4733 §3.2, by event code 0-15.
const KEYS: [char; 16] =
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/// The key of an event code (0-9, 10 = `*`, 11 = `#`, 12-15 = A-D); `None` for other events.
pub fn event_key(event: u8) -> Option<char> {
    KEYS.get(usize::from(event)).copied()
}

/// The event code of a key (`0`-`9`, `*`, `#`, `A`-`D`, lower case accepted).
pub fn key_event(key: char) -> Option<u8> {
    let key = key.to_ascii_uppercase();
    // KEYS has 16 entries, so the position fits in a u8.
    KEYS.iter().position(|&k| k == key).map(|p| p as u8)
}

/// One RFC 4733 telephone-event payload (§2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0-15 are the DTMF keys.
    pub event: u8,
    /// Set on the final packet(s) of the event.
    pub end: bool,
    /// Power level of the tone, in -dBm0 (0-63).
    pub volume: u8,
    /// How long the event has lasted so far, in timestamp units (8 kHz).
    pub duration: u16,
}

impl TelephoneEvent {
    /// Length of one event payload.
    pub const LEN: usize = 4;

    /// Reads the first event of a payload (RFC 4733 allows several only with redundancy,
    /// which we do not negotiate; trailing bytes are ignored).
    pub fn parse(payload: &[u8]) -> Result<Self, TelephoneEventError> {
        let Some(b) = payload.first_chunk::<4>() else {
            return Err(TelephoneEventError::TooShort);
        };
        Ok(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3F,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4-byte payload.
    pub fn to_bytes(&self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [self.event, (u8::from(self.end) << 7) | (self.volume & 0x3F), d[0], d[1]]
    }
}

/// Duration after which a press without an end packet is believed (40 ms at 8 kHz).
const REPORT_AFTER_DURATION: u16 = 320;
/// Time after the last packet of an unreported press at which it is reported anyway.
const REPORT_AFTER_SILENCE: Duration = Duration::from_millis(200);
/// How many reported presses are remembered to recognise their late packets.
const REMEMBERED: usize = 8;

/// The press being received.
#[derive(Debug, Clone, Copy)]
struct Press {
    /// RTP timestamp shared by all the packets of the press: its identity.
    timestamp: u32,
    event: u8,
    reported: bool,
    ended: bool,
    last_packet: Instant,
}

/// Turns telephone-event packets into key presses, each reported exactly once.
#[derive(Debug, Clone)]
pub struct DtmfReceiver {
    current: Option<Press>,
    /// Timestamps of presses already reported: their retransmitted or late packets are ignored.
    reported: [Option<u32>; REMEMBERED],
    /// Next slot of `reported` to overwrite.
    reported_next: usize,
    /// Keys to hand out; one packet can report at most two (the previous press and its own).
    pending: [Option<char>; 2],
}

impl Default for DtmfReceiver {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfReceiver {
    /// A receiver that has seen nothing.
    pub fn new() -> Self {
        DtmfReceiver {
            current: None,
            reported: [None; REMEMBERED],
            reported_next: 0,
            pending: [None; 2],
        }
    }

    /// A telephone-event packet arrived. `marker` is the RTP marker bit (set on the first
    /// packet of a press, clear on the continuation segments of a press longer than 8 s).
    pub fn handle(&mut self, now: Instant, timestamp: u32, marker: bool, ev: &TelephoneEvent) {
        if event_key(ev.event).is_none() || self.was_reported(timestamp) {
            return;
        }
        match self.current {
            Some(ref mut press) if press.timestamp == timestamp => {
                press.ended |= ev.end;
                press.last_packet = now;
            }
            Some(press) if ts_diff(timestamp, press.timestamp) < 0 => {
                // A late packet of an older press we never saw: reporting it now would put the
                // keys out of order.
                return;
            }
            Some(press) if press.event == ev.event && !marker && !press.ended => {
                // RFC 4733 §2.5.1.3: a long press continues with a new timestamp and no marker.
                if press.reported {
                    self.remember(timestamp);
                }
                self.current = Some(Press { timestamp, last_packet: now, ended: ev.end, ..press });
            }
            _ => {
                self.report_unreported();
                self.current = Some(Press {
                    timestamp,
                    event: ev.event,
                    reported: false,
                    ended: ev.end,
                    last_packet: now,
                });
            }
        }
        if ev.end || ev.duration >= REPORT_AFTER_DURATION {
            self.report_unreported();
        }
    }

    /// When [`DtmfReceiver::handle_timeout`] must run: 200 ms after the last packet of a
    /// press not yet reported.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.current.filter(|p| !p.reported).map(|p| p.last_packet + REPORT_AFTER_SILENCE)
    }

    /// Reports a press whose later packets were all lost.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|at| at <= now) {
            self.report_unreported();
        }
    }

    /// The next key pressed, in order.
    pub fn poll(&mut self) -> Option<char> {
        let key = self.pending[0].take();
        self.pending.rotate_left(1);
        key
    }

    fn report_unreported(&mut self) {
        let Some(press) = self.current.as_mut().filter(|p| !p.reported) else { return };
        press.reported = true;
        let (timestamp, event) = (press.timestamp, press.event);
        self.remember(timestamp);
        // `handle` only keeps presses whose event has a key.
        let key = event_key(event);
        if let Some(slot) = self.pending.iter_mut().find(|slot| slot.is_none()) {
            *slot = key;
        }
    }

    fn remember(&mut self, timestamp: u32) {
        self.reported[self.reported_next] = Some(timestamp);
        self.reported_next = (self.reported_next + 1) % REMEMBERED;
    }

    /// Whether `timestamp` belongs to a finished press (packets of the current press still
    /// count: their end bit says the press is over).
    fn was_reported(&self, timestamp: u32) -> bool {
        self.current.is_none_or(|p| p.timestamp != timestamp)
            && self.reported.contains(&Some(timestamp))
    }
}

/// One packet of a press to send, and when to send it relative to the press's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DtmfPacket {
    /// Milliseconds after the first packet.
    pub offset_ms: u32,
    /// Marker bit: set on the first packet only.
    pub marker: bool,
    /// The payload.
    pub event: TelephoneEvent,
}

/// The packets of one key press (RFC 4733 §2.5.1): a first packet with the marker, an update
/// every 20 ms with the duration so far, and the final duration three times with the end bit.
/// All share the press's RTP timestamp (the caller's).
#[derive(Debug, Clone)]
pub struct PressPackets {
    event: u8,
    volume: u8,
    /// Total duration in timestamp units.
    total: u16,
    /// Packets produced so far.
    sent: u32,
    /// End packets produced so far.
    ends: u32,
}

impl PressPackets {
    /// The packets of pressing `key` for `duration_ms` (at least 20, at most 8 s) at `volume`
    /// -dBm0; `None` if `key` is not a DTMF key.
    pub fn new(key: char, duration_ms: u32, volume: u8) -> Option<Self> {
        let total = duration_ms.clamp(20, 8000) * 8;
        Some(PressPackets {
            event: key_event(key)?,
            volume: volume.min(63),
            // At most 64000 after the clamp.
            total: total as u16,
            sent: 0,
            ends: 0,
        })
    }
}

impl Iterator for PressPackets {
    type Item = DtmfPacket;

    fn next(&mut self) -> Option<DtmfPacket> {
        if self.ends == 3 {
            return None;
        }
        let duration = (self.sent + 1).saturating_mul(160).min(u32::from(self.total));
        let end = duration == u32::from(self.total);
        let packet = DtmfPacket {
            offset_ms: self.sent * 20,
            marker: self.sent == 0,
            event: TelephoneEvent {
                event: self.event,
                end,
                volume: self.volume,
                // At most `total`, a u16.
                duration: duration as u16,
            },
        };
        self.sent += 1;
        self.ends += u32::from(end);
        Some(packet)
    }
}

/// A key received in a SIP INFO body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SipInfoKey {
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    pub key: char,
    /// `Duration=` of `application/dtmf-relay`, in milliseconds, when given.
    pub duration_ms: Option<u32>,
}

/// Reads the DTMF key of a SIP INFO request from its Content-Type and body:
/// `application/dtmf-relay` (`Signal=5\r\nDuration=160`, Cisco's format, by far the most
/// common) or `application/dtmf` (the key alone). Signals may be the key or its event code
/// (`10` for `*`, `11` for `#`), as some gateways send.
pub fn parse_sip_info(content_type: &str, body: &[u8]) -> Result<SipInfoKey, SipInfoError> {
    // Parameters (`; charset=...`) do not change the meaning.
    let media = content_type.split(';').next().unwrap_or("").trim();
    let body = std::str::from_utf8(body).map_err(|_| SipInfoError::BadSignal)?;
    if media.eq_ignore_ascii_case("application/dtmf-relay") {
        let mut key = None;
        let mut duration_ms = None;
        for line in body.lines() {
            let Some((name, value)) = line.split_once('=') else { continue };
            let value = value.trim();
            if name.trim().eq_ignore_ascii_case("signal") {
                key = Some(signal_key(value)?);
            } else if name.trim().eq_ignore_ascii_case("duration") {
                duration_ms = value.parse().ok();
            }
        }
        let key = key.ok_or(SipInfoError::NoSignal)?;
        Ok(SipInfoKey { key, duration_ms })
    } else if media.eq_ignore_ascii_case("application/dtmf") {
        let value = body.trim();
        if value.is_empty() {
            return Err(SipInfoError::NoSignal);
        }
        Ok(SipInfoKey { key: signal_key(value)?, duration_ms: None })
    } else {
        Err(SipInfoError::NotDtmf)
    }
}

fn signal_key(value: &str) -> Result<char, SipInfoError> {
    let mut chars = value.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => key_event(c).map(|_| c.to_ascii_uppercase()),
        _ => value.parse::<u8>().ok().and_then(event_key),
    }
    .ok_or(SipInfoError::BadSignal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        let ev = TelephoneEvent { event: 11, end: true, volume: 10, duration: 1280 };
        assert_eq!(ev.to_bytes(), [11, 0x8A, 0x05, 0x00]);
        assert_eq!(TelephoneEvent::parse(&ev.to_bytes()), Ok(ev));
        assert_eq!(TelephoneEvent::parse(&[1, 2, 3]), Err(TelephoneEventError::TooShort));
        // The reserved bit is ignored.
        assert_eq!(TelephoneEvent::parse(&[5, 0x40 | 7, 0, 160]).unwrap().volume, 7);
    }

    #[test]
    fn keys_and_codes() {
        let all: String = (0..16).filter_map(event_key).collect();
        assert_eq!(all, "0123456789*#ABCD");
        assert_eq!(event_key(16), None);
        assert_eq!(key_event('d'), Some(15));
        assert_eq!(key_event('x'), None);
    }

    #[test]
    fn sender_sends_a_marker_updates_and_three_ends() {
        let packets: Vec<_> = PressPackets::new('7', 100, 10).unwrap().collect();
        let durations: Vec<_> = packets.iter().map(|p| p.event.duration).collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        assert!(packets[0].marker && packets[1..].iter().all(|p| !p.marker));
        assert_eq!(packets.iter().filter(|p| p.event.end).count(), 3);
        assert!(packets.iter().all(|p| p.event.event == 7 && p.event.volume == 10));
        assert_eq!(packets.last().unwrap().offset_ms, 120);
        assert!(PressPackets::new('x', 100, 10).is_none());
    }

    #[test]
    fn sip_info_bodies() {
        let relay = parse_sip_info("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n");
        assert_eq!(relay, Ok(SipInfoKey { key: '5', duration_ms: Some(160) }));
        let star = parse_sip_info("Application/DTMF-Relay; charset=x", b"Signal= *\nDuration=250");
        assert_eq!(star.unwrap().key, '*');
        assert_eq!(parse_sip_info("application/dtmf-relay", b"Signal=11").unwrap().key, '#');
        assert_eq!(parse_sip_info("application/dtmf", b"5\r\n").unwrap().key, '5');
        assert_eq!(parse_sip_info("application/dtmf", b"b").unwrap().key, 'B');
        assert_eq!(parse_sip_info("application/dtmf", b" "), Err(SipInfoError::NoSignal));
        assert_eq!(
            parse_sip_info("application/dtmf-relay", b"Duration=1"),
            Err(SipInfoError::NoSignal)
        );
        assert_eq!(
            parse_sip_info("application/dtmf-relay", b"Signal=Z"),
            Err(SipInfoError::BadSignal)
        );
        assert_eq!(parse_sip_info("application/dtmf", b"16"), Err(SipInfoError::BadSignal));
        assert_eq!(parse_sip_info("text/plain", b"5"), Err(SipInfoError::NotDtmf));
        assert_eq!(parse_sip_info("application/dtmf", b"\xFF"), Err(SipInfoError::BadSignal));
    }
}
