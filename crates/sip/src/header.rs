//! Header names (case-insensitive, compact forms mapped to long ones) and the ordered header
//! list of a message.
//!
//! Values are kept as text, one entry per value: a header that RFC 3261 defines as a
//! comma-separated list (Via, Contact, Route, Allow, ...) is split into one entry per
//! element when parsed, which RFC 3261 7.3.1 makes equivalent; every other header, including
//! all unknown ones, is kept whole, so it survives a round trip. Typed views parse on access
//! (see `typed`).

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A header field name. Equality and hashing ignore ASCII case; known names, whether
/// received in compact form (`v`) or in any case (`VIA`), are stored in their canonical
/// long form (`Via`) so they print that way.
#[derive(Debug, Clone)]
pub struct HeaderName(Cow<'static, str>);

/// (canonical name, compact form, is a comma-separated list).
const KNOWN: &[(&str, Option<&str>, bool)] = &[
    ("Accept", None, true),
    ("Accept-Contact", Some("a"), true),
    ("Accept-Encoding", None, true),
    ("Accept-Language", None, true),
    ("Alert-Info", None, true),
    ("Allow", None, true),
    ("Allow-Events", Some("u"), true),
    ("Authentication-Info", None, false),
    ("Authorization", None, false),
    ("Call-ID", Some("i"), false),
    ("Call-Info", None, true),
    ("Contact", Some("m"), true),
    ("Content-Disposition", None, false),
    ("Content-Encoding", Some("e"), true),
    ("Content-Language", None, true),
    ("Content-Length", Some("l"), false),
    ("Content-Type", Some("c"), false),
    ("CSeq", None, false),
    ("Date", None, false),
    ("Error-Info", None, true),
    ("Event", Some("o"), false),
    ("Expires", None, false),
    ("From", Some("f"), false),
    ("Identity", Some("y"), false),
    ("In-Reply-To", None, true),
    ("Max-Forwards", None, false),
    ("Min-Expires", None, false),
    ("MIME-Version", None, false),
    ("Organization", None, false),
    ("P-Asserted-Identity", None, true),
    ("P-Preferred-Identity", None, true),
    ("Path", None, true),
    ("Priority", None, false),
    ("Privacy", None, false),
    ("Proxy-Authenticate", None, false),
    ("Proxy-Authorization", None, false),
    ("Proxy-Require", None, true),
    ("RAck", None, false),
    ("Reason", None, true),
    ("Record-Route", None, true),
    ("Refer-To", Some("r"), false),
    ("Referred-By", Some("b"), false),
    ("Reject-Contact", Some("j"), true),
    ("Reply-To", None, false),
    ("Request-Disposition", Some("d"), true),
    ("Require", None, true),
    ("Retry-After", None, false),
    ("Route", None, true),
    ("RSeq", None, false),
    ("Server", None, false),
    ("Service-Route", None, true),
    ("Session-Expires", Some("x"), false),
    ("Subject", Some("s"), false),
    ("Subscription-State", None, false),
    ("Supported", Some("k"), true),
    ("Timestamp", None, false),
    ("To", Some("t"), false),
    ("Unsupported", None, true),
    ("User-Agent", None, false),
    ("Via", Some("v"), true),
    ("Warning", None, true),
    ("WWW-Authenticate", None, false),
];

impl HeaderName {
    /// `Via` (compact `v`).
    pub const VIA: Self = Self::stat("Via");
    /// `From` (compact `f`).
    pub const FROM: Self = Self::stat("From");
    /// `To` (compact `t`).
    pub const TO: Self = Self::stat("To");
    /// `Call-ID` (compact `i`).
    pub const CALL_ID: Self = Self::stat("Call-ID");
    /// `CSeq`.
    pub const CSEQ: Self = Self::stat("CSeq");
    /// `Contact` (compact `m`).
    pub const CONTACT: Self = Self::stat("Contact");
    /// `Route`.
    pub const ROUTE: Self = Self::stat("Route");
    /// `Record-Route`.
    pub const RECORD_ROUTE: Self = Self::stat("Record-Route");
    /// `Max-Forwards`.
    pub const MAX_FORWARDS: Self = Self::stat("Max-Forwards");
    /// `Expires`.
    pub const EXPIRES: Self = Self::stat("Expires");
    /// `Min-Expires`.
    pub const MIN_EXPIRES: Self = Self::stat("Min-Expires");
    /// `Content-Type` (compact `c`).
    pub const CONTENT_TYPE: Self = Self::stat("Content-Type");
    /// `Content-Length` (compact `l`).
    pub const CONTENT_LENGTH: Self = Self::stat("Content-Length");
    /// `WWW-Authenticate`.
    pub const WWW_AUTHENTICATE: Self = Self::stat("WWW-Authenticate");
    /// `Authorization`.
    pub const AUTHORIZATION: Self = Self::stat("Authorization");
    /// `Proxy-Authenticate`.
    pub const PROXY_AUTHENTICATE: Self = Self::stat("Proxy-Authenticate");
    /// `Proxy-Authorization`.
    pub const PROXY_AUTHORIZATION: Self = Self::stat("Proxy-Authorization");
    /// `Allow`.
    pub const ALLOW: Self = Self::stat("Allow");
    /// `Supported` (compact `k`).
    pub const SUPPORTED: Self = Self::stat("Supported");
    /// `Require`.
    pub const REQUIRE: Self = Self::stat("Require");
    /// `Proxy-Require`.
    pub const PROXY_REQUIRE: Self = Self::stat("Proxy-Require");
    /// `Unsupported`.
    pub const UNSUPPORTED: Self = Self::stat("Unsupported");
    /// `RSeq`.
    pub const RSEQ: Self = Self::stat("RSeq");
    /// `RAck`.
    pub const RACK: Self = Self::stat("RAck");
    /// `Reason`.
    pub const REASON: Self = Self::stat("Reason");
    /// `Timestamp`.
    pub const TIMESTAMP: Self = Self::stat("Timestamp");
    /// `User-Agent`.
    pub const USER_AGENT: Self = Self::stat("User-Agent");
    /// `Server`.
    pub const SERVER: Self = Self::stat("Server");
    /// `Accept`.
    pub const ACCEPT: Self = Self::stat("Accept");
    /// `Retry-After`.
    pub const RETRY_AFTER: Self = Self::stat("Retry-After");
    /// `Warning`.
    pub const WARNING: Self = Self::stat("Warning");
    /// `Date`.
    pub const DATE: Self = Self::stat("Date");

    const fn stat(s: &'static str) -> Self {
        HeaderName(Cow::Borrowed(s))
    }

    /// The name for `s`: a known name (long or compact, any case) becomes its canonical long
    /// form, anything else is kept as given.
    pub fn new(s: &str) -> Self {
        match known(s) {
            Some((canonical, _, _)) => HeaderName(Cow::Borrowed(canonical)),
            None => HeaderName(Cow::Owned(s.to_owned())),
        }
    }

    /// The name as it prints.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether RFC 3261 (or the extension defining it) makes this header a comma-separated
    /// list whose elements may be split into separate header fields.
    pub fn is_list(&self) -> bool {
        known(&self.0).is_some_and(|k| k.2)
    }
}

fn known(s: &str) -> Option<&'static (&'static str, Option<&'static str>, bool)> {
    KNOWN.iter().find(|(long, compact, _)| {
        long.eq_ignore_ascii_case(s) || compact.is_some_and(|c| c.eq_ignore_ascii_case(s))
    })
}

impl PartialEq for HeaderName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for HeaderName {}

impl Hash for HeaderName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for HeaderName {
    fn from(s: &str) -> Self {
        HeaderName::new(s)
    }
}

/// One header field: a name and one value (one element, for list headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name.
    pub name: HeaderName,
    /// The value, without leading or trailing whitespace, folding collapsed to one space.
    pub value: String,
}

/// The header fields of a message, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<Header>,
}

/// A value as it may go on a line: CR and LF become spaces (so no value can inject a header
/// or end the header section) and the ends are trimmed.
fn clean(value: impl Into<String>) -> String {
    let mut v: String = value.into();
    if v.contains(['\r', '\n']) {
        v = v.replace(['\r', '\n'], " ");
    }
    let trimmed = v.trim_matches([' ', '\t']);
    if trimmed.len() != v.len() { trimmed.to_owned() } else { v }
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries in order.
    pub fn iter(&self) -> impl Iterator<Item = &Header> {
        self.entries.iter()
    }

    /// The first value of `name`.
    pub fn get(&self, name: &HeaderName) -> Option<&str> {
        self.entries.iter().find(|h| &h.name == name).map(|h| h.value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'s>(&'s self, name: &HeaderName) -> impl Iterator<Item = &'s str> + use<'s> {
        let name = name.clone();
        self.entries.iter().filter(move |h| h.name == name).map(|h| h.value.as_str())
    }

    /// How many entries `name` has.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.entries.iter().filter(|h| &h.name == name).count()
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.entries.iter().any(|h| &h.name == name)
    }

    /// Appends an entry. CR/LF in the value become spaces.
    pub fn push(&mut self, name: HeaderName, value: impl Into<String>) {
        self.entries.push(Header { name, value: clean(value) });
    }

    /// Adds an entry before the first entry of the same name (or at the end if there is
    /// none): how a Via or Record-Route is added on top.
    pub fn push_front(&mut self, name: HeaderName, value: impl Into<String>) {
        let at = self.entries.iter().position(|h| h.name == name).unwrap_or(self.entries.len());
        self.entries.insert(at, Header { name, value: clean(value) });
    }

    /// Removes and returns the first value of `name` (e.g. popping the top Via or Route).
    pub fn pop_front(&mut self, name: &HeaderName) -> Option<String> {
        let at = self.entries.iter().position(|h| &h.name == name)?;
        Some(self.entries.remove(at).value)
    }

    /// Replaces the first value of `name`; returns false (and changes nothing) if absent.
    pub fn replace_first(&mut self, name: &HeaderName, value: impl Into<String>) -> bool {
        match self.entries.iter_mut().find(|h| &h.name == name) {
            Some(h) => {
                h.value = clean(value);
                true
            }
            None => false,
        }
    }

    /// Sets `name` to a single value: replaces the first entry and removes the others, or
    /// appends if absent.
    pub fn set(&mut self, name: HeaderName, value: impl Into<String>) {
        let value = clean(value);
        match self.entries.iter().position(|h| h.name == name) {
            Some(first) => {
                if let Some(h) = self.entries.get_mut(first) {
                    h.value = value;
                }
                let mut i = 0;
                self.entries.retain(|h| {
                    let keep = h.name != name || i == first;
                    i += 1;
                    keep
                });
            }
            None => self.entries.push(Header { name, value }),
        }
    }

    /// Removes every entry of `name`; returns how many there were.
    pub fn remove(&mut self, name: &HeaderName) -> usize {
        let before = self.entries.len();
        self.entries.retain(|h| &h.name != name);
        before - self.entries.len()
    }

    /// Appends entries parsed from the wire, bypassing `clean` (the parser already split lines
    /// and trimmed).
    pub(crate) fn push_raw(&mut self, name: HeaderName, value: String) {
        self.entries.push(Header { name, value });
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case_insensitive_names() {
        for (given, canonical) in [
            ("v", "Via"),
            ("VIA", "Via"),
            ("i", "Call-ID"),
            ("I", "Call-ID"),
            ("m", "Contact"),
            ("e", "Content-Encoding"),
            ("l", "Content-Length"),
            ("c", "Content-Type"),
            ("f", "From"),
            ("s", "Subject"),
            ("k", "Supported"),
            ("t", "To"),
            ("o", "Event"),
            ("u", "Allow-Events"),
            ("r", "Refer-To"),
            ("b", "Referred-By"),
            ("x", "Session-Expires"),
            ("a", "Accept-Contact"),
            ("y", "Identity"),
            ("j", "Reject-Contact"),
            ("d", "Request-Disposition"),
            ("cseq", "CSeq"),
            ("www-authenticate", "WWW-Authenticate"),
        ] {
            assert_eq!(HeaderName::new(given).as_str(), canonical, "{given}");
        }
        assert_eq!(HeaderName::new("X-Custom").as_str(), "X-Custom");
        assert_eq!(HeaderName::new("x-custom"), HeaderName::new("X-CUSTOM"));
        assert_ne!(HeaderName::new("C%6Fntact"), HeaderName::CONTACT);
        assert!(HeaderName::VIA.is_list());
        assert!(!HeaderName::WWW_AUTHENTICATE.is_list());
        assert!(!HeaderName::new("Date").is_list());
        assert!(!HeaderName::new("X-Unknown").is_list());
    }

    #[test]
    fn editing() {
        let mut h = Headers::new();
        h.push(HeaderName::VIA, "SIP/2.0/UDP b");
        h.push(HeaderName::TO, "<sip:x@y>");
        h.push_front(HeaderName::VIA, "SIP/2.0/UDP a");
        h.push(HeaderName::VIA, "SIP/2.0/UDP c");
        assert_eq!(
            h.get_all(&HeaderName::VIA).collect::<Vec<_>>(),
            vec!["SIP/2.0/UDP a", "SIP/2.0/UDP b", "SIP/2.0/UDP c"]
        );
        assert_eq!(h.pop_front(&HeaderName::VIA).as_deref(), Some("SIP/2.0/UDP a"));
        assert!(h.replace_first(&HeaderName::VIA, "SIP/2.0/UDP z"));
        h.set(HeaderName::VIA, "only");
        assert_eq!(h.count(&HeaderName::VIA), 1);
        assert_eq!(h.get(&HeaderName::VIA), Some("only"));
        h.set(HeaderName::new("s"), "x\r\nInjected: yes");
        assert_eq!(h.get(&HeaderName::new("Subject")), Some("x  Injected: yes"));
        assert_eq!(h.remove(&HeaderName::VIA), 1);
        assert!(!h.contains(&HeaderName::VIA));
    }
}
