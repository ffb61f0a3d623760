//! What the transaction layer knows of transports: which kind a message came over or goes
//! out on, the addresses, the TCP connection, and where a response must go (RFC 3261 18.2.2,
//! RFC 3581). The sockets themselves belong to the binary.

use std::net::{IpAddr, SocketAddr};

use crate::typed::Via;

/// A transport protocol. Only what changes behaviour here: UDP is unreliable, so the
/// transaction layer retransmits and lingers; TCP is reliable, so it does neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP: retransmissions and timers D, I, J, K as in RFC 3261.
    Udp,
    /// TCP: no retransmissions, timers D, I, J, K are zero.
    Tcp,
}

impl Transport {
    /// Whether the transport delivers reliably (no retransmissions needed).
    pub fn is_reliable(self) -> bool {
        matches!(self, Transport::Tcp)
    }

    /// The Via transport token.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// One end of a hop: where a message came from (for `handle_message`) or where it goes (for
/// `send_request` and in `Transmit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Peer {
    /// The transport.
    pub transport: Transport,
    /// The far end's address: the packet's source, or where to send.
    pub remote: SocketAddr,
    /// Our address: the socket it arrived on, or the one to send from.
    pub local: SocketAddr,
    /// The TCP connection (the binary's id for it), if there is one. When sending, `None`
    /// means "open one to `remote`" (or reuse one the binary already has to it).
    pub connection: Option<u64>,
}

impl Peer {
    /// A UDP peer.
    pub fn udp(remote: SocketAddr, local: SocketAddr) -> Peer {
        Peer { transport: Transport::Udp, remote, local, connection: None }
    }

    /// A TCP peer on connection `connection`.
    pub fn tcp(remote: SocketAddr, local: SocketAddr, connection: Option<u64>) -> Peer {
        Peer { transport: Transport::Tcp, remote, local, connection }
    }
}

/// A message to put on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub to: Peer,
    /// For a response on a connection that has closed: where to open a new one instead (the
    /// Via's received address with its sent-by port, RFC 3261 18.2.2). `None` for requests
    /// and for UDP.
    pub fallback: Option<SocketAddr>,
    /// The message, printed.
    pub bytes: Vec<u8>,
    /// The transaction it belongs to, to name in `Endpoint::handle_transport_error` if it
    /// cannot be sent. `None` for what belongs to no transaction (the ACK for a 2xx, a
    /// stateless answer).
    pub transaction: Option<crate::TransactionKey>,
}

/// Where the response to a request that arrived from `source` with top Via `via` goes:
/// RFC 3261 18.2.2 and RFC 3581 4. On TCP it is the same connection (with a fallback); on
/// UDP the source address, with the source port only if the client asked for `rport`,
/// otherwise the sent-by port (5060 by default). `maddr` (multicast) is not supported and
/// ignored.
pub(crate) fn response_destination(source: &Peer, via: &Via) -> (Peer, Option<SocketAddr>) {
    let sent_by_port = via.port.unwrap_or(5060);
    let ip: IpAddr = via.received().unwrap_or(source.remote.ip());
    match source.transport {
        Transport::Tcp => (*source, Some(SocketAddr::new(ip, sent_by_port))),
        Transport::Udp => {
            let port = match via.rport() {
                Some(Some(port)) => port,
                Some(None) => source.remote.port(),
                None => sent_by_port,
            };
            (Peer { remote: SocketAddr::new(ip, port), ..*source }, None)
        }
    }
}

/// Stamps the top Via of a received request with where it really came from (RFC 3261
/// 18.2.1, RFC 3581 4): `received` when the sent-by host is not the source address (or
/// whenever `rport` was asked for), `rport` filled with the source port when asked for.
pub(crate) fn stamp_via(via: &mut Via, source: SocketAddr) {
    let wants_rport = via.rport().is_some();
    if wants_rport {
        via.set_rport(source.port());
    }
    if wants_rport || via.host.ip() != Some(source.ip()) {
        via.set_received(source.ip());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn udp_response_goes_to_received_and_sent_by_port_without_rport() {
        let mut via = Via::parse("SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1").unwrap();
        let src = Peer::udp(addr("192.0.2.9:40000"), addr("192.0.2.1:5060"));
        stamp_via(&mut via, src.remote);
        assert_eq!(via.to_string(), "SIP/2.0/UDP 10.0.0.5:5070;branch=z9hG4bK1;received=192.0.2.9");
        let (to, fallback) = response_destination(&src, &via);
        assert_eq!(to.remote, addr("192.0.2.9:5070"));
        assert_eq!(fallback, None);
    }

    #[test]
    fn same_host_gets_no_received() {
        let mut via = Via::parse("SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK1").unwrap();
        stamp_via(&mut via, addr("192.0.2.9:5060"));
        assert_eq!(via.received(), None);
    }

    #[test]
    fn tcp_keeps_the_connection_with_a_fallback() {
        let mut via = Via::parse("SIP/2.0/TCP phone.invalid:5062;branch=z9hG4bK1").unwrap();
        let src = Peer::tcp(addr("192.0.2.9:50123"), addr("192.0.2.1:5060"), Some(7));
        stamp_via(&mut via, src.remote);
        let (to, fallback) = response_destination(&src, &via);
        assert_eq!(to, src);
        assert_eq!(fallback, Some(addr("192.0.2.9:5062")));
    }
}
