//! The typed errors of the parsers and writers.
//!
//! Media errors never reach a user: a malformed datagram is counted and dropped (a phone keeps
//! talking, a single bad packet must not end a call). The variants exist so that the counters
//! and the tests can say *why* a packet was dropped.

/// Why bytes are not an RTP packet we can use (RFC 3550 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    /// Shorter than the 12-byte fixed header.
    #[error("shorter than an RTP header")]
    TooShort,
    /// The version bits are not 2 (STUN, ZRTP, garbage).
    #[error("RTP version is not 2")]
    BadVersion,
    /// The CSRC list (CC × 4 bytes) runs past the end of the datagram.
    #[error("the CSRC list runs past the end of the packet")]
    CsrcPastEnd,
    /// The header extension's declared length runs past the end of the datagram.
    #[error("the header extension runs past the end of the packet")]
    ExtensionPastEnd,
    /// The padding count is zero or larger than what follows the header.
    #[error("the padding count is zero or larger than the payload")]
    BadPadding,
}

/// Why bytes are not an RTCP compound packet we can read (RFC 3550 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RtcpError {
    /// Shorter than one 4-byte RTCP header, or a packet is cut short.
    #[error("an RTCP packet is cut short")]
    Truncated,
    /// The version bits are not 2.
    #[error("RTCP version is not 2")]
    BadVersion,
    /// A packet's length field runs past the end of the datagram.
    #[error("an RTCP length runs past the end of the datagram")]
    LengthPastEnd,
    /// A sender or receiver report declares more report blocks than its length holds.
    #[error("a report declares more blocks than it holds")]
    TooManyBlocks,
}

/// Why an RFC 4733 telephone-event payload cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TelephoneEventError {
    /// Shorter than the 4 bytes of one event.
    #[error("a telephone-event payload is 4 bytes long")]
    TooShort,
}

/// Why a SIP INFO body is not a DTMF key we understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SipInfoError {
    /// The content type is neither `application/dtmf-relay` nor `application/dtmf`.
    #[error("not a DTMF content type")]
    NotDtmf,
    /// The body has no `Signal=` line (dtmf-relay) or no key (dtmf).
    #[error("no DTMF signal in the body")]
    NoSignal,
    /// The signal is not one of 0-9, *, #, A-D (or their event codes 0-15).
    #[error("the signal is not a DTMF key")]
    BadSignal,
}

/// A caller-provided buffer is too small for what was to be written into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the buffer holds {available} bytes, {needed} are needed")]
pub struct BufferTooSmall {
    /// Bytes the write needs.
    pub needed: usize,
    /// Bytes the buffer has.
    pub available: usize,
}

impl BufferTooSmall {
    /// Fails with `BufferTooSmall` unless `buf` holds at least `needed` bytes.
    pub(crate) fn check(buf: &[u8], needed: usize) -> Result<(), BufferTooSmall> {
        if buf.len() < needed {
            Err(BufferTooSmall { needed, available: buf.len() })
        } else {
            Ok(())
        }
    }
}
