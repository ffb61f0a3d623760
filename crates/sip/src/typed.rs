//! Typed views of the headers a B2BUA reads and writes: Via, From/To/Contact/Route
//! (name-addr), CSeq, Call-ID, Content-Type, the numeric headers, option tags, RSeq/RAck,
//! Reason. They are parsed on access from the header text (`Headers::via()` and friends) and
//! print back with `Display`, so a caller changes a header by editing the typed value and
//! writing it back (`Headers::set_top_via`).

use std::fmt;
use std::net::IpAddr;

use crate::digest::{Challenge, Credentials, DigestError};
use crate::error::{ParseError, ValueError};
use crate::header::{HeaderName, Headers};
use crate::method::Method;
use crate::scan::{
    Scanner, is_token, is_token_char, is_ws, parse_u32, parse_u64_saturating, quote, unquote,
};
use crate::uri::{Host, Uri, parse_ipv6};

/// One `;name[=value]` header parameter. The value is raw: a quoted string keeps its quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The name as received (compared case-insensitively).
    pub name: String,
    /// The raw value, if any.
    pub value: Option<String>,
}

/// The parameters of a header value, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<Param>);

fn is_value_char(b: u8) -> bool {
    // token / host / IPv6 without brackets (via-received, RFC 5118 4.5).
    is_token_char(b) || b == b':' || b == b'[' || b == b']'
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// `*( SEMI generic-param )`; stops before anything that is not `;`.
    pub(crate) fn parse(sc: &mut Scanner<'_>) -> Result<Params, ValueError> {
        let mut out = Vec::new();
        while sc.eat_sep(b';') {
            let Some(name) = sc.token() else {
                return Err(
                    if sc.is_empty() || sc.peek() == Some(b';') || sc.peek() == Some(b',') {
                        ValueError::EmptyParameter
                    } else {
                        ValueError::Expected("a parameter name")
                    },
                );
            };
            let value = if sc.eat_sep(b'=') {
                let v = if sc.peek() == Some(b'"') {
                    sc.quoted()?
                } else {
                    sc.take_while(is_value_char)
                };
                if v.is_empty() {
                    return Err(ValueError::Expected("a parameter value"));
                }
                Some(v.to_owned())
            } else {
                None
            };
            out.push(Param { name: name.to_owned(), value });
        }
        Ok(Params(out))
    }

    /// All parameters.
    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.0.iter()
    }

    /// `None` if absent, `Some(None)` if present without a value, else the raw value.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| p.value.as_deref())
    }

    /// The raw value of `name`, if present with a value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    /// The value of `name` with quotes and escapes removed.
    pub fn unquoted(&self, name: &str) -> Option<String> {
        self.value(name).map(|v| if v.starts_with('"') { unquote(v) } else { v.to_owned() })
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets `name` (replacing an existing one). A value that is not a token, host or
    /// quoted string is written as a quoted string.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(|v| {
            let plain = !v.is_empty() && v.bytes().all(is_value_char);
            let quoted = v.len() >= 2 && v.starts_with('"') && Scanner::new(v).quoted() == Ok(v);
            if plain || quoted { v.to_owned() } else { quote(v) }
        });
        let name: String =
            name.chars().filter(|c| c.is_ascii() && is_token_char(*c as u8)).collect();
        if name.is_empty() {
            // Not a parameter anyone could read back; printing `;` alone would be malformed.
            return;
        }
        match self.0.iter_mut().find(|p| p.name.eq_ignore_ascii_case(&name)) {
            Some(p) => p.value = value,
            None => self.0.push(Param { name, value }),
        }
    }

    /// Removes `name`; returns whether it was present.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|p| !p.name.eq_ignore_ascii_case(name));
        before != self.0.len()
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.0 {
            write!(f, ";{}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

fn expect_end(sc: &mut Scanner<'_>) -> Result<(), ValueError> {
    sc.skip_ws();
    if sc.is_empty() { Ok(()) } else { Err(ValueError::Trailing) }
}

/// The RFC 3261 branch magic cookie.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// A Via header value (RFC 3261 20.42, 18.2.1; rport RFC 3581).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// `SIP`.
    pub protocol: String,
    /// `2.0`.
    pub version: String,
    /// `UDP`, `TCP`, `TLS`, `SCTP`, `WS`, ... as received (compare case-insensitively).
    pub transport: String,
    /// The sent-by host.
    pub host: Host,
    /// The sent-by port.
    pub port: Option<u16>,
    /// branch, received, rport, maddr, ttl and extensions.
    pub params: Params,
}

impl Via {
    /// `SIP/2.0/{transport} {host}[:{port}];branch={branch}`.
    pub fn new(transport: &str, host: Host, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::new();
        params.set("branch", Some(branch));
        Via {
            protocol: "SIP".into(),
            version: "2.0".into(),
            transport: transport.to_ascii_uppercase(),
            host,
            port,
            params,
        }
    }

    /// Parses one Via element.
    pub fn parse(s: &str) -> Result<Via, ValueError> {
        let mut sc = Scanner::new(s);
        sc.skip_ws();
        if sc.is_empty() {
            return Err(ValueError::Empty);
        }
        let protocol = sc.token().ok_or(ValueError::Expected("a protocol name"))?;
        if !sc.eat_sep(b'/') {
            return Err(ValueError::Expected("/ after the protocol name"));
        }
        let version = sc.token().ok_or(ValueError::Expected("a protocol version"))?;
        if !sc.eat_sep(b'/') {
            return Err(ValueError::Expected("/ after the protocol version"));
        }
        let transport = sc.token().ok_or(ValueError::Expected("a transport"))?;
        if !sc.skip_ws() {
            return Err(ValueError::Expected("whitespace before sent-by"));
        }
        let (host, port) = parse_sent_by(&mut sc)?;
        let params = Params::parse(&mut sc)?;
        expect_end(&mut sc)?;
        let via = Via {
            protocol: protocol.to_owned(),
            version: version.to_owned(),
            transport: transport.to_owned(),
            host,
            port,
            params,
        };
        if via.params.value("received").is_some() && via.received().is_none() {
            return Err(ValueError::Expected("an IP address in received"));
        }
        if let Some(Some(p)) = via.params.get("rport")
            && p.parse::<u16>().is_err()
        {
            return Err(ValueError::Expected("a port number in rport"));
        }
        if via.params.get("branch") == Some(None) {
            return Err(ValueError::Expected("a branch value"));
        }
        Ok(via)
    }

    /// The branch parameter.
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }

    /// The branch if it is an RFC 3261 one: the magic cookie and something after it (RFC 4475
    /// badbranch has the bare cookie, which is treated as an RFC 2543 request).
    pub fn rfc3261_branch(&self) -> Option<&str> {
        self.branch().filter(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// The received parameter. Leniency (RFC 5118 4.5): an IPv6 address is accepted with
    /// or without brackets.
    pub fn received(&self) -> Option<IpAddr> {
        let v = self.params.value("received")?;
        let v = v.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(v);
        v.parse::<IpAddr>().ok().or_else(|| parse_ipv6(v).map(IpAddr::V6))
    }

    /// Sets received, written without brackets as RFC 5118 4.5 asks of senders.
    pub fn set_received(&mut self, addr: IpAddr) {
        self.params.set("received", Some(&addr.to_string()));
    }

    /// rport: `None` absent, `Some(None)` requested (no value), `Some(Some(port))` filled.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.params.get("rport").map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// Fills rport with the source port (RFC 3581 4).
    pub fn set_rport(&mut self, port: u16) {
        self.params.set("rport", Some(&port.to_string()));
    }

    /// Whether the transport is `name` (case-insensitive).
    pub fn transport_is(&self, name: &str) -> bool {
        self.transport.eq_ignore_ascii_case(name)
    }
}

fn parse_sent_by(sc: &mut Scanner<'_>) -> Result<(Host, Option<u16>), ValueError> {
    let host = if sc.peek() == Some(b'[') {
        let h = sc.take_until(|b| b == b']');
        if !sc.eat(b']') {
            return Err(ValueError::Expected("] closing the IPv6 reference"));
        }
        Host::parse(&format!("{h}]"))?
    } else {
        Host::parse(sc.take_while(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b)))?
    };
    let port = if sc.eat_sep(b':') {
        let p = sc.take_while(|b| b.is_ascii_digit());
        let p: u16 = p.parse().map_err(|_| ValueError::Expected("a port number"))?;
        Some(p)
    } else {
        None
    };
    Ok((host, port))
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{} {}", self.protocol, self.version, self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        self.params.fmt(f)
    }
}

/// A name-addr or addr-spec with header parameters: From, To, Contact, Route, Record-Route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name, unquoted (quoted-pairs resolved).
    pub display_name: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters (tag, expires, q, lr is a URI parameter, not one of these).
    pub params: Params,
}

impl NameAddr {
    /// `<uri>` with no display name or parameters.
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr { display_name: None, uri, params: Params::new() }
    }

    /// Parses a name-addr or addr-spec followed by parameters.
    ///
    /// Leniency (RFC 4475 lwsdisp): a display name directly followed by `<` without
    /// whitespace is accepted. Refused: an unquoted display name with non-token characters
    /// (baddn), whitespace inside `<>` (badaspec), an unterminated quote (quotbal), a URI with
    /// `?` outside `<>` (regbadct).
    pub fn parse(s: &str) -> Result<NameAddr, ValueError> {
        let mut sc = Scanner::new(s);
        sc.skip_ws();
        if sc.is_empty() {
            return Err(ValueError::Empty);
        }
        let mut display_name = None;
        let angle = match sc.peek() {
            Some(b'"') => {
                display_name = Some(unquote(sc.quoted()?));
                sc.skip_ws();
                if sc.peek() != Some(b'<') {
                    return Err(ValueError::Expected("<URI> after the display name"));
                }
                true
            }
            Some(b'<') => true,
            _ => {
                let save = sc.clone();
                let mut words = Vec::new();
                while let Some(t) = sc.token() {
                    words.push(t);
                    sc.skip_ws();
                }
                if sc.peek() == Some(b'<') && !words.is_empty() {
                    display_name = Some(words.join(" "));
                    true
                } else if !words.is_empty() && sc.peek() != Some(b':') && sc.rest().contains('<') {
                    // RFC 4475 baddn: `Bell, Alexander <sip:...>`.
                    return Err(ValueError::Expected("a quoted display name before <URI>"));
                } else {
                    sc = save;
                    false
                }
            }
        };
        let uri = if angle {
            sc.eat(b'<');
            let text = sc.take_until(|b| b == b'>');
            if !sc.eat(b'>') {
                return Err(ValueError::UnterminatedAngle);
            }
            if text.bytes().any(is_ws) {
                return Err(ValueError::SpaceInUri);
            }
            Uri::parse(text)?
        } else {
            let text = sc.take_until(|b| b == b';' || is_ws(b));
            if text.contains('?') {
                return Err(ValueError::UnbracketedUri);
            }
            Uri::parse(text)?
        };
        let params = Params::parse(&mut sc)?;
        expect_end(&mut sc)?;
        Ok(NameAddr { display_name, uri, params })
    }

    /// The tag parameter.
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }

    /// Sets the tag parameter (a UAS adds its To tag to responses, RFC 3261 8.2.6.2).
    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    /// The expires parameter of a Contact, saturating at `u32::MAX` (RFC 4475 scalar02).
    pub fn expires(&self) -> Option<u32> {
        let v = parse_u64_saturating(self.params.value("expires")?).ok()?;
        Some(u32::try_from(v).unwrap_or(u32::MAX))
    }
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.display_name {
            write!(f, "{} ", quote(d))?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// A Contact value: an address or the `*` of a REGISTER that removes all bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    /// `*`.
    Wildcard,
    /// An address with its parameters.
    Address(NameAddr),
}

impl Contact {
    /// Parses one Contact element.
    pub fn parse(s: &str) -> Result<Contact, ValueError> {
        if s.trim_matches([' ', '\t']) == "*" {
            Ok(Contact::Wildcard)
        } else {
            NameAddr::parse(s).map(Contact::Address)
        }
    }
}

impl fmt::Display for Contact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Contact::Wildcard => f.write_str("*"),
            Contact::Address(a) => a.fmt(f),
        }
    }
}

/// The CSeq header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    /// The sequence number; over 2^32-1 is an error (RFC 3261 8.1.1.5, RFC 4475 scalar02).
    pub seq: u32,
    /// The method.
    pub method: Method,
}

impl CSeq {
    /// Parses `1*DIGIT LWS Method`.
    pub fn parse(s: &str) -> Result<CSeq, ValueError> {
        let mut sc = Scanner::new(s);
        sc.skip_ws();
        let digits = sc.take_while(|b| b.is_ascii_digit());
        let seq = parse_u32(digits)?;
        if !sc.skip_ws() {
            return Err(ValueError::Expected("whitespace after the sequence number"));
        }
        let method = sc.token().and_then(Method::parse).ok_or(ValueError::Expected("a method"))?;
        expect_end(&mut sc)?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// The Content-Type header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType {
    /// e.g. `application`.
    pub media_type: String,
    /// e.g. `sdp`.
    pub subtype: String,
    /// e.g. `boundary`, `charset`.
    pub params: Params,
}

impl ContentType {
    /// Parses `type/subtype *(;param)`.
    pub fn parse(s: &str) -> Result<ContentType, ValueError> {
        let mut sc = Scanner::new(s);
        sc.skip_ws();
        let media_type = sc.token().ok_or(ValueError::Expected("a media type"))?;
        if !sc.eat_sep(b'/') {
            return Err(ValueError::Expected("/ in the media type"));
        }
        let subtype = sc.token().ok_or(ValueError::Expected("a media subtype"))?;
        let params = Params::parse(&mut sc)?;
        expect_end(&mut sc)?;
        Ok(ContentType { media_type: media_type.into(), subtype: subtype.into(), params })
    }

    /// Whether this is `type/subtype`, ignoring case and parameters.
    pub fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type)
            && self.subtype.eq_ignore_ascii_case(subtype)
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.media_type, self.subtype, self.params)
    }
}

/// The RAck header (RFC 3262 7.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck {
    /// The RSeq of the acknowledged provisional response.
    pub rseq: u32,
    /// The CSeq number of the request it answered.
    pub cseq: u32,
    /// The CSeq method.
    pub method: Method,
}

impl RAck {
    /// Parses `response-num LWS CSeq-num LWS Method`.
    pub fn parse(s: &str) -> Result<RAck, ValueError> {
        let mut sc = Scanner::new(s);
        sc.skip_ws();
        let rseq = parse_u32(sc.take_while(|b| b.is_ascii_digit()))?;
        sc.skip_ws();
        let cseq = parse_u32(sc.take_while(|b| b.is_ascii_digit()))?;
        if !sc.skip_ws() {
            return Err(ValueError::Expected("whitespace before the method"));
        }
        let method = sc.token().and_then(Method::parse).ok_or(ValueError::Expected("a method"))?;
        expect_end(&mut sc)?;
        Ok(RAck { rseq, cseq, method })
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

/// One Reason header value (RFC 3326): `SIP ;cause=200 ;text="Call completed elsewhere"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// `SIP`, `Q.850`, ...
    pub protocol: String,
    /// cause, text and extensions.
    pub params: Params,
}

impl Reason {
    /// Parses one Reason element.
    pub fn parse(s: &str) -> Result<Reason, ValueError> {
        let mut sc = Scanner::new(s);
        sc.skip_ws();
        let protocol = sc.token().ok_or(ValueError::Expected("a protocol"))?;
        let params = Params::parse(&mut sc)?;
        expect_end(&mut sc)?;
        Ok(Reason { protocol: protocol.into(), params })
    }

    /// The cause parameter.
    pub fn cause(&self) -> Option<u16> {
        self.params.value("cause")?.parse().ok()
    }

    /// The text parameter, unquoted.
    pub fn text(&self) -> Option<String> {
        self.params.unquoted("text")
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.protocol, self.params)
    }
}

/// Parses a non-negative number that RFC 4475 scalar02 says to clamp rather than refuse.
fn saturating_u32(s: &str) -> Result<u32, ValueError> {
    let v = parse_u64_saturating(s.trim_matches([' ', '\t']))?;
    Ok(u32::try_from(v).unwrap_or(u32::MAX))
}

fn tokens(s: &str) -> Result<Vec<String>, ValueError> {
    let t = s.trim_matches([' ', '\t']);
    if t.is_empty() {
        Ok(Vec::new())
    } else if is_token(t) {
        Ok(vec![t.to_owned()])
    } else {
        Err(ValueError::Expected("an option tag"))
    }
}

impl Headers {
    fn typed<T>(
        &self,
        name: HeaderName,
        parse: impl Fn(&str) -> Result<T, ValueError>,
    ) -> Result<Vec<T>, ParseError> {
        self.get_all(&name)
            .map(|v| parse(v).map_err(|e| ParseError::header(name.clone(), e)))
            .collect()
    }

    fn typed_one<T>(
        &self,
        name: HeaderName,
        parse: impl Fn(&str) -> Result<T, ValueError>,
    ) -> Result<Option<T>, ParseError> {
        self.get(&name)
            .map(|v| parse(v).map_err(|e| ParseError::header(name.clone(), e)))
            .transpose()
    }

    fn required<T>(
        &self,
        name: HeaderName,
        parse: impl Fn(&str) -> Result<T, ValueError>,
    ) -> Result<T, ParseError> {
        self.typed_one(name.clone(), parse)?.ok_or(ParseError::MissingHeader(name))
    }

    /// Every Via value, top first.
    pub fn via(&self) -> Result<Vec<Via>, ParseError> {
        self.typed(HeaderName::VIA, Via::parse)
    }

    /// The top Via (the one a UAS answers to).
    pub fn top_via(&self) -> Result<Via, ParseError> {
        self.required(HeaderName::VIA, Via::parse)
    }

    /// Replaces the top Via, e.g. after `set_received`/`set_rport`.
    pub fn set_top_via(&mut self, via: &Via) {
        if !self.replace_first(&HeaderName::VIA, via.to_string()) {
            self.push(HeaderName::VIA, via.to_string());
        }
    }

    /// From (the first, if several: `Request::check` refuses duplicates).
    pub fn from(&self) -> Result<NameAddr, ParseError> {
        self.required(HeaderName::FROM, NameAddr::parse)
    }

    /// To.
    pub fn to(&self) -> Result<NameAddr, ParseError> {
        self.required(HeaderName::TO, NameAddr::parse)
    }

    /// Call-ID. Leniency: any run of visible characters is accepted, not only RFC 3261's
    /// `word ["@" word]`, because deployed stacks put `=` and other characters in it.
    pub fn call_id(&self) -> Result<&str, ParseError> {
        let v =
            self.get(&HeaderName::CALL_ID).ok_or(ParseError::MissingHeader(HeaderName::CALL_ID))?;
        if v.is_empty() {
            Err(ParseError::header(HeaderName::CALL_ID, ValueError::Empty))
        } else if v.bytes().any(|b| is_ws(b) || b.is_ascii_control()) {
            Err(ParseError::header(HeaderName::CALL_ID, ValueError::Expected("a single word")))
        } else {
            Ok(v)
        }
    }

    /// CSeq.
    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        self.required(HeaderName::CSEQ, CSeq::parse)
    }

    /// Every Contact value (`*` included).
    pub fn contacts(&self) -> Result<Vec<Contact>, ParseError> {
        self.typed(HeaderName::CONTACT, Contact::parse)
    }

    /// Every Route value, top first.
    pub fn route(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.typed(HeaderName::ROUTE, NameAddr::parse)
    }

    /// Every Record-Route value, top first.
    pub fn record_route(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.typed(HeaderName::RECORD_ROUTE, NameAddr::parse)
    }

    /// Max-Forwards. Leniency: values over 2^32-1 saturate (RFC 4475 scalar02 allows
    /// treating them as absent; a saturated value is as good for a hop counter).
    pub fn max_forwards(&self) -> Result<Option<u32>, ParseError> {
        self.typed_one(HeaderName::MAX_FORWARDS, saturating_u32)
    }

    /// Expires, saturating at 2^32-1 (RFC 3261 20.19 caps it there; RFC 4475 scalar02).
    pub fn expires(&self) -> Result<Option<u32>, ParseError> {
        self.typed_one(HeaderName::EXPIRES, saturating_u32)
    }

    /// Min-Expires, saturating like Expires.
    pub fn min_expires(&self) -> Result<Option<u32>, ParseError> {
        self.typed_one(HeaderName::MIN_EXPIRES, saturating_u32)
    }

    /// Content-Type.
    pub fn content_type(&self) -> Result<Option<ContentType>, ParseError> {
        self.typed_one(HeaderName::CONTENT_TYPE, ContentType::parse)
    }

    /// Content-Length as received (the printer always writes the body's real length).
    pub fn content_length(&self) -> Result<Option<u32>, ParseError> {
        self.typed_one(HeaderName::CONTENT_LENGTH, |v| parse_u32(v.trim_matches([' ', '\t'])))
    }

    /// Allow: the methods.
    pub fn allow(&self) -> Result<Vec<Method>, ParseError> {
        let all = self.typed(HeaderName::ALLOW, tokens)?;
        Ok(all.into_iter().flatten().filter_map(|m| Method::parse(&m)).collect())
    }

    /// Supported: option tags.
    pub fn supported(&self) -> Result<Vec<String>, ParseError> {
        Ok(self.typed(HeaderName::SUPPORTED, tokens)?.into_iter().flatten().collect())
    }

    /// Require: option tags.
    pub fn require(&self) -> Result<Vec<String>, ParseError> {
        Ok(self.typed(HeaderName::REQUIRE, tokens)?.into_iter().flatten().collect())
    }

    /// Proxy-Require: option tags.
    pub fn proxy_require(&self) -> Result<Vec<String>, ParseError> {
        Ok(self.typed(HeaderName::PROXY_REQUIRE, tokens)?.into_iter().flatten().collect())
    }

    /// Unsupported: option tags.
    pub fn unsupported(&self) -> Result<Vec<String>, ParseError> {
        Ok(self.typed(HeaderName::UNSUPPORTED, tokens)?.into_iter().flatten().collect())
    }

    /// RSeq (RFC 3262).
    pub fn rseq(&self) -> Result<Option<u32>, ParseError> {
        self.typed_one(HeaderName::RSEQ, |v| parse_u32(v.trim_matches([' ', '\t'])))
    }

    /// RAck (RFC 3262).
    pub fn rack(&self) -> Result<Option<RAck>, ParseError> {
        self.typed_one(HeaderName::RACK, RAck::parse)
    }

    /// Every Reason value (RFC 3326).
    pub fn reason(&self) -> Result<Vec<Reason>, ParseError> {
        self.typed(HeaderName::REASON, Reason::parse)
    }

    fn digest_all<T>(
        &self,
        name: HeaderName,
        parse: impl Fn(&str) -> Result<T, DigestError>,
    ) -> Result<Vec<T>, ParseError> {
        let mut out = Vec::new();
        for v in self.get_all(&name) {
            match parse(v) {
                Ok(t) => out.push(t),
                // Another scheme (RFC 4475 regaut01): not ours to judge; skipped.
                Err(DigestError::NotDigest) => {}
                Err(e) => return Err(ParseError::header(name.clone(), ValueError::Digest(e))),
            }
        }
        Ok(out)
    }

    /// The Digest challenges in WWW-Authenticate (other schemes are skipped).
    pub fn www_authenticate(&self) -> Result<Vec<Challenge>, ParseError> {
        self.digest_all(HeaderName::WWW_AUTHENTICATE, Challenge::parse)
    }

    /// The Digest challenges in Proxy-Authenticate (other schemes are skipped).
    pub fn proxy_authenticate(&self) -> Result<Vec<Challenge>, ParseError> {
        self.digest_all(HeaderName::PROXY_AUTHENTICATE, Challenge::parse)
    }

    /// The Digest credentials in Authorization (other schemes are skipped).
    pub fn authorization(&self) -> Result<Vec<Credentials>, ParseError> {
        self.digest_all(HeaderName::AUTHORIZATION, Credentials::parse)
    }

    /// The Digest credentials in Proxy-Authorization (other schemes are skipped).
    pub fn proxy_authorization(&self) -> Result<Vec<Credentials>, ParseError> {
        self.digest_all(HeaderName::PROXY_AUTHORIZATION, Credentials::parse)
    }

    /// Checks the syntax of every header that has a typed view and that the parser
    /// validates eagerly, so that a message which parsed has well-formed Via, From, To,
    /// Call-ID, CSeq, Contact, Route, Record-Route, Max-Forwards, Expires, Content-Type,
    /// RSeq and RAck. Presence and uniqueness are `Request::check`'s job. Authorization
    /// headers are left to the digest layer, which answers a malformed one itself.
    pub(crate) fn validate(&self) -> Result<(), ParseError> {
        self.via()?;
        for name in [HeaderName::FROM, HeaderName::TO] {
            self.typed(name, NameAddr::parse)?;
        }
        if self.contains(&HeaderName::CALL_ID) {
            self.call_id()?;
        }
        self.typed(HeaderName::CSEQ, CSeq::parse)?;
        self.contacts()?;
        if self.count(&HeaderName::CONTACT) > 1
            && self.get_all(&HeaderName::CONTACT).any(|c| c.trim() == "*")
        {
            return Err(ParseError::header(HeaderName::CONTACT, ValueError::Expected("* alone")));
        }
        self.route()?;
        self.record_route()?;
        self.typed(HeaderName::MAX_FORWARDS, saturating_u32)?;
        self.typed(HeaderName::EXPIRES, saturating_u32)?;
        self.typed(HeaderName::CONTENT_TYPE, ContentType::parse)?;
        self.typed(HeaderName::RSEQ, |v| parse_u32(v.trim_matches([' ', '\t'])))?;
        self.typed(HeaderName::RACK, RAck::parse)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn via_forms() {
        let v = Via::parse("SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw").unwrap();
        assert_eq!(
            (v.protocol.as_str(), v.version.as_str(), v.transport.as_str()),
            ("SIP", "2.0", "UDP")
        );
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert_eq!(v.rfc3261_branch(), None);
        let v =
            Via::parse("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8")
                .unwrap();
        assert_eq!(v.host, Host::Domain("spindle.example.com".into()));
        assert_eq!(v.rfc3261_branch(), Some("z9hG4bK9ikj8"));
        let v = Via::parse("SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111").unwrap();
        assert_eq!(v.port, Some(6050));
        assert_eq!(v.to_string(), "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111");
        let v = Via::parse(
            "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111",
        )
        .unwrap();
        assert_eq!(v.received(), Some("2001:db8::9:255".parse().unwrap()));
        let v =
            Via::parse("SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3")
                .unwrap();
        assert_eq!(v.received(), Some("2001:db8::9:255".parse().unwrap()));
        assert_eq!(Via::parse("SIP/2.0/UDP 192.0.2.15;;"), Err(ValueError::EmptyParameter));
        assert_eq!(Via::parse(";"), Err(ValueError::Expected("a protocol name")));
        assert!(Via::parse("SIP/2.0/UDP host;received=nothost").is_err());
        assert!(Via::parse("SIP/2.0/UDP host;rport=99999").is_err());
        assert!(Via::parse("SIP/2.0/UDP").is_err());
        assert!(Via::parse("SIP/2.0/UDP host:").is_err());
        assert!(Via::parse("SIP/2.0/UDP host extra").is_err());
    }

    #[test]
    fn via_received_and_rport() {
        let mut v = Via::parse("SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport").unwrap();
        assert_eq!(v.rport(), Some(None));
        v.set_received("192.0.2.7".parse().unwrap());
        v.set_rport(40000);
        assert_eq!(
            v.to_string(),
            "SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport=40000;received=192.0.2.7"
        );
        assert_eq!(v.rport(), Some(Some(40000)));
        v.set_received("2001:db8::1".parse().unwrap());
        assert!(v.to_string().ends_with(";received=2001:db8::1"));
        let n = Via::new("udp", Host::Domain("pbx.example.com".into()), Some(5060), "z9hG4bKabc");
        assert_eq!(n.to_string(), "SIP/2.0/UDP pbx.example.com:5060;branch=z9hG4bKabc");
    }

    #[test]
    fn name_addr_forms() {
        let n = NameAddr::parse(
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8"#,
        )
        .unwrap();
        assert_eq!(n.display_name.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.tag(), Some("98asjd8"));
        let n =
            NameAddr::parse("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n").unwrap();
        assert_eq!(n.display_name, None);
        assert_eq!(n.tag(), Some("1918181833n"));
        let n = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(n.display_name.as_deref(), Some("caller"));
        let n = NameAddr::parse("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%=\"\u{440}\";tag=_token~1'+`*%!-.").unwrap();
        assert_eq!(n.display_name.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
        assert_eq!(n.tag(), Some("_token~1'+`*%!-."));
        let n = NameAddr::parse("sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert!(n.params.contains("unknownparam"));
        assert!(n.uri.as_sip().unwrap().params().is_empty());
        let n = NameAddr::parse("<sip:+19725552222@gw1.example.net;unknownparam>").unwrap();
        assert!(n.params.iter().next().is_none());
        assert_eq!(n.uri.as_sip().unwrap().param("unknownparam"), Some(None));
        let n = NameAddr::parse("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>").unwrap();
        assert_eq!(n.uri.as_sip().unwrap().headers().len(), 1);
        assert_eq!(
            NameAddr::parse("Bell, Alexander <sip:a.g.bell@example.com>;tag=43"),
            Err(ValueError::Expected("a quoted display name before <URI>"))
        );
        assert_eq!(
            NameAddr::parse(r#""Watson, Thomas" < sip:t.watson@example.org >"#),
            Err(ValueError::SpaceInUri)
        );
        assert_eq!(
            NameAddr::parse(r#""Mr. J. User <sip:j.user@example.com>"#),
            Err(ValueError::UnterminatedQuote)
        );
        assert_eq!(
            NameAddr::parse("sip:user@example.com?Route=%3Csip:sip.example.com%3E"),
            Err(ValueError::UnbracketedUri)
        );
        assert_eq!(
            NameAddr::parse(r#""Joe" <sip:joe@example.org>;;;;"#),
            Err(ValueError::EmptyParameter)
        );
        assert_eq!(NameAddr::parse("<sip:a@b"), Err(ValueError::UnterminatedAngle));
        assert_eq!(NameAddr::parse("<sip:a@b> x"), Err(ValueError::Trailing));
        assert_eq!(NameAddr::parse(""), Err(ValueError::Empty));
    }

    #[test]
    fn name_addr_prints_quoted() {
        let mut n = NameAddr::parse("Alice <sip:alice@example.com>").unwrap();
        n.set_tag("abc");
        assert_eq!(n.to_string(), r#""Alice" <sip:alice@example.com>;tag=abc"#);
        n.display_name = Some("A \"B\"".into());
        assert_eq!(NameAddr::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn cseq_and_rack() {
        assert_eq!(CSeq::parse("0009 INVITE"), Ok(CSeq { seq: 9, method: Method::Invite }));
        assert_eq!(CSeq::parse("36893488147419103232 REGISTER"), Err(ValueError::NumberTooLarge));
        assert!(CSeq::parse("1INVITE").is_err());
        assert!(CSeq::parse("INVITE").is_err());
        assert!(CSeq::parse("1 INVITE x").is_err());
        assert_eq!(
            RAck::parse("776656 1 INVITE"),
            Ok(RAck { rseq: 776656, cseq: 1, method: Method::Invite })
        );
        assert_eq!(RAck::parse("1 2 INVITE").unwrap().to_string(), "1 2 INVITE");
    }

    #[test]
    fn content_type_and_reason() {
        let c = ContentType::parse("multipart/mixed;boundary=7a9cbec02ceef655").unwrap();
        assert!(c.is("Multipart", "MIXED"));
        assert_eq!(c.params.value("boundary"), Some("7a9cbec02ceef655"));
        assert!(ContentType::parse("application").is_err());
        let r = Reason::parse(r#"SIP ;cause=200 ;text="Call completed elsewhere""#).unwrap();
        assert_eq!(r.cause(), Some(200));
        assert_eq!(r.text().as_deref(), Some("Call completed elsewhere"));
        assert_eq!(r.to_string(), r#"SIP;cause=200;text="Call completed elsewhere""#);
    }

    fn headers(lines: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in lines {
            h.push(HeaderName::new(n), *v);
        }
        h
    }

    #[test]
    fn header_accessors() {
        let h = headers(&[
            ("Allow", "INVITE"),
            ("Allow", "ACK"),
            ("Allow", "FOO"),
            ("k", "100rel"),
            ("k", "timer"),
            ("Require", "100rel"),
            ("Unsupported", "foo"),
            ("RSeq", "988789"),
            ("RAck", "988789 1 INVITE"),
            ("Max-Forwards", " 70 "),
            ("Expires", "99999999999"),
            ("Min-Expires", "60"),
            ("i", "f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"),
            ("Reason", "Q.850;cause=16;text=\"Terminated\""),
            ("Content-Length", "12"),
            ("WWW-Authenticate", "Basic realm=\"x\""),
            ("WWW-Authenticate", "Digest realm=\"r\", nonce=\"n\", qop=\"auth\""),
        ]);
        assert_eq!(
            h.allow(),
            Ok(vec![Method::Invite, Method::Ack, Method::Extension("FOO".into())])
        );
        assert_eq!(h.supported(), Ok(vec!["100rel".to_owned(), "timer".to_owned()]));
        assert_eq!(h.require(), Ok(vec!["100rel".to_owned()]));
        assert_eq!(h.unsupported(), Ok(vec!["foo".to_owned()]));
        assert_eq!(h.proxy_require(), Ok(vec![]));
        assert_eq!(h.rseq(), Ok(Some(988789)));
        assert_eq!(h.rack().unwrap().unwrap().cseq, 1);
        assert_eq!(h.max_forwards(), Ok(Some(70)));
        assert_eq!(h.expires(), Ok(Some(u32::MAX)));
        assert_eq!(h.min_expires(), Ok(Some(60)));
        assert_eq!(h.call_id(), Ok("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"));
        assert_eq!(h.reason().unwrap()[0].cause(), Some(16));
        assert_eq!(h.content_length(), Ok(Some(12)));
        let challenges = h.www_authenticate().unwrap();
        assert_eq!(challenges.len(), 1, "Basic is skipped");
        assert_eq!(challenges[0].realm, "r");
        assert_eq!(h.authorization(), Ok(vec![]));
        assert_eq!(h.content_type(), Ok(None));
        assert_eq!(h.from(), Err(ParseError::MissingHeader(HeaderName::FROM)));
        assert_eq!(h.top_via(), Err(ParseError::MissingHeader(HeaderName::VIA)));
    }

    #[test]
    fn header_accessor_errors_name_the_header() {
        let bad = |n: &str, v: &str| headers(&[(n, v)]);
        assert_eq!(
            bad("Max-Forwards", "-1").max_forwards(),
            Err(ParseError::header(HeaderName::MAX_FORWARDS, ValueError::NotANumber))
        );
        assert_eq!(
            bad("RSeq", "4294967296").rseq(),
            Err(ParseError::header(HeaderName::RSEQ, ValueError::NumberTooLarge))
        );
        assert!(bad("Supported", "a b").supported().is_err());
        assert_eq!(
            bad("i", "a b").call_id(),
            Err(ParseError::header(HeaderName::CALL_ID, ValueError::Expected("a single word")))
        );
        assert_eq!(
            bad("i", "").call_id(),
            Err(ParseError::header(HeaderName::CALL_ID, ValueError::Empty))
        );
        let e = bad("Authorization", "Digest username=\"u\"").authorization().unwrap_err();
        assert_eq!(e.to_string(), "invalid Authorization header: missing digest parameter realm");
        assert_eq!(
            e.reason_phrase(),
            "Bad Request (invalid Authorization header: missing digest parameter realm)"
        );
        assert_eq!(e.status_code(), 400);
    }

    #[test]
    fn contacts_and_wildcard() {
        let h = headers(&[("m", "*")]);
        assert_eq!(h.contacts(), Ok(vec![Contact::Wildcard]));
        assert!(h.validate().is_ok());
        let h = headers(&[("m", "*"), ("m", "<sip:a@b>")]);
        assert!(h.validate().is_err(), "* must stand alone");
        let h = headers(&[("Contact", "<sip:a@b>;expires=280297596632815;q=0.7")]);
        let Contact::Address(c) = &h.contacts().unwrap()[0] else { panic!() };
        assert_eq!(c.expires(), Some(u32::MAX));
        assert_eq!(c.params.value("q"), Some("0.7"));
    }

    #[test]
    fn params_set_quotes_when_needed() {
        let mut p = Params::new();
        p.set("text", Some("hello world"));
        p.set("q", Some("0.5"));
        p.set("lr", None);
        assert_eq!(p.to_string(), r#";text="hello world";q=0.5;lr"#);
        assert_eq!(p.unquoted("TEXT").as_deref(), Some("hello world"));
        assert!(p.remove("Q"));
    }
}
