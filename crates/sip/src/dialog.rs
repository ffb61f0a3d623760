//! A SIP dialog (RFC 3261 12): the state two user agents share after an INVITE, and the rules
//! for the requests inside it.
//!
//! `Dialog` is a plain value: it builds in-dialog requests (Request-URI and Route per 12.2.1.1,
//! loose and strict routers), checks in-dialog requests (CSeq order, 12.2.2), and follows
//! target refreshes. It does no I/O and holds no timers; the `Endpoint` keeps a table of
//! them, sends what they build, and does the automatic parts (ACK for 2xx, PRACK, BYE after a
//! lost race).

use crate::error::ParseError;
use crate::header::HeaderName;
use crate::message::{Request, Response};
use crate::method::Method;
use crate::typed::{CSeq, Contact, NameAddr, RAck};
use crate::uri::Uri;

/// Which side of the dialog we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the INVITE.
    Uac,
    /// We received the INVITE.
    Uas,
}

/// Where a dialog is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DialogState {
    /// Created by a provisional response with a To tag.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
    /// Ended (BYE, a non-2xx final response, a timeout).
    Terminated,
}

/// The identity of a dialog (RFC 3261 12): Call-ID and the two tags, seen from our side.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogKey {
    /// Call-ID (compared case-sensitively).
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag (empty for an RFC 2543 peer that sent none).
    pub remote_tag: String,
}

impl DialogKey {
    /// The key of the dialog a received request belongs to: our tag is in To, theirs in From.
    pub fn of_request(request: &Request) -> Result<Option<DialogKey>, ParseError> {
        let to = request.headers.to()?;
        let Some(local) = to.tag() else { return Ok(None) };
        let from = request.headers.from()?;
        Ok(Some(DialogKey {
            call_id: request.headers.call_id()?.to_owned(),
            local_tag: local.to_owned(),
            remote_tag: from.tag().unwrap_or_default().to_owned(),
        }))
    }

    /// The key of the dialog a received response (to a request we sent) belongs to: our tag
    /// is in From, theirs in To. `None` if the response has no To tag.
    pub fn of_response(response: &Response) -> Result<Option<DialogKey>, ParseError> {
        let to = response.headers.to()?;
        let Some(remote) = to.tag() else { return Ok(None) };
        let from = response.headers.from()?;
        Ok(Some(DialogKey {
            call_id: response.headers.call_id()?.to_owned(),
            local_tag: from.tag().unwrap_or_default().to_owned(),
            remote_tag: remote.to_owned(),
        }))
    }

    /// The key of the dialog a request we are about to send belongs to: our tag in From,
    /// theirs in To. `None` without a To tag.
    pub(crate) fn of_outgoing(request: &Request) -> Result<Option<DialogKey>, ParseError> {
        let to = request.headers.to()?;
        let Some(remote) = to.tag() else { return Ok(None) };
        let from = request.headers.from()?;
        Ok(Some(DialogKey {
            call_id: request.headers.call_id()?.to_owned(),
            local_tag: from.tag().unwrap_or_default().to_owned(),
            remote_tag: remote.to_owned(),
        }))
    }
}

/// Why a dialog could not be created or a request was refused in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header needed for the dialog is missing or malformed.
    #[error(transparent)]
    Header(#[from] ParseError),
    /// The response that would create the dialog has no To tag.
    #[error("response without a To tag cannot create a dialog")]
    MissingRemoteTag,
    /// Our own request or response has no tag for our side.
    #[error("missing our tag")]
    MissingLocalTag,
    /// The dialog-creating message has no usable Contact (RFC 3261 12.1.1, 12.1.2).
    #[error("missing or wildcard Contact in a dialog-creating message")]
    MissingContact,
    /// An in-dialog request with a CSeq lower than the last one (RFC 3261 12.2.2: answer
    /// 500).
    #[error("CSeq lower than the last request's")]
    CSeqOutOfOrder,
    /// The dialog is over.
    #[error("dialog terminated")]
    Terminated,
    /// A PRACK was asked for a response that is not a reliable provisional one.
    #[error("response is not a reliable provisional response")]
    NotReliable,
}

impl DialogError {
    /// The status to answer an in-dialog request refused with this error.
    pub fn status_code(&self) -> u16 {
        match self {
            DialogError::CSeqOutOfOrder => 500,
            DialogError::Terminated => 481,
            _ => 400,
        }
    }
}

/// One dialog's state (RFC 3261 12.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    role: Role,
    state: DialogState,
    key: DialogKey,
    /// Our URI (From for a UAC, To for a UAS), without the tag.
    local_uri: NameAddr,
    /// Theirs, without the tag.
    remote_uri: NameAddr,
    /// Their Contact: the Request-URI of our requests (unless a strict router is first).
    remote_target: Uri,
    /// Our Contact, put in the target refresh requests we send.
    local_contact: Option<NameAddr>,
    /// The proxies our requests go through, first hop first.
    route_set: Vec<NameAddr>,
    /// The CSeq of the last request we sent; `None` until a UAS sends its first.
    local_seq: Option<u32>,
    /// The CSeq of the last request we received; `None` until a UAC receives one.
    remote_seq: Option<u32>,
    /// The dialog was created over sips.
    secure: bool,
    /// The RSeq of the last reliable provisional response we accepted (UAC, RFC 3262 4).
    last_rseq: Option<u32>,
}

/// Methods that refresh the remote target (RFC 3261 12.2, RFC 3311 for UPDATE, RFC 6665).
fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

fn contact_of(headers: &crate::Headers) -> Result<Option<NameAddr>, ParseError> {
    Ok(headers.contacts()?.into_iter().find_map(|c| match c {
        Contact::Address(a) => Some(a),
        Contact::Wildcard => None,
    }))
}

fn without_tag(mut addr: NameAddr) -> NameAddr {
    addr.params.remove("tag");
    addr
}

impl Dialog {
    /// The dialog a UAC gets from a response with a To tag to its INVITE (RFC 3261 12.1.2):
    /// early for a 1xx, confirmed for a 2xx. The route set is the Record-Route reversed; the
    /// remote target the response's Contact (for a provisional response without one, the
    /// Request-URI, until a later response brings it).
    pub fn new_uac(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let from = request.headers.from()?;
        let local_tag = from.tag().ok_or(DialogError::MissingLocalTag)?.to_owned();
        let to = response.headers.to()?;
        let remote_tag = to.tag().ok_or(DialogError::MissingRemoteTag)?.to_owned();
        let remote_target = match contact_of(&response.headers)? {
            Some(c) => c.uri,
            None if response.is_provisional() => request.uri.clone(),
            None => return Err(DialogError::MissingContact),
        };
        let mut route_set = response.headers.record_route()?;
        route_set.reverse();
        let secure = request.uri.scheme() == "sips";
        Ok(Dialog {
            role: Role::Uac,
            state: if response.is_success() { DialogState::Confirmed } else { DialogState::Early },
            key: DialogKey {
                call_id: request.headers.call_id()?.to_owned(),
                local_tag,
                remote_tag,
            },
            local_uri: without_tag(from),
            remote_uri: without_tag(to),
            remote_target,
            local_contact: contact_of(&request.headers)?,
            route_set,
            local_seq: Some(request.headers.cseq()?.seq),
            remote_seq: None,
            secure,
            last_rseq: None,
        })
    }

    /// The dialog a UAS gets when it answers an INVITE with a 1xx carrying its To tag or a
    /// 2xx (RFC 3261 12.1.1). The route set is the Record-Route in order; the remote target
    /// the request's Contact.
    pub fn new_uas(request: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let to = response.headers.to()?;
        let local_tag = to.tag().ok_or(DialogError::MissingLocalTag)?.to_owned();
        let from = request.headers.from()?;
        let remote_tag = from.tag().unwrap_or_default().to_owned();
        let remote_target = contact_of(&request.headers)?.ok_or(DialogError::MissingContact)?.uri;
        let secure = request.uri.scheme() == "sips";
        Ok(Dialog {
            role: Role::Uas,
            state: if response.is_success() { DialogState::Confirmed } else { DialogState::Early },
            key: DialogKey {
                call_id: request.headers.call_id()?.to_owned(),
                local_tag,
                remote_tag,
            },
            local_uri: without_tag(to),
            remote_uri: without_tag(from),
            remote_target,
            local_contact: contact_of(&response.headers)?,
            route_set: request.headers.record_route()?,
            local_seq: None,
            remote_seq: Some(request.headers.cseq()?.seq),
            secure,
            last_rseq: None,
        })
    }

    /// UAC or UAS.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Early, confirmed or terminated.
    pub fn state(&self) -> DialogState {
        self.state
    }
    /// Call-ID and tags.
    pub fn key(&self) -> &DialogKey {
        &self.key
    }
    /// The Call-ID.
    pub fn call_id(&self) -> &str {
        &self.key.call_id
    }
    /// Our tag.
    pub fn local_tag(&self) -> &str {
        &self.key.local_tag
    }
    /// The peer's tag.
    pub fn remote_tag(&self) -> &str {
        &self.key.remote_tag
    }
    /// Our URI (without tag).
    pub fn local_uri(&self) -> &NameAddr {
        &self.local_uri
    }
    /// The peer's URI (without tag).
    pub fn remote_uri(&self) -> &NameAddr {
        &self.remote_uri
    }
    /// The peer's Contact URI.
    pub fn remote_target(&self) -> &Uri {
        &self.remote_target
    }
    /// The route set, first hop first.
    pub fn route_set(&self) -> &[NameAddr] {
        &self.route_set
    }
    /// The CSeq of the last request we sent.
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }
    /// The CSeq of the last request we received.
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }
    /// Whether the dialog is over sips.
    pub fn is_secure(&self) -> bool {
        self.secure
    }
    /// Our Contact, sent in target refresh requests.
    pub fn local_contact(&self) -> Option<&NameAddr> {
        self.local_contact.as_ref()
    }
    /// Replaces our Contact (e.g. after moving to another address).
    pub fn set_local_contact(&mut self, contact: NameAddr) {
        self.local_contact = Some(contact);
    }

    /// Marks the dialog confirmed (a 2xx arrived or was sent).
    pub(crate) fn confirm(&mut self) {
        if self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
        }
    }

    /// Marks the dialog terminated.
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// The URI the next hop is found from (RFC 3261 8.1.2): the first route, else the remote
    /// target. The endpoint sends to the address the dialog was learned from unless told
    /// otherwise; this is for a caller that resolves it itself.
    pub fn next_hop(&self) -> &Uri {
        self.route_set.first().map_or(&self.remote_target, |r| &r.uri)
    }

    /// A new request in the dialog (RFC 3261 12.2.1.1): a new CSeq (ACK and CANCEL take the
    /// INVITE's and are built elsewhere), From/To with the tags, Call-ID, Max-Forwards, the
    /// Request-URI and Route from the remote target and route set (a strict router first
    /// gets the Request-URI, and the remote target goes last in Route), and our Contact in
    /// target refresh requests. No Via: the transaction layer adds it.
    pub fn create_request(&mut self, method: Method) -> Result<Request, DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = match self.local_seq {
            Some(s) => s.wrapping_add(1),
            // A UAS's first request: RFC 3261 8.1.1.5 only asks for a number below 2^31.
            None => 1,
        };
        self.local_seq = Some(seq);
        let mut request = self.request_skeleton(method.clone(), seq);
        if is_target_refresh(&method)
            && let Some(contact) = &self.local_contact
        {
            request.headers.push(HeaderName::CONTACT, contact.to_string());
        }
        Ok(request)
    }

    /// The ACK for a 2xx to the INVITE with CSeq number `invite_seq` (RFC 3261 13.2.2.4): the
    /// INVITE's CSeq number, the dialog's Request-URI and Route.
    pub fn create_ack(&self, invite_seq: u32) -> Request {
        self.request_skeleton(Method::Ack, invite_seq)
    }

    /// The PRACK for a reliable provisional response (RFC 3262 7.1), if it is the next one in
    /// order: its RSeq one higher than the last accepted (any value for the first). A
    /// retransmission or an out-of-order response gives `Ok(None)`: no PRACK, and the
    /// response is not passed up.
    pub fn create_prack(&mut self, response: &Response) -> Result<Option<Request>, DialogError> {
        let rseq = response.headers.rseq()?.ok_or(DialogError::NotReliable)?;
        let in_order = match self.last_rseq {
            None => true,
            Some(last) => rseq == last.wrapping_add(1),
        };
        if !in_order {
            return Ok(None);
        }
        let cseq = response.headers.cseq()?;
        self.last_rseq = Some(rseq);
        let mut prack = self.create_request(Method::Prack)?;
        let rack = RAck { rseq, cseq: cseq.seq, method: cseq.method };
        prack.headers.push(HeaderName::RACK, rack.to_string());
        Ok(Some(prack))
    }

    fn request_skeleton(&self, method: Method, seq: u32) -> Request {
        let (uri, routes): (Uri, Vec<String>) = match self.route_set.first() {
            Some(first) if !first.uri.as_sip().is_some_and(|u| u.lr()) => {
                // A strict router (RFC 2543): it wants to be the Request-URI, and the real
                // target travels at the end of Route.
                let mut ruri = first.uri.clone();
                if let Uri::Sip(sip) = &mut ruri {
                    // Headers and `method` are not allowed in a Request-URI (19.1.1).
                    sip.clear_headers();
                    sip.remove_param("method");
                }
                let mut routes: Vec<String> =
                    self.route_set.iter().skip(1).map(ToString::to_string).collect();
                routes.push(NameAddr::new(self.remote_target.clone()).to_string());
                (ruri, routes)
            }
            _ => (
                self.remote_target.clone(),
                self.route_set.iter().map(ToString::to_string).collect(),
            ),
        };
        let mut request = Request::new(method.clone(), uri);
        let h = &mut request.headers;
        h.push(HeaderName::MAX_FORWARDS, "70");
        let mut from = self.local_uri.clone();
        from.set_tag(&self.key.local_tag);
        h.push(HeaderName::FROM, from.to_string());
        let mut to = self.remote_uri.clone();
        if !self.key.remote_tag.is_empty() {
            to.set_tag(&self.key.remote_tag);
        }
        h.push(HeaderName::TO, to.to_string());
        h.push(HeaderName::CALL_ID, self.key.call_id.clone());
        h.push(HeaderName::CSEQ, CSeq { seq, method }.to_string());
        for r in routes {
            h.push(HeaderName::ROUTE, r);
        }
        request
    }

    /// Checks a request received in this dialog and updates the dialog for it (RFC 3261
    /// 12.2.2): a CSeq lower than the last one is refused (answer 500); a target refresh
    /// request with a Contact replaces the remote target. ACK and CANCEL carry the INVITE's
    /// CSeq and do not move the remote sequence number.
    pub fn receive_request(&mut self, request: &Request) -> Result<(), DialogError> {
        if self.state == DialogState::Terminated {
            return Err(DialogError::Terminated);
        }
        let seq = request.headers.cseq()?.seq;
        if matches!(request.method, Method::Ack | Method::Cancel) {
            return Ok(());
        }
        if self.remote_seq.is_some_and(|last| seq < last) {
            return Err(DialogError::CSeqOutOfOrder);
        }
        self.remote_seq = Some(seq);
        if is_target_refresh(&request.method)
            && let Some(contact) = contact_of(&request.headers)?
        {
            self.remote_target = contact.uri;
        }
        Ok(())
    }

    /// Updates the dialog for a response to a request we sent in it, or to the INVITE that
    /// created it: a 2xx confirms an early dialog (a UAC recomputes the route set from it,
    /// 12.1.2), and a 1xx/2xx to a target refresh request with a Contact replaces the remote
    /// target (12.2.1.2).
    pub fn receive_response(&mut self, method: &Method, response: &Response) {
        if self.state == DialogState::Terminated || response.status < 101 {
            return;
        }
        if response.is_success() && self.state == DialogState::Early {
            self.state = DialogState::Confirmed;
            if self.role == Role::Uac
                && let Ok(mut routes) = response.headers.record_route()
            {
                routes.reverse();
                self.route_set = routes;
            }
        }
        if (response.is_success() || response.is_provisional())
            && is_target_refresh(method)
            && let Ok(Some(contact)) = contact_of(&response.headers)
        {
            self.remote_target = contact.uri;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    fn request(text: &str) -> Request {
        match Message::parse(text.replace('\n', "\r\n").as_bytes()) {
            Ok(Message::Request(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn response(text: &str) -> Response {
        match Message::parse(text.replace('\n', "\r\n").as_bytes()) {
            Ok(Message::Response(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    const INVITE: &str = "INVITE sip:bob@biloxi.example SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8
From: Alice <sip:alice@atlanta.example>;tag=1928301774
To: Bob <sip:bob@biloxi.example>
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example>
Record-Route: <sip:p2.biloxi.example;lr>
Record-Route: <sip:p1.atlanta.example;lr>
Content-Length: 0

";

    const OK: &str = "SIP/2.0 200 OK
Via: SIP/2.0/UDP pc33.atlanta.example;branch=z9hG4bKnashds8
From: Alice <sip:alice@atlanta.example>;tag=1928301774
To: Bob <sip:bob@biloxi.example>;tag=a6c85cf
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4>
Record-Route: <sip:p2.biloxi.example;lr>
Record-Route: <sip:p1.atlanta.example;lr>
Content-Length: 0

";

    #[test]
    fn uac_dialog_from_2xx() {
        let mut d = Dialog::new_uac(&request(INVITE), &response(OK)).unwrap();
        assert_eq!(d.state(), DialogState::Confirmed);
        assert_eq!(d.local_tag(), "1928301774");
        assert_eq!(d.remote_tag(), "a6c85cf");
        assert_eq!(d.route_set()[0].uri.to_string(), "sip:p1.atlanta.example;lr");
        let bye = d.create_request(Method::Bye).unwrap();
        assert_eq!(bye.uri.to_string(), "sip:bob@192.0.2.4");
        assert_eq!(bye.headers.cseq().unwrap().seq, 314160);
        assert_eq!(bye.headers.to().unwrap().tag(), Some("a6c85cf"));
        assert_eq!(bye.headers.from().unwrap().tag(), Some("1928301774"));
        assert!(!bye.headers.contains(&HeaderName::CONTACT));
        let reinvite = d.create_request(Method::Invite).unwrap();
        assert_eq!(reinvite.headers.cseq().unwrap().seq, 314161);
        assert!(reinvite.headers.contains(&HeaderName::CONTACT));
        let ack = d.create_ack(314159);
        assert_eq!(ack.headers.cseq().unwrap(), CSeq { seq: 314159, method: Method::Ack });
    }

    #[test]
    fn uas_dialog_and_cseq_order() {
        let mut resp = response(OK);
        resp.headers.set(HeaderName::CONTACT, "<sip:b2bua@192.0.2.1>");
        let mut d = Dialog::new_uas(&request(INVITE), &resp).unwrap();
        assert_eq!(d.local_tag(), "a6c85cf");
        assert_eq!(d.remote_target().to_string(), "sip:alice@pc33.atlanta.example");
        assert_eq!(d.route_set()[0].uri.to_string(), "sip:p2.biloxi.example;lr");
        let mut bye = d.create_request(Method::Bye).unwrap();
        assert_eq!(bye.headers.cseq().unwrap().seq, 1);
        assert_eq!(bye.headers.from().unwrap().tag(), Some("a6c85cf"));
        bye.headers.set(HeaderName::CSEQ, "314158 INFO");
        bye.method = Method::Info;
        assert_eq!(d.receive_request(&bye), Err(DialogError::CSeqOutOfOrder));
        assert_eq!(DialogError::CSeqOutOfOrder.status_code(), 500);
    }

    #[test]
    fn uac_without_contact_in_2xx_is_refused() {
        let mut ok = response(OK);
        ok.headers.remove(&HeaderName::CONTACT);
        assert_eq!(Dialog::new_uac(&request(INVITE), &ok), Err(DialogError::MissingContact));
        let mut ok = response(OK);
        ok.headers.set(HeaderName::TO, "<sip:bob@biloxi.example>");
        assert_eq!(Dialog::new_uac(&request(INVITE), &ok), Err(DialogError::MissingRemoteTag));
    }
}
