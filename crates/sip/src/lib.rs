//! centralita's SIP stack: a library that does no I/O, reads no clock and spawns nothing.
//!
//! Two layers. The message layer parses and prints RFC 3261 messages and URIs, with typed
//! header views, plus digest authentication (RFC 7616/8760). On top of it, `Endpoint` holds
//! the transaction layer (the four RFC 3261 state machines, RFC 6026) and the dialog layer
//! (RFC 3261 12-15, RFC 3262), sans-IO in the style of quinn-proto and str0m: messages and
//! `now` go in through `handle_*`, bytes to send, events and the next timer come out of
//! `poll_*`.
//!
//! ```
//! use std::time::Instant;
//! use centralita_sip::{
//!     Config, Endpoint, Event, HeaderName, Message, Method, Peer, Request, Response, Uri,
//! };
//!
//! // The binary's part: what one endpoint transmits, the other receives.
//! fn carry(from: &mut Endpoint, to: &mut Endpoint, now: Instant, source: Peer) {
//!     while let Some(t) = from.poll_transmit() {
//!         // A real binary answers unparseable requests with `error_response`.
//!         to.handle_message(now, Message::parse(&t.bytes).unwrap(), source);
//!     }
//! }
//! let (a, b) = ("192.0.2.1:5060".parse()?, "192.0.2.2:5060".parse()?);
//! let now = Instant::now();
//! // The secret keys the branch/tag generator: take it from the OS's random source.
//! let mut uac = Endpoint::new(Config::new([1; 32]));
//! let mut uas = Endpoint::new(Config::new([2; 32]));
//!
//! // UAC: an INVITE with an offer. The layer adds Via, Max-Forwards, Supported: 100rel.
//! let mut invite = Request::new(Method::Invite, Uri::parse("sip:agent@192.0.2.2")?);
//! let tag = uac.new_tag();
//! invite.headers.push(HeaderName::FROM, format!("<sip:b2bua@192.0.2.1>;tag={tag}"));
//! invite.headers.push(HeaderName::TO, "<sip:agent@192.0.2.2>");
//! invite.headers.push(HeaderName::CALL_ID, uac.new_call_id());
//! invite.headers.push(HeaderName::CSEQ, "1 INVITE");
//! invite.headers.push(HeaderName::CONTACT, "<sip:b2bua@192.0.2.1>");
//! invite.set_body("application/sdp", b"v=0\r\n".to_vec());
//! let call = uac.send_request(now, invite, Peer::udp(b, a))?;
//! carry(&mut uac, &mut uas, now, Peer::udp(a, b));
//!
//! // UAS: the INVITE is an event; the answer creates the dialog (the layer adds the tag).
//! let Some(Event::Request { key, request, .. }) = uas.poll_event() else { panic!() };
//! let mut ok = Response::for_request(&request, 200, "OK");
//! ok.headers.push(HeaderName::CONTACT, "<sip:agent@192.0.2.2>");
//! ok.set_body("application/sdp", b"v=0\r\n".to_vec());
//! let _uas_dialog = uas.respond(now, key, ok)?.expect("a 2xx creates the dialog");
//! carry(&mut uas, &mut uac, now, Peer::udp(b, a));
//!
//! // UAC: the 200 with its dialog; the layer has sent the ACK already.
//! let Some(Event::Response { key: k, response, dialog: Some(dialog) }) = uac.poll_event()
//! else {
//!     panic!()
//! };
//! assert_eq!((k, response.status), (call, 200));
//! carry(&mut uac, &mut uas, now, Peer::udp(a, b));
//! assert!(matches!(uas.poll_event(), Some(Event::Ack { .. })));
//!
//! // Hang up; the UAS answers the BYE by itself and reports the end of its dialog.
//! uac.bye(now, dialog)?;
//! carry(&mut uac, &mut uas, now, Peer::udp(a, b));
//! assert!(matches!(uas.poll_event(), Some(Event::DialogTerminated { .. })));
//!
//! // Timers: the binary sleeps until poll_timeout() and calls handle_timeout.
//! while let Some(at) = uac.poll_timeout() {
//!     uac.handle_timeout(at);
//!     carry(&mut uac, &mut uas, at, Peer::udp(a, b));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Architecture invariants:
//! - No sockets, files, clock, randomness, threads or async here: the caller passes time
//!   (`Instant`s, or seconds for digest nonces), keys and nonces in.
//! - Timers are data: deadlines in per-transaction and per-dialog slots, one heap to find
//!   the earliest (`poll_timeout`); after `handle_timeout(now)` none is left at or before
//!   `now`.
//! - Bytes from the network never panic: every parser returns a typed error, and every
//!   allocation is bounded by `Limits`, never by a number read from the message.
//! - What is printed is always correctly framed: CRLF, a computed Content-Length, and no
//!   value (even one put in a public field by hand) that could smuggle a line break.
//!
//! Leniencies, each deliberate (RFC 4475/5118 file in brackets); everything else the torture
//! tests list as invalid is refused with a typed error naming the header:
//! - a display name directly followed by `<` (lwsdisp, which RFC 4475 says to accept);
//! - a Date in a non-GMT zone: Date has no typed view and is carried as text (baddate);
//! - bare LF line endings, and a datagram whose head ends without the empty line
//!   (RFC 5118's files);
//! - `received=[IPv6]` in Via (via-received-param-with-delim) and the extra colon of
//!   `[2001:db8:::192.0.2.1]` (ipv6-bug-abnf-3-colons);
//! - Max-Forwards, Expires and Contact `expires` over 2^32-1 saturate (scalar02 allows it);
//!   CSeq does not, so scalar02 is still refused;
//! - a Call-ID of any visible characters, not only RFC 3261's `word["@"word]`;
//! - CRLFs before the start line of a datagram, a Status-Line without the space before an
//!   empty reason phrase, Route/Record-Route values without `<>`, empty elements in digest
//!   parameter lists.
//!
//! Code map: `parse` (framing, limits, datagram and stream entry points), `message` (the
//! model, semantic checks, builders, printer), `header` (names and the ordered list), `typed`
//! (Via, NameAddr, CSeq, ... parsed on access), `uri` (sip/sips/tel/other), `method`,
//! `digest` (challenge/credentials, client, stateless-nonce server), `scan` (the character
//! classes and a cursor), `error`; then `endpoint` (the sans-IO object: matching, the
//! automatic behaviours, events), `transaction` (the four state machines and their keys),
//! `dialog` (the `Dialog` value: route sets, CSeq, in-dialog requests), `timer` (T1/T2/T4
//! and the queue), `transport` (Peer, Transmit, RFC 3581 response routing).

mod dialog;
mod endpoint;
mod error;
mod header;
mod message;
mod method;
mod parse;
mod scan;
mod timer;
mod transaction;
mod transport;
mod typed;
mod uri;

pub mod digest;

pub use dialog::{Dialog, DialogError, DialogKey, DialogState, Role};
pub use endpoint::{
    Config, DialogEnd, DialogId, Endpoint, EndpointError, Event, ForkPolicy, TransactionError,
    TransactionKey,
};
pub use error::{ParseError, UriError, ValueError};
pub use header::{Header, HeaderName, Headers};
pub use message::{Message, Request, Response, Version};
pub use method::Method;
pub use parse::{Limits, StreamItem, error_response, parse_stream, parse_stream_item};
pub use timer::TimerConfig;
pub use transaction::TransactionState;
pub use transport::{Peer, Transmit, Transport};
pub use typed::{
    CSeq, Contact, ContentType, MAGIC_COOKIE, NameAddr, Param, Params, RAck, Reason, Via,
};
pub use uri::{AbsoluteUri, Host, SipUri, TelUri, Uri, UriParam, percent_decode};
