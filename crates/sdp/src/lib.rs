//! centralita's SDP: session descriptions (RFC 4566) and the offer/answer model (RFC 3264)
//! for the media centralita anchors, G.711 audio (PCMU, PCMA) with RFC 4733 telephone
//! events. A library that does no I/O, reads no clock and spawns nothing.
//!
//! ```
//! use centralita_sdp::{AnswerPrefs, Codec, LocalMedia, SessionDescription, answer};
//!
//! let offer = SessionDescription::parse(
//!     "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
//!      m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
//! )?;
//! let local = LocalMedia::new("198.51.100.7".parse()?, 30000, 42);
//! let (our_answer, negotiated) = answer(&offer, &local, &AnswerPrefs::default())?;
//! assert_eq!((negotiated.codec, negotiated.telephone_event), (Codec::Pcma, Some(101)));
//! assert!(our_answer.to_string().starts_with("v=0\r\no=centralita 42 1 IN IP4 198.51.100.7\r\n"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Architecture invariants:
//! - No sockets, files, clock, randomness, threads or async: the caller passes the session
//!   id, addresses and ports in.
//! - Bytes from the network never panic: the parser returns a typed [`SdpError`], and every
//!   allocation is bounded (64 KiB body, 1024 lines, 32 `m=` lines, 256 attributes per
//!   section, 128 formats per `m=` line), never sized by a number read from the input.
//! - What we print is canonical CRLF SDP that parses back to the same description, and no
//!   field value can smuggle a line break into it.
//! - Our answers carry only what we support: one G.711 codec, telephone-event, ptime and a
//!   direction; every other stream is rejected with port 0, in the offer's order.
//!
//! ## Why our own parser, not webrtc-sdp
//!
//! webrtc-sdp (Mozilla's, maintained: 0.3.14 to 0.3.17 released in 2026) reads the 26 real
//! descriptions of `tests/` and the RFC 5118 bodies, as the trial in the issue found. It fails
//! us at the edges, in ways we cannot work around from outside:
//! - a missing `t=` fails the whole description ("Missing timing type at session level"), and
//!   so does any `e=`, `u=`, `p=`, `r=`, `z=` or `k=` line, or two blanks between `m=` fields;
//! - an `m=` line whose protocol is not in its WebRTC list (`udptl` for T.38 fax,
//!   `TCP/RTP/AVP`) is dropped with a warning and its `a=` lines are appended to the previous
//!   section: a fax re-INVITE comes out with no media at all, an audio+T.38 offer with the
//!   fax stream's `a=recvonly` on the audio stream, and either way our answer could not keep
//!   one `m=` line per offered line (RFC 3264 §6);
//! - unknown attributes are dropped (9 of the 26 fixtures lose some), so it cannot print
//!   back what it read;
//! - it brings 34 other crates (`url`, `idna`, the ICU crates) for a line-based format.
//!
//! What we need is a small subset (`v o s c b t m a`, five attributes read on demand), so a
//! parser of our own is a few hundred lines that we can make lenient exactly where phones and
//! carriers are (LF line ends, missing `t=` or `s=`, static payload types without `rtpmap`,
//! odd blanks, `c=` at either level, IPv6), strict where a mistake would misdirect media
//! (`v=`, `o=`, `c=`, `m=`), bounded, and fuzzed.
//!
//! Code map: `model` (the description as data, attributes read on demand, direction),
//! `parse` (limits and leniencies), `print` (canonical text), `negotiate` (codecs, the
//! offer/answer entry points, why a description is unusable), `error`.

mod error;
mod model;
mod negotiate;
mod parse;
mod print;

pub use error::SdpError;
pub use model::{
    Attribute, Connection, Direction, Media, Origin, Rtpmap, SessionDescription, Timing,
};
pub use negotiate::{
    AnswerPrefs, AudioOffer, Codec, CodecOrder, DEFAULT_PTIME_MS, DEFAULT_TELEPHONE_EVENT,
    LocalMedia, Negotiated, OfferPrefs, Unusable, accept_answer, answer, offer, remote_audio,
};
