//! Framing: from bytes to a `Message`, for a UDP datagram (`Message::parse`) or a byte stream
//! (`parse_stream`), with the limits that keep a hostile peer from making us allocate.
//!
//! Nothing here allocates in proportion to a number read from the message: Content-Length is
//! only ever compared with the bytes actually present (RFC 4475 ncl, clerr), and every buffer
//! is bounded by `Limits`.
//!
//! Leniencies, each deliberate:
//! - Bare LF line endings are accepted as well as CRLF (RFC 5118's messages use them, and
//!   RFC 3261 7.5 asks receivers to be robust); a CR anywhere else in the head is refused.
//! - CRLFs before the start line are skipped on datagrams as well as streams (RFC 3261 7.5).
//! - A datagram whose header section ends at the end of the datagram without the empty line
//!   is accepted with an empty body (RFC 5118 4.10's two messages end like that).
//! - A Status-Line without the space before an empty reason phrase is accepted.

use crate::error::{ParseError, ValueError};
use crate::header::{HeaderName, Headers};
use crate::message::{Message, Request, Response, Version};
use crate::method::Method;
use crate::scan::{is_token, is_ws, parse_u64_saturating, split_list};
use crate::uri::Uri;

/// Bounds on what the parser accepts; the defaults suit a PBX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest whole message, head and body (default 65,535: the largest UDP payload).
    pub max_message_size: usize,
    /// Most header field values, counting each element of a split list (default 256).
    pub max_headers: usize,
    /// Longest start line or unfolded header field (default 8,192).
    pub max_line_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_message_size: 65_535, max_headers: 256, max_line_length: 8_192 }
    }
}

/// What a stream transport can carry between messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A SIP message.
    Message(Message),
    /// An RFC 5626 keep-alive ping (CRLFCRLF): answer with a single CRLF.
    Ping,
    /// An RFC 5626 pong (a lone CRLF): the peer answered our ping.
    Pong,
}

/// The start line, parsed.
enum StartLine {
    Request(Method, Uri),
    Response(u16, String),
}

/// Where the head ends: (end of the last header line, start of the body). `None` if there is
/// no empty line.
fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while let Some(off) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let lf = i + off;
        match (buf.get(lf + 1), buf.get(lf + 2)) {
            (Some(b'\n'), _) => return Some((lf + 1, lf + 2)),
            (Some(b'\r'), Some(b'\n')) => return Some((lf + 1, lf + 3)),
            _ => i = lf + 1,
        }
    }
    None
}

fn skip_crlf(buf: &[u8]) -> usize {
    buf.iter().take_while(|&&b| b == b'\r' || b == b'\n').count()
}

/// The lines of a head (without their line endings). A CR not just before the LF is an
/// error.
fn lines(head: &[u8]) -> impl Iterator<Item = Result<&[u8], ParseError>> {
    let head = head.strip_suffix(b"\n").unwrap_or(head);
    head.split(|&b| b == b'\n').map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.contains(&b'\r') { Err(ParseError::BareCr) } else { Ok(line) }
    })
}

fn trim_ws(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s
        && is_ws(*first)
    {
        s = rest;
    }
    while let [rest @ .., last] = s
        && is_ws(*last)
    {
        s = rest;
    }
    s
}

fn parse_version(s: &str) -> Result<Version, ParseError> {
    let prefix_ok = s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/"));
    let rest =
        s.get(4..).filter(|_| prefix_ok).ok_or(ParseError::BadStartLine("bad SIP version"))?;
    let (major, minor) = rest.split_once('.').ok_or(ParseError::BadStartLine("bad SIP version"))?;
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return Err(ParseError::BadStartLine("bad SIP version"));
    }
    if major.trim_start_matches('0') == "2" && minor.trim_start_matches('0').is_empty() {
        Ok(Version::Sip2)
    } else {
        Err(ParseError::UnsupportedVersion)
    }
}

fn parse_start_line(line: &[u8], limits: &Limits) -> Result<StartLine, ParseError> {
    if line.len() > limits.max_line_length {
        return Err(ParseError::LineTooLong { limit: limits.max_line_length });
    }
    let line = std::str::from_utf8(line).map_err(|_| ParseError::BadStartLine("not UTF-8"))?;
    if line.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/")) {
        let mut parts = line.splitn(3, ' ');
        parse_version(parts.next().unwrap_or_default())?;
        let code = parts.next().unwrap_or_default();
        let reason = parts.next().unwrap_or_default();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadStatusCode);
        }
        let status: u16 = code.parse().map_err(|_| ParseError::BadStatusCode)?;
        if !(100..=699).contains(&status) {
            return Err(ParseError::BadStatusCode);
        }
        if reason.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ParseError::BadStartLine("control character in the reason phrase"));
        }
        return Ok(StartLine::Response(status, reason.to_owned()));
    }
    // Strict: exactly single spaces, none trailing (RFC 4475 lwsstart, trws, lwsruri).
    let parts: Vec<&str> = line.splitn(4, ' ').collect();
    let [method, uri, version] = parts[..] else {
        return Err(ParseError::BadStartLine("not METHOD SP Request-URI SP SIP-Version"));
    };
    let method = Method::parse(method).ok_or(ParseError::BadStartLine("method is not a token"))?;
    let uri = Uri::parse(uri).map_err(ParseError::BadRequestUri)?;
    if let Uri::Sip(s) = &uri
        && !s.headers().is_empty()
    {
        // RFC 3261 19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri).
        return Err(ParseError::BadRequestUri(crate::error::UriError::HeadersNotAllowed));
    }
    parse_version(version)?;
    Ok(StartLine::Request(method, uri))
}

/// Parses the header lines into `Headers`. `strict = false` skips what it cannot read
/// instead of failing (used to salvage enough of a bad request to answer it).
fn parse_headers<'a>(
    lines: impl Iterator<Item = Result<&'a [u8], ParseError>>,
    limits: &Limits,
    strict: bool,
) -> Result<Headers, ParseError> {
    let mut headers = Headers::new();
    let mut current: Option<(&'a [u8], Vec<u8>)> = None;
    let flush = |current: Option<(&'a [u8], Vec<u8>)>, headers: &mut Headers| {
        let Some((name, value)) = current else { return Ok(()) };
        // The name was checked to be a token, so it is ASCII.
        let name = HeaderName::new(std::str::from_utf8(name).unwrap_or_default());
        if value.len() > limits.max_line_length {
            return Err(ParseError::LineTooLong { limit: limits.max_line_length });
        }
        let value = String::from_utf8(value)
            .map_err(|_| ParseError::header(name.clone(), ValueError::NotUtf8))?;
        let elements = if name.is_list() && !value.is_empty() {
            let parts = split_list(&value);
            if !parts.iter().any(|p| p.is_empty()) {
                parts.into_iter().map(str::to_owned).collect()
            } else if strict {
                return Err(ParseError::header(name, ValueError::EmptyListElement));
            } else {
                vec![value]
            }
        } else {
            vec![value]
        };
        for v in elements {
            if headers.len() >= limits.max_headers {
                return Err(ParseError::TooManyHeaders { limit: limits.max_headers });
            }
            headers.push_raw(name.clone(), v);
        }
        Ok(())
    };
    for line in lines {
        let line = match line {
            Ok(l) => l,
            Err(e) if strict => return Err(e),
            Err(_) => continue,
        };
        if line.len() > limits.max_line_length {
            if strict {
                return Err(ParseError::LineTooLong { limit: limits.max_line_length });
            }
            continue;
        }
        if line.first().is_some_and(|&b| is_ws(b)) {
            // A continuation line (folding): joined to the value with one space.
            match &mut current {
                Some((_, value)) => {
                    let piece = trim_ws(line);
                    if !piece.is_empty() {
                        if !value.is_empty() {
                            value.push(b' ');
                        }
                        value.extend_from_slice(piece);
                    }
                }
                None if strict => return Err(ParseError::BadHeaderLine),
                None => {}
            }
            continue;
        }
        let result = flush(current.take(), &mut headers);
        match result {
            Err(e) if strict => return Err(e),
            Err(ParseError::TooManyHeaders { .. }) => break,
            _ => {}
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            if strict {
                return Err(ParseError::BadHeaderLine);
            }
            continue;
        };
        let (name, value) = line.split_at(colon);
        let name = trim_ws(name);
        if !std::str::from_utf8(name).is_ok_and(is_token) {
            if strict {
                return Err(ParseError::BadHeaderLine);
            }
            continue;
        }
        current = Some((name, trim_ws(value.get(1..).unwrap_or_default()).to_vec()));
    }
    match flush(current.take(), &mut headers) {
        Err(e) if strict => Err(e),
        _ => Ok(headers),
    }
}

/// Content-Length as a framing value: `None` if absent. A duplicate (RFC 4475 mcl01), a
/// sign (ncl) or a non-digit is refused; an overlarge value saturates, which every caller
/// then refuses as larger than what is there or allowed.
fn framing_length(headers: &Headers) -> Result<Option<u64>, ParseError> {
    let mut values = headers.get_all(&HeaderName::CONTENT_LENGTH);
    let Some(v) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(ParseError::DuplicateHeader(HeaderName::CONTENT_LENGTH));
    }
    parse_u64_saturating(v).map(Some).map_err(|e| ParseError::header(HeaderName::CONTENT_LENGTH, e))
}

/// The head of a message: start line and validated headers.
fn parse_head(head: &[u8], limits: &Limits) -> Result<(StartLine, Headers), ParseError> {
    let mut ls = lines(head);
    let start = ls.next().ok_or(ParseError::Empty)??;
    let start = parse_start_line(start, limits)?;
    let headers = parse_headers(ls, limits, true)?;
    headers.validate()?;
    Ok((start, headers))
}

fn build(start: StartLine, headers: Headers, body: &[u8]) -> Message {
    match start {
        StartLine::Request(method, uri) => Message::Request(Request {
            method,
            uri,
            version: Version::Sip2,
            headers,
            body: body.to_vec(),
        }),
        StartLine::Response(status, reason) => Message::Response(Response {
            version: Version::Sip2,
            status,
            reason,
            headers,
            body: body.to_vec(),
        }),
    }
}

/// Parses one UDP datagram (see `Message::parse`).
pub(crate) fn parse_datagram(buf: &[u8], limits: &Limits) -> Result<Message, ParseError> {
    if buf.len() > limits.max_message_size {
        return Err(ParseError::MessageTooLarge { limit: limits.max_message_size });
    }
    let buf = buf.get(skip_crlf(buf)..).unwrap_or_default();
    if buf.is_empty() {
        return Err(ParseError::Empty);
    }
    let (head_end, body_start) = match find_head_end(buf) {
        Some(ends) => ends,
        None if buf.ends_with(b"\n") => (buf.len(), buf.len()),
        None => return Err(ParseError::UnterminatedHead),
    };
    let (start, headers) = parse_head(buf.get(..head_end).unwrap_or_default(), limits)?;
    let rest = buf.get(body_start..).unwrap_or_default();
    // RFC 3261 18.3: without Content-Length, a datagram's body runs to its end (RFC 4475
    // inv2543); octets past Content-Length are dropped (dblreq).
    let body = match framing_length(&headers)? {
        None => rest,
        Some(n) => match usize::try_from(n).ok().and_then(|n| rest.get(..n)) {
            Some(body) => body,
            None => return Err(ParseError::ContentLengthExceedsDatagram),
        },
    };
    Ok(build(start, headers, body))
}

/// Reads the next item from a stream transport's receive buffer (TCP, TLS).
///
/// `Ok(None)`: more bytes are needed; keep them and call again when more arrive. `Ok(Some((item,
/// consumed)))`: drop `consumed` bytes from the front of the buffer. `Err`: the stream can no
/// longer be framed; answer if possible (see `error_response`) and close the connection.
/// Content-Length is mandatory (RFC 3261 18.3); stray CRLFs before a message are skipped.
pub fn parse_stream_item(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(StreamItem, usize)>, ParseError> {
    if buf.starts_with(b"\r\n\r\n") {
        return Ok(Some((StreamItem::Ping, 4)));
    }
    if buf.starts_with(b"\r\n") && buf.get(2).is_some_and(|&b| b != b'\r' && b != b'\n') {
        return Ok(Some((StreamItem::Pong, 2)));
    }
    if b"\r\n\r\n".starts_with(buf) {
        // Empty, or the beginning of a ping.
        return Ok(None);
    }
    let offset = skip_crlf(buf);
    let rest = buf.get(offset..).unwrap_or_default();
    let Some((head_end, body_start)) = find_head_end(rest) else {
        return if rest.len() > limits.max_message_size {
            Err(ParseError::MessageTooLarge { limit: limits.max_message_size })
        } else {
            Ok(None)
        };
    };
    if body_start > limits.max_message_size {
        return Err(ParseError::MessageTooLarge { limit: limits.max_message_size });
    }
    let (start, headers) = parse_head(rest.get(..head_end).unwrap_or_default(), limits)?;
    let length = framing_length(&headers)?.ok_or(ParseError::MissingContentLength)?;
    let total = usize::try_from(length)
        .ok()
        .and_then(|n| n.checked_add(body_start))
        .filter(|&t| t <= limits.max_message_size)
        .ok_or(ParseError::MessageTooLarge { limit: limits.max_message_size })?;
    let Some(body) = rest.get(body_start..total) else { return Ok(None) };
    Ok(Some((StreamItem::Message(build(start, headers, body)), offset + total)))
}

/// Like `parse_stream_item` with default limits, skipping keep-alives: the next message and
/// how many bytes it took (keep-alives before it included).
pub fn parse_stream(buf: &[u8]) -> Result<Option<(Message, usize)>, ParseError> {
    let limits = Limits::default();
    let mut consumed = 0;
    loop {
        let rest = buf.get(consumed..).unwrap_or_default();
        match parse_stream_item(rest, &limits)? {
            None => return Ok(None),
            Some((StreamItem::Message(m), n)) => return Ok(Some((m, consumed + n))),
            Some((StreamItem::Ping | StreamItem::Pong, n)) => consumed += n,
        }
    }
}

/// Builds the error response (400, 505 or 513 with a reason naming the problem) for a
/// datagram or stream message that `Message::parse` refused with `error`, if enough of it can
/// be read to be answered: a request (never a response) with at least a Via and a CSeq,
/// which is what the client needs to match the response to its transaction (RFC 3261 17.1.3).
/// From, To and Call-ID are copied when present. RFC 4475 asks for a 400 even to insuf.dat,
/// which lacks them; `Response::check` would flag such a response, and a UAC may still
/// discard it, but an answer beats a retransmitting client.
pub fn error_response(buf: &[u8], error: &ParseError) -> Option<Response> {
    let limits = Limits::default();
    let buf = buf.get(..limits.max_message_size.min(buf.len()))?;
    let buf = buf.get(skip_crlf(buf)..)?;
    let head_end = find_head_end(buf).map_or(buf.len(), |(end, _)| end);
    let mut ls = lines(buf.get(..head_end)?);
    let start = ls.next()?.ok()?;
    let method = start.split(|&b| b == b' ').next()?;
    if method.get(..4).is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/")) || method.is_empty() {
        return None;
    }
    let found = parse_headers(ls, &limits, false).ok()?;
    if !found.contains(&HeaderName::VIA) || !found.contains(&HeaderName::CSEQ) {
        return None;
    }
    let mut response = Response::new(error.status_code(), &error.reason_phrase());
    for h in found.iter().filter(|h| h.name == HeaderName::VIA) {
        response.headers.push(h.name.clone(), h.value.clone());
    }
    for name in [HeaderName::FROM, HeaderName::TO, HeaderName::CALL_ID, HeaderName::CSEQ] {
        if let Some(v) = found.get(&name) {
            response.headers.push(name, v);
        }
    }
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 4\r\n\r\nbody";

    #[test]
    fn stream_waits_for_the_whole_message() {
        for cut in 0..OPTIONS.len() {
            assert_eq!(parse_stream(&OPTIONS[..cut]), Ok(None), "cut at {cut}");
        }
        let (m, n) = parse_stream(OPTIONS).unwrap().unwrap();
        assert_eq!(n, OPTIONS.len());
        assert_eq!(m.body(), b"body");
    }

    #[test]
    fn stream_keepalives() {
        let l = Limits::default();
        assert_eq!(parse_stream_item(b"\r\n\r\n", &l), Ok(Some((StreamItem::Ping, 4))));
        assert_eq!(parse_stream_item(b"\r\n", &l), Ok(None));
        assert_eq!(parse_stream_item(b"\r\n\r", &l), Ok(None));
        assert_eq!(parse_stream_item(b"", &l), Ok(None));
        let mut buf = b"\r\nOPT".to_vec();
        assert_eq!(parse_stream_item(&buf, &l), Ok(Some((StreamItem::Pong, 2))));
        buf = [b"\r\n\r\n\r\n\r\n".as_slice(), OPTIONS, OPTIONS].concat();
        let (m, n) = parse_stream(&buf).unwrap().unwrap();
        assert!(matches!(m, Message::Request(_)));
        assert_eq!(n, 8 + OPTIONS.len());
    }

    #[test]
    fn stream_needs_content_length_and_bounds_it() {
        let no_cl = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";
        assert_eq!(parse_stream(no_cl), Err(ParseError::MissingContentLength));
        let big = b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 18446744073709551616\r\n\r\n";
        assert_eq!(parse_stream(big), Err(ParseError::MessageTooLarge { limit: 65_535 }));
        let huge_head = vec![b'a'; 70_000];
        assert_eq!(parse_stream(&huge_head), Err(ParseError::MessageTooLarge { limit: 65_535 }));
    }

    #[test]
    fn version_rules() {
        assert_eq!(parse_version("SIP/2.0"), Ok(Version::Sip2));
        assert_eq!(parse_version("sip/02.00"), Ok(Version::Sip2));
        assert_eq!(parse_version("SIP/7.0"), Err(ParseError::UnsupportedVersion));
        assert!(matches!(parse_version("SIP/2"), Err(ParseError::BadStartLine(_))));
        assert!(matches!(parse_version("HTTP/1.1"), Err(ParseError::BadStartLine(_))));
    }

    #[test]
    fn limits_hold() {
        let l = Limits { max_headers: 3, ..Limits::default() };
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP a, SIP/2.0/UDP b, SIP/2.0/UDP c, SIP/2.0/UDP d\r\n\r\n";
        assert_eq!(parse_datagram(m, &l), Err(ParseError::TooManyHeaders { limit: 3 }));
        let l = Limits { max_line_length: 40, ..Limits::default() };
        let m = b"OPTIONS sip:a@b SIP/2.0\r\nSubject: aaaaaaaaaaaaaaaaaaaa\r\n bbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n\r\n";
        assert_eq!(parse_datagram(m, &l), Err(ParseError::LineTooLong { limit: 40 }));
        assert_eq!(
            parse_datagram(&vec![b'x'; 65_536], &Limits::default()),
            Err(ParseError::MessageTooLarge { limit: 65_535 })
        );
    }

    #[test]
    fn head_framing() {
        assert_eq!(find_head_end(b"a\r\n\r\nb"), Some((3, 5)));
        assert_eq!(find_head_end(b"a\n\nb"), Some((2, 3)));
        assert_eq!(find_head_end(b"a\r\nb\r\n"), None);
        assert_eq!(parse_datagram(b"\r\n\r\n", &Limits::default()), Err(ParseError::Empty));
        assert_eq!(
            parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nX: y", &Limits::default()),
            Err(ParseError::UnterminatedHead)
        );
        assert_eq!(
            parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nX: a\rb\r\n\r\n", &Limits::default()),
            Err(ParseError::BareCr)
        );
        assert_eq!(
            parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n", &Limits::default()),
            Err(ParseError::BadHeaderLine)
        );
        assert_eq!(
            parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", &Limits::default()),
            Err(ParseError::BadHeaderLine)
        );
        assert_eq!(
            parse_datagram(b"OPTIONS sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n", &Limits::default()),
            Err(ParseError::header(HeaderName::new("X"), ValueError::NotUtf8))
        );
    }

    #[test]
    fn error_response_needs_via_and_cseq_of_a_request() {
        let e = ParseError::BadHeaderLine;
        let r = error_response(b"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;;,\r\nCSeq: 1 INVITE\r\nCall-ID: x\r\nbad line\r\n\r\n", &e).unwrap();
        assert_eq!(r.status, 400);
        assert_eq!(r.reason, "Bad Request (malformed header line)");
        assert_eq!(r.headers.get(&HeaderName::VIA), Some("SIP/2.0/UDP h;;,"));
        assert_eq!(r.headers.get(&HeaderName::CALL_ID), Some("x"));
        assert!(error_response(b"SIP/2.0 200 OK\r\nVia: x\r\nCSeq: 1 A\r\n\r\n", &e).is_none());
        assert!(error_response(b"INVITE sip:a@b SIP/2.0\r\nCSeq: 1 INVITE\r\n\r\n", &e).is_none());
        assert!(error_response(b"", &e).is_none());
    }
}
