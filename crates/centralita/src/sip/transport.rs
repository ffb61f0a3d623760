//! SIP over UDP and TCP on the same port: sockets in, parsed messages out, bytes back.
//!
//! Parsing happens here, in the receiving tasks, so that the one task that owns the SIP state
//! machines only sees well-formed messages. A request too broken to process gets its 400 (or
//! 505/513) from here, when enough of it was readable to address an answer (RFC 4475); other
//! garbage is dropped. TCP connections are bounded in number; each has a reader that frames
//! messages by Content-Length and a writer fed through a channel, so a slow peer never blocks
//! anyone else.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use centralita_sip::{
    Limits, Message, Peer, StreamItem, Transport, error_response, parse_stream_item,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Semaphore, mpsc};

/// A message that arrived, and how to answer it.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The message.
    pub(crate) message: Message,
    /// Where it came from, and the address it arrived on.
    pub(crate) peer: Peer,
}

/// Bytes queued on one TCP connection.
type Outbox = mpsc::Sender<Vec<u8>>;

/// The send side, shared by whoever needs to send.
#[derive(Debug, Clone)]
pub(crate) struct Sender {
    udp: Arc<UdpSocket>,
    tcp: Arc<Connections>,
    local: SocketAddr,
}

#[derive(Debug)]
struct Connections {
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, (SocketAddr, Outbox)>>,
    slots: Arc<Semaphore>,
    incoming: mpsc::Sender<Incoming>,
}

/// Largest datagram we read; bigger SIP over UDP is not deliverable anyway.
const MAX_DATAGRAM: usize = 65_535;
/// Messages queued per TCP connection before the peer is considered stuck.
const OUTBOX_DEPTH: usize = 256;

/// UDP and TCP on the same port. With port 0 the kernel picks the UDP port, and that port may
/// be taken for TCP (by any connection's local end): then another port is tried.
async fn bind_both(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut attempts = 0;
    loop {
        let udp = UdpSocket::bind(addr).await?;
        let local = udp.local_addr()?;
        match TcpListener::bind(local).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e)
                if addr.port() == 0
                    && e.kind() == std::io::ErrorKind::AddrInUse
                    && attempts < 20 =>
            {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Binds UDP and TCP on `addr` and starts receiving. Messages arrive on the returned channel.
pub(crate) async fn bind(
    addr: SocketAddr,
    max_tcp_connections: usize,
) -> std::io::Result<(Sender, mpsc::Receiver<Incoming>)> {
    let (udp, tcp) = bind_both(addr).await?;
    let udp = Arc::new(udp);
    let local = udp.local_addr()?;
    let (incoming_tx, incoming_rx) = mpsc::channel(8192);
    let connections = Arc::new(Connections {
        next_id: AtomicU64::new(1),
        open: Mutex::new(HashMap::new()),
        slots: Arc::new(Semaphore::new(max_tcp_connections)),
        incoming: incoming_tx.clone(),
    });
    let sender = Sender { udp: Arc::clone(&udp), tcp: Arc::clone(&connections), local };
    tokio::spawn(receive_udp(udp, local, incoming_tx));
    tokio::spawn(accept_tcp(tcp, local, connections));
    Ok((sender, incoming_rx))
}

async fn receive_udp(socket: Arc<UdpSocket>, local: SocketAddr, incoming: mpsc::Sender<Incoming>) {
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let limits = Limits::default();
    loop {
        let (len, from) = match socket.recv_from(&mut buf).await {
            Ok(received) => received,
            Err(e) => {
                // ICMP errors from earlier sends surface here on Linux; keep receiving.
                tracing::debug!(error = %e, "UDP receive error");
                continue;
            }
        };
        let datagram = &buf[..len];
        // RFC 5626 keep-alives over UDP: a bare CRLF CRLF.
        if datagram.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            continue;
        }
        let peer = Peer::udp(from, local);
        // A request that parses but lacks what a transaction needs (RFC 4475 insuf) is
        // refused here like a malformed one: nothing above could answer it.
        match Message::parse_with(datagram, &limits).and_then(|m| m.check().map(|()| m)) {
            Ok(message) => {
                if incoming.send(Incoming { message, peer }).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::debug!(%error, "malformed SIP datagram");
                if let Some(response) = error_response(datagram, &error) {
                    let _ = socket.try_send_to(&response.to_bytes(), from);
                }
            }
        }
    }
}

async fn accept_tcp(listener: TcpListener, local: SocketAddr, connections: Arc<Connections>) {
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "TCP accept failed");
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&connections.slots).try_acquire_owned() else {
            // Full: refuse at once rather than queue; the peer retries or uses UDP.
            tracing::warn!("too many SIP TCP connections; refusing one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let id = connections.register(remote, stream, local);
        tracing::debug!(connection = id, "SIP TCP connection accepted");
        permit_holder(permit, Arc::clone(&connections), id);
    }
}

/// Ties a connection slot to the connection's life: the permit is released when the
/// connection leaves the table.
fn permit_holder(
    permit: tokio::sync::OwnedSemaphorePermit,
    connections: Arc<Connections>,
    id: u64,
) {
    tokio::spawn(async move {
        connections.closed(id).await;
        drop(permit);
    });
}

impl Connections {
    /// Starts the reader and writer of a connection and returns its id.
    fn register(self: &Arc<Self>, remote: SocketAddr, stream: TcpStream, local: SocketAddr) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (outbox_tx, outbox_rx) = mpsc::channel(OUTBOX_DEPTH);
        self.lock().insert(id, (remote, outbox_tx.clone()));
        let (reader, writer) = stream.into_split();
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let peer = Peer::tcp(remote, local, Some(id));
            read_stream(reader, peer, &this.incoming, &outbox_tx).await;
            this.lock().remove(&id);
        });
        tokio::spawn(write_stream(writer, outbox_rx));
        id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (SocketAddr, Outbox)>> {
        // A poisoned lock means a panic while holding it; the map itself is still consistent
        // (every operation on it is a single insert/remove/get).
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Resolves when connection `id` has left the table.
    async fn closed(&self, id: u64) {
        let outbox = self.lock().get(&id).map(|(_, outbox)| outbox.clone());
        if let Some(outbox) = outbox {
            outbox.closed().await;
        }
    }

    /// An open connection to `remote`, if there is one.
    fn to(&self, remote: SocketAddr) -> Option<Outbox> {
        self.lock().values().find(|(addr, _)| *addr == remote).map(|(_, outbox)| outbox.clone())
    }
}

async fn read_stream(
    mut reader: tokio::net::tcp::OwnedReadHalf,
    peer: Peer,
    incoming: &mpsc::Sender<Incoming>,
    outbox: &Outbox,
) {
    let limits = Limits::default();
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match parse_stream_item(&buf, &limits) {
                Ok(None) => {
                    if buf.len() > limits.max_message_size {
                        tracing::debug!("SIP TCP message too large; closing");
                        return;
                    }
                    break;
                }
                Ok(Some((item, used))) => {
                    let framed: Vec<u8> = buf.drain(..used).collect();
                    match item {
                        StreamItem::Message(message) => match message.check() {
                            Ok(()) => {
                                if incoming.send(Incoming { message, peer }).await.is_err() {
                                    return;
                                }
                            }
                            Err(error) => {
                                // Framed fine, so the stream goes on; only this one is refused.
                                if let Some(response) = error_response(&framed, &error) {
                                    let _ = outbox.try_send(response.to_bytes());
                                }
                            }
                        },
                        StreamItem::Ping => {
                            let _ = outbox.try_send(b"\r\n".to_vec());
                        }
                        StreamItem::Pong => {}
                    }
                }
                Err(error) => {
                    // The framing is lost: answer if we can, then close (RFC 4475 §3.1.2.2).
                    tracing::debug!(%error, "malformed SIP on TCP; closing");
                    if let Some(response) = error_response(&buf, &error) {
                        let _ = outbox.send(response.to_bytes()).await;
                    }
                    return;
                }
            }
        }
    }
}

async fn write_stream(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    mut outbox: mpsc::Receiver<Vec<u8>>,
) {
    while let Some(bytes) = outbox.recv().await {
        if writer.write_all(&bytes).await.is_err() {
            break;
        }
    }
    let _ = writer.shutdown().await;
}

impl Sender {
    /// The address the SIP sockets are bound to.
    pub(crate) fn local(&self) -> SocketAddr {
        self.local
    }

    /// Sends `bytes` to `to`: over UDP to its address; over TCP on its connection while it is
    /// open, else on any open connection to `fallback` or the address, else on a new one.
    pub(crate) fn send(&self, to: &Peer, fallback: Option<SocketAddr>, bytes: Vec<u8>) {
        match to.transport {
            Transport::Udp => {
                if let Err(e) = self.udp.try_send_to(&bytes, to.remote) {
                    if e.kind() == std::io::ErrorKind::WouldBlock {
                        let udp = Arc::clone(&self.udp);
                        let to = to.remote;
                        tokio::spawn(async move {
                            let _ = udp.send_to(&bytes, to).await;
                        });
                    } else {
                        tracing::debug!(error = %e, "UDP send failed");
                    }
                }
            }
            Transport::Tcp => {
                let existing = to
                    .connection
                    .and_then(|id| self.tcp.lock().get(&id).map(|(_, outbox)| outbox.clone()))
                    .or_else(|| self.tcp.to(to.remote));
                let target =
                    if to.connection.is_some() { fallback.unwrap_or(to.remote) } else { to.remote };
                match existing {
                    Some(outbox) => {
                        if outbox.try_send(bytes).is_err() {
                            tracing::debug!("SIP TCP peer is not reading; message dropped");
                        }
                    }
                    None => self.connect_and_send(target, bytes),
                }
            }
        }
    }

    fn connect_and_send(&self, remote: SocketAddr, bytes: Vec<u8>) {
        let connections = Arc::clone(&self.tcp);
        let local = self.local;
        tokio::spawn(async move {
            let Ok(permit) = Arc::clone(&connections.slots).try_acquire_owned() else {
                tracing::warn!("too many SIP TCP connections; cannot open another");
                return;
            };
            match TcpStream::connect(remote).await {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    let id = connections.register(remote, stream, local);
                    if let Some((_, outbox)) = connections.lock().get(&id) {
                        let _ = outbox.try_send(bytes);
                    }
                    permit_holder(permit, connections, id);
                }
                Err(e) => tracing::debug!(error = %e, "SIP TCP connect failed"),
            }
        });
    }
}
