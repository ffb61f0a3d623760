//! Errors of the message layer: what was wrong with a message, which header, and which
//! status code a server should answer with.
//!
//! The `Display` texts never quote the offending bytes: they become reason phrases sent back
//! to the network and log lines, and the message may carry personal data (numbers, names).

use crate::header::HeaderName;

/// Why a SIP message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input held nothing but line breaks (a CRLF keep-alive) or nothing at all.
    #[error("empty message")]
    Empty,
    /// The message is larger than [`Limits::max_message_size`](crate::Limits).
    #[error("message larger than {limit} octets")]
    MessageTooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The message has more header field values than [`Limits::max_headers`](crate::Limits).
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The limit in force.
        limit: usize,
    },
    /// A header field (after unfolding) or the start line is longer than
    /// [`Limits::max_line_length`](crate::Limits).
    #[error("line longer than {limit} octets")]
    LineTooLong {
        /// The limit in force.
        limit: usize,
    },
    /// The datagram ended inside the header section.
    #[error("header section not terminated")]
    UnterminatedHead,
    /// A CR not followed by LF in the start line or the header section.
    #[error("bare CR in the header section")]
    BareCr,
    /// The first line is neither a Request-Line nor a Status-Line; the text says which part.
    #[error("malformed start line: {0}")]
    BadStartLine(&'static str),
    /// A well-formed SIP version other than SIP/2.0 (a server answers 505).
    #[error("unsupported SIP version")]
    UnsupportedVersion,
    /// The Request-URI does not parse.
    #[error("malformed Request-URI: {0}")]
    BadRequestUri(UriError),
    /// The status code is not three digits from 100 to 699.
    #[error("status code out of range")]
    BadStatusCode,
    /// A line of the header section has no colon, an empty or non-token name, or starts with
    /// whitespace without a header before it to continue.
    #[error("malformed header line")]
    BadHeaderLine,
    /// A header value does not follow its grammar.
    #[error("invalid {header} header: {error}")]
    InvalidHeader {
        /// Which header.
        header: HeaderName,
        /// What was wrong with it.
        error: ValueError,
    },
    /// A header that the message needs is absent.
    #[error("missing {0} header")]
    MissingHeader(HeaderName),
    /// A header that must appear once appears more than once (RFC 4475 multi01, mcl01).
    #[error("more than one {0} header")]
    DuplicateHeader(HeaderName),
    /// Content-Length says more octets than the datagram holds (RFC 4475 clerr).
    #[error("Content-Length larger than the datagram")]
    ContentLengthExceedsDatagram,
    /// A message on a stream transport without Content-Length: it cannot be framed.
    #[error("missing Content-Length on a stream transport")]
    MissingContentLength,
    /// The CSeq method differs from the request method (RFC 4475 mismatch01).
    #[error("CSeq method does not match the request method")]
    CSeqMethodMismatch,
}

impl ParseError {
    /// The status code a server answers a request refused with this error (RFC 3261 21.4,
    /// 21.5): 505 for a version, 513 for a message too large, 400 for everything else.
    pub fn status_code(&self) -> u16 {
        match self {
            ParseError::UnsupportedVersion => 505,
            ParseError::MessageTooLarge { .. } => 513,
            _ => 400,
        }
    }

    /// A reason phrase for the error response, e.g. `Bad Request (invalid Via header: ...)`.
    /// It names the header but never echoes received bytes.
    pub fn reason_phrase(&self) -> String {
        let base = match self.status_code() {
            505 => "Version Not Supported",
            513 => "Message Too Large",
            _ => "Bad Request",
        };
        format!("{base} ({self})")
    }

    pub(crate) fn header(header: HeaderName, error: ValueError) -> Self {
        ParseError::InvalidHeader { header, error }
    }
}

/// What is wrong with a header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The value is empty where the grammar requires something.
    #[error("empty value")]
    Empty,
    /// A quoted string has no closing quote (RFC 4475 quotbal).
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// An angle-bracketed URI has no closing `>`.
    #[error("unterminated <URI>")]
    UnterminatedAngle,
    /// The grammar expected something else at this point; the text says what.
    #[error("expected {0}")]
    Expected(&'static str),
    /// Text left over after a complete value.
    #[error("unexpected text after the value")]
    Trailing,
    /// A number with a non-digit in it.
    #[error("not a number")]
    NotANumber,
    /// A number larger than the field allows (RFC 4475 scalar02: CSeq over 2^32-1).
    #[error("number too large")]
    NumberTooLarge,
    /// An element of a comma-separated list is empty (RFC 4475 badinv01).
    #[error("empty list element")]
    EmptyListElement,
    /// An empty `;` parameter (RFC 4475 badinv01).
    #[error("empty parameter")]
    EmptyParameter,
    /// A URI outside `<>` that contains `?` (RFC 3261 20, RFC 4475 regbadct).
    #[error("URI with headers must be enclosed in <>")]
    UnbracketedUri,
    /// Whitespace inside `<>` (RFC 4475 badaspec).
    #[error("whitespace inside <URI>")]
    SpaceInUri,
    /// The value is not valid UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
    /// A URI in the value is malformed.
    #[error("{0}")]
    Uri(#[from] UriError),
    /// A Digest challenge or credentials header is malformed or unsupported.
    #[error("{0}")]
    Digest(#[from] crate::digest::DigestError),
}

/// What is wrong with a URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UriError {
    /// No `scheme:` at the start.
    #[error("missing scheme")]
    MissingScheme,
    /// Nothing after the scheme.
    #[error("empty URI")]
    Empty,
    /// The host is missing or is not a hostname, IPv4 address or `[IPv6]` reference.
    #[error("bad host")]
    BadHost,
    /// The port is not a number from 0 to 65535.
    #[error("bad port")]
    BadPort,
    /// A character that this part of the URI does not allow; the text names the part.
    #[error("bad character in {0}")]
    BadChar(&'static str),
    /// A `%` not followed by two hex digits.
    #[error("bad % escape")]
    BadEscape,
    /// Headers (`?name=value`) where they are not allowed (a Request-URI, RFC 4475 escruri).
    #[error("URI headers not allowed here")]
    HeadersNotAllowed,
    /// More than 64 parameters or 64 headers in one URI: refused so that comparing URIs,
    /// which matches parameters pairwise, stays cheap on hostile input.
    #[error("too many URI parameters or headers")]
    TooManyParameters,
}
