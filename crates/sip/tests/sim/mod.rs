//! A tiny network simulator for the transaction and dialog tests: two endpoints (A and B)
//! joined by a fake network that can lose, delay and reorder messages, and a clock that
//! jumps to the next thing that happens (a delivery or a timer). Every message crosses as
//! bytes and is parsed again, so the tests go through the real printer and parser.
//!
//! Each message sent is written to a transcript (`wire()`): time in seconds, direction, the
//! method (requests) or status and CSeq method (responses), and `(lost)` when the network
//! dropped it. Tests compare transcripts, which reads like a ladder diagram.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use centralita_sip::{
    Config, Endpoint, Event, HeaderName, Message, Method, Peer, Request, Response, Transport, Uri,
};

/// Which endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// A message on the wire.
#[derive(Debug, Clone)]
pub struct Packet {
    pub from: Side,
    pub deliver_at: Instant,
    pub bytes: Vec<u8>,
    /// A short text: `INVITE`, `180 INVITE`.
    pub summary: String,
    seq: u64,
}

impl Packet {
    pub fn message(&self) -> Message {
        Message::parse(&self.bytes).expect("the endpoint printed something unparseable")
    }
    /// Whether this is `summary` going from `from` (e.g. `(Side::A, "ACK")`).
    pub fn is(&self, from: Side, summary: &str) -> bool {
        self.from == from && self.summary == summary
    }
}

type Filter = Box<dyn FnMut(&Packet) -> bool>;
type Delay = Box<dyn FnMut(&Packet) -> Option<Duration>>;
type Hook = Box<dyn FnMut(&mut Endpoint, Instant, &Event)>;

pub struct Node {
    pub ep: Endpoint,
    pub addr: SocketAddr,
    /// Events not yet taken by the test.
    pub events: Vec<Event>,
    hook: Option<Hook>,
}

pub struct Sim {
    pub start: Instant,
    pub now: Instant,
    pub a: Node,
    pub b: Node,
    pub transport: Transport,
    flight: Vec<Packet>,
    transcript: Vec<String>,
    sent: Vec<Packet>,
    drop: Option<Filter>,
    delay: Option<Delay>,
    pub latency: Duration,
    seq: u64,
    /// Drop everything from B to A and from A to B (a peer that never answers).
    pub black_hole: bool,
}

pub const A_ADDR: &str = "192.0.2.1:5060";
pub const B_ADDR: &str = "192.0.2.2:5060";

pub fn config(seed: u8) -> Config {
    Config::new([seed; 32])
}

impl Sim {
    pub fn new() -> Sim {
        Sim::with(Transport::Udp, config(1), config(2))
    }

    pub fn tcp() -> Sim {
        Sim::with(Transport::Tcp, config(1), config(2))
    }

    pub fn with(transport: Transport, a: Config, b: Config) -> Sim {
        let start = Instant::now();
        Sim {
            start,
            now: start,
            a: Node {
                ep: Endpoint::new(a),
                addr: A_ADDR.parse().unwrap(),
                events: vec![],
                hook: None,
            },
            b: Node {
                ep: Endpoint::new(b),
                addr: B_ADDR.parse().unwrap(),
                events: vec![],
                hook: None,
            },
            transport,
            flight: vec![],
            transcript: vec![],
            sent: vec![],
            drop: None,
            delay: None,
            latency: Duration::from_millis(10),
            seq: 0,
            black_hole: false,
        }
    }

    pub fn node(&mut self, side: Side) -> &mut Node {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// The peer as `side` sees the other end (to send to it).
    pub fn peer_of(&self, side: Side) -> Peer {
        let (local, remote) = match side {
            Side::A => (self.a.addr, self.b.addr),
            Side::B => (self.b.addr, self.a.addr),
        };
        Peer { transport: self.transport, remote, local, connection: self.conn() }
    }

    fn conn(&self) -> Option<u64> {
        (self.transport == Transport::Tcp).then_some(1)
    }

    /// Loses every message for which `f` is true (it sees them in the order sent).
    pub fn drop_when(&mut self, f: impl FnMut(&Packet) -> bool + 'static) {
        self.drop = Some(Box::new(f));
    }

    /// Gives some messages their own one-way delay.
    pub fn delay_when(&mut self, f: impl FnMut(&Packet) -> Option<Duration> + 'static) {
        self.delay = Some(Box::new(f));
    }

    /// Runs `f` on every event of `side` as it happens (and still records the event).
    pub fn on_event(
        &mut self,
        side: Side,
        f: impl FnMut(&mut Endpoint, Instant, &Event) + 'static,
    ) {
        self.node(side).hook = Some(Box::new(f));
    }

    /// Seconds since the start.
    pub fn t(&self) -> f64 {
        (self.now - self.start).as_secs_f64()
    }

    /// Puts raw bytes on the wire as if `from` had sent them.
    pub fn inject(&mut self, from: Side, bytes: &[u8]) {
        self.queue(from, bytes.to_vec());
    }

    fn summary(bytes: &[u8]) -> String {
        match Message::parse(bytes) {
            Ok(Message::Request(r)) => r.method.to_string(),
            Ok(Message::Response(r)) => {
                let m = r.headers.cseq().map(|c| c.method.to_string()).unwrap_or_default();
                format!("{} {m}", r.status)
            }
            Err(e) => format!("unparseable: {e}"),
        }
    }

    fn queue(&mut self, from: Side, bytes: Vec<u8>) {
        self.seq += 1;
        let mut p = Packet {
            from,
            deliver_at: self.now + self.latency,
            summary: Self::summary(&bytes),
            bytes,
            seq: self.seq,
        };
        if let Some(d) = self.delay.as_mut().and_then(|f| f(&p)) {
            p.deliver_at = self.now + d;
        }
        let dir = if from == Side::A { "A->B" } else { "B->A" };
        let lost = self.black_hole || self.drop.as_mut().is_some_and(|f| f(&p));
        self.transcript.push(format!(
            "{:7.3} {dir} {}{}",
            self.t(),
            p.summary,
            if lost { " (lost)" } else { "" }
        ));
        self.sent.push(p.clone());
        if !lost {
            self.flight.push(p);
        }
    }

    /// Moves what both endpoints want to send onto the wire, and their events to the test
    /// (through the hooks).
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            for side in [Side::A, Side::B] {
                while let Some(t) = self.node(side).ep.poll_transmit() {
                    progressed = true;
                    self.queue(side, t.bytes);
                }
                while let Some(e) = self.node(side).ep.poll_event() {
                    progressed = true;
                    let now = self.now;
                    let node = self.node(side);
                    if let Some(mut hook) = node.hook.take() {
                        hook(&mut node.ep, now, &e);
                        node.hook = Some(hook);
                    }
                    node.events.push(e);
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// The next instant something happens, if any.
    pub fn next_wakeup(&mut self) -> Option<Instant> {
        let flight = self.flight.iter().map(|p| p.deliver_at).min();
        [flight, self.a.ep.poll_timeout(), self.b.ep.poll_timeout()].into_iter().flatten().min()
    }

    /// Runs until `secs` seconds after the start (the clock ends exactly there).
    pub fn run_until(&mut self, secs: f64) {
        let end = self.start + Duration::from_secs_f64(secs);
        self.pump();
        while let Some(next) = self.next_wakeup() {
            if next > end {
                break;
            }
            self.now = self.now.max(next);
            self.step();
        }
        self.now = self.now.max(end);
        self.pump();
    }

    /// Runs for `secs` more seconds.
    pub fn run_for(&mut self, secs: f64) {
        let t = self.t() + secs;
        self.run_until(t);
    }

    fn step(&mut self) {
        let now = self.now;
        let mut due: Vec<Packet> = Vec::new();
        self.flight.retain(|p| {
            if p.deliver_at <= now {
                due.push(p.clone());
                false
            } else {
                true
            }
        });
        due.sort_by_key(|p| (p.deliver_at, p.seq));
        for p in due {
            let to = p.from.other();
            let peer = self.peer_of(to);
            // Injected bytes may not parse; the binary would answer or drop them, never us.
            let Ok(message) = Message::parse(&p.bytes) else { continue };
            self.node(to).ep.handle_message(now, message, peer);
            self.pump();
        }
        for side in [Side::A, Side::B] {
            self.node(side).ep.handle_timeout(now);
            // Invariant: after handle_timeout(now) nothing is due at or before now, or the
            // binary would spin on a timer that never fires.
            let next = self.node(side).ep.poll_timeout();
            assert!(next.is_none_or(|t| t > now), "{side:?} left a timer in the past");
            self.pump();
        }
    }

    /// The transcript so far.
    pub fn wire(&self) -> Vec<String> {
        self.transcript.clone()
    }

    /// Every message sent (lost ones included), in order.
    pub fn sent(&self) -> &[Packet] {
        &self.sent
    }

    /// The last message sent that `matches`, parsed.
    pub fn last(&self, from: Side, summary: &str) -> Message {
        self.sent.iter().rev().find(|p| p.is(from, summary)).expect(summary).message()
    }

    /// The transcript lines that contain `s`.
    pub fn wire_with(&self, s: &str) -> Vec<String> {
        self.transcript.iter().filter(|l| l.contains(s)).cloned().collect()
    }

    /// Clears the transcript (to look at what follows).
    pub fn clear_wire(&mut self) {
        self.transcript.clear();
    }

    /// Takes the events of `side` recorded so far.
    pub fn events(&mut self, side: Side) -> Vec<Event> {
        std::mem::take(&mut self.node(side).events)
    }

    /// A new INVITE from A to B (with an SDP offer when `offer`).
    pub fn invite(&mut self, offer: bool) -> Request {
        let tag = self.a.ep.new_tag();
        let call_id = self.a.ep.new_call_id();
        let mut r = Request::new(Method::Invite, Uri::parse("sip:agent@192.0.2.2").unwrap());
        r.headers.push(HeaderName::FROM, format!("<sip:+34910000000@192.0.2.1>;tag={tag}"));
        r.headers.push(HeaderName::TO, "<sip:agent@192.0.2.2>");
        r.headers.push(HeaderName::CALL_ID, call_id);
        r.headers.push(HeaderName::CSEQ, "1 INVITE");
        r.headers.push(HeaderName::CONTACT, "<sip:b2bua@192.0.2.1:5060>");
        if offer {
            r.set_body("application/sdp", b"v=0\r\n".to_vec());
        }
        r
    }

    /// A new out-of-dialog OPTIONS from A to B.
    pub fn options(&mut self) -> Request {
        let tag = self.a.ep.new_tag();
        let call_id = self.a.ep.new_call_id();
        let mut r = Request::new(Method::Options, Uri::parse("sip:192.0.2.2").unwrap());
        r.headers.push(HeaderName::FROM, format!("<sip:b2bua@192.0.2.1>;tag={tag}"));
        r.headers.push(HeaderName::TO, "<sip:192.0.2.2>");
        r.headers.push(HeaderName::CALL_ID, call_id);
        r.headers.push(HeaderName::CSEQ, "1 OPTIONS");
        r
    }

    /// A sends `request` to B now.
    pub fn send(&mut self, request: Request) -> centralita_sip::TransactionKey {
        let peer = self.peer_of(Side::A);
        let key = self.a.ep.send_request(self.now, request, peer).expect("send_request");
        self.pump();
        key
    }
}

/// The response to `request` with `status`, with B's Contact for 1xx/2xx to INVITE.
pub fn answer(request: &Request, status: u16, reason: &str) -> Response {
    let mut r = Response::for_request(request, status, reason);
    if request.method == Method::Invite && status > 100 && status < 300 {
        r.headers.push(HeaderName::CONTACT, "<sip:agent@192.0.2.2:5060>");
    }
    r
}

/// The first `Event::Request` in `events`: (key, request, dialog).
pub fn first_request(
    events: &[Event],
) -> Option<(centralita_sip::TransactionKey, Request, Option<centralita_sip::DialogId>)> {
    events.iter().find_map(|e| match e {
        Event::Request { key, request, dialog, .. } => Some((*key, request.clone(), *dialog)),
        _ => None,
    })
}

/// The statuses of the `Event::Response`s in `events`.
pub fn statuses(events: &[Event]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Response { response, .. } => Some(response.status),
            _ => None,
        })
        .collect()
}
