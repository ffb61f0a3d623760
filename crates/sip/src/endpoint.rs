//! The SIP endpoint: the transaction layer and the dialog layer of one user agent (or B2BUA)
//! behind a sans-IO interface.
//!
//! Inputs: `handle_message` (a parsed message and the transport it came over),
//! `handle_timeout`, `handle_transport_error`, and the TU's calls (`send_request`, `respond`,
//! `cancel`, `ack`, `bye`, `send_in_dialog`). Outputs: `poll_transmit` (bytes and where to
//! send them), `poll_event` (what the TU must know), `poll_timeout` (when to call
//! `handle_timeout` next). The endpoint never reads the clock and draws no randomness: ids
//! (branches, tags, Call-IDs) come from a keyed hash of a counter, the key given in `Config`.
//!
//! What the layer does by itself, so the TU cannot get it wrong:
//! - retransmissions and timers of all four transactions, 100 Trying after 200 ms, the ACK
//!   for a non-2xx final response, answering retransmitted requests with the last response;
//! - the ACK for a 2xx (and again for each retransmitted 2xx) when the INVITE carried a body
//!   (otherwise the TU sends it with its answer through `ack`);
//! - a 2xx that arrives after `cancel` (the 200 crossed our CANCEL), and a 2xx from a second
//!   fork once one has answered: ACK, then BYE (`ForkPolicy` chooses for the second case);
//! - CANCEL: 200 to the CANCEL, 487 to its INVITE; 481 to a CANCEL or in-dialog request
//!   that matches nothing; 500 to an in-dialog request with a lower CSeq; 200 to BYE;
//!   420 to a Require we do not support; 400 to a request that fails `Request::check`;
//! - 100rel (RFC 3262): PRACK for each reliable provisional response received; our
//!   provisional responses made reliable when the INVITE requires it, retransmitted until
//!   PRACK, and PRACK answered;
//! - the 2xx of a UAS retransmitted until the ACK, and a BYE if no ACK comes (13.3.1.4).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::dialog::{Dialog, DialogError, DialogKey, DialogState, Role};
use crate::error::ParseError;
use crate::header::HeaderName;
use crate::message::{Message, Request, Response};
use crate::method::Method;
use crate::timer::{TimerConfig, TimerQueue};
use crate::transaction::{
    CancelState, ClientVerdict, Fired, IndexKey, Kind, Origin, ServerKey, Slot, Transaction,
    TransactionState,
};
use crate::transport::{Peer, Transmit, response_destination, stamp_via};
use crate::typed::{MAGIC_COOKIE, Via};
use crate::uri::Host;

/// A transaction, as the TU names it. Never reused within one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionKey(u64);

/// A dialog, as the TU names it. Never reused within one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DialogId(u64);

/// Which timer of a dialog: the UAS's 2xx and reliable provisional retransmissions. The
/// discriminants index `DialogEntry::slots`, an array of exactly four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum DialogSlot {
    Retransmit2xx = 0,
    GiveUp2xx = 1,
    Retransmit1xx = 2,
    GiveUp1xx = 3,
}

/// Whose timer a queue entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerOwner {
    Transaction(TransactionKey, Slot),
    Dialog(DialogId, DialogSlot),
}

/// What to do with a 2xx from a second fork of an INVITE that another fork already
/// answered (RFC 3261 13.2.2.4 leaves it to the UAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForkPolicy {
    /// ACK it and send BYE at once; the TU gets `DialogTerminated { reason: ExtraFork }`.
    #[default]
    ByeExtraAnswers,
    /// ACK it (with the rules of the first) and report it as a `Response` with its own
    /// dialog; the TU decides.
    KeepAll,
}

/// How the endpoint is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// T1, T2, T4 and timer C.
    pub timers: TimerConfig,
    /// Key of the id generator (branches, tags, Call-IDs, RSeq): fill it from the OS's
    /// random source. Ids are a hash of the key and a counter, so they are unique and, to
    /// anyone without the key, unpredictable.
    pub secret: [u8; 32],
    /// The Via sent-by of our requests; `None` uses the local address of the socket.
    pub sent_by: Option<(Host, Option<u16>)>,
    /// The option tags we support: a request that requires another gets 420. Listing
    /// `100rel` also advertises it (`Supported`) in our INVITEs.
    pub supported: Vec<String>,
    /// What to do with a second fork's 2xx.
    pub fork_policy: ForkPolicy,
    /// A User-Agent for our requests, if any.
    pub user_agent: Option<String>,
}

impl Config {
    /// Defaults (RFC timers, 100rel supported, extra forks BYEd) with this id key.
    pub fn new(secret: [u8; 32]) -> Config {
        Config {
            timers: TimerConfig::default(),
            secret,
            sent_by: None,
            supported: vec!["100rel".to_owned()],
            fork_policy: ForkPolicy::default(),
            user_agent: None,
        }
    }
}

/// Why a client transaction ended without its final response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionError {
    /// Timer B or F (no final response), timer C then 64*T1 after our CANCEL, or, for an
    /// INVITE server transaction, timer H (no ACK). The B2BUA treats it as 408.
    Timeout,
    /// The binary could not send (`handle_transport_error`). Treat as 503.
    Transport,
}

/// Why a dialog ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogEnd {
    /// The peer sent BYE (already answered with 200); here it is, for its Reason header.
    ByeReceived(Box<Request>),
    /// We sent BYE (`bye`).
    ByeSent,
    /// A non-2xx final response to the INVITE ended this early dialog.
    Rejected(u16),
    /// The INVITE transaction ended while this dialog was still early (another fork
    /// answered, or it timed out).
    InviteEnded,
    /// This fork answered after another one had: it was ACKed and BYEd.
    ExtraFork,
    /// It answered after we had sent CANCEL: it was ACKed and BYEd.
    AnsweredAfterCancel,
    /// We answered 2xx and no ACK came in 64*T1: BYE sent (RFC 3261 13.3.1.4).
    AckTimeout,
    /// A reliable provisional response got no PRACK in 64*T1: the INVITE was answered 500
    /// (RFC 3262 3).
    PrackTimeout,
    /// An in-dialog request got 481 or 408, or timed out (RFC 3261 12.2.1.2).
    RequestFailed(u16),
}

/// What the TU learns from `poll_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A new request (a new server transaction): answer it with `respond(key, ...)`. Its top
    /// Via carries `received`/`rport`. `dialog` is set for a request inside a dialog.
    Request {
        /// The server transaction.
        key: TransactionKey,
        /// The request.
        request: Request,
        /// Where it came from (for a registrar's binding, an allowlist).
        peer: Peer,
        /// The dialog it belongs to.
        dialog: Option<DialogId>,
    },
    /// A response to a request the TU sent. Retransmissions are not repeated. `dialog` is
    /// the dialog it created or belongs to (an early one for a 1xx with a To tag).
    Response {
        /// The client transaction.
        key: TransactionKey,
        /// The response.
        response: Response,
        /// The dialog.
        dialog: Option<DialogId>,
    },
    /// A transaction ended without the response it waited for.
    TransactionFailed {
        /// The transaction.
        key: TransactionKey,
        /// Why.
        error: TransactionError,
    },
    /// The peer cancelled this INVITE: 200 went to the CANCEL and 487 to the INVITE.
    Cancelled {
        /// The INVITE's server transaction.
        key: TransactionKey,
    },
    /// The ACK for our 2xx arrived (it may carry the SDP answer).
    Ack {
        /// The dialog.
        dialog: DialogId,
        /// The ACK.
        request: Request,
    },
    /// A PRACK acknowledged our reliable provisional response (already answered 200).
    Prack {
        /// The dialog.
        dialog: DialogId,
        /// The PRACK (it may carry SDP).
        request: Request,
    },
    /// The dialog is over; its id is no longer valid.
    DialogTerminated {
        /// The dialog.
        dialog: DialogId,
        /// Why.
        reason: DialogEnd,
    },
}

/// Why the endpoint refused a call from the TU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The request or response lacks a header the layer needs, or has a malformed one.
    #[error("invalid message: {0}")]
    Invalid(#[from] ParseError),
    /// ACK and CANCEL are sent by the layer (`ack`, `cancel`), not through `send_request`.
    #[error("ACK and CANCEL are sent with ack() and cancel()")]
    AckOrCancel,
    /// No such transaction (it ended, or never was).
    #[error("no such transaction")]
    UnknownTransaction,
    /// The call needs another kind of transaction (a server one to respond, an INVITE
    /// client one to cancel).
    #[error("wrong kind of transaction")]
    WrongTransaction,
    /// The transaction already has its final response.
    #[error("the transaction already has a final response")]
    AlreadyFinal,
    /// The status code is outside 100..=699.
    #[error("status code out of range")]
    BadStatus,
    /// A 2xx to an INVITE must carry a Contact (RFC 3261 12.1.1).
    #[error("a 2xx to INVITE needs a Contact")]
    MissingContact,
    /// No such dialog (it ended, or never was).
    #[error("no such dialog")]
    UnknownDialog,
    /// `ack` was called but no 2xx is waiting for the TU's ACK.
    #[error("no 2xx waits for an ACK")]
    NoAckPending,
    /// The dialog refused (terminated, ...).
    #[error(transparent)]
    Dialog(#[from] DialogError),
}

/// Ids from a keyed hash of a counter.
#[derive(Debug)]
struct Ids {
    secret: [u8; 32],
    counter: u64,
}

impl Ids {
    fn next(&mut self) -> [u8; 32] {
        self.counter += 1;
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(self.counter.to_be_bytes());
        h.finalize().into()
    }

    fn token(&mut self) -> String {
        hex::encode(self.next().get(..12).unwrap_or_default())
    }

    fn rseq(&mut self) -> u32 {
        let b = self.next();
        // RFC 3262 3: start between 1 and 2^31-1, leaving room to count up without wrapping.
        (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) & 0x3fff_ffff).max(1)
    }
}

/// The UAS's 2xx, retransmitted until the ACK.
#[derive(Debug)]
struct Pending2xx {
    cseq: u32,
    wire: Vec<u8>,
}

/// A reliable provisional response waiting for its PRACK.
#[derive(Debug)]
struct Unacked {
    rseq: u32,
    cseq: u32,
    wire: Vec<u8>,
}

/// A dialog and what the endpoint keeps beside it.
#[derive(Debug)]
struct DialogEntry {
    dialog: Dialog,
    /// Where in-dialog requests go, and responses to the INVITE: the address the dialog was
    /// learned from (symmetric signalling, which NATed phones need).
    peer: Peer,
    fallback: Option<SocketAddr>,
    /// The INVITE transaction that created it (client for a UAC, server for a UAS).
    invite: Option<TransactionKey>,
    /// UAC: the CSeq of an INVITE whose 2xx waits for the TU's `ack` (no offer in it).
    ack_due: Option<u32>,
    /// UAC: the last ACK for a 2xx, resent if that 2xx is retransmitted.
    last_ack: Option<(u32, Vec<u8>)>,
    /// UAS: the 2xx not yet ACKed.
    pending_2xx: Option<Pending2xx>,
    interval_2xx: Duration,
    /// UAS: the TU asked for BYE before the ACK; sent when it comes (15).
    bye_after_ack: bool,
    /// UAS: the INVITE required 100rel, so our provisional responses are reliable.
    reliable: bool,
    next_rseq: u32,
    unacked: Option<Unacked>,
    /// (RSeq, CSeq) of a reliable provisional response that our final response overtook: its
    /// late PRACK still gets 200, not a 481 the peer could take for a dead dialog.
    overtaken: Option<(u32, u32)>,
    interval_1xx: Duration,
    /// Reliable provisional responses waiting for the previous one's PRACK (RFC 3262 3).
    queued: VecDeque<Response>,
    slots: [Option<Instant>; 4],
}

impl DialogEntry {
    fn new(dialog: Dialog, peer: Peer, fallback: Option<SocketAddr>) -> Self {
        DialogEntry {
            dialog,
            peer,
            fallback,
            invite: None,
            ack_due: None,
            last_ack: None,
            pending_2xx: None,
            interval_2xx: Duration::ZERO,
            bye_after_ack: false,
            reliable: false,
            next_rseq: 0,
            unacked: None,
            overtaken: None,
            interval_1xx: Duration::ZERO,
            queued: VecDeque::new(),
            slots: [None; 4],
        }
    }

    fn set(
        &mut self,
        q: &mut TimerQueue<TimerOwner>,
        id: DialogId,
        slot: DialogSlot,
        at: Option<Instant>,
    ) {
        self.slots[slot as usize] = at;
        if let Some(at) = at {
            q.arm(at, TimerOwner::Dialog(id, slot));
        }
    }
}

/// A SIP user agent's transaction and dialog layers. See the module docs.
#[derive(Debug)]
pub struct Endpoint {
    config: Config,
    ids: Ids,
    next_id: u64,
    transactions: HashMap<TransactionKey, Transaction>,
    server_index: HashMap<ServerKey, TransactionKey>,
    client_index: HashMap<(String, Method), TransactionKey>,
    dialogs: HashMap<DialogId, DialogEntry>,
    dialog_index: HashMap<DialogKey, DialogId>,
    timers: TimerQueue<TimerOwner>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

fn requires_100rel(headers: &crate::Headers) -> bool {
    headers.require().is_ok_and(|r| r.iter().any(|t| t.eq_ignore_ascii_case("100rel")))
}

impl Endpoint {
    /// A new endpoint.
    pub fn new(mut config: Config) -> Endpoint {
        // A zero T1 would re-arm timer A at the instant it fires, forever.
        config.timers.t1 = config.timers.t1.max(Duration::from_millis(1));
        config.timers.t2 = config.timers.t2.max(config.timers.t1);
        let ids = Ids { secret: config.secret, counter: 0 };
        Endpoint {
            config,
            ids,
            next_id: 0,
            transactions: HashMap::new(),
            server_index: HashMap::new(),
            client_index: HashMap::new(),
            dialogs: HashMap::new(),
            dialog_index: HashMap::new(),
            timers: TimerQueue::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// A fresh tag for a From header.
    pub fn new_tag(&mut self) -> String {
        self.ids.token()
    }

    /// A fresh Call-ID.
    pub fn new_call_id(&mut self) -> String {
        self.ids.token()
    }

    /// A fresh RFC 3261 branch.
    pub fn new_branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{}", self.ids.token())
    }

    /// How many transactions are alive.
    pub fn transaction_count(&self) -> usize {
        self.transactions.len()
    }

    /// How many dialogs are alive.
    pub fn dialog_count(&self) -> usize {
        self.dialogs.len()
    }

    /// Entries in the timer queue, stale ones included (a health metric: it shrinks as the
    /// clock passes them).
    pub fn timer_queue_len(&self) -> usize {
        self.timers.len()
    }

    /// The state of a transaction, if it is alive.
    pub fn transaction_state(&self, key: TransactionKey) -> Option<TransactionState> {
        self.transactions.get(&key).map(|t| t.state)
    }

    /// The request of a transaction (a server transaction's, as received), to build a
    /// response from.
    pub fn request(&self, key: TransactionKey) -> Option<&Request> {
        self.transactions.get(&key).map(|t| &t.request)
    }

    /// A dialog.
    pub fn dialog(&self, id: DialogId) -> Option<&Dialog> {
        self.dialogs.get(&id).map(|e| &e.dialog)
    }

    /// Where in-dialog requests of this dialog go by default.
    pub fn dialog_peer(&self, id: DialogId) -> Option<Peer> {
        self.dialogs.get(&id).map(|e| e.peer)
    }

    fn key(&mut self) -> TransactionKey {
        self.next_id += 1;
        TransactionKey(self.next_id)
    }

    fn dialog_id(&mut self) -> DialogId {
        self.next_id += 1;
        DialogId(self.next_id)
    }

    fn send(
        &mut self,
        to: Peer,
        fallback: Option<SocketAddr>,
        bytes: Vec<u8>,
        transaction: Option<TransactionKey>,
    ) {
        self.transmits.push_back(Transmit { to, fallback, bytes, transaction });
    }

    // ---- Outputs -------------------------------------------------------------------------

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When `handle_timeout` must be called next; `None` if no timer is pending.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let (txs, dialogs) = (&self.transactions, &self.dialogs);
        self.timers.next(|owner, at| match owner {
            TimerOwner::Transaction(k, s) => txs.get(&k).is_some_and(|t| t.slot(s) == Some(at)),
            TimerOwner::Dialog(id, s) => {
                dialogs.get(&id).is_some_and(|e| e.slots[s as usize] == Some(at))
            }
        })
    }

    // ---- Inputs from the network -----------------------------------------------------------

    /// A message arrived from `from`. Whatever it holds, this never panics; what cannot be
    /// matched or answered is dropped.
    pub fn handle_message(&mut self, now: Instant, message: Message, from: Peer) {
        match message {
            Message::Request(r) => self.handle_request(now, r, from),
            Message::Response(r) => self.handle_response(now, r),
        }
    }

    /// The binary could not deliver a message of this transaction (connection refused or
    /// closed with no fallback, ICMP unreachable): the transaction ends (RFC 3261 17.1.4).
    /// The TU hears of it (`TransactionFailed`) only if the transaction was still waiting
    /// for its final response.
    pub fn handle_transport_error(&mut self, _now: Instant, key: TransactionKey) {
        let waiting = self.transactions.get(&key).is_some_and(|t| {
            t.kind.is_client()
                && matches!(
                    t.state,
                    TransactionState::Calling
                        | TransactionState::Trying
                        | TransactionState::Proceeding
                )
        });
        self.terminate(key, waiting.then_some(TransactionError::Transport));
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        let cfg = self.config.timers;
        while let Some((at, owner)) = self.timers.pop_due(now) {
            match owner {
                TimerOwner::Transaction(key, slot) => {
                    let Some(tx) = self.transactions.get_mut(&key) else { continue };
                    if tx.slot(slot) != Some(at) {
                        continue;
                    }
                    match tx.on_timer(now, slot, &cfg, &mut self.timers) {
                        Fired::Nothing => {}
                        Fired::Retransmit => {
                            let (to, fb, bytes) = (tx.peer, tx.fallback, tx.wire.clone());
                            self.send(to, fb, bytes, Some(key));
                        }
                        Fired::SendTrying => {
                            let mut trying = Response::for_request(&tx.request, 100, "Trying");
                            if let Some(ts) = tx.request.headers.get(&HeaderName::TIMESTAMP) {
                                trying.headers.push(HeaderName::TIMESTAMP, ts);
                            }
                            let _ = self.respond(now, key, trying);
                        }
                        Fired::CancelNow => self.send_cancel(now, key),
                        Fired::Terminate { timed_out } => {
                            let error = timed_out.then_some(TransactionError::Timeout);
                            self.terminate(key, error);
                        }
                    }
                }
                TimerOwner::Dialog(id, slot) => {
                    let Some(e) = self.dialogs.get_mut(&id) else { continue };
                    if e.slots[slot as usize] != Some(at) {
                        continue;
                    }
                    e.slots[slot as usize] = None;
                    self.dialog_timer(now, id, slot);
                }
            }
        }
    }

    fn dialog_timer(&mut self, now: Instant, id: DialogId, slot: DialogSlot) {
        let cfg = self.config.timers;
        let Some(e) = self.dialogs.get_mut(&id) else { return };
        match slot {
            DialogSlot::Retransmit2xx => {
                if let Some(p) = &e.pending_2xx {
                    let bytes = p.wire.clone();
                    e.interval_2xx = e.interval_2xx.saturating_mul(2).min(cfg.t2);
                    let next = now + e.interval_2xx;
                    e.set(&mut self.timers, id, DialogSlot::Retransmit2xx, Some(next));
                    let (to, fb, invite) = (e.peer, e.fallback, e.invite);
                    self.send(to, fb, bytes, invite);
                }
            }
            DialogSlot::GiveUp2xx => {
                if e.pending_2xx.take().is_some() {
                    e.set(&mut self.timers, id, DialogSlot::Retransmit2xx, None);
                    self.internal_bye(now, id);
                    self.end_dialog(id, DialogEnd::AckTimeout);
                }
            }
            DialogSlot::Retransmit1xx => {
                if let Some(u) = &e.unacked {
                    let bytes = u.wire.clone();
                    e.interval_1xx = e.interval_1xx.saturating_mul(2);
                    let next = now + e.interval_1xx;
                    e.set(&mut self.timers, id, DialogSlot::Retransmit1xx, Some(next));
                    let (to, fb, invite) = (e.peer, e.fallback, e.invite);
                    self.send(to, fb, bytes, invite);
                }
            }
            DialogSlot::GiveUp1xx => {
                if e.unacked.take().is_some() {
                    e.set(&mut self.timers, id, DialogSlot::Retransmit1xx, None);
                    let invite = e.invite;
                    self.end_dialog(id, DialogEnd::PrackTimeout);
                    if let Some(key) = invite {
                        self.reply(now, key, 500, "Reliable Provisional Response Not Acknowledged");
                    }
                }
            }
        }
    }

    // ---- Requests from the network ---------------------------------------------------------

    fn handle_request(&mut self, now: Instant, mut request: Request, from: Peer) {
        // Without a Via there is nowhere to answer.
        let Ok(original_via) = request.headers.top_via() else { return };
        let mut via = original_via.clone();
        stamp_via(&mut via, from.remote);
        request.headers.set_top_via(&via);
        let (reply_to, fallback) = response_destination(&from, &via);
        if let Err(e) = request.check() {
            if request.method != Method::Ack {
                let mut response =
                    Response::for_request(&request, e.status_code(), &e.reason_phrase());
                self.stateless_tag(&mut response);
                self.send(reply_to, fallback, response.to_bytes(), None);
            }
            return;
        }
        let is_ack = request.method == Method::Ack;
        let method = if is_ack { Method::Invite } else { request.method.clone() };
        let Ok(server_key) = ServerKey::of(&request, &original_via, method) else { return };
        if is_ack {
            self.handle_ack(now, request, &server_key);
            return;
        }
        if let Some(&key) = self.server_index.get(&server_key) {
            if let Some(tx) = self.transactions.get(&key)
                && tx.replays_on_retransmission()
            {
                let (to, fb, bytes) = (tx.peer, tx.fallback, tx.wire.clone());
                self.send(to, fb, bytes, Some(key));
            }
            return;
        }
        let kind = if request.method == Method::Invite {
            Kind::InviteServer
        } else {
            Kind::NonInviteServer
        };
        let key = self.key();
        let mut tx = Transaction::new(
            key,
            kind,
            reply_to,
            request.clone(),
            IndexKey::Server(server_key.clone()),
            Origin::Tu,
        );
        tx.fallback = fallback;
        if kind == Kind::InviteServer {
            tx.start_invite_server(now, &mut self.timers);
        }
        self.server_index.insert(server_key, key);
        self.transactions.insert(key, tx);

        if request.method == Method::Cancel {
            self.handle_cancel(now, key, &request, &original_via);
            return;
        }
        let unsupported: Vec<String> = request
            .headers
            .require()
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !self.config.supported.iter().any(|s| s.eq_ignore_ascii_case(t)))
            .collect();
        if !unsupported.is_empty() {
            if let Some(tx) = self.transactions.get(&key) {
                let mut r = Response::for_request(&tx.request, 420, "Bad Extension");
                r.headers.push(HeaderName::UNSUPPORTED, unsupported.join(", "));
                let _ = self.respond(now, key, r);
            }
            return;
        }
        match DialogKey::of_request(&request) {
            Ok(Some(dk)) => self.handle_in_dialog(now, key, request, &dk, from),
            Ok(None) => {
                let no_contact = request.method == Method::Invite
                    && !request.headers.contacts().is_ok_and(|c| !c.is_empty());
                if no_contact {
                    self.reply(now, key, 400, "Bad Request (missing Contact)");
                } else {
                    self.events.push_back(Event::Request {
                        key,
                        request,
                        peer: from,
                        dialog: None,
                    });
                }
            }
            Err(_) => self.reply(now, key, 400, "Bad Request"),
        }
    }

    /// A To tag for a response sent without a transaction.
    fn stateless_tag(&mut self, response: &mut Response) {
        if let Ok(mut to) = response.headers.to()
            && to.tag().is_none()
        {
            to.set_tag(&self.ids.token());
            response.headers.set(HeaderName::TO, to.to_string());
        }
    }

    /// Sends a response built from the transaction's request.
    fn reply(&mut self, now: Instant, key: TransactionKey, status: u16, reason: &str) {
        let Some(tx) = self.transactions.get(&key) else { return };
        let response = Response::for_request(&tx.request, status, reason);
        let _ = self.respond(now, key, response);
    }

    fn handle_ack(&mut self, now: Instant, request: Request, server_key: &ServerKey) {
        let cfg = self.config.timers;
        if let Some(&key) = self.server_index.get(server_key)
            && let Some(tx) = self.transactions.get_mut(&key)
        {
            if server_key.is_rfc2543() {
                // RFC 2543 matching left the To tag out; the ACK's must be the one we sent.
                let to_tag = request.headers.to().ok().and_then(|t| t.tag().map(str::to_owned));
                if tx.local_tag.is_some() && to_tag != tx.local_tag {
                    return;
                }
            }
            if !tx.on_ack(now, &cfg, &mut self.timers) {
                return;
            }
        }
        // The ACK for a 2xx: its own branch, so no transaction; the dialog takes it.
        let Ok(Some(dk)) = DialogKey::of_request(&request) else { return };
        let Some(&id) = self.dialog_index.get(&dk) else { return };
        let Ok(cseq) = request.headers.cseq() else { return };
        let Some(e) = self.dialogs.get_mut(&id) else { return };
        if e.pending_2xx.as_ref().is_none_or(|p| p.cseq != cseq.seq) {
            return; // A retransmitted ACK, or one for nothing we sent.
        }
        e.pending_2xx = None;
        e.set(&mut self.timers, id, DialogSlot::Retransmit2xx, None);
        e.set(&mut self.timers, id, DialogSlot::GiveUp2xx, None);
        if e.bye_after_ack {
            // The TU hung up before the ACK came: now the BYE may go (15).
            self.internal_bye(now, id);
            self.end_dialog(id, DialogEnd::ByeSent);
        } else {
            self.events.push_back(Event::Ack { dialog: id, request });
        }
    }

    fn handle_cancel(&mut self, now: Instant, key: TransactionKey, cancel: &Request, via: &Via) {
        let invite = ServerKey::of(cancel, via, Method::Invite)
            .ok()
            .and_then(|k| self.server_index.get(&k).copied())
            .filter(|k| self.transactions.get(k).is_some_and(|t| t.kind == Kind::InviteServer));
        let Some(invite) = invite else {
            self.reply(now, key, 481, "Call/Transaction Does Not Exist");
            return;
        };
        self.reply(now, key, 200, "OK");
        let pending =
            self.transactions.get(&invite).is_some_and(|t| t.last_status.is_none_or(|s| s < 200));
        if pending {
            self.reply(now, invite, 487, "Request Terminated");
            self.events.push_back(Event::Cancelled { key: invite });
        }
    }

    fn handle_in_dialog(
        &mut self,
        now: Instant,
        key: TransactionKey,
        request: Request,
        dk: &DialogKey,
        from: Peer,
    ) {
        let Some(&id) = self.dialog_index.get(dk) else {
            self.reply(now, key, 481, "Call/Transaction Does Not Exist");
            return;
        };
        let Some(e) = self.dialogs.get_mut(&id) else { return };
        if let Err(err) = e.dialog.receive_request(&request) {
            let reason =
                if err.status_code() == 500 { "Server Internal Error" } else { "Bad Request" };
            self.reply(now, key, err.status_code(), reason);
            return;
        }
        let invite = e.invite;
        if let Some(tx) = self.transactions.get_mut(&key) {
            tx.dialog = Some(id);
        }
        match request.method {
            Method::Bye => {
                self.reply(now, key, 200, "OK");
                self.end_dialog(id, DialogEnd::ByeReceived(Box::new(request)));
                // A BYE on an early dialog we are still ringing: the INVITE gets 487 (15.1.2).
                if let Some(invite) = invite
                    && self.transactions.get(&invite).is_some_and(|t| {
                        t.kind == Kind::InviteServer && t.last_status.is_none_or(|s| s < 200)
                    })
                {
                    self.reply(now, invite, 487, "Request Terminated");
                }
            }
            Method::Prack => self.handle_prack(now, key, id, request),
            _ => {
                self.events.push_back(Event::Request {
                    key,
                    request,
                    peer: from,
                    dialog: Some(id),
                });
            }
        }
    }

    fn handle_prack(&mut self, now: Instant, key: TransactionKey, id: DialogId, request: Request) {
        let rack = request.headers.rack().ok().flatten();
        let Some(e) = self.dialogs.get_mut(&id) else { return };
        let Some(rack) = rack.filter(|r| r.method == Method::Invite) else {
            self.reply(now, key, 481, "Call/Transaction Does Not Exist");
            return;
        };
        if e.overtaken == Some((rack.rseq, rack.cseq)) {
            e.overtaken = None;
            self.reply(now, key, 200, "OK");
            self.events.push_back(Event::Prack { dialog: id, request });
            return;
        }
        if !e.unacked.as_ref().is_some_and(|u| u.rseq == rack.rseq && u.cseq == rack.cseq) {
            self.reply(now, key, 481, "Call/Transaction Does Not Exist");
            return;
        }
        e.unacked = None;
        e.set(&mut self.timers, id, DialogSlot::Retransmit1xx, None);
        e.set(&mut self.timers, id, DialogSlot::GiveUp1xx, None);
        let next = e.queued.pop_front();
        let invite = e.invite;
        self.reply(now, key, 200, "OK");
        self.events.push_back(Event::Prack { dialog: id, request });
        if let (Some(next), Some(invite)) = (next, invite) {
            self.send_reliable(now, id, invite, next);
        }
    }

    // ---- Responses from the network --------------------------------------------------------

    fn handle_response(&mut self, now: Instant, response: Response) {
        let cfg = self.config.timers;
        if response.check().is_err() {
            return;
        }
        let (Ok(via), Ok(cseq)) = (response.headers.top_via(), response.headers.cseq()) else {
            return;
        };
        let Some(branch) = via.branch() else { return };
        let Some(&key) = self.client_index.get(&(branch.to_owned(), cseq.method.clone())) else {
            self.stray_response(response);
            return;
        };
        let Some(tx) = self.transactions.get_mut(&key) else { return };
        let before = tx.state;
        let verdict = tx.on_response(now, response.status, &cfg, &mut self.timers);
        match (tx.kind, verdict) {
            (Kind::InviteClient, ClientVerdict::Absorb)
                if before == TransactionState::Completed && response.status >= 300 =>
            {
                // The final response again: our ACK was lost (17.1.1.2).
                if let Some(ack) = tx.ack.clone() {
                    let to = tx.peer;
                    self.send(to, None, ack, Some(key));
                }
            }
            (Kind::InviteClient, ClientVerdict::Pass) if response.status >= 300 => {
                self.invite_rejected(key, response);
            }
            (Kind::InviteClient, ClientVerdict::Pass) if response.status >= 200 => {
                self.invite_2xx(now, key, response);
            }
            (Kind::InviteClient, ClientVerdict::Pass) => {
                self.invite_provisional(now, key, response);
            }
            (Kind::InviteClient, ClientVerdict::PassAccepted2xx) => {
                self.invite_2xx(now, key, response);
            }
            (_, ClientVerdict::Pass) => self.non_invite_response(key, response),
            _ => {}
        }
    }

    /// A response that matches no transaction: a retransmitted 2xx after timer M (resend
    /// our ACK if the dialog still knows it); anything else is dropped (17.1.3).
    fn stray_response(&mut self, response: Response) {
        if !response.is_success() {
            return;
        }
        let (Ok(cseq), Ok(Some(dk))) = (response.headers.cseq(), DialogKey::of_response(&response))
        else {
            return;
        };
        if cseq.method != Method::Invite {
            return;
        }
        let Some(e) = self.dialog_index.get(&dk).and_then(|id| self.dialogs.get(id)) else {
            return;
        };
        if let Some((seq, ack)) = &e.last_ack
            && *seq == cseq.seq
        {
            let (to, bytes) = (e.peer, ack.clone());
            self.send(to, None, bytes, None);
        }
    }

    fn invite_provisional(&mut self, now: Instant, key: TransactionKey, response: Response) {
        let Some(tx) = self.transactions.get(&key) else { return };
        if tx.cancel == CancelState::Pending {
            self.send_cancel(now, key);
        }
        let mut dialog = None;
        let mut pass = true;
        if response.status > 100
            && let Ok(Some(dk)) = DialogKey::of_response(&response)
            && let Some(id) = self.uac_dialog(key, &dk, &response)
        {
            dialog = Some(id);
            if requires_100rel(&response.headers)
                && let Some(e) = self.dialogs.get_mut(&id)
            {
                match e.dialog.create_prack(&response) {
                    Ok(Some(prack)) => {
                        let peer = e.peer;
                        self.start_client(now, prack, peer, Origin::Internal, Some(id));
                    }
                    // A retransmission, or out of order: not for the TU (RFC 3262 4).
                    Ok(None) => pass = false,
                    // Require: 100rel without RSeq: an ordinary provisional response.
                    Err(_) => {}
                }
            }
        }
        if pass && self.transactions.get(&key).is_some_and(|t| t.origin == Origin::Tu) {
            self.events.push_back(Event::Response { key, response, dialog });
        }
    }

    /// The dialog a 1xx/2xx to our INVITE belongs to: the re-INVITE's own dialog, a known
    /// fork, or a new one.
    fn uac_dialog(
        &mut self,
        key: TransactionKey,
        dk: &DialogKey,
        response: &Response,
    ) -> Option<DialogId> {
        let tx = self.transactions.get(&key)?;
        let existing = tx.dialog.or_else(|| self.dialog_index.get(dk).copied());
        if let Some(id) = existing {
            let e = self.dialogs.get_mut(&id)?;
            e.dialog.receive_response(&Method::Invite, response);
            return Some(id);
        }
        let dialog = Dialog::new_uac(&tx.request, response).ok()?;
        let peer = tx.peer;
        let id = self.dialog_id();
        let mut entry = DialogEntry::new(dialog, peer, None);
        entry.invite = Some(key);
        self.dialog_index.insert(dk.clone(), id);
        self.dialogs.insert(id, entry);
        if let Some(tx) = self.transactions.get_mut(&key) {
            tx.forks.push(id);
        }
        Some(id)
    }

    fn invite_2xx(&mut self, now: Instant, key: TransactionKey, response: Response) {
        let Some(tx) = self.transactions.get(&key) else { return };
        let to_tag = response.headers.to().ok().and_then(|t| t.tag().map(str::to_owned));
        if let Some(tag) = &to_tag
            && let Some((_, ack)) = tx.acks.iter().find(|(t, _)| t == tag)
        {
            // A retransmitted 2xx: the ACK again (13.2.2.4).
            let (to, bytes) = (tx.peer, ack.clone());
            self.send(to, None, bytes, None);
            return;
        }
        let Some(dk) = DialogKey::of_response(&response).ok().flatten() else {
            // A 2xx without a To tag cannot make a dialog; the TU sees it and gives up.
            if tx.origin == Origin::Tu {
                self.events.push_back(Event::Response { key, response, dialog: None });
            }
            return;
        };
        let (cancelled, answered, origin, has_offer, invite_seq) = (
            // A cancelled re-INVITE that got its 2xx simply succeeded; only a call that never
            // got going is torn down.
            tx.cancel != CancelState::NotAsked && tx.dialog.is_none(),
            tx.answered,
            tx.origin,
            !tx.request.body.is_empty(),
            tx.request.headers.cseq().map(|c| c.seq).unwrap_or_default(),
        );
        if let Some(id) = answered
            && self.dialogs.get(&id).is_some_and(|e| e.dialog.key() == &dk)
        {
            return; // The same 2xx again, before the TU's ACK (delayed offer).
        }
        let Some(id) = self.uac_dialog(key, &dk, &response) else {
            if origin == Origin::Tu {
                self.events.push_back(Event::Response { key, response, dialog: None });
            }
            return;
        };
        let extra = answered.is_some_and(|a| a != id)
            && self.config.fork_policy == ForkPolicy::ByeExtraAnswers;
        if answered.is_none()
            && let Some(tx) = self.transactions.get_mut(&key)
        {
            tx.answered = Some(id);
        }
        if cancelled || extra {
            // Nobody wants this call any more, but its 2xx must be ACKed before the BYE.
            self.send_ack(Some(key), id, invite_seq, None);
            self.internal_bye(now, id);
            if !extra && origin == Origin::Tu {
                self.events.push_back(Event::Response { key, response, dialog: Some(id) });
            }
            let reason = if extra { DialogEnd::ExtraFork } else { DialogEnd::AnsweredAfterCancel };
            self.end_dialog(id, reason);
            return;
        }
        if has_offer {
            self.send_ack(Some(key), id, invite_seq, None);
        } else if let Some(e) = self.dialogs.get_mut(&id) {
            e.ack_due = Some(invite_seq);
        }
        if origin == Origin::Tu {
            self.events.push_back(Event::Response { key, response, dialog: Some(id) });
        }
    }

    fn invite_rejected(&mut self, key: TransactionKey, response: Response) {
        let Some(tx) = self.transactions.get_mut(&key) else { return };
        let ack = tx.build_non_2xx_ack(&response);
        let wire = ack.to_bytes();
        tx.ack = Some(wire.clone());
        let (to, origin, in_dialog, forks) =
            (tx.peer, tx.origin, tx.dialog, std::mem::take(&mut tx.forks));
        self.send(to, None, wire, Some(key));
        for id in forks {
            if self.dialogs.get(&id).is_some_and(|e| e.dialog.state() == DialogState::Early) {
                self.end_dialog(id, DialogEnd::Rejected(response.status));
            }
        }
        if let Some(id) = in_dialog
            && matches!(response.status, 481 | 408)
        {
            self.end_dialog(id, DialogEnd::RequestFailed(response.status));
        }
        if origin == Origin::Tu {
            self.events.push_back(Event::Response { key, response, dialog: in_dialog });
        }
    }

    fn non_invite_response(&mut self, key: TransactionKey, response: Response) {
        let Some(tx) = self.transactions.get(&key) else { return };
        let (origin, dialog, method) = (tx.origin, tx.dialog, tx.request.method.clone());
        if let Some(id) = dialog {
            if matches!(response.status, 481 | 408)
                && !matches!(method, Method::Bye | Method::Prack)
            {
                self.end_dialog(id, DialogEnd::RequestFailed(response.status));
            } else if let Some(e) = self.dialogs.get_mut(&id) {
                e.dialog.receive_response(&method, &response);
            }
        }
        if origin == Origin::Tu {
            self.events.push_back(Event::Response { key, response, dialog });
        }
    }

    // ---- Ending things ---------------------------------------------------------------------

    fn terminate(&mut self, key: TransactionKey, error: Option<TransactionError>) {
        let Some(tx) = self.transactions.remove(&key) else { return };
        match &tx.index {
            IndexKey::Server(k) => {
                self.server_index.remove(k);
            }
            IndexKey::Client(b, m) => {
                self.client_index.remove(&(b.clone(), m.clone()));
            }
        }
        if let Some(error) = error {
            if tx.origin == Origin::Tu {
                self.events.push_back(Event::TransactionFailed { key, error });
            }
            if tx.kind.is_client()
                && let Some(id) = tx.dialog
                && !matches!(tx.request.method, Method::Bye | Method::Prack)
            {
                self.end_dialog(id, DialogEnd::RequestFailed(408));
            }
        }
        for id in tx.forks {
            if self.dialogs.get(&id).is_some_and(|e| e.dialog.state() == DialogState::Early) {
                self.end_dialog(id, DialogEnd::InviteEnded);
            }
        }
    }

    fn end_dialog(&mut self, id: DialogId, reason: DialogEnd) {
        let Some(e) = self.dialogs.remove(&id) else { return };
        self.dialog_index.remove(e.dialog.key());
        // A UAS that asked for BYE before the ACK was told at once (`bye`); not twice.
        if !e.bye_after_ack {
            self.events.push_back(Event::DialogTerminated { dialog: id, reason });
        }
    }

    // ---- Requests from the TU --------------------------------------------------------------

    /// Sends a request outside a dialog (or inside one, to an explicit destination) in a new
    /// client transaction. The layer adds the Via (with a new branch and `rport`),
    /// Max-Forwards if missing, and `Supported: 100rel` to an INVITE. The request needs From
    /// (with a tag), To, Call-ID and CSeq. ACK and CANCEL are refused: see `ack`, `cancel`.
    pub fn send_request(
        &mut self,
        now: Instant,
        request: Request,
        to: Peer,
    ) -> Result<TransactionKey, EndpointError> {
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Err(EndpointError::AckOrCancel);
        }
        if request.headers.cseq()?.method != request.method {
            return Err(ParseError::CSeqMethodMismatch.into());
        }
        request.headers.from()?;
        request.headers.call_id()?;
        let dialog =
            DialogKey::of_outgoing(&request)?.and_then(|k| self.dialog_index.get(&k).copied());
        Ok(self.start_client(now, request, to, Origin::Tu, dialog))
    }

    /// A new request in a dialog, with the next CSeq, the Request-URI and Route of the route
    /// set, for the TU to complete (body, headers) and pass to `send_in_dialog`.
    pub fn dialog_request(
        &mut self,
        id: DialogId,
        method: Method,
    ) -> Result<Request, EndpointError> {
        let e = self.dialogs.get_mut(&id).ok_or(EndpointError::UnknownDialog)?;
        Ok(e.dialog.create_request(method)?)
    }

    /// Sends a request built with `dialog_request` to the dialog's peer.
    pub fn send_in_dialog(
        &mut self,
        now: Instant,
        id: DialogId,
        request: Request,
    ) -> Result<TransactionKey, EndpointError> {
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Err(EndpointError::AckOrCancel);
        }
        let peer = self.dialogs.get(&id).ok_or(EndpointError::UnknownDialog)?.peer;
        Ok(self.start_client(now, request, peer, Origin::Tu, Some(id)))
    }

    /// Ends a dialog with BYE. A UAS whose 2xx is not yet ACKed sends it when the ACK comes
    /// (RFC 3261 15); the dialog is over for the TU at once either way.
    pub fn bye(&mut self, now: Instant, id: DialogId) -> Result<(), EndpointError> {
        let e = self.dialogs.get_mut(&id).ok_or(EndpointError::UnknownDialog)?;
        if e.bye_after_ack {
            return Err(EndpointError::UnknownDialog);
        }
        if e.dialog.role() == Role::Uas && e.pending_2xx.is_some() {
            e.bye_after_ack = true;
            // Keep the entry (to take the ACK) but hide it from the TU.
            self.events
                .push_back(Event::DialogTerminated { dialog: id, reason: DialogEnd::ByeSent });
            return Ok(());
        }
        let request = e.dialog.create_request(Method::Bye)?;
        let peer = e.peer;
        self.start_client(now, request, peer, Origin::Tu, Some(id));
        self.end_dialog(id, DialogEnd::ByeSent);
        Ok(())
    }

    /// The ACK for a 2xx to an INVITE that carried no offer: the TU's answer goes in it.
    /// Retransmitted 2xx get the same ACK again.
    pub fn ack(
        &mut self,
        _now: Instant,
        id: DialogId,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<(), EndpointError> {
        let e = self.dialogs.get_mut(&id).ok_or(EndpointError::UnknownDialog)?;
        let seq = e.ack_due.take().ok_or(EndpointError::NoAckPending)?;
        let key = e.invite;
        self.send_ack(key, id, seq, body);
        Ok(())
    }

    /// Cancels an INVITE we sent (RFC 3261 9.1). The CANCEL goes once a provisional
    /// response has arrived (at once if one has). A 2xx that still comes is ACKed and BYEd
    /// by the layer. Refused once the INVITE has its final response.
    pub fn cancel(&mut self, now: Instant, key: TransactionKey) -> Result<(), EndpointError> {
        let tx = self.transactions.get_mut(&key).ok_or(EndpointError::UnknownTransaction)?;
        if tx.kind != Kind::InviteClient {
            return Err(EndpointError::WrongTransaction);
        }
        match (tx.state, tx.cancel) {
            (_, CancelState::Pending | CancelState::Sent) => Ok(()),
            (TransactionState::Calling, _) => {
                tx.cancel = CancelState::Pending;
                Ok(())
            }
            (TransactionState::Proceeding, _) => {
                self.send_cancel(now, key);
                Ok(())
            }
            _ => Err(EndpointError::AlreadyFinal),
        }
    }

    fn send_cancel(&mut self, now: Instant, key: TransactionKey) {
        let cfg = self.config.timers;
        let Some(tx) = self.transactions.get_mut(&key) else { return };
        if tx.cancel == CancelState::Sent {
            return;
        }
        tx.cancel = CancelState::Sent;
        // If the INVITE gets no final response 64*T1 after the CANCEL, it is given up (9.1).
        tx.set(&mut self.timers, Slot::Timeout, Some(now + cfg.t1x64()));
        let cancel = tx.build_cancel();
        let peer = tx.peer;
        let Some(branch) =
            tx.request.headers.top_via().ok().and_then(|v| v.branch().map(str::to_owned))
        else {
            return;
        };
        self.start_transaction(now, cancel, branch, peer, Origin::Internal, None);
    }

    fn internal_bye(&mut self, now: Instant, id: DialogId) {
        let Some(e) = self.dialogs.get_mut(&id) else { return };
        let Ok(bye) = e.dialog.create_request(Method::Bye) else { return };
        let peer = e.peer;
        self.start_client(now, bye, peer, Origin::Internal, Some(id));
    }

    fn send_ack(
        &mut self,
        key: Option<TransactionKey>,
        id: DialogId,
        seq: u32,
        body: Option<(&str, Vec<u8>)>,
    ) {
        let Some(e) = self.dialogs.get(&id) else { return };
        let mut ack = e.dialog.create_ack(seq);
        let peer = e.peer;
        let remote_tag = e.dialog.remote_tag().to_owned();
        if let Some((content_type, body)) = body {
            ack.set_body(content_type, body);
        }
        let branch = self.new_branch();
        self.add_via(&mut ack, &branch, peer);
        let wire = ack.to_bytes();
        if let Some(e) = self.dialogs.get_mut(&id) {
            e.last_ack = Some((seq, wire.clone()));
        }
        if let Some(tx) = key.and_then(|k| self.transactions.get_mut(&k)) {
            tx.acks.push((remote_tag, wire.clone()));
        }
        self.send(peer, None, wire, None);
    }

    fn add_via(&self, request: &mut Request, branch: &str, peer: Peer) {
        let (host, port) = match &self.config.sent_by {
            Some((h, p)) => (h.clone(), *p),
            None => (Host::from(peer.local.ip()), Some(peer.local.port())),
        };
        let mut via = Via::new(peer.transport.as_str(), host, port, branch);
        via.params.set("rport", None);
        request.headers.push_front(HeaderName::VIA, via.to_string());
    }

    /// Adds our Via and the usual headers, then starts a client transaction.
    fn start_client(
        &mut self,
        now: Instant,
        mut request: Request,
        to: Peer,
        origin: Origin,
        dialog: Option<DialogId>,
    ) -> TransactionKey {
        let branch = self.new_branch();
        self.add_via(&mut request, &branch, to);
        if !request.headers.contains(&HeaderName::MAX_FORWARDS) {
            request.headers.push(HeaderName::MAX_FORWARDS, "70");
        }
        let supports_100rel =
            self.config.supported.iter().any(|s| s.eq_ignore_ascii_case("100rel"));
        if request.method == Method::Invite
            && supports_100rel
            && !request
                .headers
                .supported()
                .is_ok_and(|s| s.iter().any(|t| t.eq_ignore_ascii_case("100rel")))
        {
            request.headers.push(HeaderName::SUPPORTED, "100rel");
        }
        if let Some(ua) = &self.config.user_agent
            && !request.headers.contains(&HeaderName::USER_AGENT)
        {
            request.headers.push(HeaderName::USER_AGENT, ua.clone());
        }
        self.start_transaction(now, request, branch, to, origin, dialog)
    }

    fn start_transaction(
        &mut self,
        now: Instant,
        request: Request,
        branch: String,
        to: Peer,
        origin: Origin,
        dialog: Option<DialogId>,
    ) -> TransactionKey {
        let cfg = self.config.timers;
        let key = self.key();
        let kind = if request.method == Method::Invite {
            Kind::InviteClient
        } else {
            Kind::NonInviteClient
        };
        let index = (branch, request.method.clone());
        let wire = request.to_bytes();
        let mut tx = Transaction::new(
            key,
            kind,
            to,
            request,
            IndexKey::Client(index.0.clone(), index.1.clone()),
            origin,
        );
        tx.dialog = dialog;
        tx.wire = wire.clone();
        tx.start_client(now, &cfg, &mut self.timers);
        self.client_index.insert(index, key);
        self.transactions.insert(key, tx);
        self.send(to, None, wire, Some(key));
        key
    }

    // ---- Responses from the TU -------------------------------------------------------------

    /// Answers the request of server transaction `key`. Build the response with
    /// `Response::for_request(request, ...)`; the layer adds our To tag (the same for every
    /// response of the transaction) if it has none. A 1xx with a tag or a 2xx to an INVITE
    /// creates (or confirms) the UAS dialog, whose id is returned; a 2xx to INVITE needs a
    /// Contact (in a re-INVITE the dialog's is added if missing), and gets the request's
    /// Record-Route copied in (12.1.1). Provisional responses are made reliable when the
    /// INVITE requires 100rel.
    pub fn respond(
        &mut self,
        now: Instant,
        key: TransactionKey,
        mut response: Response,
    ) -> Result<Option<DialogId>, EndpointError> {
        let tx = self.transactions.get_mut(&key).ok_or(EndpointError::UnknownTransaction)?;
        if tx.kind.is_client() {
            return Err(EndpointError::WrongTransaction);
        }
        if tx.last_status.is_some_and(|s| s >= 200) {
            return Err(EndpointError::AlreadyFinal);
        }
        let status = response.status;
        if !(100..=699).contains(&status) {
            return Err(EndpointError::BadStatus);
        }
        if status > 100 {
            let mut to = response.headers.to()?;
            match to.tag() {
                None => {
                    let tag = match &tx.local_tag {
                        Some(t) => t.clone(),
                        None => {
                            let t = self.ids.token();
                            tx.local_tag = Some(t.clone());
                            t
                        }
                    };
                    to.set_tag(&tag);
                    response.headers.set(HeaderName::TO, to.to_string());
                }
                Some(t) => match &tx.local_tag {
                    None => tx.local_tag = Some(t.to_owned()),
                    // A UAS has one tag per request (we do not fork): the first one stays.
                    Some(ours) if ours != t => {
                        to.set_tag(&ours.clone());
                        response.headers.set(HeaderName::TO, to.to_string());
                    }
                    Some(_) => {}
                },
            }
        }
        let mut dialog = None;
        if tx.kind == Kind::InviteServer
            && (101..300).contains(&status)
            && tx.dialog.is_none()
            && !response.headers.contains(&HeaderName::RECORD_ROUTE)
        {
            // 12.1.1: the dialog-creating response carries the request's Record-Route, so the
            // caller's route set matches ours.
            for rr in tx.request.headers.get_all(&HeaderName::RECORD_ROUTE) {
                response.headers.push(HeaderName::RECORD_ROUTE, rr);
            }
        }
        if tx.kind == Kind::InviteServer {
            if (200..300).contains(&status) {
                let id = self.uas_dialog(key, &mut response)?;
                dialog = Some(id);
                self.transmit_response(now, key, &response);
                let cfg = self.config.timers;
                let seq = self.transactions.get(&key).and_then(|t| t.request.headers.cseq().ok());
                if let Some(e) = self.dialogs.get_mut(&id) {
                    e.dialog.confirm();
                    if let Some(u) = e.unacked.take() {
                        e.overtaken = Some((u.rseq, u.cseq));
                    }
                    e.queued.clear();
                    e.set(&mut self.timers, id, DialogSlot::Retransmit1xx, None);
                    e.set(&mut self.timers, id, DialogSlot::GiveUp1xx, None);
                    // The 2xx is retransmitted end to end, whatever this hop's transport:
                    // a proxy may forward it over UDP (13.3.1.4).
                    e.pending_2xx = Some(Pending2xx {
                        cseq: seq.map(|c| c.seq).unwrap_or_default(),
                        wire: response.to_bytes(),
                    });
                    e.interval_2xx = cfg.t1;
                    e.set(&mut self.timers, id, DialogSlot::Retransmit2xx, Some(now + cfg.t1));
                    e.set(&mut self.timers, id, DialogSlot::GiveUp2xx, Some(now + cfg.t1x64()));
                }
                return Ok(dialog);
            }
            if status > 100 && status < 200 && response.headers.to()?.tag().is_some() {
                let id = self.uas_dialog(key, &mut response)?;
                dialog = Some(id);
                if let Some(e) = self.dialogs.get_mut(&id)
                    && e.reliable
                {
                    if e.unacked.is_some() {
                        e.queued.push_back(response);
                    } else {
                        self.send_reliable(now, id, key, response);
                    }
                    return Ok(dialog);
                }
            }
            if status >= 300
                && let Some(id) = self.transactions.get(&key).and_then(|t| t.dialog)
                && self.dialogs.get(&id).is_some_and(|e| e.dialog.state() == DialogState::Early)
            {
                self.end_dialog(id, DialogEnd::Rejected(status));
            }
        }
        self.transmit_response(now, key, &response);
        Ok(dialog)
    }

    fn transmit_response(&mut self, now: Instant, key: TransactionKey, response: &Response) {
        let cfg = self.config.timers;
        let Some(tx) = self.transactions.get_mut(&key) else { return };
        let wire = response.to_bytes();
        tx.wire = wire.clone();
        tx.on_tu_response(now, response.status, &cfg, &mut self.timers);
        let (to, fb) = (tx.peer, tx.fallback);
        self.send(to, fb, wire, Some(key));
    }

    /// The UAS dialog of an INVITE server transaction: its re-INVITE dialog, the one an
    /// earlier response created, or a new one.
    fn uas_dialog(
        &mut self,
        key: TransactionKey,
        response: &mut Response,
    ) -> Result<DialogId, EndpointError> {
        let tx = self.transactions.get(&key).ok_or(EndpointError::UnknownTransaction)?;
        let existing = tx.dialog;
        if response.is_success()
            && !response.headers.contacts()?.iter().any(|c| matches!(c, crate::Contact::Address(_)))
        {
            let contact = existing
                .and_then(|id| self.dialogs.get(&id))
                .and_then(|e| e.dialog.local_contact().cloned());
            match contact {
                Some(c) => response.headers.push(HeaderName::CONTACT, c.to_string()),
                None => return Err(EndpointError::MissingContact),
            }
        }
        if let Some(id) = existing {
            if let Some(e) = self.dialogs.get_mut(&id)
                && response.is_success()
                && let Ok(contacts) = response.headers.contacts()
                && let Some(crate::Contact::Address(c)) = contacts.into_iter().next()
            {
                e.dialog.set_local_contact(c);
            }
            return Ok(id);
        }
        let dialog = Dialog::new_uas(&tx.request, response)?;
        let mut entry = DialogEntry::new(dialog, tx.peer, tx.fallback);
        entry.invite = Some(key);
        entry.reliable = requires_100rel(&tx.request.headers);
        entry.next_rseq = self.ids.rseq();
        let id = self.dialog_id();
        self.dialog_index.insert(entry.dialog.key().clone(), id);
        self.dialogs.insert(id, entry);
        if let Some(tx) = self.transactions.get_mut(&key) {
            tx.dialog = Some(id);
        }
        Ok(id)
    }

    fn send_reliable(
        &mut self,
        now: Instant,
        id: DialogId,
        key: TransactionKey,
        mut response: Response,
    ) {
        let cfg = self.config.timers;
        if self.transactions.get(&key).is_none_or(|t| t.last_status.is_some_and(|s| s >= 200)) {
            return;
        }
        let Some(cseq) = self.transactions.get(&key).and_then(|t| t.request.headers.cseq().ok())
        else {
            return;
        };
        let Some(e) = self.dialogs.get_mut(&id) else { return };
        let rseq = e.next_rseq;
        e.next_rseq = rseq.saturating_add(1);
        if !requires_100rel(&response.headers) {
            response.headers.push(HeaderName::REQUIRE, "100rel");
        }
        response.headers.set(HeaderName::RSEQ, rseq.to_string());
        e.unacked = Some(Unacked { rseq, cseq: cseq.seq, wire: response.to_bytes() });
        e.interval_1xx = cfg.t1;
        e.set(&mut self.timers, id, DialogSlot::Retransmit1xx, Some(now + cfg.t1));
        e.set(&mut self.timers, id, DialogSlot::GiveUp1xx, Some(now + cfg.t1x64()));
        self.transmit_response(now, key, &response);
    }
}
