//! RTCP between two legs over an emulated network: what each receiver measures (loss,
//! jitter) agrees with what the network did, the reports carry it to the sender, and the
//! sender computes the round trip from the LSR/DLSR echo.

mod common;

use centralita_media::rtcp::{self, RtcpPacket};
use centralita_media::{Codec, Leg, LegEvent, Source, ToneKind};
use common::{Netem, addr, config, ms, t0};

#[test]
fn loss_jitter_and_round_trip_over_a_lossy_path() {
    let addr_a = addr("192.0.2.1:10000");
    let addr_b = addr("192.0.2.2:20000");
    let mut a = Leg::new(config(Codec::Pcma, 0xA), t0());
    let mut b = Leg::new(config(Codec::Pcma, 0xB), t0());
    a.set_remote_hint(addr_b);
    b.set_remote_hint(addr_a);
    a.set_source(t0(), Source::Tone(ToneKind::Ringback));
    // A → B: 10 % loss, 20 ms delay + up to 30 ms jitter. B → A: clean, 40 ms.
    let mut a_to_b = Netem::new(9, 0.10, 20, 30);
    let mut b_to_a = Netem::new(10, 0.0, 40, 0);
    let mut rtcp_seen_by_a = 0;
    let mut sr_seen_by_b = 0;
    let (mut events_a, mut events_b) = (Vec::new(), Vec::new());
    let mut now = t0();
    let end = t0() + ms(60_000);
    while now < end {
        now += ms(1);
        for bytes in a_to_b.due(now) {
            if centralita_media::rtp::looks_like_rtcp(&bytes) {
                if let Some(Ok(RtcpPacket::SenderReport { .. })) =
                    rtcp::read_compound(&bytes).next()
                {
                    sr_seen_by_b += 1;
                }
                b.handle_rtcp(now, addr("192.0.2.1:10001"), &bytes);
            } else {
                b.handle_rtp(now, addr_a, &bytes);
            }
        }
        for bytes in b_to_a.due(now) {
            if centralita_media::rtp::looks_like_rtcp(&bytes) {
                rtcp_seen_by_a += 1;
                a.handle_rtcp(now, addr("192.0.2.2:20001"), &bytes);
            } else {
                a.handle_rtp(now, addr_b, &bytes);
            }
        }
        for (leg, net, events) in
            [(&mut a, &mut a_to_b, &mut events_a), (&mut b, &mut b_to_a, &mut events_b)]
        {
            while leg.poll_timeout().is_some_and(|t| t <= now) {
                leg.handle_timeout(now);
                while let Some(t) = leg.poll_transmit(now) {
                    if t.is_rtcp {
                        assert_eq!(t.destination.port() % 10_000, 1, "RTCP goes to RTP port + 1");
                    }
                    net.send(now, t.contents);
                }
            }
            while let Some(e) = leg.poll_event() {
                events.push(e);
            }
        }
    }
    // B's view of A's stream: ~10 % lost, jitter of a uniform 0-30 ms delay (mean |D| = 10 ms,
    // so about 10 ms once A.8's filter settles).
    let stats_b = b.stats();
    let expected = f64::from(stats_b.packets_expected);
    let lost = f64::from(stats_b.packets_lost);
    assert!((2990..=3001).contains(&stats_b.packets_expected), "{stats_b:?}");
    assert!((lost / expected - 0.10).abs() < 0.02, "loss {lost} of {expected}");
    assert!((6.0..14.0).contains(&stats_b.jitter_ms), "jitter {}", stats_b.jitter_ms);
    // A learnt it from B's reports: the cumulative loss B reported at its last RR (≤ 7.5 s ago).
    let remote = a.stats().remote.expect("A received B's reports");
    assert!((f64::from(remote.cumulative_lost) - lost).abs() <= 0.1 * 375.0 + 5.0, "{remote:?}");
    assert!(remote.cumulative_lost > 200);
    assert!((5..=60).contains(&remote.fraction_lost), "{remote:?}");
    assert!((remote.jitter_ms - stats_b.jitter_ms).abs() < 5.0);
    // Round trip: 20-50 ms there, 40 ms back.
    let rtt = remote.round_trip.expect("a round trip").as_millis();
    assert!((55..=95).contains(&rtt), "rtt {rtt} ms");
    // B receives nothing from A but sends silence: its reports to A are SRs too, and A's view
    // of B's clean stream has no loss.
    let stats_a = a.stats();
    assert_eq!(stats_a.packets_lost, 0);
    assert_eq!(stats_a.jitter_ms, 0.0);
    // Reports every 2.5-7.5 s: between 8 and 24 in a minute, each with a Stats event.
    assert!((8..=24).contains(&rtcp_seen_by_a), "{rtcp_seen_by_a}");
    assert!(sr_seen_by_b >= 7);
    let stats_events = events_a.iter().filter(|e| matches!(e, LegEvent::Stats(_))).count();
    assert!((8..=24).contains(&stats_events));
}

#[test]
fn reports_about_other_streams_and_garbage_change_nothing() {
    let mut leg = Leg::new(config(Codec::Pcma, 0xA), t0());
    let from = addr("192.0.2.2:20001");
    let block = rtcp::ReportBlock { ssrc: 0xDEAD, fraction_lost: 200, ..Default::default() };
    let report = rtcp::Report { ssrc: 0xB, sender: None, block: Some(block), cname: b"x" };
    let mut buf = [0u8; 128];
    let n = report.write(&mut buf).unwrap();
    leg.handle_rtcp(t0(), from, &buf[..n]);
    assert_eq!(leg.stats().remote, None);
    leg.handle_rtcp(t0(), from, &buf[..n - 1]);
    leg.handle_rtcp(t0(), from, b"");
    assert_eq!(leg.stats().malformed, 2);
    // A report about our stream is taken.
    let block = rtcp::ReportBlock {
        ssrc: 0xA,
        fraction_lost: 26,
        cumulative_lost: 12,
        jitter: 80,
        ..Default::default()
    };
    let report = rtcp::Report { ssrc: 0xB, sender: None, block: Some(block), cname: b"x" };
    let n = report.write(&mut buf).unwrap();
    leg.handle_rtcp(t0(), from, &buf[..n]);
    let remote = leg.stats().remote.unwrap();
    assert_eq!((remote.fraction_lost, remote.cumulative_lost, remote.jitter_ms), (26, 12, 10.0));
    assert_eq!(remote.round_trip, None);
}
