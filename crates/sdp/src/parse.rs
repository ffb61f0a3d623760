//! The parser: bytes from the network in, a [`SessionDescription`] or a typed error out.
//!
//! Strict where a mistake would make us send media to the wrong place (`v=`, `o=`, `c=`,
//! `m=`), lenient where real phones and carriers differ from RFC 4566 and nothing is lost:
//! LF or CRLF line ends, blanks around values and between fields, blank lines, a missing
//! `t=` or `s=`, lines in a different order inside a section, line types we do not use.
//! Every allocation is bounded by the limits below, never by a number read from the input.

use crate::error::SdpError;
use crate::model::{
    Attribute, Connection, Media, Origin, SessionDescription, Timing, is_rtp_protocol,
    parse_digits, parse_payload_type, tokens, trim_blanks,
};

/// Largest body we read. SIP over UDP cannot carry more than 64 KiB anyway, and the largest
/// real descriptions (WebRTC with many candidates) are around 10 KiB.
pub(crate) const MAX_SIZE: usize = 64 * 1024;
/// Most lines in a body, blank lines included.
pub(crate) const MAX_LINES: usize = 1024;
/// Most `m=` sections.
pub(crate) const MAX_MEDIA: usize = 32;
/// Most `a=` lines in one section.
pub(crate) const MAX_ATTRIBUTES: usize = 256;
/// Most formats on one `m=` line (RTP has 128 payload types).
pub(crate) const MAX_FORMATS: usize = 128;
/// Most `b=` lines kept per section; more are ignored.
const MAX_BANDWIDTHS: usize = 8;

impl SessionDescription {
    /// Parses a session description, from bytes (a SIP body) or text.
    ///
    /// Bytes that are not UTF-8 are replaced by U+FFFD: only free text (`s=`, attribute
    /// values) could carry them, and no decision of ours depends on it.
    pub fn parse(input: impl AsRef<[u8]>) -> Result<SessionDescription, SdpError> {
        let input = input.as_ref();
        if input.len() > MAX_SIZE {
            return Err(SdpError::TooLarge { limit: MAX_SIZE });
        }
        parse_text(&String::from_utf8_lossy(input))
    }
}

impl std::str::FromStr for SessionDescription {
    type Err = SdpError;

    fn from_str(s: &str) -> Result<SessionDescription, SdpError> {
        SessionDescription::parse(s)
    }
}

/// What the parser has read so far; the session is built once `v=` and `o=` were seen.
#[derive(Default)]
struct Builder {
    origin: Option<Origin>,
    session_name: Option<String>,
    connection: Option<Connection>,
    bandwidths: Vec<String>,
    timing: Option<Timing>,
    attributes: Vec<Attribute>,
    media: Vec<Media>,
}

fn parse_text(text: &str) -> Result<SessionDescription, SdpError> {
    // The line end of the last line does not start another one.
    let text = text.strip_suffix('\n').unwrap_or(text);
    let lines = text.split('\n').enumerate().map(|(i, l)| (i + 1, l));
    let mut b = Builder::default();
    let mut seen_version = false;
    for (number, raw) in lines {
        if number > MAX_LINES {
            return Err(SdpError::TooManyLines { limit: MAX_LINES });
        }
        // CRLF or bare LF; blanks around a line are forgiven, anything else that is a
        // control character (a bare CR, NUL, ...) means the body is not text we understand.
        let line = trim_blanks(raw.strip_suffix('\r').unwrap_or(raw));
        if line.is_empty() {
            continue;
        }
        if line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(SdpError::BadLine { line: number });
        }
        let (kind, value) = split_line(line).ok_or(SdpError::BadLine { line: number })?;
        if !seen_version {
            if kind != 'v' {
                return Err(SdpError::MissingVersion);
            }
            if value != "0" {
                return Err(SdpError::UnsupportedVersion);
            }
            seen_version = true;
            continue;
        }
        read_line(&mut b, number, kind, value)?;
    }
    if !seen_version {
        return Err(SdpError::Empty);
    }
    let origin = b.origin.ok_or(SdpError::MissingOrigin)?;
    Ok(SessionDescription {
        origin,
        session_name: b.session_name.unwrap_or_else(|| "-".to_owned()),
        connection: b.connection,
        bandwidths: b.bandwidths,
        timing: b.timing.unwrap_or_default(),
        attributes: b.attributes,
        media: b.media,
    })
}

/// `x=value` with a lower-case letter; the value keeps its inner blanks.
fn split_line(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let kind = chars.next().filter(char::is_ascii_lowercase)?;
    let value = chars.as_str().strip_prefix('=')?;
    Some((kind, trim_blanks(value)))
}

fn read_line(b: &mut Builder, number: usize, kind: char, value: &str) -> Result<(), SdpError> {
    let in_media = !b.media.is_empty();
    match kind {
        'v' => return Err(SdpError::UnexpectedLine { line: number }),
        'o' => {
            if in_media || b.origin.is_some() {
                return Err(SdpError::UnexpectedLine { line: number });
            }
            b.origin = Some(read_origin(value).ok_or(SdpError::BadOrigin { line: number })?);
        }
        's' => {
            if in_media || b.session_name.is_some() {
                return Err(SdpError::UnexpectedLine { line: number });
            }
            // RFC 4566 wants a non-empty name; phones send `s=`, `s= ` and `s=-` alike.
            let name = if value.is_empty() { "-" } else { value };
            b.session_name = Some(name.to_owned());
        }
        't' => {
            if in_media {
                return Err(SdpError::UnexpectedLine { line: number });
            }
            // Only the first t= matters (SIP sessions are `t=0 0`); an unreadable one is as
            // good as a missing one, which is common and harmless.
            if b.timing.is_none() {
                b.timing = read_timing(value);
            }
        }
        'c' => {
            let c = read_connection(value).ok_or(SdpError::BadConnection { line: number })?;
            // One c= per level; a second one (layered multicast) is not for us.
            let slot = match b.media.last_mut() {
                Some(m) => &mut m.connection,
                None => &mut b.connection,
            };
            if slot.is_none() {
                *slot = Some(c);
            }
        }
        'b' => {
            let list = match b.media.last_mut() {
                Some(m) => &mut m.bandwidths,
                None => &mut b.bandwidths,
            };
            if !value.is_empty() && list.len() < MAX_BANDWIDTHS {
                list.push(value.to_owned());
            }
        }
        'a' => {
            let list = match b.media.last_mut() {
                Some(m) => &mut m.attributes,
                None => &mut b.attributes,
            };
            if let Some(a) = read_attribute(value) {
                if list.len() >= MAX_ATTRIBUTES {
                    return Err(SdpError::TooManyAttributes { limit: MAX_ATTRIBUTES });
                }
                list.push(a);
            }
        }
        'm' => {
            if b.origin.is_none() {
                return Err(SdpError::MissingOrigin);
            }
            if b.media.len() >= MAX_MEDIA {
                return Err(SdpError::TooManyMedia { limit: MAX_MEDIA });
            }
            b.media.push(read_media(value, number)?);
        }
        // i=, u=, e=, p=, r=, z=, k= and letters defined later: nothing we act on. RFC 4566
        // would have us refuse unknown letters; dropping them loses nothing we use.
        _ => {}
    }
    Ok(())
}

/// `<username> <sess-id> <sess-version> <nettype> <addrtype> <address>`. A user name with
/// spaces in it (seen from some soft phones) is read as everything before the last five
/// fields.
fn read_origin(value: &str) -> Option<Origin> {
    let fields: Vec<&str> = tokens(value).collect();
    let n = fields.len();
    if n < 6 {
        return None;
    }
    // At least six fields: the user name has one or more, the tail exactly five.
    let tail = &fields[n - 5..];
    Some(Origin {
        username: fields[..n - 5].join(" "),
        session_id: tail[0].to_owned(),
        session_version: parse_digits(tail[1])?,
        net_type: tail[2].to_owned(),
        addr_type: tail[3].to_owned(),
        address: tail[4].to_owned(),
    })
}

fn read_timing(value: &str) -> Option<Timing> {
    let mut t = tokens(value);
    let start = parse_digits(t.next()?)?;
    let stop = parse_digits(t.next()?)?;
    t.next().is_none().then_some(Timing { start, stop })
}

fn read_connection(value: &str) -> Option<Connection> {
    let mut t = tokens(value);
    let c = Connection {
        net_type: t.next()?.to_owned(),
        addr_type: t.next()?.to_owned(),
        address: t.next()?.to_owned(),
    };
    t.next().is_none().then_some(c)
}

/// `name` or `name:value`; blanks around either are dropped (`a=rtpmap: 0 PCMU/8000` was seen
/// from a carrier). An attribute without a name is dropped.
fn read_attribute(value: &str) -> Option<Attribute> {
    let (name, value) = match value.split_once(':') {
        Some((n, v)) => (trim_blanks(n), Some(trim_blanks(v).to_owned())),
        None => (value, None),
    };
    (!name.is_empty()).then(|| Attribute { name: name.to_owned(), value })
}

/// `<media> <port>[/<count>] <proto> <fmt> ...`.
fn read_media(value: &str, line: usize) -> Result<Media, SdpError> {
    let bad = SdpError::BadMedia { line };
    let mut t = tokens(value);
    let kind = t.next().ok_or(bad.clone())?.to_owned();
    let port_field = t.next().ok_or(bad.clone())?;
    let protocol = t.next().ok_or(bad.clone())?.to_owned();
    let (port, port_count) = match port_field.split_once('/') {
        Some((p, n)) => (read_port(p, line)?, Some(read_port(n, line)?)),
        None => (read_port(port_field, line)?, None),
    };
    let rtp = is_rtp_protocol(&protocol);
    let mut formats = Vec::new();
    for f in t {
        if formats.len() >= MAX_FORMATS {
            return Err(SdpError::TooManyFormats { line, limit: MAX_FORMATS });
        }
        if rtp && parse_payload_type(f).is_none() {
            return Err(bad);
        }
        formats.push(f.to_owned());
    }
    Ok(Media {
        kind,
        port,
        port_count,
        protocol,
        formats,
        connection: None,
        bandwidths: Vec::new(),
        attributes: Vec::new(),
    })
}

fn read_port(s: &str, line: usize) -> Result<u16, SdpError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SdpError::BadMedia { line });
    }
    // Digits only, so a failure to fit is the number being too large.
    s.parse().map_err(|_| SdpError::PortOutOfRange { line })
}
