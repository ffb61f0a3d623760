//! Micro benchmark of the per-packet paths, without criterion: run it in release mode.
//!
//! ```sh
//! cargo run --release -p centralita-media --example bench
//! ```
//!
//! It measures the server's whole work for one packet (parse on the receiving leg, copy for
//! forwarding, restamp and copy or transcode on the sending leg, hand the datagram out), for one
//! generated tone packet (generate, encode, stamp), and for the optional receive-side analysis.
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use centralita_media::goertzel::InBandDetector;
use centralita_media::rtp::RtpHeader;
use centralita_media::tones::{ToneGenerator, TonePlan};
use centralita_media::{Codec, Leg, LegConfig, SilenceConfig, Source, ToneKind};

const PACKETS: u32 = 2_000_000;

fn config(codec: Codec, ssrc: u32) -> LegConfig {
    LegConfig {
        codec,
        dtmf_payload_type: Some(101),
        tone_plan: TonePlan::ES,
        ssrc,
        initial_seq: 1,
        initial_ts: 0,
        ntp_at_start: 0,
    }
}

/// ns per packet from A's socket to B's socket.
fn forward(from: Codec, to: Codec, analyse: bool) -> f64 {
    let t0 = Instant::now();
    let peer_a: SocketAddr = "192.0.2.1:4000".parse().unwrap();
    let peer_b: SocketAddr = "192.0.2.2:4000".parse().unwrap();
    let mut a = Leg::new(config(from, 1), t0);
    let mut b = Leg::new(config(to, 2), t0);
    a.set_remote_hint(peer_a);
    b.set_remote_hint(peer_b);
    b.set_source(t0, Source::Forward);
    if analyse {
        a.enable_capture(t0, true);
        a.enable_inband_dtmf(t0, true);
        a.enable_silence_detection(t0, Some(SilenceConfig::default()));
    }
    let mut packet = [0u8; 172];
    for (n, byte) in packet[12..].iter_mut().enumerate() {
        *byte = from.encode((n as i16 - 80) * 200);
    }
    let mut now = t0;
    let mut bytes_out = 0usize;
    let start = Instant::now();
    for n in 0..PACKETS {
        now += Duration::from_millis(20);
        RtpHeader {
            marker: false,
            payload_type: from.payload_type(),
            sequence: n as u16,
            timestamp: n * 160,
            ssrc: 9,
        }
        .write(&mut packet)
        .unwrap();
        a.handle_rtp(now, peer_a, black_box(&packet));
        if analyse {
            a.handle_timeout(now);
            while a.poll_transmit(now).is_some() {}
            black_box(a.take_captured_frame());
            while a.poll_event().is_some() {}
        }
        if let Some(f) = a.take_forward() {
            b.push_forward(now, &f);
        }
        while let Some(t) = b.poll_transmit(now) {
            bytes_out += black_box(t.contents).len();
        }
    }
    let elapsed = start.elapsed();
    assert!(bytes_out >= PACKETS as usize * 172, "every packet went out: {bytes_out}");
    elapsed.as_nanos() as f64 / f64::from(PACKETS)
}

/// ns per 20 ms tone packet produced by a leg (tick, generate, encode, stamp, hand out).
fn leg_tone_packet() -> f64 {
    let t0 = Instant::now();
    let mut leg = Leg::new(config(Codec::Pcma, 1), t0);
    leg.set_remote_hint("192.0.2.1:4000".parse().unwrap());
    leg.set_source(t0, Source::Tone(ToneKind::Ringback));
    let mut sent = 0u32;
    let mut now = t0;
    let start = Instant::now();
    while sent < PACKETS / 4 {
        now += Duration::from_millis(20);
        leg.handle_timeout(now);
        while let Some(t) = leg.poll_transmit(now) {
            black_box(t.contents);
            sent += u32::from(!t.is_rtcp);
        }
        while leg.poll_event().is_some() {}
    }
    start.elapsed().as_nanos() as f64 / f64::from(sent)
}

/// ns per 160-sample tone frame from the generator alone.
fn tone_frame() -> f64 {
    let mut generator = ToneGenerator::new(TonePlan::US.ringback);
    let mut frame = [0i16; 160];
    let start = Instant::now();
    for _ in 0..PACKETS {
        generator.next_frame(&mut frame);
        black_box(&frame);
    }
    start.elapsed().as_nanos() as f64 / f64::from(PACKETS)
}

/// ns per 20 ms frame through the in-band DTMF detector.
fn inband_frame() -> f64 {
    let mut detector = InBandDetector::new();
    let frame: [i16; 160] = std::array::from_fn(|n| ((n as f64 * 0.7).sin() * 3000.0) as i16);
    let start = Instant::now();
    for _ in 0..PACKETS / 4 {
        black_box(detector.push_frame(black_box(&frame)));
    }
    start.elapsed().as_nanos() as f64 / f64::from(PACKETS / 4)
}

fn main() {
    let t0 = Instant::now();
    let mut leg = Leg::new(config(Codec::Pcmu, 1), t0);
    println!("per-leg memory: {} bytes", leg.memory_bytes());
    leg.enable_capture(t0, true);
    println!("per-leg memory with capture/detectors on: {} bytes", leg.memory_bytes());
    println!(
        "forward, same codec (PCMU -> PCMU):     {:6.1} ns/packet",
        forward(Codec::Pcmu, Codec::Pcmu, false)
    );
    println!(
        "forward, transcoded (PCMU -> PCMA):     {:6.1} ns/packet",
        forward(Codec::Pcmu, Codec::Pcma, false)
    );
    println!(
        "forward + capture, in-band, silence:    {:6.1} ns/packet",
        forward(Codec::Pcma, Codec::Pcma, true)
    );
    println!("tone frame (generator, 440+480 Hz):     {:6.1} ns/frame", tone_frame());
    println!("tone packet from a leg (tick to datagram): {:6.1} ns/packet", leg_tone_packet());
    println!("in-band DTMF detector:                  {:6.1} ns/frame", inband_frame());
}
