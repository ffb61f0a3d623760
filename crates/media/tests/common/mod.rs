//! Test helpers: simulated time, synthetic audio (sines, noise, a voice-like signal), a
//! Goertzel measurement, a simulated phone's RTP stream, and a small network emulator (loss,
//! duplication, delay and jitter, hence reordering) in the spirit of str0m's netem.
//!
//! Each test file uses a different part of this module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use centralita_media::rtp::{RtpHeader, RtpPacket};
use centralita_media::{Codec, Leg, LegConfig, LegEvent, TonePlan};

/// The origin of simulated time: tests build instants as `t0() + ms(n)`.
pub(crate) fn t0() -> Instant {
    use std::sync::OnceLock;
    static T0: OnceLock<Instant> = OnceLock::new();
    *T0.get_or_init(Instant::now)
}

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(crate) fn at(n_ms: u64) -> Instant {
    t0() + ms(n_ms)
}

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A leg with fixed "random" values, sending `codec`, telephone-event on 101.
pub(crate) fn config(codec: Codec, ssrc: u32) -> LegConfig {
    LegConfig {
        codec,
        dtmf_payload_type: Some(101),
        tone_plan: TonePlan::ES,
        ssrc,
        initial_seq: 65_500,
        initial_ts: 4_294_960_000,
        ntp_at_start: 0xE000_0000_0000_0000,
    }
}

/// A small deterministic random generator (xorshift64*), so every run sees the same network.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Gaussian-ish (sum of 4 uniforms), mean 0, deviation about 1.
    pub(crate) fn normal(&mut self) -> f64 {
        ((0..4).map(|_| self.unit()).sum::<f64>() - 2.0) * 1.732
    }
}

/// Peak amplitude of a sine at `dbfs` (full-scale sine = 0 dBFS).
pub(crate) fn amplitude(dbfs: f64) -> f64 {
    32768.0 * 10f64.powf(dbfs / 20.0)
}

/// `len` samples of the sum of sines at `freqs`, each of peak `amp`, starting at sample `start`.
pub(crate) fn sines(freqs: &[f64], amp: f64, start: usize, len: usize) -> Vec<i16> {
    (start..start + len)
        .map(|n| {
            let t = n as f64 / 8000.0;
            let v: f64 = freqs.iter().map(|f| (std::f64::consts::TAU * f * t).sin()).sum();
            (v * amp).round().clamp(-32768.0, 32767.0) as i16
        })
        .collect()
}

/// White noise of RMS `rms`.
pub(crate) fn white_noise(rng: &mut Rng, rms: f64, len: usize) -> Vec<i16> {
    (0..len).map(|_| (rng.normal() * rms).clamp(-32768.0, 32767.0) as i16).collect()
}

/// A voice-like signal: a glottal pulse train whose pitch glides between 90 and 260 Hz,
/// shaped by three formants that move between vowels, with syllables and pauses. Rich in
/// harmonics that wander across the DTMF band, which is what fools a careless detector.
pub(crate) fn voice_like(rng: &mut Rng, seconds: f64) -> Vec<i16> {
    let len = (seconds * 8000.0) as usize;
    let mut out = Vec::with_capacity(len);
    let vowels = [
        [730.0, 1090.0, 2440.0],
        [270.0, 2290.0, 3010.0],
        [300.0, 870.0, 2240.0],
        [530.0, 1840.0, 2480.0],
        [570.0, 840.0, 2410.0],
    ];
    let mut phase = 0.0f64;
    // Two-pole resonators, one per formant.
    let mut state = [[0.0f64; 2]; 3];
    for n in 0..len {
        let t = n as f64 / 8000.0;
        let pitch = 175.0 + 85.0 * (t * 1.3).sin() + 20.0 * (t * 7.0).sin();
        phase += pitch / 8000.0;
        let pulse = if phase >= 1.0 {
            phase -= 1.0;
            1.0
        } else {
            0.0
        };
        let syllable = (t * 4.0) as usize;
        let envelope =
            if syllable % 5 == 4 { 0.0 } else { (std::f64::consts::PI * (t * 4.0).fract()).sin() };
        let vowel = vowels[(syllable + rng.next_u64() as usize % 2) % vowels.len()];
        let excitation = pulse * envelope + 0.02 * rng.normal() * envelope;
        let mut y = 0.0;
        for (k, f) in vowel.iter().enumerate() {
            let r = 0.97f64;
            let c = 2.0 * r * (std::f64::consts::TAU * f / 8000.0).cos();
            let v = excitation + c * state[k][0] - r * r * state[k][1];
            state[k][1] = state[k][0];
            state[k][0] = v;
            y += v / (k as f64 + 1.0);
        }
        out.push(y);
    }
    // Normalise to a speech level of about -16 dBFS RMS.
    let rms = (out.iter().map(|v| v * v).sum::<f64>() / len as f64).sqrt().max(1e-9);
    let gain = amplitude(-16.0) / std::f64::consts::SQRT_2 / rms;
    out.into_iter().map(|v| (v * gain).clamp(-32768.0, 32767.0) as i16).collect()
}

/// Mean square of `samples` at `freq` (Goertzel, exact frequency): about A²/2 for a sine of
/// peak A, whatever the length.
pub(crate) fn goertzel(samples: &[i16], freq: f64) -> f64 {
    let coef = 2.0 * (std::f64::consts::TAU * freq / 8000.0).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s = f64::from(x) + coef * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let n = samples.len() as f64;
    (s1 * s1 + s2 * s2 - coef * s1 * s2) * 2.0 / (n * n)
}

/// Mean square of `samples`.
pub(crate) fn mean_square(samples: &[i16]) -> f64 {
    samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / samples.len().max(1) as f64
}

/// Level of `samples` in dBFS.
pub(crate) fn dbfs(samples: &[i16]) -> f64 {
    10.0 * (mean_square(samples).max(1e-12) / (32768.0 * 32768.0 / 2.0)).log10()
}

/// The RTP stream of a simulated phone.
#[derive(Debug, Clone)]
pub(crate) struct Phone {
    pub(crate) ssrc: u32,
    pub(crate) seq: u16,
    pub(crate) ts: u32,
}

impl Phone {
    pub(crate) fn new(ssrc: u32, seq: u16, ts: u32) -> Self {
        Phone { ssrc, seq, ts }
    }

    /// The next packet (seq + 1, ts + `samples` afterwards).
    pub(crate) fn packet(&mut self, pt: u8, marker: bool, payload: &[u8], samples: u32) -> Vec<u8> {
        let bytes = rtp_packet(pt, marker, self.seq, self.ts, self.ssrc, payload);
        self.seq = self.seq.wrapping_add(1);
        self.ts = self.ts.wrapping_add(samples);
        bytes
    }

    /// The next 20 ms of audio, encoded.
    pub(crate) fn audio(&mut self, codec: Codec, pcm: &[i16]) -> Vec<u8> {
        let mut payload = vec![0u8; pcm.len()];
        codec.encode_into(pcm, &mut payload);
        self.packet(codec.payload_type(), false, &payload, pcm.len() as u32)
    }
}

pub(crate) fn rtp_packet(
    pt: u8,
    marker: bool,
    seq: u16,
    ts: u32,
    ssrc: u32,
    payload: &[u8],
) -> Vec<u8> {
    let mut bytes = vec![0u8; 12 + payload.len()];
    RtpHeader { marker, payload_type: pt, sequence: seq, timestamp: ts, ssrc }
        .write(&mut bytes)
        .unwrap();
    bytes[12..].copy_from_slice(payload);
    bytes
}

/// A datagram a leg sent, copied out.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) at: Instant,
    pub(crate) to: SocketAddr,
    pub(crate) bytes: Vec<u8>,
    pub(crate) rtcp: bool,
}

impl Sent {
    pub(crate) fn rtp(&self) -> RtpPacket<'_> {
        RtpPacket::parse(&self.bytes).unwrap()
    }
}

/// Drains a leg's transmits and events.
pub(crate) fn drain(leg: &mut Leg, now: Instant, sent: &mut Vec<Sent>, events: &mut Vec<LegEvent>) {
    while let Some(t) = leg.poll_transmit(now) {
        sent.push(Sent { at: now, to: t.destination, bytes: t.contents.to_vec(), rtcp: t.is_rtcp });
    }
    while let Some(e) = leg.poll_event() {
        events.push(e);
    }
}

/// Runs a lone leg's timers up to `until` (inclusive), as the server's loop would.
pub(crate) fn run_until(
    leg: &mut Leg,
    until: Instant,
    sent: &mut Vec<Sent>,
    events: &mut Vec<LegEvent>,
) {
    while let Some(next) = leg.poll_timeout() {
        if next > until {
            break;
        }
        leg.handle_timeout(next);
        drain(leg, next, sent, events);
    }
}

/// A one-way network path: loss, duplication, a base delay and a random jitter (which
/// reorders packets sent closer together than the jitter).
#[derive(Debug)]
pub(crate) struct Netem {
    pub(crate) rng: Rng,
    pub(crate) loss: f64,
    pub(crate) duplicate: f64,
    pub(crate) delay: Duration,
    pub(crate) jitter: Duration,
    /// (deliver at, order of sending, bytes)
    queue: Vec<(Instant, u64, Vec<u8>)>,
    sent: u64,
    pub(crate) dropped: u64,
}

impl Netem {
    pub(crate) fn new(seed: u64, loss: f64, delay_ms: u64, jitter_ms: u64) -> Self {
        Netem {
            rng: Rng::new(seed),
            loss,
            duplicate: 0.0,
            delay: ms(delay_ms),
            jitter: ms(jitter_ms),
            queue: Vec::new(),
            sent: 0,
            dropped: 0,
        }
    }

    pub(crate) fn send(&mut self, now: Instant, bytes: &[u8]) {
        if self.rng.unit() < self.loss {
            self.dropped += 1;
            return;
        }
        let copies = if self.rng.unit() < self.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            let jitter = self.jitter.mul_f64(self.rng.unit());
            self.sent += 1;
            self.queue.push((now + self.delay + jitter, self.sent, bytes.to_vec()));
        }
    }

    /// The packets due at `now`, in arrival order.
    pub(crate) fn due(&mut self, now: Instant) -> Vec<Vec<u8>> {
        self.queue.sort_by_key(|(t, n, _)| (*t, *n));
        let split = self.queue.iter().take_while(|(t, _, _)| *t <= now).count();
        self.queue.drain(..split).map(|(_, _, b)| b).collect()
    }

    /// When the next packet arrives.
    pub(crate) fn next_arrival(&self) -> Option<Instant> {
        self.queue.iter().map(|(t, _, _)| *t).min()
    }
}

/// A bridged call in simulated time, stepped 1 ms at a time: two phones, each behind its own
/// pair of emulated network paths, and the server's two legs, with the server's part (moving
/// packets between the legs, recording) done the way the binary will do it.
pub(crate) struct Call {
    pub(crate) now: Instant,
    /// The caller's leg (left channel of the recording).
    pub(crate) a: Leg,
    /// The other party's leg (right channel).
    pub(crate) b: Leg,
    pub(crate) phone_a: Phone,
    pub(crate) phone_b: Phone,
    pub(crate) codec_a: Codec,
    pub(crate) codec_b: Codec,
    pub(crate) addr_a: SocketAddr,
    pub(crate) addr_b: SocketAddr,
    /// Phone → server and server → phone paths.
    pub(crate) up_a: Netem,
    pub(crate) down_a: Netem,
    pub(crate) up_b: Netem,
    pub(crate) down_b: Netem,
    /// What each phone received (RTP and RTCP), in arrival order.
    pub(crate) heard_by_a: Vec<Vec<u8>>,
    pub(crate) heard_by_b: Vec<Vec<u8>>,
    pub(crate) events_a: Vec<(Instant, LegEvent)>,
    pub(crate) events_b: Vec<(Instant, LegEvent)>,
    pub(crate) bridged: bool,
    pub(crate) recorder: Option<centralita_media::Recorder>,
    /// The recording file as written so far.
    pub(crate) wav: Vec<u8>,
    /// The audio each phone sends, by sample index.
    pub(crate) voice_a: Box<dyn FnMut(usize) -> i16>,
    pub(crate) voice_b: Box<dyn FnMut(usize) -> i16>,
    sample_a: usize,
    sample_b: usize,
    elapsed_ms: u64,
}

impl Call {
    pub(crate) fn new(
        codec_a: Codec,
        codec_b: Codec,
        up: (f64, u64, u64),
        down: (f64, u64, u64),
    ) -> Self {
        let now = t0();
        let addr_a = addr("198.51.100.10:40000");
        let addr_b = addr("203.0.113.20:50000");
        let mut a = Leg::new(config(codec_a, 0xAAAA_0001), now);
        let mut b = Leg::new(config(codec_b, 0xBBBB_0002), now);
        a.set_remote_hint(addr_a);
        b.set_remote_hint(addr_b);
        let path = |seed: u64, (loss, delay, jitter): (f64, u64, u64)| {
            Netem::new(seed, loss, delay, jitter)
        };
        Call {
            now,
            a,
            b,
            phone_a: Phone::new(0x1234_5678, 1000, 0),
            phone_b: Phone::new(0x8765_4321, 64_000, 3_000_000_000),
            codec_a,
            codec_b,
            addr_a,
            addr_b,
            up_a: path(1, up),
            down_a: path(2, down),
            up_b: path(3, up),
            down_b: path(4, down),
            heard_by_a: Vec::new(),
            heard_by_b: Vec::new(),
            events_a: Vec::new(),
            events_b: Vec::new(),
            bridged: false,
            recorder: None,
            wav: Vec::new(),
            voice_a: Box::new(|_| 0),
            voice_b: Box::new(|_| 0),
            sample_a: 0,
            sample_b: 0,
            elapsed_ms: 0,
        }
    }

    /// Bridges the legs: each sends what the other receives.
    pub(crate) fn bridge(&mut self) {
        self.a.set_source(self.now, centralita_media::Source::Forward);
        self.b.set_source(self.now, centralita_media::Source::Forward);
        self.bridged = true;
    }

    /// Starts recording the call in stereo.
    pub(crate) fn record(&mut self) {
        let recorder = centralita_media::Recorder::stereo();
        self.wav.extend_from_slice(&recorder.header_bytes());
        self.recorder = Some(recorder);
        self.a.enable_capture(self.now, true);
        self.b.enable_capture(self.now, true);
    }

    /// Runs the call for `ms` milliseconds.
    pub(crate) fn run(&mut self, ms_total: u64) {
        for _ in 0..ms_total {
            self.step();
        }
    }

    fn step(&mut self) {
        self.elapsed_ms += 1;
        self.now = t0() + ms(self.elapsed_ms);
        let now = self.now;
        // The phones send every 20 ms, at different phases.
        if self.elapsed_ms % 20 == 3 {
            let pcm: Vec<i16> = (0..160).map(|n| (self.voice_a)(self.sample_a + n)).collect();
            self.sample_a += 160;
            let bytes = self.phone_a.audio(self.codec_a, &pcm);
            self.up_a.send(now, &bytes);
        }
        if self.elapsed_ms % 20 == 11 {
            let pcm: Vec<i16> = (0..160).map(|n| (self.voice_b)(self.sample_b + n)).collect();
            self.sample_b += 160;
            let bytes = self.phone_b.audio(self.codec_b, &pcm);
            self.up_b.send(now, &bytes);
        }
        // Arrivals at the server.
        for bytes in self.up_a.due(now) {
            self.a.handle_rtp(now, self.addr_a, &bytes);
            if self.bridged {
                while let Some(f) = self.a.take_forward() {
                    self.b.push_forward(now, &f);
                }
            }
            self.flush();
        }
        for bytes in self.up_b.due(now) {
            self.b.handle_rtp(now, self.addr_b, &bytes);
            if self.bridged {
                while let Some(f) = self.b.take_forward() {
                    self.a.push_forward(now, &f);
                }
            }
            self.flush();
        }
        // Timers.
        loop {
            let due_a = self.a.poll_timeout().filter(|t| *t <= now);
            let due_b = self.b.poll_timeout().filter(|t| *t <= now);
            if due_a.is_none() && due_b.is_none() {
                break;
            }
            if due_a.is_some() {
                self.a.handle_timeout(now);
                // On each of the caller leg's ticks, one frame of each side to the recording.
                while let Some(left) = self.a.take_captured_frame() {
                    let right = self.b.take_captured_frame();
                    if let Some(recorder) = self.recorder.as_mut() {
                        let bytes = recorder.push(Some(&left), right.as_ref());
                        self.wav.extend_from_slice(bytes);
                    }
                }
            }
            if due_b.is_some() {
                self.b.handle_timeout(now);
            }
            self.flush();
        }
        // Arrivals at the phones.
        self.heard_by_a.extend(self.down_a.due(now));
        self.heard_by_b.extend(self.down_b.due(now));
    }

    fn flush(&mut self) {
        let now = self.now;
        while let Some(t) = self.a.poll_transmit(now) {
            assert_eq!(t.destination.ip(), self.addr_a.ip());
            self.down_a.send(now, t.contents);
        }
        while let Some(t) = self.b.poll_transmit(now) {
            assert_eq!(t.destination.ip(), self.addr_b.ip());
            self.down_b.send(now, t.contents);
        }
        while let Some(e) = self.a.poll_event() {
            self.events_a.push((now, e));
        }
        while let Some(e) = self.b.poll_event() {
            self.events_b.push((now, e));
        }
    }
}

/// The RTP packets among datagrams, parsed (RTCP left out).
pub(crate) fn rtp_only(datagrams: &[Vec<u8>]) -> Vec<RtpPacket<'_>> {
    datagrams
        .iter()
        .filter(|d| !centralita_media::rtp::looks_like_rtcp(d))
        .map(|d| RtpPacket::parse(d).unwrap())
        .collect()
}

/// Decodes the audio of RTP packets in sequence order (as a phone's jitter buffer would),
/// duplicates removed.
pub(crate) fn decode_in_order(packets: &[RtpPacket<'_>]) -> Vec<i16> {
    let mut sorted: Vec<&RtpPacket<'_>> = packets.iter().collect();
    // Extended order: the sequence numbers may wrap; sort by distance from the first.
    let first = sorted.first().map_or(0, |p| p.sequence).wrapping_sub(1000);
    sorted.sort_by_key(|p| p.sequence.wrapping_sub(first));
    sorted.dedup_by_key(|p| p.sequence);
    let mut out = Vec::new();
    for p in sorted {
        let Some(codec) = Codec::from_payload_type(p.payload_type) else { continue };
        let mut pcm = vec![0i16; p.payload.len()];
        codec.decode_into(p.payload, &mut pcm);
        out.extend(pcm);
    }
    out
}
