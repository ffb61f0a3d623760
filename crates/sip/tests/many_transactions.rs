//! Volume: a registrar's burst of REGISTERs (each retransmitted once, as UDP phones do) and a
//! run of outgoing OPTIONS pings through one endpoint, in simulated time. The transaction
//! table and the timer queue must stay proportional to what is live and drain to nothing.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use centralita_sip::{
    Config, Endpoint, Event, HeaderName, Message, Method, Peer, Request, Response, Uri,
};

const N: usize = 5_000;

fn register(i: usize) -> Vec<u8> {
    format!(
        "REGISTER sip:pbx.example SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.1.{}.{}:5060;branch=z9hG4bKreg{i};rport\r\n\
From: <sip:{i}@pbx.example>;tag=f{i}\r\n\
To: <sip:{i}@pbx.example>\r\n\
Call-ID: reg-{i}\r\n\
CSeq: 1 REGISTER\r\n\
Contact: <sip:{i}@10.1.0.1:5060>\r\n\
Expires: 300\r\n\
Max-Forwards: 70\r\n\r\n",
        i / 250,
        i % 250
    )
    .into_bytes()
}

#[test]
fn a_burst_of_registers_drains() {
    let mut ep = Endpoint::new(Config::new([3; 32]));
    let start = Instant::now();
    let local: SocketAddr = "192.0.2.10:5060".parse().unwrap();
    let mut answered = 0;
    for i in 0..N {
        // One REGISTER every 200 µs: 5,000 a second.
        let now = start + Duration::from_micros(200 * i as u64);
        let from = Peer::udp(
            SocketAddr::new([198, 51, 100, 1].into(), 20_000 + (i % 40_000) as u16),
            local,
        );
        let bytes = register(i);
        ep.handle_message(now, Message::parse(&bytes).unwrap(), from);
        while let Some(e) = ep.poll_event() {
            let Event::Request { key, request, .. } = e else { panic!("{e:?}") };
            let mut ok = Response::for_request(&request, 200, "OK");
            ok.headers.push(HeaderName::CONTACT, "<sip:x@10.1.0.1:5060>;expires=300");
            ep.respond(now, key, ok).unwrap();
            answered += 1;
        }
        // The phone did not hear us and retransmits: answered from the transaction.
        ep.handle_message(now, Message::parse(&bytes).unwrap(), from);
        assert!(ep.poll_event().is_none());
        ep.handle_timeout(now);
    }
    assert_eq!(answered, N);
    let sent = std::iter::from_fn(|| ep.poll_transmit()).count();
    assert_eq!(sent, 2 * N, "one 200 per REGISTER and one replay per retransmission");
    assert_eq!(ep.transaction_count(), N, "timer J keeps them for 64*T1");
    assert!(ep.timer_queue_len() <= N, "one timer each while Completed");
    let end = start + Duration::from_secs(40);
    ep.handle_timeout(end);
    assert_eq!(ep.transaction_count(), 0);
    assert_eq!(ep.poll_timeout(), None);
    assert_eq!(ep.timer_queue_len(), 0);
}

#[test]
fn many_outgoing_pings_time_out_together() {
    let mut ep = Endpoint::new(Config::new([4; 32]));
    let now = Instant::now();
    let local: SocketAddr = "192.0.2.10:5060".parse().unwrap();
    for i in 0..N {
        let mut r = Request::new(Method::Options, Uri::parse("sip:phone.example").unwrap());
        let tag = ep.new_tag();
        r.headers.push(HeaderName::FROM, format!("<sip:pbx.example>;tag={tag}"));
        r.headers.push(HeaderName::TO, "<sip:phone.example>");
        r.headers.push(HeaderName::CALL_ID, format!("ping-{i}"));
        r.headers.push(HeaderName::CSEQ, "1 OPTIONS");
        let to = Peer::udp(SocketAddr::new([198, 51, 100, 2].into(), 5060), local);
        ep.send_request(now, r, to).unwrap();
    }
    // Jump the clock from wakeup to wakeup: timer E retransmits, F ends each one.
    let mut sent = 0;
    let mut failed = 0;
    while let Some(at) = ep.poll_timeout() {
        ep.handle_timeout(at);
        sent += std::iter::from_fn(|| ep.poll_transmit()).count();
        failed += std::iter::from_fn(|| ep.poll_event())
            .filter(|e| matches!(e, Event::TransactionFailed { .. }))
            .count();
    }
    assert_eq!(failed, N);
    assert_eq!(sent, 11 * N, "the first send and ten retransmissions each (17.1.2.2)");
    assert_eq!((ep.transaction_count(), ep.timer_queue_len()), (0, 0));
}
