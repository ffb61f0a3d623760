//! SIP requests and responses: the model, the semantic checks RFC 3261 8.2 and RFC 4475 ask
//! of a server beyond syntax, the builders a B2BUA needs, and the printer.
//!
//! Printing is canonical: CRLF line endings, long header names, one header field per line
//! (list headers were split when parsed), and a Content-Length computed from the body, never
//! copied from the received one.

use std::fmt;

use crate::error::ParseError;
use crate::header::{HeaderName, Headers};
use crate::method::Method;
use crate::parse::{Limits, parse_datagram};
use crate::uri::Uri;

/// The protocol version. Only SIP/2.0 exists; others are refused with
/// `ParseError::UnsupportedVersion` (a server answers 505).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Version {
    /// `SIP/2.0`.
    #[default]
    Sip2,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SIP/2.0")
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub uri: Uri,
    /// The version.
    pub version: Version,
    /// The header fields in order.
    pub headers: Headers,
    /// The body, framed by Content-Length (or the datagram's end).
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The version.
    pub version: Version,
    /// The status code, 100 to 699.
    pub status: u16,
    /// The reason phrase (may be empty, may be UTF-8).
    pub reason: String,
    /// The header fields in order.
    pub headers: Headers,
    /// The body.
    pub body: Vec<u8>,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

/// Headers that must appear exactly once in every request and response (RFC 3261 8.1.1,
/// 20; RFC 4475 multi01).
const SINGLE: [HeaderName; 4] =
    [HeaderName::FROM, HeaderName::TO, HeaderName::CALL_ID, HeaderName::CSEQ];

fn check_common(headers: &Headers) -> Result<(), ParseError> {
    if !headers.contains(&HeaderName::VIA) {
        return Err(ParseError::MissingHeader(HeaderName::VIA));
    }
    for name in SINGLE {
        match headers.count(&name) {
            0 => return Err(ParseError::MissingHeader(name)),
            1 => {}
            _ => return Err(ParseError::DuplicateHeader(name)),
        }
    }
    for name in [HeaderName::MAX_FORWARDS, HeaderName::CONTENT_TYPE, HeaderName::EXPIRES] {
        if headers.count(&name) > 1 {
            return Err(ParseError::DuplicateHeader(name));
        }
    }
    Ok(())
}

fn write_head(out: &mut Vec<u8>, start: fmt::Arguments<'_>, headers: &Headers, body_len: usize) {
    use std::io::Write as _;
    // Public fields (an extension method, a hand-made host) could hold a line break; it must
    // not end the start line early.
    let start = start.to_string().replace(['\r', '\n'], " ");
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{start}\r\n");
    for h in headers.iter().filter(|h| h.name != HeaderName::CONTENT_LENGTH) {
        let _ = write!(out, "{}: {}\r\n", h.name, h.value);
    }
    let _ = write!(out, "Content-Length: {body_len}\r\n\r\n");
}

/// A reason phrase as it may go on the status line.
fn clean_reason(reason: &str) -> String {
    reason.replace(['\r', '\n'], " ")
}

impl Request {
    /// A request with no headers and no body; add at least Via, From, To, Call-ID, CSeq and
    /// Max-Forwards before sending (RFC 3261 8.1.1).
    pub fn new(method: Method, uri: Uri) -> Request {
        Request { method, uri, version: Version::Sip2, headers: Headers::new(), body: Vec::new() }
    }

    /// The semantic checks a server makes after the syntax (RFC 3261 8.2, RFC 4475 3.3):
    /// Via, From, To, Call-ID and CSeq present, From/To/Call-ID/CSeq/Max-Forwards/
    /// Content-Type/Expires not repeated, and the CSeq method equal to the request method.
    /// Max-Forwards may be absent (RFC 2543 clients, RFC 4475 inv2543).
    pub fn check(&self) -> Result<(), ParseError> {
        check_common(&self.headers)?;
        if self.headers.cseq()?.method != self.method {
            return Err(ParseError::CSeqMethodMismatch);
        }
        Ok(())
    }

    /// Replaces the body and its Content-Type.
    pub fn set_body(&mut self, content_type: &str, body: Vec<u8>) {
        self.headers.set(HeaderName::CONTENT_TYPE, content_type);
        self.body = body;
    }

    /// The request as it goes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        write_head(
            &mut out,
            format_args!("{} {} {}", self.method, self.uri, self.version),
            &self.headers,
            self.body.len(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

impl Response {
    /// A response with no headers.
    pub fn new(status: u16, reason: &str) -> Response {
        Response {
            version: Version::Sip2,
            status,
            reason: clean_reason(reason),
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// A response to `request` per RFC 3261 8.2.6.2: the Via values in order, From, To,
    /// Call-ID and CSeq copied. Adding a To tag (for anything but 100) is the caller's job,
    /// as is Timestamp for a 100 (8.2.6.1).
    pub fn for_request(request: &Request, status: u16, reason: &str) -> Response {
        let mut response = Response::new(status, reason);
        for h in request.headers.iter() {
            let copy = h.name == HeaderName::VIA
                || h.name == HeaderName::FROM
                || h.name == HeaderName::TO
                || h.name == HeaderName::CALL_ID
                || h.name == HeaderName::CSEQ;
            if copy {
                response.headers.push(h.name.clone(), h.value.clone());
            }
        }
        response
    }

    /// The semantic checks for a response: Via, From, To, Call-ID and CSeq present, the
    /// single ones not repeated.
    pub fn check(&self) -> Result<(), ParseError> {
        check_common(&self.headers)?;
        self.headers.cseq().map(|_| ())
    }

    /// 1xx.
    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Replaces the body and its Content-Type.
    pub fn set_body(&mut self, content_type: &str, body: Vec<u8>) {
        self.headers.set(HeaderName::CONTENT_TYPE, content_type);
        self.body = body;
    }

    /// The response as it goes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.body.len());
        write_head(
            &mut out,
            format_args!("{} {:03} {}", self.version, self.status, clean_reason(&self.reason)),
            &self.headers,
            self.body.len(),
        );
        out.extend_from_slice(&self.body);
        out
    }
}

impl Message {
    /// Parses one UDP datagram with the default `Limits`.
    ///
    /// The body is framed by Content-Length; without it the body runs to the end of the
    /// datagram (RFC 3261 18.3); octets after it are ignored (RFC 4475 dblreq); a
    /// Content-Length beyond the datagram is an error (clerr). The syntax of the headers with
    /// typed views is checked here (see `Headers::validate`); the semantic checks are
    /// `Request::check`/`Response::check`. Never panics, whatever the bytes.
    pub fn parse(datagram: &[u8]) -> Result<Message, ParseError> {
        parse_datagram(datagram, &Limits::default())
    }

    /// `parse` with explicit limits.
    pub fn parse_with(datagram: &[u8], limits: &Limits) -> Result<Message, ParseError> {
        parse_datagram(datagram, limits)
    }

    /// The headers.
    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }

    /// The headers, mutable.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Message::Request(r) => &mut r.headers,
            Message::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        match self {
            Message::Request(r) => &r.body,
            Message::Response(r) => &r.body,
        }
    }

    /// `Request::check` or `Response::check`.
    pub fn check(&self) -> Result<(), ParseError> {
        match self {
            Message::Request(r) => r.check(),
            Message::Response(r) => r.check(),
        }
    }

    /// The message as it goes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}

/// For logs and tests: the wire form with a non-UTF-8 body shown lossily. Use `to_bytes` to
/// send.
impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// For logs and tests: the wire form with a non-UTF-8 body shown lossily. Use `to_bytes` to
/// send.
impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// For logs and tests: the wire form with a non-UTF-8 body shown lossily.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Message::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Message::Response(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::typed::NameAddr;

    const INVITE: &str = "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
        v: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds, SIP/2.0/UDP p2.atlanta.com;branch=z9hG4bK2\r\n\
        Max-Forwards: 70\r\n\
        t: Bob <sip:bob@biloxi.com>\r\n\
        f: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
        i: a84b4c76e66710@pc33.atlanta.com\r\n\
        CSeq: 314159 INVITE\r\n\
        m: <sip:alice@pc33.atlanta.com>\r\n\
        X-Unknown:   keep   this ,  as, is  \r\n\
        c: application/sdp\r\n\
        l: 4\r\n\r\nv=0\r\n";

    fn invite() -> Request {
        match Message::parse(INVITE.as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn prints_canonically() {
        let r = invite();
        assert_eq!(
            String::from_utf8(r.to_bytes()).unwrap(),
            "INVITE sip:bob@biloxi.com SIP/2.0\r\n\
            Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
            Via: SIP/2.0/UDP p2.atlanta.com;branch=z9hG4bK2\r\n\
            Max-Forwards: 70\r\n\
            To: Bob <sip:bob@biloxi.com>\r\n\
            From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
            Call-ID: a84b4c76e66710@pc33.atlanta.com\r\n\
            CSeq: 314159 INVITE\r\n\
            Contact: <sip:alice@pc33.atlanta.com>\r\n\
            X-Unknown: keep   this ,  as, is\r\n\
            Content-Type: application/sdp\r\n\
            Content-Length: 4\r\n\r\nv=0\r"
        );
        assert_eq!(r.body, b"v=0\r");
        assert!(r.check().is_ok());
    }

    #[test]
    fn content_length_is_computed() {
        let mut r = invite();
        r.set_body("application/sdp", b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n".to_vec());
        let again = Message::parse(&r.to_bytes()).unwrap();
        assert_eq!(again.headers().content_length(), Ok(Some(31)));
        assert_eq!(again.body(), r.body.as_slice());
    }

    #[test]
    fn response_for_request_copies_the_transaction_headers() {
        let r = invite();
        let mut resp = Response::for_request(&r, 180, "Ringing");
        let mut to = resp.headers.to().unwrap();
        to.set_tag("as83kd");
        resp.headers.set(HeaderName::TO, to.to_string());
        let wire = resp.to_bytes();
        let again = match Message::parse(&wire).unwrap() {
            Message::Response(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(again.status, 180);
        assert_eq!(again.reason, "Ringing");
        assert_eq!(again.headers.via().unwrap().len(), 2);
        assert_eq!(again.headers.to().unwrap().tag(), Some("as83kd"));
        assert_eq!(again.headers.call_id(), Ok("a84b4c76e66710@pc33.atlanta.com"));
        assert_eq!(again.headers.cseq().unwrap().seq, 314159);
        assert!(!again.headers.contains(&HeaderName::CONTACT));
        assert!(again.check().is_ok());
        assert!(again.is_provisional());
    }

    #[test]
    fn building_a_request_from_scratch() {
        let mut r =
            Request::new(Method::Bye, Uri::parse("sip:+34600000000@192.0.2.9:5070").unwrap());
        let via = crate::Via::new(
            "UDP",
            crate::Host::Ipv4([192, 0, 2, 1].into()),
            Some(5060),
            "z9hG4bKx",
        );
        r.headers.push(HeaderName::VIA, via.to_string());
        r.headers.push(HeaderName::MAX_FORWARDS, "70");
        r.headers.push(HeaderName::FROM, NameAddr::parse("<sip:a@b>;tag=1").unwrap().to_string());
        r.headers.push(HeaderName::TO, "<sip:c@d>;tag=2");
        r.headers.push(HeaderName::CALL_ID, "abc");
        r.headers.push(HeaderName::CSEQ, "2 BYE");
        let text = r.to_string();
        assert!(text.starts_with("BYE sip:+34600000000@192.0.2.9:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
        let mut parsed = Message::parse(text.as_bytes()).unwrap();
        // The received Content-Length is kept as a header; the printer recomputes it.
        assert_eq!(parsed.headers_mut().remove(&HeaderName::CONTENT_LENGTH), 1);
        assert_eq!(parsed, Message::Request(r));
    }

    #[test]
    fn checks() {
        let mut r = invite();
        r.headers.push(HeaderName::CALL_ID, "second");
        assert_eq!(r.check(), Err(ParseError::DuplicateHeader(HeaderName::CALL_ID)));
        let mut r = invite();
        r.method = Method::Options;
        assert_eq!(r.check(), Err(ParseError::CSeqMethodMismatch));
        let mut r = invite();
        r.headers.remove(&HeaderName::VIA);
        assert_eq!(r.check(), Err(ParseError::MissingHeader(HeaderName::VIA)));
    }

    #[test]
    fn a_hand_made_method_cannot_break_the_request_line() {
        let r = Request::new(
            Method::Extension("X\r\nVia: evil".into()),
            Uri::parse("sip:a@b").unwrap(),
        );
        assert!(
            r.to_bytes().starts_with(b"X  Via: evil sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n")
        );
    }

    #[test]
    fn reason_phrase_cannot_break_the_status_line() {
        let r = Response::new(400, "Bad\r\nX: y");
        assert!(r.to_bytes().starts_with(b"SIP/2.0 400 Bad  X: y\r\nContent-Length: 0\r\n\r\n"));
    }
}
