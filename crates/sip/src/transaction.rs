//! The four RFC 3261 transaction state machines (17.1.1 INVITE client, 17.1.2 non-INVITE
//! client, 17.2.1 INVITE server, 17.2.2 non-INVITE server), with RFC 6026's Accepted state,
//! and the keys that match messages to them (17.1.3, 17.2.3).
//!
//! A transaction here is data plus transitions: each input (a response, a retransmitted
//! request, a response from the TU, a timer) changes its state and says what to put on the
//! wire; the `Endpoint` owns the table, the wire and the events. Timer letters map to four
//! slots per transaction, because no state runs more than one timer of each role:
//!
//! | slot       | INVITE client     | non-INVITE client | INVITE server | non-INVITE server |
//! |------------|-------------------|-------------------|---------------|-------------------|
//! | Retransmit | A                 | E                 | G             | -                 |
//! | Timeout    | B, then C         | F                 | H             | -                 |
//! | Linger     | D, M              | K                 | I, L          | J                 |
//! | Trying     | -                 | -                 | 100 at 200 ms | -                 |
//!
//! Timer C (a UA's Proceeding timeout, then 64*T1 after our CANCEL) is our addition; see
//! `TimerConfig::timer_c`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::endpoint::{DialogId, TimerOwner, TransactionKey};
use crate::error::ParseError;
use crate::header::HeaderName;
use crate::message::{Request, Response};
use crate::method::Method;
use crate::timer::{TimerConfig, TimerQueue};
use crate::transport::Peer;
use crate::typed::{CSeq, Via};

/// Which of the four machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    InviteClient,
    NonInviteClient,
    InviteServer,
    NonInviteServer,
}

impl Kind {
    pub(crate) fn is_client(self) -> bool {
        matches!(self, Kind::InviteClient | Kind::NonInviteClient)
    }
}

/// The states of all four machines; each uses a subset. Terminated is not a state here: a
/// terminated transaction is removed from the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionState {
    /// INVITE client: sent, no response yet.
    Calling,
    /// Non-INVITE client or server: no provisional response yet.
    Trying,
    /// A provisional response was received or sent.
    Proceeding,
    /// A final (non-2xx for INVITE) response was received or sent; absorbing retransmissions.
    Completed,
    /// INVITE server: the ACK for a non-2xx arrived; absorbing ACK retransmissions (timer I).
    Confirmed,
    /// INVITE (RFC 6026): a 2xx was received or sent; absorbing retransmissions, passing
    /// 2xx (client) and ACKs (server) to the dialog layer (timers M and L).
    Accepted,
}

/// The four timer slots of a transaction (see the table in the module docs). The
/// discriminants index `Transaction::slots`, an array of exactly four, so `slots[s as usize]`
/// cannot go out of bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Slot {
    Retransmit = 0,
    Timeout = 1,
    Linger = 2,
    Trying = 3,
}

/// Where a client transaction came from: the TU hears about its own transactions only; the
/// ones the layer starts itself (CANCEL, PRACK, the BYE after a lost race) are silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Tu,
    Internal,
}

/// The CANCEL of an INVITE client transaction (RFC 3261 9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelState {
    NotAsked,
    /// Asked before any provisional response: sent when one arrives.
    Pending,
    Sent,
}

/// The key a server transaction is found by (RFC 3261 17.2.3). ACK is looked up as INVITE;
/// CANCEL has its own transaction, and finds its INVITE by looking up with INVITE.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    /// A branch with the magic cookie: branch, sent-by, method.
    Rfc3261 { branch: String, sent_by: String, method: Method },
    /// An RFC 2543 peer: Request-URI, From tag, Call-ID, CSeq number, top Via, method. The
    /// To tag is left out so an ACK (which carries ours) finds its INVITE; it is checked
    /// separately.
    Rfc2543 {
        request_uri: String,
        from_tag: String,
        call_id: String,
        cseq: u32,
        top_via: String,
        method: Method,
    },
}

impl ServerKey {
    /// The key of `request`, as the method `method` (the request's own, or INVITE for an ACK
    /// or for a CANCEL looking for its INVITE).
    pub(crate) fn of(request: &Request, via: &Via, method: Method) -> Result<Self, ParseError> {
        Ok(match via.rfc3261_branch() {
            Some(branch) => ServerKey::Rfc3261 {
                branch: branch.to_owned(),
                sent_by: format!("{}:{}", via.host, via.port.unwrap_or(0)).to_ascii_lowercase(),
                method,
            },
            None => ServerKey::Rfc2543 {
                request_uri: request.uri.to_string(),
                from_tag: request.headers.from()?.tag().unwrap_or_default().to_owned(),
                call_id: request.headers.call_id()?.to_owned(),
                cseq: request.headers.cseq()?.seq,
                top_via: via.to_string(),
                method,
            },
        })
    }

    pub(crate) fn is_rfc2543(&self) -> bool {
        matches!(self, ServerKey::Rfc2543 { .. })
    }
}

/// How the table finds a transaction again, kept so it can be removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum IndexKey {
    Server(ServerKey),
    /// Branch and CSeq method (17.1.3).
    Client(String, Method),
}

/// What a client transaction makes of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientVerdict {
    /// Pass it to the TU (and the dialog layer).
    Pass,
    /// A 2xx while Accepted: a retransmission or another fork's answer; the dialog layer
    /// decides (RFC 6026 7.2).
    PassAccepted2xx,
    /// A retransmission; nothing to pass up.
    Absorb,
}

/// What a timer firing asks of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Fired {
    Nothing,
    /// Send these bytes again.
    Retransmit,
    /// The server should send 100 Trying.
    SendTrying,
    /// Timer C: send a CANCEL for this INVITE now.
    CancelNow,
    /// The transaction ended; `timed_out` if without the response it waited for.
    Terminate {
        timed_out: bool,
    },
}

/// One transaction.
#[derive(Debug)]
pub(crate) struct Transaction {
    pub(crate) key: TransactionKey,
    pub(crate) kind: Kind,
    pub(crate) state: TransactionState,
    /// Client: where the request goes. Server: where responses go.
    pub(crate) peer: Peer,
    /// Server on TCP: where to open a connection if the original one closed.
    pub(crate) fallback: Option<SocketAddr>,
    /// Client: the request as sent. Server: as received, top Via stamped.
    pub(crate) request: Request,
    /// Client: the request's bytes, for retransmission. Server: the last response's bytes.
    pub(crate) wire: Vec<u8>,
    /// Server: the status of the last response sent.
    pub(crate) last_status: Option<u16>,
    /// INVITE client: the ACK for the non-2xx final response, resent on its retransmission.
    pub(crate) ack: Option<Vec<u8>>,
    /// The current retransmission interval (A, E, G double it).
    pub(crate) interval: Duration,
    pub(crate) slots: [Option<Instant>; 4],
    pub(crate) index: IndexKey,
    pub(crate) origin: Origin,
    /// The dialog an in-dialog request belongs to (client), or the dialog its 1xx/2xx
    /// created (INVITE server).
    pub(crate) dialog: Option<DialogId>,
    /// INVITE client: every dialog its responses created (forks).
    pub(crate) forks: Vec<DialogId>,
    /// INVITE client: the fork whose 2xx we kept.
    pub(crate) answered: Option<DialogId>,
    /// INVITE client: the ACKs sent for 2xx, by To tag, resent when the 2xx is retransmitted.
    pub(crate) acks: Vec<(String, Vec<u8>)>,
    pub(crate) cancel: CancelState,
    /// Server: our To tag for the responses that need one (8.2.6.2).
    pub(crate) local_tag: Option<String>,
}

impl Transaction {
    pub(crate) fn new(
        key: TransactionKey,
        kind: Kind,
        peer: Peer,
        request: Request,
        index: IndexKey,
        origin: Origin,
    ) -> Self {
        Transaction {
            key,
            kind,
            state: match kind {
                Kind::InviteClient => TransactionState::Calling,
                Kind::NonInviteClient | Kind::NonInviteServer => TransactionState::Trying,
                Kind::InviteServer => TransactionState::Proceeding,
            },
            peer,
            fallback: None,
            request,
            wire: Vec::new(),
            last_status: None,
            ack: None,
            interval: Duration::ZERO,
            slots: [None; 4],
            index,
            origin,
            dialog: None,
            forks: Vec::new(),
            answered: None,
            acks: Vec::new(),
            cancel: CancelState::NotAsked,
            local_tag: None,
        }
    }

    fn reliable(&self) -> bool {
        self.peer.transport.is_reliable()
    }

    pub(crate) fn set(
        &mut self,
        q: &mut TimerQueue<TimerOwner>,
        slot: Slot,
        deadline: Option<Instant>,
    ) {
        self.slots[slot as usize] = deadline;
        if let Some(d) = deadline {
            q.arm(d, TimerOwner::Transaction(self.key, slot));
        }
    }

    pub(crate) fn slot(&self, slot: Slot) -> Option<Instant> {
        self.slots[slot as usize]
    }

    fn clear_all(&mut self) {
        self.slots = [None; 4];
    }

    /// A client transaction starts: the request is sent (the caller sends `wire`) and the
    /// timers armed (A and B, or E and F).
    pub(crate) fn start_client(
        &mut self,
        now: Instant,
        cfg: &TimerConfig,
        q: &mut TimerQueue<TimerOwner>,
    ) {
        self.interval = cfg.t1;
        if !self.reliable() {
            self.set(q, Slot::Retransmit, Some(now + cfg.t1));
        }
        self.set(q, Slot::Timeout, Some(now + cfg.t1x64()));
    }

    /// An INVITE server transaction starts: 100 Trying is due in 200 ms unless the TU
    /// answers first (17.2.1).
    pub(crate) fn start_invite_server(&mut self, now: Instant, q: &mut TimerQueue<TimerOwner>) {
        self.set(q, Slot::Trying, Some(now + Duration::from_millis(200)));
    }

    /// A response arrives for this client transaction.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        status: u16,
        cfg: &TimerConfig,
        q: &mut TimerQueue<TimerOwner>,
    ) -> ClientVerdict {
        use TransactionState as S;
        let provisional = status < 200;
        let success = (200..300).contains(&status);
        match (self.kind, self.state) {
            (Kind::InviteClient, S::Calling | S::Proceeding) => {
                if provisional {
                    if self.state == S::Calling {
                        self.state = S::Proceeding;
                        self.set(q, Slot::Retransmit, None);
                    }
                    if self.cancel == CancelState::NotAsked {
                        // Timer C, refreshed by every provisional response.
                        self.set(q, Slot::Timeout, Some(now + cfg.timer_c));
                    } else if self.slot(Slot::Timeout).is_none() {
                        self.set(q, Slot::Timeout, Some(now + cfg.t1x64()));
                    }
                } else if success {
                    // RFC 6026 7.2: Accepted, timer M.
                    self.state = S::Accepted;
                    self.clear_all();
                    self.set(q, Slot::Linger, Some(now + cfg.t1x64()));
                } else {
                    self.state = S::Completed;
                    self.clear_all();
                    let d = if self.reliable() { Duration::ZERO } else { cfg.timer_d() };
                    self.set(q, Slot::Linger, Some(now + d));
                }
                ClientVerdict::Pass
            }
            (Kind::InviteClient, S::Accepted) if success => ClientVerdict::PassAccepted2xx,
            (Kind::NonInviteClient, S::Trying | S::Proceeding) => {
                if provisional {
                    self.state = S::Proceeding;
                } else {
                    self.state = S::Completed;
                    self.clear_all();
                    let k = if self.reliable() { Duration::ZERO } else { cfg.t4 };
                    self.set(q, Slot::Linger, Some(now + k));
                }
                ClientVerdict::Pass
            }
            _ => ClientVerdict::Absorb,
        }
    }

    /// The ACK for a non-2xx final response (17.1.1.3): the INVITE's Request-URI, Call-ID,
    /// From, CSeq number, top Via only and Route, with the response's To.
    pub(crate) fn build_non_2xx_ack(&self, response: &Response) -> Request {
        let invite = &self.request;
        let mut ack = Request::new(Method::Ack, invite.uri.clone());
        let h = &mut ack.headers;
        if let Some(via) = invite.headers.get(&HeaderName::VIA) {
            h.push(HeaderName::VIA, via);
        }
        h.push(HeaderName::MAX_FORWARDS, "70");
        for name in [HeaderName::FROM, HeaderName::CALL_ID] {
            if let Some(v) = invite.headers.get(&name) {
                h.push(name, v);
            }
        }
        if let Some(to) = response.headers.get(&HeaderName::TO) {
            h.push(HeaderName::TO, to);
        }
        if let Ok(cseq) = invite.headers.cseq() {
            h.push(HeaderName::CSEQ, CSeq { seq: cseq.seq, method: Method::Ack }.to_string());
        }
        for r in invite.headers.get_all(&HeaderName::ROUTE) {
            h.push(HeaderName::ROUTE, r);
        }
        ack
    }

    /// The CANCEL for this INVITE (9.1): same Request-URI, Call-ID, To, From, CSeq number,
    /// the single top Via (so its branch), and Route.
    pub(crate) fn build_cancel(&self) -> Request {
        let invite = &self.request;
        let mut cancel = Request::new(Method::Cancel, invite.uri.clone());
        let h = &mut cancel.headers;
        if let Some(via) = invite.headers.get(&HeaderName::VIA) {
            h.push(HeaderName::VIA, via);
        }
        h.push(HeaderName::MAX_FORWARDS, "70");
        for name in [HeaderName::FROM, HeaderName::TO, HeaderName::CALL_ID] {
            if let Some(v) = invite.headers.get(&name) {
                h.push(name, v);
            }
        }
        if let Ok(cseq) = invite.headers.cseq() {
            h.push(HeaderName::CSEQ, CSeq { seq: cseq.seq, method: Method::Cancel }.to_string());
        }
        for r in invite.headers.get_all(&HeaderName::ROUTE) {
            h.push(HeaderName::ROUTE, r);
        }
        cancel
    }

    /// The TU sends a response on this server transaction; `wire` is stored by the caller.
    pub(crate) fn on_tu_response(
        &mut self,
        now: Instant,
        status: u16,
        cfg: &TimerConfig,
        q: &mut TimerQueue<TimerOwner>,
    ) {
        use TransactionState as S;
        self.last_status = Some(status);
        self.set(q, Slot::Trying, None);
        match self.kind {
            Kind::InviteServer if status < 200 => {}
            Kind::InviteServer if status < 300 => {
                // RFC 6026 7.1: Accepted, timer L; the 2xx retransmissions are the UAS
                // core's (13.3.1.4), done by the dialog layer.
                self.state = S::Accepted;
                self.clear_all();
                self.set(q, Slot::Linger, Some(now + cfg.t1x64()));
            }
            Kind::InviteServer => {
                self.state = S::Completed;
                self.interval = cfg.t1;
                if !self.reliable() {
                    self.set(q, Slot::Retransmit, Some(now + cfg.t1));
                }
                self.set(q, Slot::Timeout, Some(now + cfg.t1x64()));
            }
            _ if status < 200 => self.state = S::Proceeding,
            _ => {
                self.state = S::Completed;
                let j = if self.reliable() { Duration::ZERO } else { cfg.t1x64() };
                self.set(q, Slot::Linger, Some(now + j));
            }
        }
    }

    /// An ACK matched this INVITE server transaction. Returns whether it is the ACK for a
    /// 2xx (Accepted state), which the dialog layer takes.
    pub(crate) fn on_ack(
        &mut self,
        now: Instant,
        cfg: &TimerConfig,
        q: &mut TimerQueue<TimerOwner>,
    ) -> bool {
        match self.state {
            TransactionState::Completed => {
                self.state = TransactionState::Confirmed;
                self.clear_all();
                let i = if self.reliable() { Duration::ZERO } else { cfg.t4 };
                self.set(q, Slot::Linger, Some(now + i));
                false
            }
            TransactionState::Accepted => true,
            _ => false,
        }
    }

    /// A retransmission of the request arrived at this server transaction: whether to send
    /// the last response again (17.2.1, 17.2.2; RFC 6026 absorbs INVITEs while Accepted).
    pub(crate) fn replays_on_retransmission(&self) -> bool {
        use TransactionState as S;
        !self.wire.is_empty()
            && match self.kind {
                Kind::InviteServer => matches!(self.state, S::Proceeding | S::Completed),
                Kind::NonInviteServer => matches!(self.state, S::Proceeding | S::Completed),
                _ => false,
            }
    }

    /// A timer of this transaction fired.
    pub(crate) fn on_timer(
        &mut self,
        now: Instant,
        slot: Slot,
        cfg: &TimerConfig,
        q: &mut TimerQueue<TimerOwner>,
    ) -> Fired {
        use TransactionState as S;
        self.slots[slot as usize] = None;
        match (self.kind, slot) {
            (_, Slot::Linger) => Fired::Terminate { timed_out: false },
            (Kind::InviteClient, Slot::Retransmit) if self.state == S::Calling => {
                // Timer A doubles without a cap; B ends it.
                self.interval = self.interval.saturating_mul(2);
                self.set(q, Slot::Retransmit, Some(now + self.interval));
                Fired::Retransmit
            }
            (Kind::InviteClient, Slot::Timeout) => {
                if self.state == S::Proceeding && self.cancel == CancelState::NotAsked {
                    // Timer C: give up on the callee ourselves.
                    self.set(q, Slot::Timeout, Some(now + cfg.t1x64()));
                    Fired::CancelNow
                } else {
                    Fired::Terminate { timed_out: true }
                }
            }
            (Kind::NonInviteClient, Slot::Retransmit) => {
                // Timer E: doubles up to T2; in Proceeding it is T2 straight away.
                self.interval = if self.state == S::Proceeding {
                    cfg.t2
                } else {
                    self.interval.saturating_mul(2).min(cfg.t2)
                };
                self.set(q, Slot::Retransmit, Some(now + self.interval));
                Fired::Retransmit
            }
            (Kind::NonInviteClient, Slot::Timeout) => Fired::Terminate { timed_out: true },
            (Kind::InviteServer, Slot::Retransmit) if self.state == S::Completed => {
                // Timer G: doubles up to T2 until the ACK or H.
                self.interval = self.interval.saturating_mul(2).min(cfg.t2);
                self.set(q, Slot::Retransmit, Some(now + self.interval));
                Fired::Retransmit
            }
            (Kind::InviteServer, Slot::Timeout) if self.state == S::Completed => {
                Fired::Terminate { timed_out: true }
            }
            (Kind::InviteServer, Slot::Trying)
                if self.state == S::Proceeding && self.last_status.is_none() =>
            {
                Fired::SendTrying
            }
            _ => Fired::Nothing,
        }
    }
}
