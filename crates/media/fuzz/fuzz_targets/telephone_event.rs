//! Fuzzes RFC 4733 and SIP INFO DTMF: the payload parser round-trips, the SIP INFO parser
//! only ever returns a DTMF key, and a receiver fed any sequence of (time, timestamp, marker,
//! payload) never reports more keys than it got packets, and never panics.

#![no_main]

use std::time::{Duration, Instant};

use centralita_media::dtmf::{DtmfReceiver, TelephoneEvent, parse_sip_info};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ev) = TelephoneEvent::parse(data) {
        let again = TelephoneEvent::parse(&ev.to_bytes()).expect("4 bytes");
        assert_eq!(again, ev);
    }
    for content_type in ["application/dtmf-relay", "application/dtmf"] {
        if let Ok(key) = parse_sip_info(content_type, data) {
            assert!("0123456789*#ABCD".contains(key.key), "{key:?}");
        }
    }
    // Records of 8 bytes: time step (1), timestamp selector (1), marker (1), spare (1), payload (4).
    let t0 = Instant::now();
    let mut now = t0;
    let mut rx = DtmfReceiver::new();
    let mut keys = 0usize;
    for record in data.chunks_exact(8) {
        now += Duration::from_millis(u64::from(record[0]));
        rx.handle_timeout(now);
        // A few distinct timestamps, so that retransmissions and reordering happen.
        let timestamp = u32::from(record[1] % 8) * 800;
        let Ok(ev) = TelephoneEvent::parse(&record[4..]) else { continue };
        rx.handle(now, timestamp, record[2] & 1 == 1, &ev);
        while rx.poll().is_some() {
            keys += 1;
        }
    }
    rx.handle_timeout(now + Duration::from_secs(1));
    while rx.poll().is_some() {
        keys += 1;
    }
    // A press is reported once: never more keys than packets.
    assert!(keys <= data.len() / 8, "{keys} keys from {} packets", data.len() / 8);
});
