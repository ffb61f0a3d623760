//! The registrar (RFC 3261 §10.3): which devices each user has registered, and until when.
//!
//! Authentication happens before a REGISTER reaches this module (the edge checks the digest
//! against the user's stored HA1); here a REGISTER is already known to come from `user`.
//! Bindings are kept in memory, keyed by user; every change is also returned so the edge can
//! persist it (the store keeps them across restarts).

use centralita_domain::{Millis, UserId};
use centralita_sip::{Contact, HeaderName, NameAddr, Peer, Request, Response, Uri};
use std::collections::HashMap;

/// Limits of the registrar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Shorter registrations are refused with 423 and this Min-Expires.
    pub min_expires: u32,
    /// Longer registrations are shortened to this.
    pub max_expires: u32,
    /// When the REGISTER says nothing.
    pub default_expires: u32,
    /// Bindings kept per user; the oldest one gives way to a new one beyond this.
    pub max_bindings_per_user: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        Self {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_bindings_per_user: 10,
        }
    }
}

/// One registered device of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI, as the device wrote it (the Request-URI of requests to it).
    pub contact: Uri,
    /// How to reach it: the transport and source address of its REGISTER (and the TCP
    /// connection it came on). Requests to the device go back that way, which is what makes
    /// devices behind NAT reachable (their Contact usually names a private address).
    pub flow: Peer,
    /// The Call-ID of the REGISTER that made or refreshed it.
    pub call_id: String,
    /// Its CSeq number.
    pub cseq: u32,
    /// The device's User-Agent, for people reading the devices list.
    pub user_agent: Option<String>,
    /// When it lapses unless refreshed.
    pub expires_at: Millis,
    /// When it was last refreshed.
    pub updated_at: Millis,
}

impl Binding {
    /// The Contact URI as text (the key the store uses).
    pub fn contact_text(&self) -> String {
        self.contact.to_string()
    }
}

/// A REGISTER that is refused; the answer to send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterRefusal {
    /// The request is malformed for a REGISTER (a bad Contact or Expires, `*` misused): 400.
    #[error("400 {0}")]
    BadRequest(&'static str),
    /// The asked interval is shorter than `min`: 423 with Min-Expires.
    #[error("423 Interval Too Brief (min {min})")]
    IntervalTooBrief {
        /// The shortest accepted interval.
        min: u32,
    },
    /// The request is older than what the binding already has (same Call-ID, lower CSeq): 500.
    #[error("500 out-of-order REGISTER")]
    OutOfOrder,
}

impl RegisterRefusal {
    /// The response to `request` that says so.
    pub fn response(&self, request: &Request) -> Response {
        match self {
            Self::BadRequest(why) => Response::for_request(request, 400, why),
            Self::IntervalTooBrief { min } => {
                let mut response = Response::for_request(request, 423, "Interval Too Brief");
                response.headers.push(HeaderName::MIN_EXPIRES, min.to_string());
                response
            }
            Self::OutOfOrder => {
                Response::for_request(request, 500, "Out of order REGISTER for this Call-ID")
            }
        }
    }
}

/// What an accepted REGISTER did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOutcome {
    /// Bindings added or refreshed (to persist).
    pub upserted: Vec<Binding>,
    /// Bindings removed (to delete from the store).
    pub removed: Vec<Binding>,
    /// Every binding of the user after the change (the 200 lists them).
    pub current: Vec<Binding>,
}

impl RegisterOutcome {
    /// The 200 OK to `request`: every current binding with its remaining time (§10.3 step 8).
    pub fn response(&self, request: &Request, now: Millis) -> Response {
        let mut response = Response::for_request(request, 200, "OK");
        for binding in &self.current {
            let remaining = u64::try_from((binding.expires_at.0 - now.0).max(0)).unwrap_or(0);
            let mut contact = NameAddr::new(binding.contact.clone());
            contact.params.set("expires", Some(&remaining.div_ceil(1000).to_string()));
            response.headers.push(HeaderName::CONTACT, contact.to_string());
        }
        response
    }
}

/// Every user's bindings.
#[derive(Debug, Default)]
pub struct Registrar {
    config: RegistrarConfig,
    bindings: HashMap<UserId, Vec<Binding>>,
}

impl Registrar {
    /// An empty registrar.
    pub fn new(config: RegistrarConfig) -> Self {
        Self { config, bindings: HashMap::new() }
    }

    /// Puts back a binding read from the store at start.
    pub fn restore(&mut self, user: UserId, binding: Binding) {
        let list = self.bindings.entry(user).or_default();
        list.retain(|b| !b.contact.equivalent(&binding.contact));
        list.push(binding);
    }

    /// The user's devices now.
    pub fn bindings(&self, user: UserId) -> &[Binding] {
        self.bindings.get(&user).map_or(&[], Vec::as_slice)
    }

    /// Every user with at least one device.
    pub fn users(&self) -> impl Iterator<Item = UserId> + '_ {
        self.bindings.keys().copied()
    }

    /// Forgets every binding of a user (the user was deleted).
    pub fn forget(&mut self, user: UserId) -> Vec<Binding> {
        self.bindings.remove(&user).unwrap_or_default()
    }

    /// Applies an authenticated REGISTER of `user` that arrived over `flow`.
    pub fn register(
        &mut self,
        now: Millis,
        user: UserId,
        request: &Request,
        flow: Peer,
    ) -> Result<RegisterOutcome, RegisterRefusal> {
        let call_id = request
            .headers
            .call_id()
            .map_err(|_| RegisterRefusal::BadRequest("Missing Call-ID"))?
            .to_owned();
        let cseq = request.headers.cseq().map_err(|_| RegisterRefusal::BadRequest("Bad CSeq"))?.seq;
        let contacts = request
            .headers
            .contacts()
            .map_err(|_| RegisterRefusal::BadRequest("Malformed Contact"))?;
        let header_expires = request
            .headers
            .expires()
            .map_err(|_| RegisterRefusal::BadRequest("Malformed Expires"))?;
        let user_agent = request.headers.get(&HeaderName::USER_AGENT).map(str::to_owned);

        // Check everything before changing anything: a refused REGISTER changes nothing.
        let mut asked = Vec::with_capacity(contacts.len());
        for contact in contacts {
            match contact {
                Contact::Wildcard => {
                    if header_expires != Some(0) || !asked.is_empty() {
                        return Err(RegisterRefusal::BadRequest(
                            "Contact * needs Expires: 0 alone",
                        ));
                    }
                    asked.push(None);
                }
                Contact::Address(address) => {
                    if asked.iter().any(Option::is_none) {
                        return Err(RegisterRefusal::BadRequest(
                            "Contact * needs Expires: 0 alone",
                        ));
                    }
                    if address.params.contains("expires") && address.expires().is_none() {
                        return Err(RegisterRefusal::BadRequest("Malformed Contact expires"));
                    }
                    let expires =
                        address.expires().or(header_expires).unwrap_or(self.config.default_expires);
                    if expires != 0 && expires < self.config.min_expires {
                        return Err(RegisterRefusal::IntervalTooBrief {
                            min: self.config.min_expires,
                        });
                    }
                    asked.push(Some((address.uri, expires.min(self.config.max_expires))));
                }
            }
        }
        let existing = self.bindings.get(&user).map_or(&[][..], Vec::as_slice);
        for (uri, _) in asked.iter().flatten() {
            if let Some(old) = existing.iter().find(|b| b.contact.equivalent(uri))
                && old.call_id == call_id
                && cseq <= old.cseq
            {
                return Err(RegisterRefusal::OutOfOrder);
            }
        }

        let list = self.bindings.entry(user).or_default();
        let mut outcome =
            RegisterOutcome { upserted: Vec::new(), removed: Vec::new(), current: Vec::new() };
        for entry in asked {
            match entry {
                None => {
                    // `*`: remove every binding, except those a newer REGISTER of the same
                    // Call-ID made (§10.3 step 6).
                    let (keep, drop): (Vec<_>, Vec<_>) =
                        list.drain(..).partition(|b| b.call_id == call_id && b.cseq >= cseq);
                    *list = keep;
                    outcome.removed.extend(drop);
                }
                Some((uri, 0)) => {
                    if let Some(at) = list.iter().position(|b| b.contact.equivalent(&uri)) {
                        outcome.removed.push(list.remove(at));
                    }
                }
                Some((uri, expires)) => {
                    let binding = Binding {
                        contact: uri,
                        flow,
                        call_id: call_id.clone(),
                        cseq,
                        user_agent: user_agent.clone(),
                        expires_at: Millis(now.0 + i64::from(expires) * 1000),
                        updated_at: now,
                    };
                    match list.iter_mut().find(|b| b.contact.equivalent(&binding.contact)) {
                        Some(old) => *old = binding.clone(),
                        None => {
                            if list.len() >= self.config.max_bindings_per_user {
                                // A phone that changed address leaves its old binding behind
                                // until it lapses; the newest registration wins.
                                let oldest = list
                                    .iter()
                                    .enumerate()
                                    .min_by_key(|(_, b)| b.updated_at)
                                    .map(|(i, _)| i);
                                if let Some(i) = oldest {
                                    outcome.removed.push(list.remove(i));
                                }
                            }
                            list.push(binding.clone());
                        }
                    }
                    outcome.upserted.push(binding);
                }
            }
        }
        outcome.current = list.clone();
        if list.is_empty() {
            self.bindings.remove(&user);
        }
        Ok(outcome)
    }

    /// Removes every binding that has lapsed at `now`, and returns them with their user. It
    /// looks at every binding: the edge calls it on a slow tick (a second), not per message.
    pub fn expire(&mut self, now: Millis) -> Vec<(UserId, Binding)> {
        let mut lapsed = Vec::new();
        self.bindings.retain(|user, list| {
            list.retain(|b| {
                let live = b.expires_at > now;
                if !live {
                    lapsed.push((*user, b.clone()));
                }
                live
            });
            !list.is_empty()
        });
        lapsed
    }
}
