//! centralita's media engine: everything a call leg does with RTP, as a library that does no
//! I/O, reads no clock and spawns nothing.
//!
//! The server anchors media (it is a B2BUA): each call leg has an RTP/RTCP socket pair, and the
//! server plays tones and prompts to it, bridges it to another leg, records it, and listens to
//! it for DTMF and silence. This crate holds all of that; the binary owns the sockets and the
//! timers and drives one [`Leg`] per leg, in the style of quinn-proto and str0m: datagrams and
//! `now` go in through `handle_*`, datagrams, events and the next deadline come out of `poll_*`.
//!
//! Architecture invariants:
//! - No sockets, files, clock, randomness, threads or async: `now` is always an argument, the
//!   random SSRC/sequence/timestamp are in [`LegConfig`], recordings are bytes the caller
//!   appends to its file.
//! - Bytes from the network never panic: every parser returns a typed error and reads only
//!   lengths it checked (property-tested and fuzzed, see `fuzz/`).
//! - Nothing is allocated per packet. Forwarding a packet between two legs with the same codec
//!   copies its payload twice (into the receiving leg, into the sending leg's buffer) and
//!   decodes nothing; with different laws the second copy goes through a 256-entry table.
//! - A leg's memory is bounded and small (2.2 KiB, plus 3 KiB once capture or a detector is
//!   on; see [`leg`]).
//!
//! Code map:
//! - [`leg`]: the per-leg state machine that composes the rest; start there.
//! - [`rtp`], [`rtcp`]: packet formats, receiver statistics (RFC 3550).
//! - [`stream`]: numbering of the stream we send across source switches.
//! - [`g711`]: µ-law and A-law, transcoding.
//! - [`dtmf`] (RFC 4733 and SIP INFO) and [`goertzel`] (in-band): key presses.
//! - [`tones`]: tone plans and the tone generator.
//! - [`jitter`]: reordering for the receive-side analysers; [`silence`]: silence detection.
//! - [`recorder`]: WAV bytes of a recording, written as the call goes.
//!
//! Levels in dBFS are relative to a full-scale sine (AES17): a sine of peak 32768 is 0 dBFS.

pub mod dtmf;
mod error;
pub mod g711;
pub mod goertzel;
pub mod jitter;
pub mod leg;
pub mod recorder;
pub mod rtcp;
pub mod rtp;
pub mod silence;
pub mod stream;
pub mod tones;

pub use error::{BufferTooSmall, RtcpError, RtpError, SipInfoError, TelephoneEventError};
pub use g711::Codec;
pub use leg::{
    DtmfVia, Forward, ForwardKind, Leg, LegConfig, LegEvent, LegStats, RemoteReport, Source,
    Transmit,
};
pub use recorder::Recorder;
pub use silence::SilenceConfig;
pub use tones::{ToneGenerator, ToneKind, TonePlan};
