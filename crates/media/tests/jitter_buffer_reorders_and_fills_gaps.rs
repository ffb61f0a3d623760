//! The receive-side jitter buffer: order restored, duplicates and late packets dropped,
//! missing packets replaced by silence after a bounded wait, sequence numbers wrapping at
//! 65535, depth bounded whatever arrives, delay brought back down after it grew.

mod common;

use centralita_media::Codec;
use centralita_media::jitter::{CAPACITY, JitterBuffer, Popped, Pushed};
use common::at;

/// A payload whose decoded samples say which packet it was: sample k is loud and positive if
/// bit k of the tag is set, loud and negative otherwise (G.711 keeps the sign of loud values).
fn payload(tag: u16) -> [u8; 160] {
    std::array::from_fn(|k| {
        Codec::Pcma.encode(if k < 16 && tag >> k & 1 == 1 { 4000 } else { -4000 })
    })
}

fn tag_of(frame: &[i16; 160]) -> Option<u16> {
    if frame.iter().all(|&s| s == 0) {
        return None;
    }
    Some((0..16).filter(|&k| frame[k] > 0).map(|k| 1u16 << k).sum())
}

/// Pops once at `now_ms`, returning the packet's tag (None for silence).
fn pop(jb: &mut JitterBuffer, now_ms: u64) -> (Popped, Option<u16>) {
    let mut frame = [0i16; 160];
    let popped = jb.pop(at(now_ms), &mut frame);
    (popped, tag_of(&frame))
}

#[test]
fn reordered_packets_come_out_in_order() {
    let mut jb = JitterBuffer::new();
    // Sent 1..=6 every 20 ms; 3 arrives after 4, 6 after 5 and before 5 is played.
    let arrivals = [(0, 1), (20, 2), (41, 4), (45, 3), (60, 6), (62, 5)];
    let mut out = Vec::new();
    let mut arrival = arrivals.iter().peekable();
    for tick in 0..10u64 {
        let now = tick * 20 + 10;
        while let Some(&&(t, seq)) = arrival.peek() {
            if t > now {
                break;
            }
            assert_eq!(jb.push(at(t), seq, Codec::Pcma, &payload(seq)), Pushed::Stored);
            arrival.next();
        }
        out.push(pop(&mut jb, now).1);
    }
    let played: Vec<u16> = out.iter().flatten().copied().collect();
    assert_eq!(played, [1, 2, 3, 4, 5, 6]);
}

#[test]
fn duplicates_and_late_packets_are_dropped() {
    let mut jb = JitterBuffer::new();
    assert_eq!(jb.push(at(0), 10, Codec::Pcma, &payload(10)), Pushed::Stored);
    assert_eq!(jb.push(at(1), 10, Codec::Pcma, &payload(10)), Pushed::Duplicate);
    assert_eq!(jb.push(at(2), 11, Codec::Pcma, &payload(11)), Pushed::Stored);
    assert_eq!(pop(&mut jb, 10).1, Some(10));
    assert_eq!(jb.push(at(15), 10, Codec::Pcma, &payload(10)), Pushed::Late);
    assert_eq!(pop(&mut jb, 30).1, Some(11));
    let counters = jb.counters();
    assert_eq!((counters.duplicate, counters.late), (1, 1));
    assert_eq!(jb.push(at(0), 12, Codec::Pcma, &[0; 80]), Pushed::WrongSize);
}

#[test]
fn a_lost_packet_becomes_silence_after_at_most_60_ms() {
    let mut jb = JitterBuffer::new();
    jb.push(at(0), 100, Codec::Pcma, &payload(100));
    assert_eq!(pop(&mut jb, 5), (Popped::Audio, Some(100)));
    // 101 is lost; 102, 103, 104 arrive on time.
    let mut played = Vec::new();
    for (n, seq) in [102u16, 103, 104, 105, 106].into_iter().enumerate() {
        let t = 40 + n as u64 * 20;
        jb.push(at(t), seq, Codec::Pcma, &payload(seq));
        played.push(pop(&mut jb, t + 5));
    }
    // Waiting while 102 has been here less than 60 ms, then 102 onwards.
    assert_eq!(played[0], (Popped::Waiting, None));
    assert_eq!(played[1], (Popped::Waiting, None));
    assert_eq!(played[2], (Popped::Waiting, None));
    assert_eq!(played[3], (Popped::Audio, Some(102)));
    assert_eq!(played[4], (Popped::Audio, Some(103)));
    assert_eq!(jb.counters().lost, 1);
}

#[test]
fn sequence_numbers_wrap_at_65535() {
    let mut jb = JitterBuffer::new();
    let seqs = [65533u16, 65534, 0, 65535, 1, 2];
    for (n, seq) in seqs.into_iter().enumerate() {
        assert_eq!(jb.push(at(n as u64), seq, Codec::Pcma, &payload(seq)), Pushed::Stored);
    }
    let played: Vec<Option<u16>> = (0..6).map(|n| pop(&mut jb, 10 + n * 20).1).collect();
    assert_eq!(played, [Some(65533), Some(65534), Some(65535), Some(0), Some(1), Some(2)]);
}

#[test]
fn a_flood_cannot_make_it_grow() {
    let mut jb = JitterBuffer::new();
    for seq in 0..10_000u16 {
        jb.push(at(0), seq, Codec::Pcma, &payload(seq));
        assert!(jb.depth() <= CAPACITY);
    }
    // What is left is the newest window, in order.
    let played: Vec<u16> = (0..CAPACITY as u64).filter_map(|n| pop(&mut jb, n * 20).1).collect();
    let expected: Vec<u16> = (10_000 - CAPACITY as u16..10_000).collect();
    assert_eq!(played, expected);
    assert!(jb.counters().overflow >= 9_000);
}

#[test]
fn a_restarted_stream_resyncs() {
    let mut jb = JitterBuffer::new();
    jb.push(at(0), 500, Codec::Pcma, &payload(500));
    assert_eq!(jb.push(at(1), 30_000, Codec::Pcma, &payload(3)), Pushed::Resynced);
    assert_eq!(pop(&mut jb, 10).1, Some(3));
}

#[test]
fn packets_without_audio_take_no_time() {
    let mut jb = JitterBuffer::new();
    jb.push(at(0), 1, Codec::Pcma, &payload(1));
    jb.push_no_audio(at(1), 2);
    jb.push_no_audio(at(2), 3);
    jb.push(at(3), 4, Codec::Pcma, &payload(4));
    assert_eq!(pop(&mut jb, 10).1, Some(1));
    assert_eq!(pop(&mut jb, 30).1, Some(4));
}

#[test]
fn a_pause_in_the_stream_is_silence_and_the_stream_resumes_at_once() {
    let mut jb = JitterBuffer::new();
    jb.push(at(0), 1, Codec::Pcma, &payload(1));
    assert_eq!(pop(&mut jb, 10).1, Some(1));
    for n in 1..50 {
        assert_eq!(pop(&mut jb, 10 + n * 20), (Popped::Empty, None));
    }
    jb.push(at(1005), 2, Codec::Pcma, &payload(2));
    assert_eq!(pop(&mut jb, 1010).1, Some(2));
}

#[test]
fn delay_that_built_up_is_brought_back_down() {
    let mut jb = JitterBuffer::new();
    // A burst puts 5 packets ahead, then packets arrive regularly, one per tick.
    for seq in 0..5u16 {
        jb.push(at(0), seq, Codec::Pcma, &payload(seq));
    }
    let mut depth_after = Vec::new();
    for n in 0..200u16 {
        let t = u64::from(n) * 20;
        jb.push(at(t), 5 + n, Codec::Pcma, &payload(5 + n));
        pop(&mut jb, t + 10);
        depth_after.push(jb.depth());
    }
    assert!(depth_after[10] >= 4, "{depth_after:?}");
    assert!(*depth_after.last().unwrap() <= 2, "{depth_after:?}");
    assert!(jb.counters().shrunk >= 2);
}
