//! One call leg's media, as a sans-IO state machine: what the server's event loop drives for
//! each RTP socket pair.
//!
//! Inputs are datagrams ([`Leg::handle_rtp`], [`Leg::handle_rtcp`]), commands
//! ([`Leg::set_source`], [`Leg::push_forward`], the feature switches) and time
//! ([`Leg::handle_timeout`]); outputs are drained with [`Leg::poll_transmit`],
//! [`Leg::poll_event`], [`Leg::take_forward`], [`Leg::take_captured_frame`] and
//! [`Leg::poll_timeout`]. The leg never reads a clock: every `now` is the caller's.
//!
//! # Driving it
//!
//! ```text
//! datagram on leg A's RTP socket:
//!     a.handle_rtp(now, from, bytes)
//!     if bridged: while let Some(f) = a.take_forward() { b.push_forward(now, &f); drain(b) }
//!     drain(a)
//! timer: leg.handle_timeout(now); drain(leg)
//! drain(leg): send every leg.poll_transmit(now); handle every leg.poll_event();
//!             sleep until leg.poll_timeout()
//! ```
//!
//! A leg holds one outgoing RTP packet and one RTCP packet at a time: drain `poll_transmit`
//! after each `handle_*`/`push_forward` call. A packet still pending when the next one is made
//! is replaced (counted in [`LegStats::tx_overwritten`]). `handle_timeout` produces at most one
//! 20 ms packet per call while one is pending, and `poll_timeout` then returns a time already
//! past, so a loop of "handle, drain, poll" catches up.
//!
//! # Decisions
//!
//! - **Latching (symmetric RTP).** Before any packet arrives we send to the address of the SDP
//!   ([`Leg::set_remote_hint`]). The first valid RTP packet (version 2, one of our payload
//!   types) latches its source address, which may differ from the SDP (NAT): from then on we
//!   send there, and packets from any other address are ignored (dropped and counted), so a
//!   stray or hostile sender cannot take the stream over while the peer talks. Two exceptions,
//!   both reported as [`LegEvent::Relatched`]: the SDP address itself starts sending (the
//!   address the peer signalled wins over one that was only observed), or the latched address
//!   has been silent for [`RELATCH_AFTER`] (the peer's NAT binding changed). A new SDP address
//!   (re-INVITE) unlatches. RTCP latches separately, by the same rules, on the RTCP socket;
//!   until the peer's RTCP arrives, ours goes to the port after the RTP destination.
//! - **Silence is sent, not omitted.** With [`Source::Silence`] the leg still sends a G.711
//!   silence packet every 20 ms. It keeps the peer's NAT binding and RTP inactivity timers
//!   (many carriers hang up after 30-60 s without RTP) alive, lets a peer that waits for our
//!   first packet before sending (some SBCs latch too) start, and keeps our timeline
//!   continuous. We cannot send comfort noise (RFC 3389) instead: we do not negotiate it.
//!   Bandwidth: 64 kbit/s, only while nothing better is playing. For the same reasons, a
//!   bridged leg whose partner sends nothing for [`FILL_AFTER`] sends silence until it does.
//! - **Payload types.** We send our codec's payload type; we accept PCMU and PCMA whatever
//!   was negotiated (decoding by the packet's type), our telephone-event type, and comfort
//!   noise (PT 13, taken as silence). Anything else is ignored and counted.
//! - **Ptime.** We always send 20 ms packets (SDP `a=ptime` is a preference, RFC 4566 §6), so
//!   [`LegConfig`] has no ptime. We forward packets of any size up to [`MAX_PAYLOAD`] bytes
//!   (60 ms) untouched, but only 20 ms packets reach the jitter buffer (capture, in-band DTMF,
//!   silence detection).
//! - **Feature switches take `now`** ([`Leg::enable_capture`] and the detectors), like every
//!   other input: a detector switched on after a quiet spell starts at the next tick instead of
//!   replaying the ticks in between.
//! - **In-band DTMF is a fallback.** Once a leg has received a telephone-event packet, its
//!   in-band detector stops reporting keys: a phone that sends RFC 4733 may also leak the tone
//!   into the audio, and the same key must not be reported twice.
//! - **RTCP.** Every 5 s (randomised to 2.5-7.5 s by the leg's SSRC, which is random, as RFC
//!   3550 §6.2 asks, and the first report after half of that), an SR if we sent since the
//!   previous report, an RR otherwise, with one report block about the stream we receive, and
//!   an SDES CNAME of our SSRC in hex. Each report also produces [`LegEvent::Stats`].
//!
//! # Memory
//!
//! A leg is 2.2 KiB inline (`size_of::<Leg>()`, bounded by a test, reported by
//! [`Leg::memory_bytes`]): one outgoing packet buffer, one RTCP buffer, one received packet for
//! forwarding, counters, the event queue. The receive-side analysis (jitter buffer, capture
//! queue, in-band DTMF and silence detectors, 3 KiB) is allocated once, the first time capture
//! or a detector is switched on. A bridged call is thus about 4.4 KiB, 10.5 KiB when both legs
//! are recorded. A prompt is shared (`Arc`), never copied. Nothing is allocated per packet.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use centralita_audio::Normalised;

use crate::dtmf::{DtmfReceiver, TelephoneEvent};
use crate::g711::Codec;
use crate::goertzel::InBandDetector;
use crate::jitter::JitterBuffer;
use crate::rtcp::{self, ReceiverStats, Report, RtcpPacket, ntp_add};
use crate::rtp::{HEADER_LEN, RtpHeader, RtpPacket, looks_like_rtcp};
use crate::silence::{SilenceConfig, SilenceDetector, SilenceEvent};
use crate::stream::{OutgoingStream, SourcePacket};
use crate::tones::{ToneGenerator, ToneKind, TonePlan};

/// Largest payload forwarded: 60 ms of G.711.
pub const MAX_PAYLOAD: usize = 480;
/// Samples per 20 ms packet.
const FRAME: usize = 160;
/// Time between packets we generate.
const PTIME: Duration = Duration::from_millis(20);
/// A generated packet more than this late is not sent (the timeline moves on without it).
const MAX_LATE: Duration = Duration::from_millis(60);
/// A backlog of ticks longer than this (the process was stopped) is skipped outright.
const MAX_BACKLOG: Duration = Duration::from_secs(1);
/// Silence from the latched address after which another address may take over.
pub const RELATCH_AFTER: Duration = Duration::from_secs(2);
/// A bridged leg whose partner sent nothing for this long sends silence.
pub const FILL_AFTER: Duration = Duration::from_millis(500);
/// Mean RTCP report interval.
const RTCP_INTERVAL: Duration = Duration::from_secs(5);
/// Payload type of comfort noise (RFC 3389).
const PT_COMFORT_NOISE: u8 = 13;
/// Events kept for `poll_event`; more are dropped (oldest first) and counted.
const EVENT_QUEUE: usize = 8;
/// Captured frames kept for `take_captured_frame`; older ones are dropped.
const CAPTURE_QUEUE: usize = 4;

/// What a leg is set up with. The random values (SSRC, first sequence number and timestamp,
/// RFC 3550 §5.1 wants them random) come from the caller, as the leg has no randomness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegConfig {
    /// The negotiated G.711 law, which we send.
    pub codec: Codec,
    /// The negotiated telephone-event payload type (96-127), if any. A value that is not a
    /// dynamic payload type (above 127, or 0-95) is ignored as if absent.
    pub dtmf_payload_type: Option<u8>,
    /// Tones of this plan.
    pub tone_plan: TonePlan,
    /// Our SSRC, for the leg's whole life.
    pub ssrc: u32,
    /// Sequence number of our first packet.
    pub initial_seq: u16,
    /// Timestamp of our stream's clock at `Leg::new`'s `now`.
    pub initial_ts: u32,
    /// NTP time (RFC 5905 32.32) at `Leg::new`'s `now`, read once from the wall clock by the
    /// caller. Only used in our SRs and to compute round trips; 0 is fine when unknown.
    pub ntp_at_start: u64,
}

/// What a leg sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// G.711 silence every 20 ms (see the module's decisions).
    Silence,
    /// A tone of the leg's plan; ringback and busy repeat until the source changes, the beep
    /// ends with [`LegEvent::ToneFinished`] and the leg goes back to silence.
    Tone(ToneKind),
    /// A stored message, played once from the start; [`LegEvent::PlaybackFinished`] when it
    /// ends, then silence.
    Prompt(Arc<Normalised>),
    /// The packets the server hands over with [`Leg::push_forward`] (a bridge).
    Forward,
}

/// How a key press was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtmfVia {
    /// RFC 4733 telephone-event packets.
    Rfc4733,
    /// Detected in the audio.
    InBand,
}

/// The peer's view of our stream, from its last report block about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemoteReport {
    /// Fraction of our packets lost in its last interval (0-255 of 256).
    pub fraction_lost: u8,
    /// Our packets lost since the start.
    pub cumulative_lost: i32,
    /// Jitter of our packets at the peer, in milliseconds.
    pub jitter_ms: f32,
    /// Round-trip time, when the peer echoed one of our SRs.
    pub round_trip: Option<Duration>,
}

/// Statistics of a leg.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LegStats {
    /// RTP packets received from the peer and counted (RFC 3550 A.3).
    pub packets_received: u32,
    /// Packets expected from the first to the highest sequence number.
    pub packets_expected: u32,
    /// Expected minus received (negative with duplicates).
    pub packets_lost: i32,
    /// Interarrival jitter of the received stream, in milliseconds.
    pub jitter_ms: f32,
    /// RTP packets sent.
    pub packets_sent: u32,
    /// RTP payload octets sent.
    pub octets_sent: u32,
    /// The peer's last report about our stream.
    pub remote: Option<RemoteReport>,
    /// Datagrams that were not RTP/RTCP we could read.
    pub malformed: u32,
    /// Packets from an address other than the latched one.
    pub wrong_source: u32,
    /// Packets of a payload type we did not negotiate.
    pub unknown_payload_type: u32,
    /// Outgoing packets replaced before the caller took them.
    pub tx_overwritten: u32,
    /// Events dropped because the caller did not poll them.
    pub events_dropped: u32,
}

/// Something the server should know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LegEvent {
    /// The first RTP packet from the peer arrived, from this address (now the destination).
    FirstPacket(SocketAddr),
    /// The destination changed to this address (see the latching rule).
    Relatched(SocketAddr),
    /// A key was pressed.
    Dtmf {
        /// `0`-`9`, `*`, `#`, `A`-`D`.
        key: char,
        /// How it was received.
        via: DtmfVia,
    },
    /// The prompt has been sent to its end.
    PlaybackFinished,
    /// A finite tone (the beep) has been sent to its end.
    ToneFinished,
    /// The received audio has been quiet for this many milliseconds (silence detection).
    SilenceFor(u32),
    /// Sound started in the received audio (silence detection).
    SpeechStarted,
    /// Statistics, at each RTCP report.
    Stats(LegStats),
}

/// A datagram to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit<'a> {
    /// Where to.
    pub destination: SocketAddr,
    /// The datagram.
    pub contents: &'a [u8],
    /// Whether it goes out of the RTCP socket (else the RTP one).
    pub is_rtcp: bool,
}

/// What a forwarded packet carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardKind {
    /// Audio in this law.
    Audio(Codec),
    /// An RFC 4733 telephone-event payload.
    TelephoneEvent,
}

/// A packet received on one leg, for the bridged leg to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward<'a> {
    /// What the payload is.
    pub kind: ForwardKind,
    /// The source's marker bit.
    pub marker: bool,
    /// The source's sequence number.
    pub sequence: u16,
    /// The source's timestamp.
    pub timestamp: u32,
    /// The source's SSRC.
    pub ssrc: u32,
    /// The payload, untouched.
    pub payload: &'a [u8],
}

/// A destination: where the SDP says, and where packets actually come from.
#[derive(Debug, Clone, Copy, Default)]
struct Remote {
    hint: Option<SocketAddr>,
    latched: Option<SocketAddr>,
    last_heard: Option<Instant>,
}

/// What `Remote::accept` decided.
enum Accepted {
    Same,
    First,
    Relatched,
    Refused,
}

impl Remote {
    fn destination(&self) -> Option<SocketAddr> {
        self.latched.or(self.hint)
    }

    fn accept(&mut self, now: Instant, from: SocketAddr) -> Accepted {
        let verdict = match self.latched {
            None => Accepted::First,
            Some(addr) if addr == from => Accepted::Same,
            Some(_) => {
                let silent = self
                    .last_heard
                    .is_none_or(|t| now.saturating_duration_since(t) >= RELATCH_AFTER);
                if self.hint == Some(from) || silent {
                    Accepted::Relatched
                } else {
                    return Accepted::Refused;
                }
            }
        };
        self.latched = Some(from);
        self.last_heard = Some(now);
        verdict
    }
}

/// The outgoing source, with its position.
#[derive(Debug)]
enum SourceState {
    Silence,
    Tone(ToneGenerator),
    Prompt { audio: Arc<Normalised>, next_frame: usize },
    Forward { idle_since: Instant, filling: bool },
}

/// One packet buffer.
#[derive(Debug)]
struct Outgoing<const N: usize> {
    buf: [u8; N],
    len: usize,
    destination: Option<SocketAddr>,
}

impl<const N: usize> Outgoing<N> {
    fn new() -> Self {
        Outgoing { buf: [0; N], len: 0, destination: None }
    }

    fn pending(&self) -> bool {
        self.destination.is_some()
    }
}

/// The last packet received, kept for `take_forward`.
#[derive(Debug)]
struct Received {
    ready: bool,
    kind: ForwardKind,
    marker: bool,
    sequence: u16,
    timestamp: u32,
    ssrc: u32,
    len: usize,
    payload: [u8; MAX_PAYLOAD],
}

/// The receive-side analysis, allocated the first time one of its features is switched on.
#[derive(Debug)]
struct Analysis {
    jitter: JitterBuffer,
    capture: [[i16; FRAME]; CAPTURE_QUEUE],
    /// Captured frames waiting, oldest at `capture_first`.
    capture_len: usize,
    capture_first: usize,
    inband: InBandDetector,
    silence: SilenceDetector,
}

/// An event as queued: the same as [`LegEvent`] but for the statistics, which are taken when
/// polled, so that the queue's slots stay small (40 bytes instead of 80).
#[derive(Debug, Clone, Copy)]
enum Queued {
    FirstPacket(SocketAddr),
    Relatched(SocketAddr),
    Dtmf(char, DtmfVia),
    PlaybackFinished,
    ToneFinished,
    SilenceFor(u32),
    SpeechStarted,
    Stats,
}

/// A small fixed queue of events.
#[derive(Debug)]
struct Events {
    items: [Option<Queued>; EVENT_QUEUE],
    first: usize,
    len: usize,
    dropped: u32,
}

impl Events {
    fn push(&mut self, event: Queued) {
        if self.len == EVENT_QUEUE {
            self.first = (self.first + 1) % EVENT_QUEUE;
            self.len -= 1;
            self.dropped += 1;
        }
        self.items[(self.first + self.len) % EVENT_QUEUE] = Some(event);
        self.len += 1;
    }

    fn pop(&mut self) -> Option<Queued> {
        if self.len == 0 {
            return None;
        }
        let event = self.items[self.first].take();
        self.first = (self.first + 1) % EVENT_QUEUE;
        self.len -= 1;
        event
    }
}

/// One call leg's media. See the module documentation.
#[derive(Debug)]
pub struct Leg {
    config: LegConfig,
    /// Origin of the tick grid and of the arrival clock.
    start: Instant,
    rtp_remote: Remote,
    rtcp_remote: Remote,
    /// Whether the RTCP hint was given explicitly (else it follows the RTP hint, port + 1).
    rtcp_hint_explicit: bool,
    out: OutgoingStream,
    source: SourceState,
    rtp_tx: Outgoing<{ HEADER_LEN + MAX_PAYLOAD }>,
    rtcp_tx: Outgoing<128>,
    received: Received,
    stats: ReceiverStats,
    dtmf: DtmfReceiver,
    /// A telephone-event packet was received: in-band detection is off from then on.
    rfc4733_seen: bool,
    analysis: Option<Box<Analysis>>,
    capture_on: bool,
    inband_on: bool,
    silence_on: bool,
    events: Events,
    /// Index of the next 20 ms tick (at `start + 20 ms × index`).
    next_tick: u64,
    next_rtcp: Instant,
    /// xorshift32 state seeded by the SSRC, for the RTCP interval.
    rtcp_rng: u32,
    remote_report: Option<RemoteReport>,
    malformed: u32,
    wrong_source: u32,
    unknown_payload_type: u32,
    tx_overwritten: u32,
}

impl Leg {
    /// A leg that sends silence (once it knows where to) and has received nothing.
    pub fn new(config: LegConfig, now: Instant) -> Self {
        let mut config = config;
        config.dtmf_payload_type = config.dtmf_payload_type.filter(|pt| (96..=127).contains(pt));
        let mut leg = Leg {
            config,
            start: now,
            rtp_remote: Remote::default(),
            rtcp_remote: Remote::default(),
            rtcp_hint_explicit: false,
            out: OutgoingStream::new(config.ssrc, config.initial_seq, config.initial_ts, now),
            source: SourceState::Silence,
            rtp_tx: Outgoing::new(),
            rtcp_tx: Outgoing::new(),
            received: Received {
                ready: false,
                kind: ForwardKind::Audio(config.codec),
                marker: false,
                sequence: 0,
                timestamp: 0,
                ssrc: 0,
                len: 0,
                payload: [0; MAX_PAYLOAD],
            },
            stats: ReceiverStats::new(),
            dtmf: DtmfReceiver::new(),
            rfc4733_seen: false,
            analysis: None,
            capture_on: false,
            inband_on: false,
            silence_on: false,
            events: Events { items: [None; EVENT_QUEUE], first: 0, len: 0, dropped: 0 },
            next_tick: 0,
            next_rtcp: now,
            rtcp_rng: config.ssrc | 1,
            remote_report: None,
            malformed: 0,
            wrong_source: 0,
            unknown_payload_type: 0,
            tx_overwritten: 0,
        };
        leg.next_rtcp = now + leg.rtcp_interval() / 2;
        leg
    }

    /// The configuration (with an invalid telephone-event type removed).
    pub fn config(&self) -> &LegConfig {
        &self.config
    }

    // ----- addresses -----

    /// Where RTP goes: the latched address, else the SDP's.
    pub fn remote(&self) -> Option<SocketAddr> {
        self.rtp_remote.destination()
    }

    /// Where RTCP goes: where the peer's RTCP comes from; before any, the SDP's `a=rtcp`
    /// address, or else the port after the RTP destination (the latched one, so a peer behind
    /// a NAT that keeps port pairs gets our reports too).
    pub fn remote_rtcp(&self) -> Option<SocketAddr> {
        if let Some(latched) = self.rtcp_remote.latched {
            return Some(latched);
        }
        if self.rtcp_hint_explicit {
            return self.rtcp_remote.hint;
        }
        let mut addr = self.rtp_remote.destination()?;
        addr.set_port(addr.port().wrapping_add(1));
        Some(addr)
    }

    /// The RTP address of the SDP (offer or answer, and every re-INVITE). A different address
    /// than the previous one unlatches (the peer moved its media). Also sets the RTCP
    /// destination to the next port, unless [`Leg::set_rtcp_remote_hint`] said otherwise.
    pub fn set_remote_hint(&mut self, addr: SocketAddr) {
        if self.rtp_remote.hint.is_some_and(|h| h != addr) {
            self.rtp_remote.latched = None;
            if !self.rtcp_hint_explicit {
                self.rtcp_remote.latched = None;
            }
        }
        self.rtp_remote.hint = Some(addr);
        if !self.rtcp_hint_explicit {
            let mut rtcp = addr;
            rtcp.set_port(addr.port().wrapping_add(1));
            self.rtcp_remote.hint = Some(rtcp);
        }
    }

    /// The RTCP address of the SDP's `a=rtcp` attribute (RFC 3605).
    pub fn set_rtcp_remote_hint(&mut self, addr: SocketAddr) {
        if self.rtcp_remote.hint.is_some_and(|h| h != addr) {
            self.rtcp_remote.latched = None;
        }
        self.rtcp_hint_explicit = true;
        self.rtcp_remote.hint = Some(addr);
    }

    // ----- input -----

    /// A datagram arrived on the leg's RTP socket. Never panics, whatever the bytes.
    pub fn handle_rtp(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        if looks_like_rtcp(bytes) {
            // A peer multiplexing RTCP on the RTP port (RFC 5761) although we did not offer
            // it: read its reports, send ours where we always do.
            self.read_rtcp(now, bytes);
            return;
        }
        let Ok(packet) = RtpPacket::parse(bytes) else {
            self.malformed += 1;
            return;
        };
        enum Kind {
            Audio(Codec),
            Event,
            ComfortNoise,
        }
        let kind = match packet.payload_type {
            pt if Some(pt) == self.config.dtmf_payload_type => Kind::Event,
            PT_COMFORT_NOISE => Kind::ComfortNoise,
            pt => match Codec::from_payload_type(pt) {
                Some(codec) => Kind::Audio(codec),
                None => {
                    self.unknown_payload_type += 1;
                    return;
                }
            },
        };
        match self.rtp_remote.accept(now, from) {
            Accepted::Same => {}
            Accepted::First => self.events.push(Queued::FirstPacket(from)),
            Accepted::Relatched => self.events.push(Queued::Relatched(from)),
            Accepted::Refused => {
                self.wrong_source += 1;
                return;
            }
        }
        let arrival = self.arrival_units(now);
        let audio_ts = match kind {
            Kind::Audio(_) | Kind::ComfortNoise => Some(packet.timestamp),
            Kind::Event => None,
        };
        let previous_ssrc = self.stats.ssrc();
        self.stats.on_packet(packet.ssrc, packet.sequence, audio_ts, arrival);
        let analysing = self.analysing();
        if let Some(analysis) = self.analysis.as_mut().filter(|_| analysing) {
            if previous_ssrc.is_some_and(|s| s != packet.ssrc) {
                analysis.jitter.reset();
            }
            match kind {
                Kind::Audio(codec) => {
                    analysis.jitter.push(now, packet.sequence, codec, packet.payload);
                }
                Kind::Event | Kind::ComfortNoise => {
                    analysis.jitter.push_no_audio(now, packet.sequence);
                }
            }
        }
        let forward_kind = match kind {
            Kind::Audio(codec) => ForwardKind::Audio(codec),
            Kind::Event => {
                self.rfc4733_seen = true;
                if let Ok(event) = TelephoneEvent::parse(packet.payload) {
                    self.dtmf.handle(now, packet.timestamp, packet.marker, &event);
                    self.drain_dtmf();
                }
                ForwardKind::TelephoneEvent
            }
            Kind::ComfortNoise => return,
        };
        if packet.payload.len() <= MAX_PAYLOAD {
            let r = &mut self.received;
            r.ready = true;
            r.kind = forward_kind;
            r.marker = packet.marker;
            r.sequence = packet.sequence;
            r.timestamp = packet.timestamp;
            r.ssrc = packet.ssrc;
            r.len = packet.payload.len();
            r.payload[..r.len].copy_from_slice(packet.payload);
        }
    }

    /// A datagram arrived on the leg's RTCP socket. Never panics, whatever the bytes.
    pub fn handle_rtcp(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        // Check the content before the address, so garbage cannot latch.
        if !matches!(rtcp::read_compound(bytes).next(), Some(Ok(_))) {
            self.malformed += 1;
            return;
        }
        match self.rtcp_remote.accept(now, from) {
            Accepted::Refused => self.wrong_source += 1,
            _ => self.read_rtcp(now, bytes),
        }
    }

    fn read_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        let ntp_now = self.ntp(now);
        for packet in rtcp::read_compound(bytes) {
            let blocks = match packet {
                Ok(RtcpPacket::SenderReport { ssrc, info, blocks }) => {
                    if self.stats.ssrc() == Some(ssrc) {
                        self.stats.on_sender_report(now, info.ntp);
                    }
                    blocks
                }
                Ok(RtcpPacket::ReceiverReport { blocks, .. }) => blocks,
                Ok(RtcpPacket::Other { .. }) => continue,
                Err(_) => {
                    self.malformed += 1;
                    break;
                }
            };
            for block in blocks.filter(|b| b.ssrc == self.config.ssrc) {
                self.remote_report = Some(RemoteReport {
                    fraction_lost: block.fraction_lost,
                    cumulative_lost: block.cumulative_lost,
                    jitter_ms: block.jitter as f32 / 8.0,
                    round_trip: block.round_trip(ntp_now),
                });
            }
        }
    }

    /// Changes what the leg sends. Every change but to the current `Silence` or `Forward`
    /// starts over (a tone from its first cadence, a prompt from its start) and sets the
    /// marker bit on the next packet.
    pub fn set_source(&mut self, now: Instant, source: Source) {
        self.source = match (source, &self.source) {
            (Source::Silence, SourceState::Silence)
            | (Source::Forward, SourceState::Forward { .. }) => {
                return;
            }
            (Source::Silence, _) => SourceState::Silence,
            (Source::Tone(kind), _) => {
                SourceState::Tone(ToneGenerator::new(self.config.tone_plan.tone(kind)))
            }
            (Source::Prompt(audio), _) => {
                if audio.samples().is_empty() {
                    self.events.push(Queued::PlaybackFinished);
                    SourceState::Silence
                } else {
                    SourceState::Prompt { audio, next_frame: 0 }
                }
            }
            (Source::Forward, _) => SourceState::Forward { idle_since: now, filling: false },
        };
        self.out.switch();
        self.catch_up_ticks(now);
    }

    /// Moves the tick grid to `now` after a time without ticks, so that what starts now does
    /// not first replay the ticks that had nothing to do.
    fn catch_up_ticks(&mut self, now: Instant) {
        let index = self.tick_index_at(now);
        let first = if self.tick_at(index) < now { index + 1 } else { index };
        self.next_tick = self.next_tick.max(first);
    }

    /// The packet last received, for the bridged leg (see [`Leg::push_forward`]); each packet
    /// is given once.
    pub fn take_forward(&mut self) -> Option<Forward<'_>> {
        let r = &mut self.received;
        if !std::mem::take(&mut r.ready) {
            return None;
        }
        Some(Forward {
            kind: r.kind,
            marker: r.marker,
            sequence: r.sequence,
            timestamp: r.timestamp,
            ssrc: r.ssrc,
            payload: &r.payload[..r.len],
        })
    }

    /// Sends a packet of the bridged leg, if this leg's source is [`Source::Forward`]: the
    /// payload copied untouched when the laws match, transcoded otherwise (a 256-entry table,
    /// no decoding); telephone-events with our payload type, or dropped if we have none. Only
    /// the header is ours (see the `stream` module for the numbering).
    pub fn push_forward(&mut self, now: Instant, fwd: &Forward<'_>) {
        let SourceState::Forward { idle_since, filling } = &mut self.source else { return };
        let Some(destination) = self.rtp_remote.destination() else { return };
        if fwd.payload.len() > MAX_PAYLOAD {
            return;
        }
        let (payload_type, samples) = match fwd.kind {
            // G.711: one byte per sample.
            ForwardKind::Audio(_) => (self.config.codec.payload_type(), fwd.payload.len() as u32),
            ForwardKind::TelephoneEvent => match self.config.dtmf_payload_type {
                Some(pt) => (pt, 0),
                None => return,
            },
        };
        *idle_since = now;
        if std::mem::take(filling) {
            self.out.switch();
        }
        let src = SourcePacket {
            ssrc: fwd.ssrc,
            sequence: fwd.sequence,
            timestamp: fwd.timestamp,
            marker: fwd.marker,
        };
        let Some(stamp) = self.out.forwarded(now, &src, samples, fwd.payload.len()) else {
            return;
        };
        let header = RtpHeader {
            marker: stamp.marker,
            payload_type,
            sequence: stamp.sequence,
            timestamp: stamp.timestamp,
            ssrc: self.config.ssrc,
        };
        let len = HEADER_LEN + fwd.payload.len();
        let buf = &mut self.rtp_tx.buf[..len];
        // The buffer holds HEADER_LEN + MAX_PAYLOAD and the payload was checked above.
        let _ = header.write(buf);
        match fwd.kind {
            ForwardKind::Audio(from) => {
                from.transcode_into(self.config.codec, fwd.payload, &mut buf[HEADER_LEN..]);
            }
            ForwardKind::TelephoneEvent => buf[HEADER_LEN..].copy_from_slice(fwd.payload),
        }
        self.queue_rtp(destination, len);
    }

    /// Keeps a decoded copy of every 20 ms received, in order (through the jitter buffer), for
    /// [`Leg::take_captured_frame`]: call recording and voicemail.
    pub fn enable_capture(&mut self, now: Instant, on: bool) {
        self.set_analysis(now, |leg| leg.capture_on = on);
        if !on && let Some(a) = self.analysis.as_mut() {
            a.capture_len = 0;
        }
    }

    /// Detects DTMF in the received audio (a fallback for peers without RFC 4733).
    pub fn enable_inband_dtmf(&mut self, now: Instant, on: bool) {
        self.set_analysis(now, |leg| leg.inband_on = on);
        if on && let Some(a) = self.analysis.as_mut() {
            a.inband = InBandDetector::new();
        }
    }

    /// Detects silence in the received audio (`None` switches it off); the quiet run starts
    /// now.
    pub fn enable_silence_detection(&mut self, now: Instant, config: Option<SilenceConfig>) {
        self.set_analysis(now, |leg| leg.silence_on = config.is_some());
        if let (Some(config), Some(a)) = (config, self.analysis.as_mut()) {
            a.silence = SilenceDetector::new(config);
        }
    }

    fn analysing(&self) -> bool {
        self.capture_on || self.inband_on || self.silence_on
    }

    fn set_analysis(&mut self, now: Instant, change: impl FnOnce(&mut Self)) {
        let before = self.analysing();
        change(self);
        if self.analysing() && !before {
            self.catch_up_ticks(now);
            let analysis = self.analysis.get_or_insert_with(|| {
                Box::new(Analysis {
                    jitter: JitterBuffer::new(),
                    capture: [[0; FRAME]; CAPTURE_QUEUE],
                    capture_len: 0,
                    capture_first: 0,
                    inband: InBandDetector::new(),
                    silence: SilenceDetector::new(SilenceConfig::default()),
                })
            });
            // Packets received while nothing listened were not buffered.
            analysis.jitter.reset();
        }
    }

    /// The oldest captured 20 ms frame not yet taken (up to 4 are kept; older are dropped).
    pub fn take_captured_frame(&mut self) -> Option<[i16; FRAME]> {
        let a = self.analysis.as_mut().filter(|a| a.capture_len > 0)?;
        let frame = a.capture[a.capture_first];
        a.capture_first = (a.capture_first + 1) % CAPTURE_QUEUE;
        a.capture_len -= 1;
        Some(frame)
    }

    // ----- time -----

    /// The next instant [`Leg::handle_timeout`] has work at (possibly already past).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let media = self.media_deadline().map(|(_, at)| at);
        [media, Some(self.next_rtcp), self.dtmf.poll_timeout()].into_iter().flatten().min()
    }

    /// Runs what is due at `now`: 20 ms ticks (generated audio, playout for the analysers),
    /// RTCP, unfinished key presses.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.dtmf.handle_timeout(now);
        self.drain_dtmf();
        while let Some((index, at)) = self.media_deadline() {
            if at > now || self.rtp_tx.pending() {
                break;
            }
            let late = now.saturating_duration_since(at);
            if late > MAX_BACKLOG {
                // The process was stopped: jump to the present instead of replaying the past.
                // Tones and prompts resume where they were; the timeline jumps (a gap, as
                // after lost packets).
                let current = self.tick_index_at(now);
                let skipped = current.saturating_sub(index);
                self.out.skip((skipped * FRAME as u64) as u32);
                self.next_tick = current.max(index + 1);
                continue;
            }
            self.next_tick = index;
            self.tick(at, late <= MAX_LATE);
            self.next_tick = index + 1;
        }
        if now >= self.next_rtcp && !self.rtcp_tx.pending() {
            self.send_rtcp(now);
        }
    }

    /// The index and instant of the next tick with work, if any.
    fn media_deadline(&self) -> Option<(u64, Instant)> {
        let needs_ticks = self.analysing()
            || match self.source {
                SourceState::Forward { filling, .. } => filling,
                _ => true,
            };
        let index = if needs_ticks {
            self.next_tick
        } else if let SourceState::Forward { idle_since, .. } = self.source {
            let due = idle_since + FILL_AFTER;
            self.next_tick.max(self.tick_index_at(due - Duration::from_nanos(1)) + 1)
        } else {
            return None;
        };
        Some((index, self.tick_at(index)))
    }

    fn tick_at(&self, index: u64) -> Instant {
        self.start + PTIME * u32::try_from(index).unwrap_or(u32::MAX)
    }

    /// Index of the last tick at or before `at`.
    fn tick_index_at(&self, at: Instant) -> u64 {
        (at.saturating_duration_since(self.start).as_nanos() / PTIME.as_nanos()) as u64
    }

    /// One 20 ms tick at its scheduled instant `at`; `send` is false when it is too late to
    /// send its packet.
    fn tick(&mut self, at: Instant, send: bool) {
        let mut pcm = [0i16; FRAME];
        let mut finished = None;
        let generated = match &mut self.source {
            SourceState::Silence => Some(false),
            SourceState::Tone(generator) => {
                generator.next_frame(&mut pcm);
                if generator.is_finished() {
                    finished = Some(Queued::ToneFinished);
                }
                Some(true)
            }
            SourceState::Prompt { audio, next_frame } => {
                let start = *next_frame * FRAME;
                // Normalised audio is whole frames, and the prompt ends when none is left.
                if let Some(frame) = audio.samples().get(start..start + FRAME) {
                    pcm.copy_from_slice(frame);
                }
                *next_frame += 1;
                if *next_frame * FRAME >= audio.samples().len() {
                    finished = Some(Queued::PlaybackFinished);
                }
                Some(true)
            }
            SourceState::Forward { idle_since, filling } => {
                if at.saturating_duration_since(*idle_since) >= FILL_AFTER {
                    if !*filling {
                        *filling = true;
                        self.out.switch();
                    }
                    Some(false)
                } else {
                    None
                }
            }
        };
        if let Some(has_audio) = generated {
            match self.rtp_remote.destination().filter(|_| send) {
                Some(destination) => {
                    self.send_generated(at, destination, has_audio.then_some(&pcm));
                }
                None => self.out.skip(FRAME as u32),
            }
        }
        if let Some(event) = finished {
            self.events.push(event);
            self.source = SourceState::Silence;
        }
        self.playout(at);
    }

    fn send_generated(&mut self, at: Instant, destination: SocketAddr, pcm: Option<&[i16; FRAME]>) {
        let codec = self.config.codec;
        let stamp = self.out.generated(at, FRAME as u32, FRAME);
        let header = RtpHeader {
            marker: stamp.marker,
            payload_type: codec.payload_type(),
            sequence: stamp.sequence,
            timestamp: stamp.timestamp,
            ssrc: self.config.ssrc,
        };
        let buf = &mut self.rtp_tx.buf[..HEADER_LEN + FRAME];
        // The buffer is longer than a header and a frame.
        let _ = header.write(buf);
        match pcm {
            Some(pcm) => codec.encode_into(pcm, &mut buf[HEADER_LEN..]),
            None => buf[HEADER_LEN..].fill(codec.silence()),
        }
        self.queue_rtp(destination, HEADER_LEN + FRAME);
    }

    fn queue_rtp(&mut self, destination: SocketAddr, len: usize) {
        if self.rtp_tx.pending() {
            self.tx_overwritten += 1;
        }
        self.rtp_tx.destination = Some(destination);
        self.rtp_tx.len = len;
    }

    /// The received side of a tick: one frame out of the jitter buffer to the analysers.
    fn playout(&mut self, at: Instant) {
        if !self.analysing() {
            return;
        }
        let Some(a) = self.analysis.as_mut() else { return };
        let mut frame = [0i16; FRAME];
        a.jitter.pop(at, &mut frame);
        if self.capture_on {
            let slot = (a.capture_first + a.capture_len) % CAPTURE_QUEUE;
            a.capture[slot] = frame;
            if a.capture_len == CAPTURE_QUEUE {
                a.capture_first = (a.capture_first + 1) % CAPTURE_QUEUE;
            } else {
                a.capture_len += 1;
            }
        }
        if self.inband_on
            && let Some(key) = a.inband.push_frame(&frame)
            && !self.rfc4733_seen
        {
            self.events.push(Queued::Dtmf(key, DtmfVia::InBand));
        }
        if self.silence_on {
            match a.silence.push_frame(&frame) {
                Some(SilenceEvent::SilentFor(ms)) => self.events.push(Queued::SilenceFor(ms)),
                Some(SilenceEvent::SpeechStarted) => self.events.push(Queued::SpeechStarted),
                None => {}
            }
        }
    }

    fn drain_dtmf(&mut self) {
        while let Some(key) = self.dtmf.poll() {
            self.events.push(Queued::Dtmf(key, DtmfVia::Rfc4733));
        }
    }

    fn send_rtcp(&mut self, now: Instant) {
        self.next_rtcp = now + self.rtcp_interval();
        self.events.push(Queued::Stats);
        let Some(destination) = self.remote_rtcp() else { return };
        let ntp = self.ntp(now);
        let cname = hex8(self.config.ssrc);
        let report = Report {
            ssrc: self.config.ssrc,
            sender: self.out.take_sender_info(now, ntp),
            block: self.stats.report_block(now),
            cname: &cname,
        };
        if let Ok(len) = report.write(&mut self.rtcp_tx.buf) {
            self.rtcp_tx.len = len;
            self.rtcp_tx.destination = Some(destination);
        }
    }

    /// RTCP_INTERVAL × a factor in [0.5, 1.5) drawn from the SSRC-seeded generator.
    fn rtcp_interval(&mut self) -> Duration {
        let mut x = self.rtcp_rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rtcp_rng = x;
        RTCP_INTERVAL / 2 + RTCP_INTERVAL * (x % 1000) / 1000
    }

    fn ntp(&self, now: Instant) -> u64 {
        ntp_add(self.config.ntp_at_start, now.saturating_duration_since(self.start))
    }

    /// Arrival time in 8 kHz units since the leg started (wrapping), for the jitter.
    fn arrival_units(&self, now: Instant) -> u32 {
        (now.saturating_duration_since(self.start).as_micros() * 8 / 1000) as u32
    }

    // ----- output -----

    /// The next datagram to send, RTP before RTCP.
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Transmit<'_>> {
        if let Some(destination) = self.rtp_tx.destination.take() {
            return Some(Transmit {
                destination,
                contents: &self.rtp_tx.buf[..self.rtp_tx.len],
                is_rtcp: false,
            });
        }
        let destination = self.rtcp_tx.destination.take()?;
        Some(Transmit {
            destination,
            contents: &self.rtcp_tx.buf[..self.rtcp_tx.len],
            is_rtcp: true,
        })
    }

    /// The next event, in order.
    pub fn poll_event(&mut self) -> Option<LegEvent> {
        Some(match self.events.pop()? {
            Queued::FirstPacket(addr) => LegEvent::FirstPacket(addr),
            Queued::Relatched(addr) => LegEvent::Relatched(addr),
            Queued::Dtmf(key, via) => LegEvent::Dtmf { key, via },
            Queued::PlaybackFinished => LegEvent::PlaybackFinished,
            Queued::ToneFinished => LegEvent::ToneFinished,
            Queued::SilenceFor(ms) => LegEvent::SilenceFor(ms),
            Queued::SpeechStarted => LegEvent::SpeechStarted,
            Queued::Stats => LegEvent::Stats(self.stats()),
        })
    }

    /// Statistics now.
    pub fn stats(&self) -> LegStats {
        LegStats {
            packets_received: self.stats.received(),
            packets_expected: self.stats.expected(),
            packets_lost: self.stats.cumulative_lost(),
            jitter_ms: self.stats.jitter() as f32 / 8.0,
            packets_sent: self.out.packets(),
            octets_sent: self.out.octets(),
            remote: self.remote_report,
            malformed: self.malformed,
            wrong_source: self.wrong_source,
            unknown_payload_type: self.unknown_payload_type,
            tx_overwritten: self.tx_overwritten,
            events_dropped: self.events.dropped,
        }
    }

    /// Bytes this leg occupies: itself, and its receive-side analysis once allocated (a prompt
    /// is shared and not counted). For the server's per-call memory budget.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.analysis.as_ref().map_or(0, |_| std::mem::size_of::<Analysis>())
    }

    /// The jitter buffer's counters, when the receive-side analysis runs.
    pub fn jitter_counters(&self) -> Option<crate::jitter::JitterCounters> {
        self.analysis.as_ref().map(|a| a.jitter.counters())
    }
}

/// Our CNAME: the SSRC in lower-case hex.
fn hex8(value: u32) -> [u8; 8] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    std::array::from_fn(|n| DIGITS[((value >> (28 - 4 * n)) & 0xF) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cname_is_the_ssrc_in_hex() {
        assert_eq!(&hex8(0x0123_abcd), b"0123abcd");
    }

    #[test]
    fn a_leg_is_small() {
        let inline = std::mem::size_of::<Leg>();
        let analysis = std::mem::size_of::<Analysis>();
        assert!(inline <= 2304, "Leg is {inline} bytes");
        assert!(analysis <= 3200, "Analysis is {analysis} bytes");
    }
}
