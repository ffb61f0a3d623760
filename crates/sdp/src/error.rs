//! Why a session description was refused by the parser.
//!
//! Errors name the line (1-based, counting every line of the body) but never quote it: SDP
//! carries addresses and user names, which are personal data, and these texts end up in logs
//! and in Warning headers.

/// Why a body could not be read as a session description. Every variant is a property of the
/// bytes received; a B2BUA answers them with 400 Bad Request (or 488 with a Warning).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body is larger than the limit (64 KiB); nothing of it was read.
    #[error("session description larger than {limit} octets")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The body has more lines than the limit; a real description has a few dozen.
    #[error("more than {limit} lines")]
    TooManyLines {
        /// The limit in force.
        limit: usize,
    },
    /// The body has more `m=` lines than the limit.
    #[error("more than {limit} media descriptions")]
    TooManyMedia {
        /// The limit in force.
        limit: usize,
    },
    /// One section (the session, or one media description) has more `a=` lines than the limit.
    #[error("more than {limit} attributes in one section")]
    TooManyAttributes {
        /// The limit in force.
        limit: usize,
    },
    /// The body holds nothing but blank lines.
    #[error("empty session description")]
    Empty,
    /// The first line is not a `v=` line.
    #[error("session description does not start with v=")]
    MissingVersion,
    /// The `v=` line names a version other than 0, the only one defined.
    #[error("unsupported SDP version")]
    UnsupportedVersion,
    /// A line is not `<lower-case letter>=<value>`, or holds a control character (a bare CR,
    /// a NUL, ...): the body is not SDP, or it was mangled on the way.
    #[error("malformed line {line}")]
    BadLine {
        /// The line number, from 1.
        line: usize,
    },
    /// There is no `o=` line before the first `m=` line.
    #[error("missing o= line")]
    MissingOrigin,
    /// The `o=` line does not have its six fields, or its version is not a number.
    #[error("malformed o= line {line}")]
    BadOrigin {
        /// The line number, from 1.
        line: usize,
    },
    /// A `c=` line is not `<nettype> <addrtype> <address>`.
    #[error("malformed c= line {line}")]
    BadConnection {
        /// The line number, from 1.
        line: usize,
    },
    /// An `m=` line lacks media, port or protocol, or its port or an RTP payload type is not
    /// a number in range.
    #[error("malformed m= line {line}")]
    BadMedia {
        /// The line number, from 1.
        line: usize,
    },
    /// An `m=` line's port (or port count) is a number above 65535.
    #[error("port out of range on line {line}")]
    PortOutOfRange {
        /// The line number, from 1.
        line: usize,
    },
    /// An `m=` line lists more formats than the limit.
    #[error("more than {limit} formats on line {line}")]
    TooManyFormats {
        /// The line number, from 1.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A session-level line (`v=`, `o=`, `s=`, `t=`) appears inside a media description, or
    /// `o=`/`s=` appears twice: two descriptions were glued together, or lines were reordered.
    #[error("unexpected line {line}")]
    UnexpectedLine {
        /// The line number, from 1.
        line: usize,
    },
}
