//! RFC 4733 key presses, through the receiver and through a leg: each press reported exactly
//! once and in order, whatever the network does to its packets (retransmitted end packets,
//! duplication, reordering, loss of the start, of the end, of everything but one packet).

mod common;

use std::time::Instant;

use centralita_media::dtmf::{DtmfReceiver, PressPackets, TelephoneEvent};
use centralita_media::{Codec, DtmfVia, Leg, LegEvent};
use common::{Netem, Phone, addr, at, config, ms, t0};

/// One packet of a press: its timestamp, marker and payload.
#[derive(Debug, Clone, Copy)]
struct EventPacket {
    send_at_ms: u64,
    timestamp: u32,
    marker: bool,
    event: TelephoneEvent,
}

/// The packets of pressing `keys`, each for 100 ms with 100 ms between, starting at 0 ms.
fn presses(keys: &str) -> Vec<EventPacket> {
    let mut out = Vec::new();
    for (n, key) in keys.chars().enumerate() {
        let start_ms = n as u64 * 200;
        let timestamp = 1_000 + start_ms as u32 * 8;
        for p in PressPackets::new(key, 100, 10).unwrap() {
            out.push(EventPacket {
                send_at_ms: start_ms + u64::from(p.offset_ms),
                timestamp,
                marker: p.marker,
                event: p.event,
            });
        }
    }
    out
}

/// Feeds packets (in the given order, each at its own time) to a receiver, running its
/// timeout, and returns the keys.
fn receive(packets: &[(u64, EventPacket)]) -> String {
    let mut rx = DtmfReceiver::new();
    let mut keys = String::new();
    for (arrive_ms, p) in packets {
        let now = at(*arrive_ms);
        if let Some(t) = rx.poll_timeout().filter(|t| *t <= now) {
            rx.handle_timeout(t);
        }
        rx.handle(now, p.timestamp, p.marker, &p.event);
        while let Some(k) = rx.poll() {
            keys.push(k);
        }
    }
    rx.handle_timeout(at(1_000_000));
    while let Some(k) = rx.poll() {
        keys.push(k);
    }
    keys
}

fn in_order(packets: &[EventPacket]) -> Vec<(u64, EventPacket)> {
    packets.iter().map(|p| (p.send_at_ms, *p)).collect()
}

#[test]
fn every_key_once_from_a_clean_stream() {
    let keys = "0123456789*#ABCD";
    assert_eq!(receive(&in_order(&presses(keys))), keys);
}

#[test]
fn retransmitted_and_duplicated_packets_do_not_repeat_a_key() {
    let packets = presses("1212");
    // Every packet twice, and the end packets a third time 500 ms later (after the next press).
    let mut stream: Vec<(u64, EventPacket)> = Vec::new();
    for p in &packets {
        stream.push((p.send_at_ms, *p));
        stream.push((p.send_at_ms + 1, *p));
    }
    for p in packets.iter().filter(|p| p.event.end) {
        stream.push((p.send_at_ms + 500, *p));
    }
    stream.sort_by_key(|(t, _)| *t);
    assert_eq!(receive(&stream), "1212");
}

#[test]
fn reordered_packets_keep_the_keys_in_order() {
    let packets = presses("159#");
    // Reverse each press's packets in pairs, and deliver press n's end packets after press
    // n+1's first packets.
    let mut stream: Vec<(u64, EventPacket)> = Vec::new();
    for chunk in packets.chunks(2) {
        for p in chunk.iter().rev() {
            stream.push((p.send_at_ms, *p));
        }
    }
    for item in stream.iter_mut().filter(|(_, p)| p.event.end) {
        item.0 += 230;
    }
    stream.sort_by_key(|(t, _)| *t);
    assert_eq!(receive(&stream), "159#");
}

#[test]
fn lost_packets_do_not_lose_or_repeat_keys() {
    let packets = presses("24680");
    let kept: Vec<(u64, EventPacket)> = packets
        .iter()
        .enumerate()
        .filter(|(n, p)| {
            let press = p.timestamp;
            match press {
                // '2': no start packet (marker lost).
                1_000 => !p.marker,
                // '4': no end packet at all.
                2_600 => !p.event.end,
                // '6': only the first packet.
                4_200 => p.marker,
                // '8': only one end packet.
                5_800 => p.event.end && n % 7 == 6,
                _ => true,
            }
        })
        .map(|(_, p)| (p.send_at_ms, *p))
        .collect();
    assert_eq!(receive(&kept), "24680");
}

#[test]
fn a_press_without_end_is_reported_at_40_ms_or_after_its_last_packet() {
    let mut rx = DtmfReceiver::new();
    let ev = |duration: u16| TelephoneEvent { event: 5, end: false, volume: 10, duration };
    rx.handle(at(0), 8000, true, &ev(160));
    assert_eq!(rx.poll(), None, "20 ms is not yet a press");
    rx.handle(at(20), 8000, false, &ev(320));
    assert_eq!(rx.poll(), Some('5'), "40 ms is");
    rx.handle(at(40), 8000, false, &ev(480));
    assert_eq!(rx.poll(), None);
    // A lone start packet: reported 200 ms after it.
    rx.handle(at(1000), 20_000, true, &TelephoneEvent { event: 11, ..ev(0) });
    assert_eq!(rx.poll_timeout(), Some(at(1200)));
    rx.handle_timeout(at(1199));
    assert_eq!(rx.poll(), None);
    rx.handle_timeout(at(1200));
    assert_eq!(rx.poll(), Some('#'));
    assert_eq!(rx.poll_timeout(), None);
}

#[test]
fn a_long_press_split_in_segments_is_one_key() {
    // RFC 4733 §2.5.1.3: after 8 s the duration would overflow; the press goes on with a new
    // timestamp and no marker.
    let mut rx = DtmfReceiver::new();
    let ev = |duration: u16, end: bool| TelephoneEvent { event: 0, end, volume: 10, duration };
    rx.handle(at(0), 0, true, &ev(400, false));
    rx.handle(at(50), 0, false, &ev(65_535, false));
    rx.handle(at(8200), 65_535, false, &ev(800, false));
    rx.handle(at(8300), 65_535, false, &ev(1600, true));
    let keys: Vec<char> = std::iter::from_fn(|| rx.poll()).collect();
    assert_eq!(keys, ['0']);
}

/// Through a leg: presses interleaved with audio, over a network that loses 20 %, duplicates
/// 20 % and reorders (jitter 50 ms): every key exactly once, in order.
#[test]
fn a_leg_reports_each_key_once_over_a_bad_network() {
    let keys = "31415926*#";
    let mut leg = Leg::new(config(Codec::Pcmu, 1), t0());
    let from = addr("192.0.2.7:4000");
    leg.set_remote_hint(from);
    let mut net = Netem::new(42, 0.2, 10, 50);
    net.duplicate = 0.2;
    let mut phone = Phone::new(99, 65_000, 0);
    let mut events = Vec::new();
    let mut sent = Vec::new();
    let mut press = keys.chars();
    let mut packets: Vec<(u64, Vec<u8>)> = Vec::new();
    // A key every 300 ms: 20 ms packets of audio, replaced by events for 120 ms.
    let mut t = 0u64;
    while t < 300 * keys.len() as u64 + 1000 {
        if t % 300 == 100
            && let Some(key) = press.next()
        {
            let timestamp = phone.ts;
            for p in PressPackets::new(key, 100, 10).unwrap() {
                let bytes = common::rtp_packet(
                    101,
                    p.marker,
                    phone.seq,
                    timestamp,
                    phone.ssrc,
                    &p.event.to_bytes(),
                );
                phone.seq = phone.seq.wrapping_add(1);
                packets.push((t + u64::from(p.offset_ms), bytes));
            }
            phone.ts = phone.ts.wrapping_add(7 * 160);
            t += 140;
            continue;
        }
        packets.push((t, phone.audio(Codec::Pcmu, &[0i16; 160])));
        t += 20;
    }
    for (send_ms, bytes) in &packets {
        net.send(at(*send_ms), bytes);
    }
    let end = at(t + 500);
    let mut now: Instant = t0();
    while now < end {
        now += ms(1);
        for bytes in net.due(now) {
            leg.handle_rtp(now, from, &bytes);
        }
        common::run_until(&mut leg, now, &mut sent, &mut events);
        common::drain(&mut leg, now, &mut sent, &mut events);
    }
    let got: String = events
        .iter()
        .filter_map(|e| match e {
            LegEvent::Dtmf { key, via: DtmfVia::Rfc4733 } => Some(*key),
            _ => None,
        })
        .collect();
    assert_eq!(got, keys, "lost {} packets", net.dropped);
    assert!(net.dropped > 10);
}
