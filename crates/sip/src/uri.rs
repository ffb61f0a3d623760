//! URIs: `sip:`/`sips:` (RFC 3261 19.1, IPv6 references per RFC 5118), `tel:` (RFC 3966), and
//! any other scheme carried as an opaque absolute URI (RFC 4475 unkscm, novelsc, unksm2).
//!
//! Parts of a SIP URI are kept as they arrived, %-escapes included, so that a URI is
//! forwarded exactly as received (RFC 4475 esc01: a proxy must not re-escape); comparisons
//! (`equivalent`, parameter lookup) decode the escapes, so `sip:%75ser@h` and `sip:user@h`
//! are the same user. The fields are private: every constructor and setter validates or
//! escapes, so a printed URI is always well formed and never carries whitespace or CR/LF.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::UriError;
use crate::scan::is_unreserved;

/// A URI as found in a Request-URI or a name-addr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:` (RFC 3966).
    Tel(TelUri),
    /// Any other scheme, opaque (a server answers 416 to it in a Request-URI).
    Other(AbsoluteUri),
}

impl Uri {
    /// Parses a URI. Whitespace anywhere is an error (RFC 4475 lwsruri, badaspec).
    pub fn parse(s: &str) -> Result<Uri, UriError> {
        let (scheme, rest) = s.split_once(':').ok_or(UriError::MissingScheme)?;
        let mut sb = scheme.bytes();
        if !sb.next().is_some_and(|b| b.is_ascii_alphabetic())
            || !sb.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(UriError::MissingScheme);
        }
        if rest.is_empty() {
            return Err(UriError::Empty);
        }
        if scheme.eq_ignore_ascii_case("sip") {
            SipUri::parse_after_scheme(false, rest).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("sips") {
            SipUri::parse_after_scheme(true, rest).map(Uri::Sip)
        } else if scheme.eq_ignore_ascii_case("tel") {
            TelUri::parse_after_scheme(rest).map(Uri::Tel)
        } else {
            if !rest.bytes().all(|b| b.is_ascii_graphic() && !b"<>\"".contains(&b)) {
                return Err(UriError::BadChar("opaque URI"));
            }
            Ok(Uri::Other(AbsoluteUri { scheme: scheme.to_owned(), rest: rest.to_owned() }))
        }
    }

    /// The SIP URI, if this is one.
    pub fn as_sip(&self) -> Option<&SipUri> {
        match self {
            Uri::Sip(u) => Some(u),
            _ => None,
        }
    }

    /// The scheme in lower case (`sip`, `sips`, `tel`, or the other scheme as written,
    /// lowered).
    pub fn scheme(&self) -> String {
        match self {
            Uri::Sip(u) if u.secure => "sips".into(),
            Uri::Sip(_) => "sip".into(),
            Uri::Tel(_) => "tel".into(),
            Uri::Other(o) => o.scheme.to_ascii_lowercase(),
        }
    }

    /// URI equivalence: RFC 3261 19.1.4 for SIP, RFC 3966 5 for tel, and for other schemes
    /// the scheme case-insensitively and the rest octet by octet.
    pub fn equivalent(&self, other: &Uri) -> bool {
        match (self, other) {
            (Uri::Sip(a), Uri::Sip(b)) => a.equivalent(b),
            (Uri::Tel(a), Uri::Tel(b)) => a.equivalent(b),
            (Uri::Other(a), Uri::Other(b)) => {
                a.scheme.eq_ignore_ascii_case(&b.scheme) && a.rest == b.rest
            }
            _ => false,
        }
    }
}

impl FromStr for Uri {
    type Err = UriError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uri::parse(s)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Uri::Sip(u) => u.fmt(f),
            Uri::Tel(u) => u.fmt(f),
            Uri::Other(u) => write!(f, "{}:{}", u.scheme, u.rest),
        }
    }
}

/// A URI of a scheme this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbsoluteUri {
    scheme: String,
    rest: String,
}

impl AbsoluteUri {
    /// The scheme as written.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }
    /// Everything after the first colon.
    pub fn rest(&self) -> &str {
        &self.rest
    }
}

/// The host of a SIP URI or Via.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A hostname, as written (compared case-insensitively).
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written in `[]` in URIs and Via sent-by.
    Ipv6(Ipv6Addr),
}

impl Host {
    /// Parses a hostname, IPv4 address, or bracketed IPv6 reference.
    ///
    /// Leniency (RFC 5118 4.10): `[2001:db8:::192.0.2.1]`, which RFC 3261's ABNF admits but
    /// RFC 4291 does not, is read as if the extra colon were absent.
    pub fn parse(s: &str) -> Result<Host, UriError> {
        if let Some(inner) = s.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or(UriError::BadHost)?;
            return parse_ipv6(inner).map(Host::Ipv6).ok_or(UriError::BadHost);
        }
        if s.is_empty()
            || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            || s.starts_with(['.', '-'])
        {
            return Err(UriError::BadHost);
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            // All digits and dots cannot be a hostname (a toplabel starts with a letter).
            return s.parse().map(Host::Ipv4).map_err(|_| UriError::BadHost);
        }
        Ok(Host::Domain(s.to_owned()))
    }

    /// The address, if the host is an IP literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Host::Domain(_) => None,
            Host::Ipv4(a) => Some(IpAddr::V4(*a)),
            Host::Ipv6(a) => Some(IpAddr::V6(*a)),
        }
    }

    /// Case-insensitive for names, by value for addresses.
    pub fn equivalent(&self, other: &Host) -> bool {
        match (self, other) {
            (Host::Domain(a), Host::Domain(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        }
    }
}

impl From<IpAddr> for Host {
    fn from(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Host::Ipv4(a),
            IpAddr::V6(a) => Host::Ipv6(a),
        }
    }
}

/// Parses an IPv6 address without brackets, tolerating the RFC 5118 4.10 extra colon.
pub(crate) fn parse_ipv6(s: &str) -> Option<Ipv6Addr> {
    s.parse().ok().or_else(|| s.contains(":::").then(|| s.replacen(":::", "::", 1).parse().ok())?)
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(d) => f.write_str(d),
            Host::Ipv4(a) => a.fmt(f),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// A `;name[=value]` URI parameter, raw (as escaped on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriParam {
    name: String,
    value: Option<String>,
}

impl UriParam {
    /// The name as written (may contain %-escapes).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The value as written, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
    fn is(&self, name: &str) -> bool {
        eq_decoded_ignore_case(&self.name, name)
    }
}

/// A `sip:` or `sips:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    secure: bool,
    user: Option<String>,
    password: Option<String>,
    host: Host,
    port: Option<u16>,
    params: Vec<UriParam>,
    headers: Vec<(String, String)>,
}

fn is_user_char(b: u8) -> bool {
    is_unreserved(b) || b"&=+$,;?/".contains(&b)
}
fn is_password_char(b: u8) -> bool {
    is_unreserved(b) || b"&=+$,".contains(&b)
}
fn is_param_char(b: u8) -> bool {
    is_unreserved(b) || b"[]/:&+$".contains(&b)
}
fn is_header_char(b: u8) -> bool {
    is_unreserved(b) || b"[]/?:+$".contains(&b)
}

/// Checks that `s` has only `allowed` characters and well-formed %-escapes.
fn check_escaped(s: &str, allowed: fn(u8) -> bool, part: &'static str) -> Result<(), UriError> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let ok = b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
            if !ok {
                return Err(UriError::BadEscape);
            }
            i += 3;
        } else if allowed(c) {
            i += 1;
        } else {
            return Err(UriError::BadChar(part));
        }
    }
    Ok(())
}

/// Escapes every byte of `s` that `allowed` does not accept (and every `%`).
fn escape(s: &str, allowed: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if allowed(b) && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes %-escapes. A malformed escape is kept literally (validation happens at parse).
pub fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = |j: usize| b.get(j).and_then(|h| char::from(*h).to_digit(16));
        match (c, hex(i + 1), hex(i + 2)) {
            // Both digits are < 16, so the byte cannot overflow.
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Decoding allocates, so it is done only when an escape could make a difference.
fn has_escape(a: &str, b: &str) -> bool {
    a.contains('%') || b.contains('%')
}

fn eq_decoded(a: &str, b: &str) -> bool {
    a == b || (has_escape(a, b) && percent_decode(a) == percent_decode(b))
}

fn eq_decoded_ignore_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (has_escape(a, b) && percent_decode(a).eq_ignore_ascii_case(&percent_decode(b)))
}

/// Most parameters, and most headers, one URI may have (see `UriError::TooManyParameters`).
const MAX_URI_PARAMS: usize = 64;

fn parse_params(s: &str, part: &'static str) -> Result<Vec<UriParam>, UriError> {
    let mut params = Vec::new();
    if s.is_empty() {
        return Ok(params);
    }
    if s.split(';').count() > MAX_URI_PARAMS {
        return Err(UriError::TooManyParameters);
    }
    for p in s.split(';') {
        let (name, value) = match p.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (p, None),
        };
        if name.is_empty() || value.is_some_and(str::is_empty) {
            return Err(UriError::BadChar(part));
        }
        check_escaped(name, is_param_char, part)?;
        if let Some(v) = value {
            check_escaped(v, is_param_char, part)?;
        }
        params.push(UriParam { name: name.to_owned(), value: value.map(str::to_owned) });
    }
    Ok(params)
}

impl SipUri {
    /// A `sip:` URI for `host` with no user, port or parameters.
    pub fn new(host: Host) -> SipUri {
        SipUri {
            secure: false,
            user: None,
            password: None,
            host,
            port: None,
            params: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn parse_after_scheme(secure: bool, rest: &str) -> Result<SipUri, UriError> {
        // '@' cannot appear unescaped in the host, parameters or headers, so the first one
        // ends the userinfo, whatever `;` `?` or `:` the user part holds (RFC 4475 intmeth,
        // semiuri).
        let (userinfo, after) = match rest.split_once('@') {
            Some((u, a)) => (Some(u), a),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(ui) => {
                let (u, p) = match ui.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (ui, None),
                };
                if u.is_empty() {
                    return Err(UriError::BadChar("user"));
                }
                check_escaped(u, is_user_char, "user")?;
                if let Some(p) = p {
                    check_escaped(p, is_password_char, "password")?;
                }
                (Some(u.to_owned()), p.map(str::to_owned))
            }
        };
        let (before_headers, headers) = match after.split_once('?') {
            Some((b, h)) => (b, Some(h)),
            None => (after, None),
        };
        let (hostport, params) = match before_headers.split_once(';') {
            Some((hp, p)) => (hp, p),
            None => (before_headers, ""),
        };
        let (host, port) = split_hostport(hostport)?;
        let params = parse_params(params, "parameter")?;
        let mut hs = Vec::new();
        if let Some(h) = headers {
            if h.split('&').count() > MAX_URI_PARAMS {
                return Err(UriError::TooManyParameters);
            }
            for pair in h.split('&') {
                let (n, v) = pair.split_once('=').ok_or(UriError::BadChar("header"))?;
                if n.is_empty() {
                    return Err(UriError::BadChar("header"));
                }
                check_escaped(n, is_header_char, "header")?;
                check_escaped(v, is_header_char, "header")?;
                hs.push((n.to_owned(), v.to_owned()));
            }
        }
        Ok(SipUri { secure, user, password, host, port, params, headers: hs })
    }

    /// Whether this is a `sips:` URI.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
    /// Makes this a `sips:` (true) or `sip:` URI.
    pub fn set_secure(&mut self, secure: bool) {
        self.secure = secure;
    }
    /// The user part as written, %-escapes included.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }
    /// The user part with %-escapes decoded (lossy for non-UTF-8), e.g. the called number.
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.as_deref().map(|u| String::from_utf8_lossy(&percent_decode(u)).into_owned())
    }
    /// Sets the user part from unescaped text (escaping what the grammar needs); `None`
    /// removes the user and password.
    pub fn set_user(&mut self, user: Option<&str>) {
        self.user = user.filter(|u| !u.is_empty()).map(|u| escape(u, is_user_char));
        if self.user.is_none() {
            self.password = None;
        }
    }
    /// The password as written (deprecated by RFC 3261, but part of the grammar).
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }
    /// Replaces the host.
    pub fn set_host(&mut self, host: Host) {
        self.host = host;
    }
    /// The explicit port, if any.
    pub fn port(&self) -> Option<u16> {
        self.port
    }
    /// Sets or removes the explicit port.
    pub fn set_port(&mut self, port: Option<u16>) {
        self.port = port;
    }
    /// All parameters in order.
    pub fn params(&self) -> &[UriParam] {
        &self.params
    }
    /// A parameter by name (case-insensitive, escapes decoded): `None` if absent,
    /// `Some(None)` if present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params.iter().find(|p| p.is(name)).map(|p| p.value.as_deref())
    }
    /// Sets a parameter (replacing one of the same name), escaping name and value.
    pub fn set_param(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(|v| escape(v, is_param_char));
        if let Some(p) = self.params.iter_mut().find(|p| p.is(name)) {
            p.value = value;
        } else {
            self.params.push(UriParam { name: escape(name, is_param_char), value });
        }
    }
    /// Removes a parameter; returns whether it was there.
    pub fn remove_param(&mut self, name: &str) -> bool {
        let before = self.params.len();
        self.params.retain(|p| !p.is(name));
        self.params.len() != before
    }
    /// The `transport` parameter.
    pub fn transport(&self) -> Option<&str> {
        self.param("transport").flatten()
    }
    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&str> {
        self.param("maddr").flatten()
    }
    /// Whether the `lr` parameter is present (loose routing, RFC 3261 16.12).
    pub fn lr(&self) -> bool {
        self.param("lr").is_some()
    }
    /// The URI headers (`?name=value&...`), raw.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }
    /// Removes the URI headers (as a proxy must before using a URI as a Request-URI).
    pub fn clear_headers(&mut self) {
        self.headers.clear();
    }

    /// URI comparison per RFC 3261 19.1.4: user and password case-sensitive, everything
    /// else case-insensitive, escapes decoded; `user`, `ttl`, `method`, `maddr` and
    /// `transport` must match if either side has them, other parameters only if both do;
    /// headers must all match.
    pub fn equivalent(&self, other: &SipUri) -> bool {
        let opt_eq = |a: Option<&str>, b: Option<&str>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => eq_decoded(a, b),
            _ => false,
        };
        if self.secure != other.secure
            || !opt_eq(self.user(), other.user())
            || !opt_eq(self.password(), other.password())
            || !self.host.equivalent(&other.host)
            || self.port != other.port
        {
            return false;
        }
        let value_eq = |a: Option<&str>, b: Option<&str>| match (a, b) {
            (None, None) => true,
            (Some(a), Some(b)) => eq_decoded_ignore_case(a, b),
            _ => false,
        };
        for name in ["user", "ttl", "method", "maddr", "transport"] {
            match (self.param(name), other.param(name)) {
                (None, None) => {}
                (Some(a), Some(b)) if value_eq(a, b) => {}
                _ => return false,
            }
        }
        for p in &self.params {
            if let Some(q) = other.params.iter().find(|q| q.is(&p.name))
                && !value_eq(p.value(), q.value())
            {
                return false;
            }
        }
        let header_in = |h: &(String, String), set: &[(String, String)]| {
            set.iter().any(|g| eq_decoded_ignore_case(&h.0, &g.0) && eq_decoded(&h.1, &g.1))
        };
        self.headers.iter().all(|h| header_in(h, &other.headers))
            && other.headers.iter().all(|h| header_in(h, &self.headers))
    }
}

fn split_hostport(s: &str) -> Result<(Host, Option<u16>), UriError> {
    let (host, port) = if s.starts_with('[') {
        let end = s.find(']').ok_or(UriError::BadHost)?;
        let (h, rest) = s.split_at(end + 1);
        match rest {
            "" => (h, None),
            r => (h, Some(r.strip_prefix(':').ok_or(UriError::BadPort)?)),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let host = Host::parse(host)?;
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse().map_err(|_| UriError::BadPort)?)
        }
        Some(_) => return Err(UriError::BadPort),
    };
    Ok((host, port))
}

impl fmt::Display for SipUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "sips:" } else { "sip:" })?;
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        self.host.fmt(f)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        for p in &self.params {
            write!(f, ";{}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        for (i, (n, v)) in self.headers.iter().enumerate() {
            write!(f, "{}{n}={v}", if i == 0 { '?' } else { '&' })?;
        }
        Ok(())
    }
}

/// A `tel:` URI (RFC 3966): the number and its parameters, raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    number: String,
    params: Vec<UriParam>,
}

impl TelUri {
    fn parse_after_scheme(rest: &str) -> Result<TelUri, UriError> {
        let (number, params) = rest.split_once(';').unwrap_or((rest, ""));
        if number.is_empty()
            || !number.bytes().all(|b| b.is_ascii_hexdigit() || b"*#+-.()".contains(&b))
        {
            return Err(UriError::BadChar("telephone number"));
        }
        Ok(TelUri { number: number.to_owned(), params: parse_params(params, "tel parameter")? })
    }

    /// The number as written, visual separators included.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The parameters in order.
    pub fn params(&self) -> &[UriParam] {
        &self.params
    }

    /// RFC 3966 5: numbers compared without visual separators, parameters as a set with
    /// case-insensitive names and values.
    pub fn equivalent(&self, other: &TelUri) -> bool {
        let digits = |s: &str| -> String {
            s.chars().filter(|c| !"-.()".contains(*c)).map(|c| c.to_ascii_lowercase()).collect()
        };
        let subset = |a: &[UriParam], b: &[UriParam]| {
            a.iter().all(|p| {
                b.iter().any(|q| {
                    q.is(&p.name)
                        && match (p.value(), q.value()) {
                            (None, None) => true,
                            (Some(x), Some(y)) => eq_decoded_ignore_case(x, y),
                            _ => false,
                        }
                })
            })
        };
        digits(&self.number) == digits(&other.number)
            && subset(&self.params, &other.params)
            && subset(&other.params, &self.params)
    }
}

impl fmt::Display for TelUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tel:{}", self.number)?;
        for p in &self.params {
            write!(f, ";{}", p.name)?;
            if let Some(v) = &p.value {
                write!(f, "={v}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sip(s: &str) -> SipUri {
        match Uri::parse(s) {
            Ok(Uri::Sip(u)) => u,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn parts() {
        let u = sip("sips:alice:secret@Example.COM:5061;transport=tcp;lr?Subject=hi&x=");
        assert!(u.is_secure());
        assert_eq!(u.user(), Some("alice"));
        assert_eq!(u.password(), Some("secret"));
        assert_eq!(u.host(), &Host::Domain("Example.COM".into()));
        assert_eq!(u.port(), Some(5061));
        assert_eq!(u.transport(), Some("tcp"));
        assert!(u.lr());
        assert_eq!(u.headers(), &[("Subject".into(), "hi".into()), ("x".into(), "".into())]);
        assert_eq!(
            u.to_string(),
            "sips:alice:secret@Example.COM:5061;transport=tcp;lr?Subject=hi&x="
        );
    }

    #[test]
    fn user_with_semicolons_and_question_marks() {
        // RFC 4475 semiuri and intmeth.
        let u = sip("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user(), Some("user;par=u%40example.net"));
        assert_eq!(u.user_unescaped().as_deref(), Some("user;par=u@example.net"));
        assert!(u.params().is_empty());
        let u = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(u.user(), Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*"));
        assert_eq!(u.password(), Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)"));
    }

    #[test]
    fn escapes_compare_equal_and_nulls_do_not_shorten() {
        assert!(sip("sip:%75se%72@example.com").equivalent(&sip("sip:user@example.com")));
        let a = sip("sip:null-%00-null@example.com");
        assert_eq!(a.user_unescaped().map(|u| u.len()), Some(11));
        assert!(!sip("sip:%00@h").equivalent(&sip("sip:%00%00@h")));
        let c = sip("sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31");
        assert!(c.lr());
        assert_eq!(c.param("name"), Some(Some("v%61lue%25%34%31")));
        assert_eq!(percent_decode("v%61lue%25%34%31"), b"value%41");
        assert_eq!(Uri::parse("sip:a%4@h"), Err(UriError::BadEscape));
        assert_eq!(Uri::parse("sip:a%G0@h"), Err(UriError::BadEscape));
    }

    #[test]
    fn rfc3261_19_1_4_examples() {
        let eq = |a: &str, b: &str| Uri::parse(a).unwrap().equivalent(&Uri::parse(b).unwrap());
        assert!(eq("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"));
        assert!(eq("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
        assert!(eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;newparam=5"));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(eq(
            "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
            "sip:alice@atlanta.com?priority=urgent&subject=project%20x"
        ));
        assert!(!eq("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
        assert!(!eq("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"));
        assert!(!eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
        assert!(!eq("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"));
        assert!(!eq("sip:alice@a.com", "sips:alice@a.com"));
    }

    #[test]
    fn ipv6_references() {
        let u = sip("sip:[2001:db8::10]:5070");
        assert_eq!(u.host(), &Host::Ipv6("2001:db8::10".parse().unwrap()));
        assert_eq!(u.port(), Some(5070));
        // RFC 5118 4.3: the port inside the brackets is part of the address.
        let u = sip("sip:[2001:db8::10:5070]");
        assert_eq!(u.port(), None);
        // RFC 5118 4.10: tolerated, read without the extra colon.
        let u = sip("sip:user@[2001:db8:::192.0.2.1]");
        assert!(u.host().equivalent(&Host::Ipv6("2001:db8::192.0.2.1".parse().unwrap())));
        // RFC 5118 4.2: without brackets the host is `2001`, which is no host.
        assert_eq!(Uri::parse("sip:2001:db8::10"), Err(UriError::BadHost));
        assert_eq!(Uri::parse("sip:example.com:db8::10"), Err(UriError::BadPort));
        assert_eq!(Uri::parse("sip:[2001:db8::10"), Err(UriError::BadHost));
        assert_eq!(Uri::parse("sip:[2001:db8::10]5060"), Err(UriError::BadPort));
        assert_eq!(
            Uri::parse("sip:[::ffff:192.0.2.2]").unwrap().to_string(),
            "sip:[::ffff:192.0.2.2]"
        );
    }

    #[test]
    fn hosts_and_ports() {
        assert_eq!(sip("sip:192.0.2.1").host(), &Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(Uri::parse("sip:192.0.2.256"), Err(UriError::BadHost));
        assert_eq!(Uri::parse("sip:h:65536"), Err(UriError::BadPort));
        assert_eq!(Uri::parse("sip:h:"), Err(UriError::BadPort));
        assert_eq!(Uri::parse("sip:@h"), Err(UriError::BadChar("user")));
        assert_eq!(Uri::parse("sip:u@"), Err(UriError::BadHost));
        assert_eq!(Uri::parse("sip:u@h;;lr"), Err(UriError::BadChar("parameter")));
        assert_eq!(Uri::parse("sip:u@h o"), Err(UriError::BadHost));
        assert_eq!(Uri::parse("<sip:u@h>"), Err(UriError::MissingScheme));
        assert_eq!(Uri::parse("sip:"), Err(UriError::Empty));
    }

    #[test]
    fn parameter_count_is_bounded() {
        let ok = format!("sip:h{}", ";p".repeat(64));
        assert_eq!(sip(&ok).params().len(), 64);
        assert_eq!(
            Uri::parse(&format!("sip:h{}", ";p".repeat(65))),
            Err(UriError::TooManyParameters)
        );
        let hs = vec!["a=b"; 65].join("&");
        assert_eq!(Uri::parse(&format!("sip:h?{hs}")), Err(UriError::TooManyParameters));
        assert_eq!(
            Uri::parse(&format!("tel:1{}", ";p".repeat(65))),
            Err(UriError::TooManyParameters)
        );
    }

    #[test]
    fn other_schemes_are_opaque() {
        for s in [
            "soap.beep://192.0.2.103:3002",
            "nobodyKnowsThisScheme:totallyopaquecontent",
            "isbn:2983792873",
            "http://www.example.com",
            "name:John_Smith",
        ] {
            let u = Uri::parse(s).unwrap();
            assert!(matches!(u, Uri::Other(_)), "{s}");
            assert_eq!(u.to_string(), s);
        }
        assert!(Uri::parse("x:a b").is_err());
    }

    #[test]
    fn tel_uris() {
        let a = Uri::parse("tel:+1-201-555-0123;Phone-Context=example.com").unwrap();
        let b = Uri::parse("tel:+12015550123;phone-context=EXAMPLE.com").unwrap();
        assert!(a.equivalent(&b));
        assert_eq!(a.to_string(), "tel:+1-201-555-0123;Phone-Context=example.com");
        assert!(Uri::parse("tel:abc g").is_err());
    }

    #[test]
    fn setters_escape() {
        let mut u = SipUri::new(Host::Domain("example.com".into()));
        u.set_user(Some("+34 600@x"));
        u.set_port(Some(5070));
        u.set_param("transport", Some("tcp"));
        u.set_param("lr", None);
        assert_eq!(u.to_string(), "sip:+34%20600%40x@example.com:5070;transport=tcp;lr");
        assert_eq!(u.user_unescaped().as_deref(), Some("+34 600@x"));
        assert!(u.remove_param("LR"));
        assert_eq!(Uri::parse(&u.to_string()).unwrap(), Uri::Sip(u));
    }
}
