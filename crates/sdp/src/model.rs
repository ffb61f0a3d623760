//! The session description as data: what the parser keeps and the printer writes.
//!
//! Fields are plain and public, like the lines they come from. Attribute values stay text and
//! are interpreted when read (`rtpmap`, `ptime`, `rtcp`, direction): a value we cannot read is
//! treated as absent rather than failing the whole call, and attributes we do not know are
//! kept untouched, so a description prints back as it was received (in canonical form).

use std::net::IpAddr;

/// One session description (RFC 4566 §5): the session-level lines and the media descriptions,
/// in order. Lines we do not use (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`) are not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line: who made the description, and its session id and version.
    pub origin: Origin,
    /// The `s=` text. An empty or missing `s=` reads as `-`, which is also what prints.
    pub session_name: String,
    /// The session-level `c=` line, which applies to every media without its own.
    pub connection: Option<Connection>,
    /// The session-level `b=` values (`AS:64`), kept as text: we never act on bandwidth.
    pub bandwidths: Vec<String>,
    /// The first `t=` line; `0 0` when it is missing, which is what SIP always means.
    pub timing: Timing,
    /// The session-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
    /// The `m=` sections, in order: an answer must keep this order and this count.
    pub media: Vec<Media>,
}

/// The `o=` line (RFC 4566 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The user name, often `-`. Some phones put spaces in it; they are kept.
    pub username: String,
    /// The session id, kept as text: we only compare it, and some peers exceed 64 bits.
    pub session_id: String,
    /// The version, which a peer increments whenever the description changes (RFC 3264 §8);
    /// a re-INVITE with an unchanged version is a session refresh.
    pub session_version: u64,
    /// The network type, `IN`.
    pub net_type: String,
    /// The address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address or host name of the originator (informational only).
    pub address: String,
}

/// A `c=` line (RFC 4566 §5.7), kept as written; [`Connection::ip`] reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The network type, `IN`.
    pub net_type: String,
    /// The address type, `IP4` or `IP6`.
    pub addr_type: String,
    /// The address, possibly a host name or a multicast `addr/ttl`.
    pub address: String,
}

impl Connection {
    /// A unicast connection to `ip`, with the address type that matches it.
    pub fn new(ip: IpAddr) -> Connection {
        Connection {
            net_type: "IN".to_owned(),
            addr_type: if ip.is_ipv4() { "IP4" } else { "IP6" }.to_owned(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP address, when it is one: network type `IN`, an address that
    /// parses and matches the address type (`IP4` with IPv4, `IP6` with IPv6, written without
    /// brackets as RFC 5118 §4.6 says). Host names and multicast `addr/ttl` give `None`: we
    /// neither resolve names nor join groups.
    pub fn ip(&self) -> Option<IpAddr> {
        if !self.net_type.eq_ignore_ascii_case("IN") {
            return None;
        }
        let ip: IpAddr = self.address.parse().ok()?;
        let family_matches = match ip {
            IpAddr::V4(_) => self.addr_type.eq_ignore_ascii_case("IP4"),
            IpAddr::V6(_) => self.addr_type.eq_ignore_ascii_case("IP6"),
        };
        family_matches.then_some(ip)
    }
}

/// The `t=` line (RFC 4566 §5.9): start and stop times, `0 0` for a session without bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for "now".
    pub start: u64,
    /// Stop time (NTP seconds), 0 for "unbounded".
    pub stop: u64,
}

/// One `m=` section (RFC 4566 §5.14) with its own `c=`, `b=` and `a=` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// The media type: `audio`, `video`, `image` (T.38), `application`, ...
    pub kind: String,
    /// The transport port; 0 means the stream is disabled or rejected.
    pub port: u16,
    /// The `/<number of ports>` suffix, when present (layered multicast, never used by us).
    pub port_count: Option<u16>,
    /// The transport protocol, `RTP/AVP` for plain RTP; kept with the peer's spelling.
    pub protocol: String,
    /// The format list: RTP payload type numbers for RTP protocols, other tokens (`t38`)
    /// otherwise. Kept as text and in order, which is the peer's preference.
    pub formats: Vec<String>,
    /// The media-level `c=` line, which wins over the session-level one.
    pub connection: Option<Connection>,
    /// The media-level `b=` values, kept as text.
    pub bandwidths: Vec<String>,
    /// The media-level `a=` lines, in order.
    pub attributes: Vec<Attribute>,
}

/// An `a=` line: `a=name` or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The name, before the first colon.
    pub name: String,
    /// The value, after the first colon; `None` for a property attribute (`a=sendrecv`).
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute, `a=name`.
    pub fn flag(name: &str) -> Attribute {
        Attribute { name: name.to_owned(), value: None }
    }

    /// A value attribute, `a=name:value`.
    pub fn new(name: &str, value: impl Into<String>) -> Attribute {
        Attribute { name: name.to_owned(), value: Some(value.into()) }
    }
}

/// Which way media flows, from the point of view of the side that wrote the description
/// (RFC 4566 §6, RFC 3264 §5.1). Putting a call on hold is a re-offer with `SendOnly` or
/// `Inactive`; resuming is a re-offer with `SendRecv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`, the default when no direction attribute is present.
    SendRecv,
    /// `a=sendonly`: the writer sends and will not receive.
    SendOnly,
    /// `a=recvonly`: the writer receives and will not send.
    RecvOnly,
    /// `a=inactive`: neither.
    Inactive,
}

impl Direction {
    /// The direction made of the two halves.
    pub fn from_flags(sends: bool, receives: bool) -> Direction {
        match (sends, receives) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            (false, true) => Direction::RecvOnly,
            (false, false) => Direction::Inactive,
        }
    }

    /// Whether the writer sends media.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the writer receives media.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction an answerer writes for this offered direction when it has no wishes of
    /// its own (RFC 3264 §6.1): sendonly gets recvonly, recvonly gets sendonly, inactive gets
    /// inactive, sendrecv gets sendrecv.
    pub fn mirrored(self) -> Direction {
        Direction::from_flags(self.receives(), self.sends())
    }

    /// The attribute name, `sendrecv` and so on.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an attribute name stands for, in any case.
    pub fn from_attribute_name(name: &str) -> Option<Direction> {
        [Direction::SendRecv, Direction::SendOnly, Direction::RecvOnly, Direction::Inactive]
            .into_iter()
            .find(|d| name.eq_ignore_ascii_case(d.as_str()))
    }
}

/// An `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` value, read on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    /// The payload type it describes.
    pub payload_type: u8,
    /// The encoding name, with the peer's case (`PCMU`, `pcmu`, `telephone-event`).
    pub encoding: &'a str,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters (channels for audio), when present.
    pub parameters: Option<&'a str>,
}

impl Rtpmap<'_> {
    /// Reads an rtpmap value; `None` when it does not follow the grammar.
    fn read(value: &str) -> Option<Rtpmap<'_>> {
        let (pt, rest) = split_first_token(value)?;
        let payload_type = parse_payload_type(pt)?;
        let mut parts = rest.splitn(3, '/');
        let encoding = parts.next().filter(|e| !e.is_empty())?;
        let clock_rate = parse_digits(parts.next()?)?;
        let parameters = parts.next();
        Some(Rtpmap { payload_type, encoding, clock_rate, parameters })
    }
}

/// Splits `"<token> <rest>"` at the first run of blanks; the rest may be empty.
fn split_first_token(value: &str) -> Option<(&str, &str)> {
    let value = trim_blanks(value);
    if value.is_empty() {
        return None;
    }
    // `i` is the index of an ASCII blank, so both slices fall on character boundaries.
    match value.find([' ', '\t']) {
        Some(i) => Some((&value[..i], trim_blanks(&value[i..]))),
        None => Some((value, "")),
    }
}

/// Trims spaces and tabs only: other Unicode white space is data, the way the parser sees it.
pub(crate) fn trim_blanks(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// The blank-separated tokens of a value (runs of spaces and tabs count as one separator).
pub(crate) fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', '\t']).filter(|t| !t.is_empty())
}

/// A decimal number made of ASCII digits only (no sign, no spaces), that fits in `T`.
pub(crate) fn parse_digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// An RTP payload type: 0 to 127 (RFC 3550 gives it 7 bits).
pub(crate) fn parse_payload_type(s: &str) -> Option<u8> {
    parse_digits::<u8>(s).filter(|pt| *pt <= 127)
}

/// Whether a transport protocol carries RTP, whose formats are payload type numbers.
pub(crate) fn is_rtp_protocol(protocol: &str) -> bool {
    protocol.split('/').any(|p| p.eq_ignore_ascii_case("RTP"))
}

/// Read access shared by the session and media sections.
fn find_attribute<'a>(attributes: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    // The first direction attribute wins; a section carrying two is broken and we do not try
    // to guess which one its writer meant.
    attributes.iter().find_map(|a| match a.value {
        None => Direction::from_attribute_name(&a.name),
        Some(_) => None,
    })
}

impl SessionDescription {
    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// The first session-level attribute with this name (names compare case-insensitively).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        find_attribute(&self.attributes, name)
    }

    /// The connection that applies to media `index`: its own `c=` if it has one, otherwise
    /// the session-level one (RFC 4566 §5.7).
    pub fn connection_for(&self, index: usize) -> Option<&Connection> {
        self.media.get(index).and_then(|m| m.connection.as_ref()).or(self.connection.as_ref())
    }

    /// The direction that applies to media `index`: its own attribute, otherwise the
    /// session-level one, otherwise sendrecv (RFC 3264 §5.1).
    pub fn direction_for(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(Media::direction)
            .or_else(|| self.direction())
            .unwrap_or(Direction::SendRecv)
    }

    /// A copy in which every enabled media stream (port not 0) carries `direction`, and the
    /// session level none: how we build our re-offer for hold (`SendOnly`, `Inactive`) and
    /// resume (`SendRecv`). The version is not changed; call [`bump_version`] on the result.
    ///
    /// [`bump_version`]: SessionDescription::bump_version
    pub fn with_direction(&self, direction: Direction) -> SessionDescription {
        let mut next = self.clone();
        next.attributes
            .retain(|a| a.value.is_some() || Direction::from_attribute_name(&a.name).is_none());
        for m in next.media.iter_mut().filter(|m| m.port != 0) {
            m.set_direction(direction);
        }
        next
    }

    /// Increments the `o=` version, as every changed description we send must (RFC 3264 §8):
    /// same session id, version + 1. Saturates at `u64::MAX`, which no call reaches.
    pub fn bump_version(&mut self) {
        self.origin.session_version = self.origin.session_version.saturating_add(1);
    }
}

impl Media {
    /// Whether this is an audio stream (`m=audio`, in any case).
    pub fn is_audio(&self) -> bool {
        self.kind.eq_ignore_ascii_case("audio")
    }

    /// The media-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// Replaces the media-level direction attribute(s) with `direction`.
    pub fn set_direction(&mut self, direction: Direction) {
        self.attributes
            .retain(|a| a.value.is_some() || Direction::from_attribute_name(&a.name).is_none());
        self.attributes.push(Attribute::flag(direction.as_str()));
    }

    /// The first media-level attribute with this name (names compare case-insensitively).
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        find_attribute(&self.attributes, name)
    }

    /// The values of every media-level attribute with this name.
    pub fn attribute_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name.eq_ignore_ascii_case(name))
            .filter_map(|a| a.value.as_deref())
    }

    /// The payload types of the format list, in order, for an RTP stream; formats that are
    /// not payload type numbers are skipped.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| parse_payload_type(f))
    }

    /// The first readable `a=rtpmap` for `payload_type`.
    pub fn rtpmap(&self, payload_type: u8) -> Option<Rtpmap<'_>> {
        self.attribute_values("rtpmap")
            .filter_map(Rtpmap::read)
            .find(|r| r.payload_type == payload_type)
    }

    /// The parameters of the first `a=fmtp` for `payload_type` (`0-15` for telephone-event).
    pub fn fmtp(&self, payload_type: u8) -> Option<&str> {
        self.attribute_values("fmtp").find_map(|v| {
            let (pt, params) = split_first_token(v)?;
            (parse_payload_type(pt)? == payload_type).then_some(params)
        })
    }

    /// `a=ptime` in milliseconds, when readable.
    pub fn ptime(&self) -> Option<u32> {
        self.attribute("ptime")
            .and_then(|a| a.value.as_deref())
            .and_then(|v| parse_digits(trim_blanks(v)))
    }

    /// `a=maxptime` in milliseconds, when readable.
    pub fn maxptime(&self) -> Option<u32> {
        self.attribute("maxptime")
            .and_then(|a| a.value.as_deref())
            .and_then(|v| parse_digits(trim_blanks(v)))
    }

    /// The port of `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605), when readable.
    pub fn rtcp_port(&self) -> Option<u16> {
        let value = self.attribute("rtcp")?.value.as_deref()?;
        parse_digits(tokens(value).next()?)
    }
}
