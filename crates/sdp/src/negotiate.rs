//! Offer/answer (RFC 3264) for the one thing centralita anchors: a G.711 audio stream with
//! RFC 4733 telephone events.
//!
//! The B2BUA uses four entry points: [`remote_audio`] reads a peer's description (and tells a
//! re-INVITE's hold from its resume), [`answer`] answers a carrier's or phone's offer,
//! [`offer`] makes our offer for a new leg, [`accept_answer`] reads the answer to it. When a
//! description cannot be used, [`Unusable`] says why, with the SIP warning code that goes in
//! the 488 Not Acceptable Here.

use std::net::{IpAddr, SocketAddr};

use crate::model::{Attribute, Connection, Direction, Media, Origin, SessionDescription, Timing};

/// The RTP clock rate of G.711 and of the telephone events we answer (RFC 3551, RFC 4733).
const CLOCK_RATE: u32 = 8000;
/// The packetization interval when the peer states none: G.711's default (RFC 3551 §4.5).
pub const DEFAULT_PTIME_MS: u32 = 20;
/// The telephone-event payload type we offer by default: what most phones and carriers use.
pub const DEFAULT_TELEPHONE_EVENT: u8 = 101;
/// The events we send and receive: the DTMF digits 0-9, *, #, A-D (RFC 4733 §3.2).
const EVENTS: &str = "0-15";
/// Packetization intervals we take from a peer; anything else is a mistake and reads as
/// absent (G.711 frames are 10 to 200 ms in practice; RTP over UDP caps the rest).
const SANE_PTIME_MS: std::ops::RangeInclusive<u32> = 1..=200;

/// An audio codec we can anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 µ-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static payload type (RFC 3551 table 4).
    pub fn static_payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The encoding name used in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    /// The codec a payload type stands for in `media`: by its `a=rtpmap` if it has one
    /// (name in any case, 8000 Hz, mono), else by the static table (0 and 8 only). An rtpmap
    /// that says something else for 0 or 8 wins over the table.
    pub fn of(media: &Media, payload_type: u8) -> Option<Codec> {
        match media.rtpmap(payload_type) {
            Some(r) => {
                let mono = r.parameters.is_none_or(|p| p.trim() == "1");
                let codec = [Codec::Pcmu, Codec::Pcma]
                    .into_iter()
                    .find(|c| r.encoding.eq_ignore_ascii_case(c.encoding_name()))?;
                (r.clock_rate == CLOCK_RATE && mono).then_some(codec)
            }
            None => match payload_type {
                0 => Some(Codec::Pcmu),
                8 => Some(Codec::Pcma),
                _ => None,
            },
        }
    }
}

/// The audio stream a peer described, as far as we use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioOffer {
    /// Where the peer receives RTP: the media-level `c=`, else the session-level one. May be
    /// `0.0.0.0` (or `::`): see `direction`.
    pub connection: IpAddr,
    /// The RTP port (never 0: a stream with port 0 is not usable).
    pub port: u16,
    /// The RTCP port from `a=rtcp`, when given; otherwise RTCP goes to `port + 1`.
    pub rtcp_port: Option<u16>,
    /// The G.711 payload types offered, in the peer's order of preference.
    pub codecs: Vec<(u8, Codec)>,
    /// The payload type of `telephone-event/8000`, when offered (the first one, if several).
    /// Events at other clock rates (48000 next to Opus) cannot go with G.711 and are ignored.
    pub telephone_event: Option<u8>,
    /// `a=ptime` in milliseconds, when given and sane (1 to 200).
    pub ptime_ms: Option<u32>,
    /// What the peer will do. A peer that sets its address to `0.0.0.0` or `::` (RFC 2543's
    /// hold, RFC 3264 §8.4) will not receive whatever its attribute says, so that is folded
    /// in: `sendrecv` with `c=0.0.0.0` reads as `SendOnly`.
    pub direction: Direction,
}

impl AudioOffer {
    /// Whether the peer is putting the call on hold: it stops receiving our audio, by
    /// `sendonly`, `inactive` or the old `c=0.0.0.0`. A re-INVITE where this turns false
    /// again is the resume.
    pub fn is_hold(&self) -> bool {
        !self.direction.receives()
    }

    /// Where to send RTP.
    pub fn rtp_address(&self) -> SocketAddr {
        SocketAddr::new(self.connection, self.port)
    }
}

/// Our side of the media: where our RTP socket is and how our `o=` line reads. Keep one per
/// call leg: the session id never changes, and the version goes up by one with every
/// description of ours that differs from the previous one, and only then (RFC 3264 §8: an
/// answer to a session-refresh re-INVITE repeats the same version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// The address peers send RTP to (our public address, not a wildcard).
    pub address: IpAddr,
    /// Our RTP port for this leg.
    pub port: u16,
    /// The `o=` session id: fixed for the life of the call leg.
    pub session_id: u64,
    /// The `o=` version: incremented for every changed description (RFC 3264 §8).
    pub session_version: u64,
    /// The `o=` user name, `centralita`.
    pub username: String,
}

impl LocalMedia {
    /// A leg's media at `address:port`, with version 1 and user name `centralita`.
    pub fn new(address: IpAddr, port: u16, session_id: u64) -> LocalMedia {
        LocalMedia {
            address,
            port,
            session_id,
            session_version: 1,
            username: "centralita".to_owned(),
        }
    }

    fn origin(&self) -> Origin {
        // The user name is one token: blanks or an empty name would change how it parses.
        let username: String = self
            .username
            .chars()
            .map(|c| if c.is_whitespace() || c.is_control() { '-' } else { c })
            .collect();
        let c = Connection::new(self.address);
        Origin {
            username: if username.is_empty() { "-".to_owned() } else { username },
            session_id: self.session_id.to_string(),
            session_version: self.session_version,
            net_type: c.net_type,
            addr_type: c.addr_type,
            address: c.address,
        }
    }
}

/// Which order picks the codec when an offer lists several we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CodecOrder {
    /// The offer's order: the peer's preference, which RFC 3264 §6.1 asks answerers to
    /// respect, and which avoids transcoding when the peer is a gateway.
    #[default]
    Offer,
    /// Our order, [`AnswerPrefs::codecs`].
    Ours,
}

/// How we answer an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerPrefs {
    /// The codecs we accept, in our order of preference; an offer with none of them is
    /// refused with [`Unusable::NoCommonCodec`].
    pub codecs: Vec<Codec>,
    /// Whose order picks among the accepted codecs.
    pub order: CodecOrder,
    /// What we want to do: `SendRecv` normally, `SendOnly` or `Inactive` when we hold the
    /// call. The answer combines it with what the offer allows (RFC 3264 §6.1).
    pub direction: Direction,
}

impl Default for AnswerPrefs {
    fn default() -> AnswerPrefs {
        AnswerPrefs {
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            order: CodecOrder::Offer,
            direction: Direction::SendRecv,
        }
    }
}

/// How we offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferPrefs {
    /// The codecs to offer, in our order of preference. An empty list offers PCMU and PCMA:
    /// an offer without a codec could never be answered.
    pub codecs: Vec<Codec>,
    /// The telephone-event payload type to offer (96-127 is the dynamic range), or `None`.
    /// A payload type above 127 or equal to a codec's is not offered.
    pub telephone_event: Option<u8>,
    /// The `a=ptime` to ask for.
    pub ptime_ms: u32,
    /// Our direction: `SendRecv`, or `SendOnly`/`Inactive` for a hold re-offer.
    pub direction: Direction,
}

impl Default for OfferPrefs {
    fn default() -> OfferPrefs {
        OfferPrefs {
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            telephone_event: Some(DEFAULT_TELEPHONE_EVENT),
            ptime_ms: DEFAULT_PTIME_MS,
            direction: Direction::SendRecv,
        }
    }
}

/// The outcome of a negotiation: everything the media path needs to run the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec both sides use.
    pub codec: Codec,
    /// Its payload type: the one the peer listed (normally 0 or 8).
    pub payload_type: u8,
    /// The telephone-event payload type, when both sides have it.
    pub telephone_event: Option<u8>,
    /// The packetization interval to send with.
    pub ptime_ms: u32,
    /// Where to send RTP.
    pub remote: SocketAddr,
    /// What the peer does (with `c=0.0.0.0` folded in, see [`AudioOffer::direction`]).
    pub remote_direction: Direction,
    /// What we do: we send only if the peer receives and we want to, and the other way round.
    pub local_direction: Direction,
}

/// Why a description gives us no audio stream we can use. The B2BUA answers an offer like
/// that with 488 Not Acceptable Here and a Warning header: [`Unusable::warning_code`] and the
/// `Display` text (the RFC 3261 §20.43 warn-text for the code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unusable {
    /// There is no `m=audio` line (an offer with only video, or a T.38 `m=image` re-INVITE).
    #[error("Media type not available")]
    NoAudio,
    /// Every audio stream has port 0: the peer disabled them.
    #[error("Media type not available")]
    AllPortsZero,
    /// The audio streams use a transport other than plain `RTP/AVP` (SRTP's `RTP/SAVP`,
    /// WebRTC's `UDP/TLS/RTP/SAVPF`, RTP over TCP), which we do not terminate.
    #[error("Incompatible transport protocol")]
    UnsupportedTransport,
    /// No audio stream offers PCMU or PCMA (or none of the codecs the caller allowed).
    #[error("Incompatible media format")]
    NoCommonCodec,
    /// The usable stream has no `c=` at either level, or its address is a host name, a
    /// multicast group, or does not match its address type.
    #[error("Incompatible network address formats")]
    BadConnection,
    /// The answer does not have one `m=` line per line of our offer, in the same order, or
    /// has something else where our audio stream was (RFC 3264 §6).
    #[error("Session description parameter not understood")]
    AnswerMismatch,
    /// The answer's codec is not one we offered (RFC 3264 §6.1 forbids it).
    #[error("Incompatible media format")]
    CodecNotOffered,
}

impl Unusable {
    /// The SIP warn-code (RFC 3261 §20.43) for the Warning header of the 488.
    pub fn warning_code(self) -> u16 {
        match self {
            Unusable::NoAudio | Unusable::AllPortsZero => 304,
            Unusable::UnsupportedTransport => 302,
            Unusable::NoCommonCodec | Unusable::CodecNotOffered => 305,
            Unusable::BadConnection => 301,
            Unusable::AnswerMismatch => 307,
        }
    }

    /// How far a stream got before it failed: with several audio streams, the report is
    /// about the one that came closest.
    fn rank(self) -> u8 {
        match self {
            Unusable::NoAudio => 0,
            Unusable::AllPortsZero => 1,
            Unusable::UnsupportedTransport => 2,
            Unusable::NoCommonCodec | Unusable::CodecNotOffered => 3,
            Unusable::BadConnection => 4,
            Unusable::AnswerMismatch => 5,
        }
    }
}

/// Reads the first audio stream we can use from a remote description (offer or answer);
/// reports why there is none. Use it on every re-INVITE too: [`AudioOffer::is_hold`] tells
/// hold from resume.
pub fn remote_audio(sdp: &SessionDescription) -> Result<AudioOffer, Unusable> {
    first_usable(sdp, |_| Some(())).map(|(_, offer, ())| offer)
}

/// Builds our answer to a remote offer: the first audio stream whose codecs we accept (in
/// the offer's order, or ours per [`AnswerPrefs::order`]), answered with that one codec,
/// telephone-event if offered (same payload type, events 0-15), the offer's ptime if it has
/// one, and the direction RFC 3264 §6.1 allows combined with what we want. Every other
/// `m=` line is rejected with port 0, in the same order; nothing else of the offer is copied.
pub fn answer(
    offer: &SessionDescription,
    local: &LocalMedia,
    prefs: &AnswerPrefs,
) -> Result<(SessionDescription, Negotiated), Unusable> {
    let (index, remote, (payload_type, codec)) = first_usable(offer, |o| choose(o, prefs))?;
    let local_direction = Direction::from_flags(
        remote.direction.receives() && prefs.direction.sends(),
        remote.direction.sends() && prefs.direction.receives(),
    );
    let audio = audio_media(
        &offer.media[index].protocol,
        local.port,
        &[(payload_type, codec)],
        remote.telephone_event,
        remote.ptime_ms,
        local_direction,
    );
    let media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| if i == index { audio.clone() } else { rejected(m) })
        .collect();
    let negotiated = Negotiated {
        codec,
        payload_type,
        telephone_event: remote.telephone_event,
        ptime_ms: remote.ptime_ms.unwrap_or(DEFAULT_PTIME_MS),
        remote: remote.rtp_address(),
        remote_direction: remote.direction,
        local_direction,
    };
    Ok((description(local, media), negotiated))
}

/// Builds an offer for a new leg (an agent's phone, a carrier): one `RTP/AVP` audio stream at
/// our address and port with the codecs in the order given, telephone-event, ptime and our
/// direction.
pub fn offer(local: &LocalMedia, prefs: &OfferPrefs) -> SessionDescription {
    let mut codecs: Vec<(u8, Codec)> = Vec::new();
    let wanted =
        if prefs.codecs.is_empty() { &[Codec::Pcmu, Codec::Pcma][..] } else { &prefs.codecs };
    for c in wanted {
        if !codecs.iter().any(|(_, have)| have == c) {
            codecs.push((c.static_payload_type(), *c));
        }
    }
    let te = prefs.telephone_event.filter(|pt| *pt <= 127 && !codecs.iter().any(|(p, _)| p == pt));
    let audio =
        audio_media("RTP/AVP", local.port, &codecs, te, Some(prefs.ptime_ms), prefs.direction);
    description(local, vec![audio])
}

/// Reads the answer to our offer: the answer must keep our `m=` lines in order, and its audio
/// stream's codec must be one we offered. Telephone events are used only if both have them.
pub fn accept_answer(
    our_offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, Unusable> {
    let index = our_offer
        .media
        .iter()
        .position(|m| m.is_audio() && m.port != 0)
        .ok_or(Unusable::NoAudio)?;
    let ours = &our_offer.media[index];
    if answer.media.len() != our_offer.media.len() || !answer.media[index].is_audio() {
        return Err(Unusable::AnswerMismatch);
    }
    let remote = read_stream(answer, index)?;
    let offered: Vec<Codec> = ours.payload_types().filter_map(|pt| Codec::of(ours, pt)).collect();
    let (payload_type, codec) = remote
        .codecs
        .iter()
        .copied()
        .find(|(_, c)| offered.contains(c))
        .ok_or(Unusable::CodecNotOffered)?;
    let ours_direction = our_offer.direction_for(index);
    Ok(Negotiated {
        codec,
        payload_type,
        telephone_event: telephone_event(ours).and(remote.telephone_event),
        ptime_ms: remote.ptime_ms.or_else(|| sane_ptime(ours.ptime())).unwrap_or(DEFAULT_PTIME_MS),
        remote: remote.rtp_address(),
        remote_direction: remote.direction,
        local_direction: Direction::from_flags(
            ours_direction.sends() && remote.direction.receives(),
            ours_direction.receives() && remote.direction.sends(),
        ),
    })
}

/// The first audio stream that reads as usable and for which `pick` finds something, with
/// its index; otherwise the reason of the stream that came closest.
fn first_usable<T>(
    sdp: &SessionDescription,
    pick: impl Fn(&AudioOffer) -> Option<T>,
) -> Result<(usize, AudioOffer, T), Unusable> {
    let mut reason = Unusable::NoAudio;
    for (index, m) in sdp.media.iter().enumerate() {
        if !m.is_audio() {
            continue;
        }
        match read_stream(sdp, index) {
            Ok(offer) => match pick(&offer) {
                Some(t) => return Ok((index, offer, t)),
                None => reason = worst_of(reason, Unusable::NoCommonCodec),
            },
            Err(e) => reason = worst_of(reason, e),
        }
    }
    Err(reason)
}

fn worst_of(a: Unusable, b: Unusable) -> Unusable {
    if b.rank() > a.rank() { b } else { a }
}

/// One audio stream, checked in the order a phone would fail: disabled, wrong transport, no
/// codec we have, nowhere to send.
fn read_stream(sdp: &SessionDescription, index: usize) -> Result<AudioOffer, Unusable> {
    let m = &sdp.media[index];
    if m.port == 0 {
        return Err(Unusable::AllPortsZero);
    }
    if !m.protocol.eq_ignore_ascii_case("RTP/AVP") {
        return Err(Unusable::UnsupportedTransport);
    }
    let codecs: Vec<(u8, Codec)> =
        m.payload_types().filter_map(|pt| Codec::of(m, pt).map(|c| (pt, c))).collect();
    if codecs.is_empty() {
        return Err(Unusable::NoCommonCodec);
    }
    let connection =
        sdp.connection_for(index).and_then(Connection::ip).ok_or(Unusable::BadConnection)?;
    if connection.is_multicast() {
        return Err(Unusable::BadConnection);
    }
    let written = sdp.direction_for(index);
    let direction = if connection.is_unspecified() {
        Direction::from_flags(written.sends(), false)
    } else {
        written
    };
    Ok(AudioOffer {
        connection,
        port: m.port,
        rtcp_port: m.rtcp_port(),
        codecs,
        telephone_event: telephone_event(m),
        ptime_ms: sane_ptime(m.ptime()),
        direction,
    })
}

/// The first `telephone-event/8000` payload type listed in the `m=` line.
fn telephone_event(m: &Media) -> Option<u8> {
    m.payload_types().find(|pt| {
        m.rtpmap(*pt).is_some_and(|r| {
            r.encoding.eq_ignore_ascii_case("telephone-event") && r.clock_rate == CLOCK_RATE
        })
    })
}

fn sane_ptime(ptime: Option<u32>) -> Option<u32> {
    ptime.filter(|p| SANE_PTIME_MS.contains(p))
}

fn choose(offer: &AudioOffer, prefs: &AnswerPrefs) -> Option<(u8, Codec)> {
    match prefs.order {
        CodecOrder::Offer => offer.codecs.iter().copied().find(|(_, c)| prefs.codecs.contains(c)),
        CodecOrder::Ours => prefs
            .codecs
            .iter()
            .find_map(|want| offer.codecs.iter().copied().find(|(_, c)| c == want)),
    }
}

/// Our audio `m=` section: the codecs and events we send and receive, nothing else.
fn audio_media(
    protocol: &str,
    port: u16,
    codecs: &[(u8, Codec)],
    telephone_event: Option<u8>,
    ptime_ms: Option<u32>,
    direction: Direction,
) -> Media {
    let mut formats: Vec<String> = codecs.iter().map(|(pt, _)| pt.to_string()).collect();
    let mut attributes: Vec<Attribute> = codecs
        .iter()
        .map(|(pt, c)| Attribute::new("rtpmap", format!("{pt} {}/{CLOCK_RATE}", c.encoding_name())))
        .collect();
    if let Some(te) = telephone_event {
        formats.push(te.to_string());
        attributes.push(Attribute::new("rtpmap", format!("{te} telephone-event/{CLOCK_RATE}")));
        attributes.push(Attribute::new("fmtp", format!("{te} {EVENTS}")));
    }
    if let Some(p) = ptime_ms {
        attributes.push(Attribute::new("ptime", p.to_string()));
    }
    attributes.push(Attribute::flag(direction.as_str()));
    Media {
        kind: "audio".to_owned(),
        port,
        port_count: None,
        protocol: protocol.to_owned(),
        formats,
        connection: None,
        bandwidths: Vec::new(),
        attributes,
    }
}

/// A rejected stream (RFC 3264 §6): same media and protocol, port 0, and one format because
/// SDP requires at least one; no attributes.
fn rejected(m: &Media) -> Media {
    Media {
        kind: m.kind.clone(),
        port: 0,
        port_count: None,
        protocol: m.protocol.clone(),
        formats: m.formats.iter().take(1).cloned().collect(),
        connection: None,
        bandwidths: Vec::new(),
        attributes: Vec::new(),
    }
}

fn description(local: &LocalMedia, media: Vec<Media>) -> SessionDescription {
    SessionDescription {
        origin: local.origin(),
        session_name: "-".to_owned(),
        connection: Some(Connection::new(local.address)),
        bandwidths: Vec::new(),
        timing: Timing::default(),
        attributes: Vec::new(),
        media,
    }
}
