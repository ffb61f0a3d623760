//! In-band DTMF: all sixteen keys at telephone levels with the shortest timing a receiver must
//! accept (40 ms on, 40 ms off), at any alignment with our 20 ms frames and through G.711; and
//! no key at all from the tones of any plan, from noise or from a voice.

mod common;

use centralita_media::goertzel::InBandDetector;
use centralita_media::tones::{ToneGenerator, ToneKind, TonePlan};
use centralita_media::{Codec, DtmfVia, Leg, LegEvent};
use common::{Phone, Rng, addr, amplitude, at, config, sines, t0, voice_like, white_noise};

const KEYS: &str = "123A456B789C*0#D";

fn frequencies(key: char) -> [f64; 2] {
    let rows = [697.0, 770.0, 852.0, 941.0];
    let cols = [1209.0, 1336.0, 1477.0, 1633.0];
    let n = "123A456B789C*0#D".find(key).unwrap();
    [rows[n / 4], cols[n % 4]]
}

/// `keys` as audio: `offset` samples of silence, then each key `on_ms` on and `off_ms` off,
/// each tone of the pair at `dbfs`.
fn dial(keys: &str, dbfs: f64, on_ms: usize, off_ms: usize, offset: usize) -> Vec<i16> {
    let mut out = vec![0i16; offset];
    for key in keys.chars() {
        out.extend(sines(&frequencies(key), amplitude(dbfs), out.len(), on_ms * 8));
        out.extend(std::iter::repeat_n(0i16, off_ms * 8));
    }
    out.extend(std::iter::repeat_n(0i16, 800));
    out
}

fn detect(samples: &[i16]) -> String {
    let mut detector = InBandDetector::new();
    samples
        .chunks_exact(160)
        .filter_map(|frame| detector.push_frame(frame.try_into().unwrap()))
        .collect()
}

/// Through G.711 and back, as the audio arrives in RTP.
fn through(codec: Codec, samples: &[i16]) -> Vec<i16> {
    samples.iter().map(|&s| codec.decode(codec.encode(s))).collect()
}

#[test]
fn all_sixteen_keys_at_minus_10_dbfs_with_40_ms_on_and_off() {
    // −13 dBFS per tone, −10 dBFS for the pair.
    for offset in [0, 37, 80, 123, 159] {
        let audio = dial(KEYS, -13.0, 40, 40, offset);
        assert_eq!(detect(&audio), KEYS, "offset {offset}");
        for codec in [Codec::Pcmu, Codec::Pcma] {
            assert_eq!(detect(&through(codec, &audio)), KEYS, "offset {offset} {codec:?}");
        }
    }
}

#[test]
fn quiet_keys_with_twist_and_noise_are_heard() {
    // −28 dBFS row, −33 dBFS column (5 dB normal twist), noise 20 dB below.
    let mut rng = Rng::new(7);
    let mut audio = Vec::new();
    for key in KEYS.chars() {
        let [row, col] = frequencies(key);
        let a = sines(&[row], amplitude(-28.0), audio.len(), 480);
        let b = sines(&[col], amplitude(-33.0), audio.len(), 480);
        audio.extend(a.iter().zip(&b).map(|(x, y)| x + y));
        audio.extend(std::iter::repeat_n(0i16, 480));
    }
    let noise = white_noise(&mut rng, amplitude(-50.0) / 2f64.sqrt(), audio.len());
    let noisy: Vec<i16> = audio.iter().zip(&noise).map(|(a, n)| a.saturating_add(*n)).collect();
    assert_eq!(detect(&through(Codec::Pcma, &noisy)), KEYS);
}

#[test]
fn the_same_key_twice_needs_a_gap() {
    // 5, 40 ms gap, 5: two presses, at any alignment.
    for offset in [0, 20, 45, 80, 130] {
        assert_eq!(detect(&dial("55", -13.0, 60, 40, offset)), "55", "offset {offset}");
    }
    // 5, 10 ms dropout, 5: one press, at any alignment.
    for dropout_at in [400, 440, 480, 485, 520, 555] {
        let mut audio = sines(&frequencies('5'), amplitude(-13.0), 0, 1200);
        audio[dropout_at..dropout_at + 80].fill(0);
        audio.extend(std::iter::repeat_n(0i16, 800));
        assert_eq!(detect(&audio), "5", "dropout at {dropout_at}");
    }
}

#[test]
fn too_short_too_quiet_or_too_twisted_is_not_a_key() {
    assert_eq!(detect(&dial("1", -13.0, 15, 100, 40)), "");
    assert_eq!(detect(&dial("1", -45.0, 100, 100, 0)), "");
    // Column 12 dB above the row: reverse twist beyond 4 dB.
    let a = sines(&[697.0], amplitude(-30.0), 0, 800);
    let b = sines(&[1209.0], amplitude(-18.0), 0, 800);
    let twisted: Vec<i16> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    assert_eq!(detect(&twisted), "");
    // A single tone of the keypad is not a key.
    assert_eq!(detect(&sines(&[770.0], amplitude(-10.0), 0, 8000)), "");
}

#[test]
fn no_key_from_any_tone_of_any_plan() {
    for plan in TonePlan::ALL {
        for kind in [ToneKind::Ringback, ToneKind::Busy, ToneKind::Beep] {
            let mut generator = ToneGenerator::new(plan.tone(kind));
            let mut detectors = [InBandDetector::new(), InBandDetector::new()];
            let mut frame = [0i16; 160];
            // 30 s of each (the beep once, then silence), as received in µ-law and in A-law.
            for n in 0..1500 {
                generator.next_frame(&mut frame);
                for (codec, detector) in [Codec::Pcmu, Codec::Pcma].into_iter().zip(&mut detectors)
                {
                    let f: [i16; 160] =
                        std::array::from_fn(|k| codec.decode(codec.encode(frame[k])));
                    assert_eq!(detector.push_frame(&f), None, "{} {kind:?} frame {n}", plan.name);
                }
            }
        }
    }
}

#[test]
fn no_key_from_white_noise() {
    let mut rng = Rng::new(11);
    for dbfs in [-40.0, -25.0, -10.0, -3.0] {
        let noise = white_noise(&mut rng, amplitude(dbfs) / 2f64.sqrt(), 8000 * 60);
        assert_eq!(detect(&noise), "", "noise at {dbfs} dBFS");
    }
}

#[test]
fn no_key_from_a_voice() {
    let mut rng = Rng::new(3);
    let voice = voice_like(&mut rng, 120.0);
    assert_eq!(detect(&voice), "");
    assert_eq!(detect(&through(Codec::Pcma, &voice)), "");
    // Louder, and with noise.
    let loud: Vec<i16> = voice.iter().map(|&s| s.saturating_mul(3)).collect();
    let noise = white_noise(&mut rng, 300.0, loud.len());
    let mixed: Vec<i16> = loud.iter().zip(&noise).map(|(a, b)| a.saturating_add(*b)).collect();
    assert_eq!(detect(&mixed), "");
}

/// Through a leg: in-band keys in the RTP audio are reported, until the peer shows it speaks
/// RFC 4733, after which the in-band detector is ignored (no double keys).
#[test]
fn a_leg_hears_inband_keys_until_rfc4733_is_seen() {
    let from = addr("192.0.2.9:5000");
    let mut leg = Leg::new(config(Codec::Pcma, 5), t0());
    leg.set_remote_hint(from);
    leg.enable_inband_dtmf(t0(), true);
    let mut phone = Phone::new(77, 10, 0);
    let audio = dial("147", -13.0, 80, 80, 0);
    let (mut sent, mut events) = (Vec::new(), Vec::new());
    let mut now_ms = 0;
    for frame in audio.chunks_exact(160) {
        now_ms += 20;
        leg.handle_rtp(at(now_ms), from, &phone.audio(Codec::Pcma, frame));
        common::run_until(&mut leg, at(now_ms), &mut sent, &mut events);
    }
    // An RFC 4733 press of '9', then the same in-band audio of "147" again.
    for p in centralita_media::dtmf::PressPackets::new('9', 100, 10).unwrap() {
        let bytes = common::rtp_packet(101, p.marker, phone.seq, phone.ts, 77, &p.event.to_bytes());
        phone.seq = phone.seq.wrapping_add(1);
        now_ms += 20;
        leg.handle_rtp(at(now_ms), from, &bytes);
        common::run_until(&mut leg, at(now_ms), &mut sent, &mut events);
    }
    phone.ts = phone.ts.wrapping_add(7 * 160);
    for frame in audio.chunks_exact(160) {
        now_ms += 20;
        leg.handle_rtp(at(now_ms), from, &phone.audio(Codec::Pcma, frame));
        common::run_until(&mut leg, at(now_ms), &mut sent, &mut events);
    }
    common::run_until(&mut leg, at(now_ms + 200), &mut sent, &mut events);
    let keys: Vec<(char, DtmfVia)> = events
        .iter()
        .filter_map(|e| match e {
            LegEvent::Dtmf { key, via } => Some((*key, *via)),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        [
            ('1', DtmfVia::InBand),
            ('4', DtmfVia::InBand),
            ('7', DtmfVia::InBand),
            ('9', DtmfVia::Rfc4733)
        ]
    );
}
