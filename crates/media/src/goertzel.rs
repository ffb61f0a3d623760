//! In-band DTMF detection: the fallback for phones and gateways that send keys as audio
//! instead of RFC 4733 events.
//!
//! Eight Goertzel filters (the four row and four column frequencies of the keypad) run over a
//! 20 ms window that slides by 10 ms, so each 20 ms frame is examined twice: with its first half
//! behind the previous frame's second half, and alone. A window holds a key when all of these
//! hold (the usual checks of telephone-network receivers, thresholds chosen by us):
//!
//! - both the strongest row and the strongest column are at least −36 dBFS (a key sent at the
//!   −10 dBm0 a phone uses may lose 20 dB on the way and still be heard);
//! - twist: the column tone is at most 8 dB weaker ("normal" twist, lines lose highs) or 4 dB
//!   stronger ("reverse" twist) than the row tone;
//! - each is at least 8 dB above every other frequency of its group (one key, not a chord or a
//!   broadband sound);
//! - the two tones carry at least 60 % of the window's energy (speech and noise spread theirs
//!   over the whole band; a ringback tone has none of its energy on a keypad frequency).
//!
//! A key is reported once when two consecutive windows hold it (the tone has lasted ~30-40 ms;
//! keys shorter than 40 ms are not required to be heard), and the same key again only after
//! three consecutive windows without it: the 40 ms pause between keys always gives three, while
//! a dropout of up to 10 ms within a press (which receivers must bridge) spoils at most two.
//!
//! Levels are in dBFS relative to a full-scale sine (AES17): a sine of peak 32768 is 0 dBFS.

use crate::dtmf::event_key;

/// Row frequencies (low group) in Hz.
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// Column frequencies (high group) in Hz.
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// Event codes of the keypad, by row and column (RFC 4733 codes: 10 `*`, 11 `#`, 12-15 A-D).
const KEYPAD: [[u8; 4]; 4] = [[1, 2, 3, 12], [4, 5, 6, 13], [7, 8, 9, 14], [10, 0, 11, 15]];

/// Samples per window (20 ms).
const WINDOW: usize = 160;
/// Samples per hop (10 ms).
const HOP: usize = 80;
/// Mean square of a full-scale sine.
const FULL_SCALE_MS: f32 = 32768.0 * 32768.0 / 2.0;
/// Minimum level of each tone: −36 dBFS as a mean square.
const MIN_TONE_MS: f32 = FULL_SCALE_MS * 2.511_886e-4;
/// Column at most 8 dB below the row.
const NORMAL_TWIST: f32 = 6.309_573;
/// Column at most 4 dB above the row.
const REVERSE_TWIST: f32 = 2.511_886;
/// Each tone 8 dB above the others of its group.
const RELATIVE_PEAK: f32 = 6.309_573;
/// Share of the window's energy the two tones must carry.
const TONE_SHARE: f32 = 0.6;
/// Consecutive windows with the key before it is reported.
const MIN_ON_WINDOWS: u8 = 2;
/// Consecutive windows without the key before it may be reported again.
const MIN_OFF_WINDOWS: u8 = 3;

/// `2 cos(2π f / 8000)` for each frequency: the Goertzel recurrence coefficient.
fn coefficients(freqs: &[f32; 4]) -> [f32; 4] {
    freqs.map(|f| 2.0 * (std::f32::consts::TAU * f / 8000.0).cos())
}

/// Detects DTMF keys in 8 kHz audio fed 20 ms at a time.
#[derive(Debug, Clone)]
pub struct InBandDetector {
    row_coefs: [f32; 4],
    col_coefs: [f32; 4],
    /// The second half of the previous frame (the start of the overlapping window).
    previous_half: [i16; HOP],
    /// What the last window held, and for how many windows in a row.
    last: Option<u8>,
    run: u8,
    /// The key currently sounding and already reported.
    active: Option<u8>,
}

impl Default for InBandDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl InBandDetector {
    /// A detector that has heard nothing.
    pub fn new() -> Self {
        InBandDetector {
            row_coefs: coefficients(&ROWS),
            col_coefs: coefficients(&COLS),
            previous_half: [0; HOP],
            last: None,
            run: 0,
            active: None,
        }
    }

    /// Examines the next 20 ms; returns the key whose press was just recognised, if any.
    pub fn push_frame(&mut self, frame: &[i16; 160]) -> Option<char> {
        let mut window = [0f32; WINDOW];
        for (w, &s) in window.iter_mut().zip(self.previous_half.iter().chain(&frame[..HOP])) {
            *w = f32::from(s);
        }
        let first = self.step(&window);
        for (w, &s) in window.iter_mut().zip(frame) {
            *w = f32::from(s);
        }
        let second = self.step(&window);
        self.previous_half.copy_from_slice(&frame[HOP..]);
        // Two reports in one frame would need a key to start, stop for two windows and start
        // again within 20 ms, which MIN_ON_WINDOWS and MIN_OFF_WINDOWS rule out.
        first.or(second).and_then(event_key)
    }

    /// Feeds one window's verdict to the on/off logic.
    fn step(&mut self, window: &[f32; WINDOW]) -> Option<u8> {
        let hit = self.classify(window);
        if hit == self.last {
            self.run = self.run.saturating_add(1);
        } else {
            self.last = hit;
            self.run = 1;
        }
        match hit {
            Some(key) if self.run >= MIN_ON_WINDOWS && self.active != Some(key) => {
                self.active = Some(key);
                Some(key)
            }
            None if self.run >= MIN_OFF_WINDOWS => {
                self.active = None;
                None
            }
            _ => None,
        }
    }

    /// The key a window holds, if it passes every check.
    fn classify(&self, window: &[f32; WINDOW]) -> Option<u8> {
        let total_ms = window.iter().map(|x| x * x).sum::<f32>() / WINDOW as f32;
        if total_ms < 2.0 * MIN_TONE_MS {
            return None;
        }
        let rows = goertzel_ms(window, &self.row_coefs);
        let cols = goertzel_ms(window, &self.col_coefs);
        let (row, row_ms) = strongest(&rows)?;
        let (col, col_ms) = strongest(&cols)?;
        let loud = row_ms >= MIN_TONE_MS && col_ms >= MIN_TONE_MS;
        let twist = col_ms * NORMAL_TWIST >= row_ms && col_ms <= row_ms * REVERSE_TWIST;
        let peaks = dominates(&rows, row) && dominates(&cols, col);
        let share = row_ms + col_ms >= TONE_SHARE * total_ms;
        (loud && twist && peaks && share).then_some(KEYPAD[row][col])
    }
}

/// Each frequency's mean square in the window (a sine of peak A gives about A²/2).
fn goertzel_ms(window: &[f32; WINDOW], coefs: &[f32; 4]) -> [f32; 4] {
    let mut s1 = [0f32; 4];
    let mut s2 = [0f32; 4];
    for &x in window {
        for k in 0..4 {
            let s = x + coefs[k] * s1[k] - s2[k];
            s2[k] = s1[k];
            s1[k] = s;
        }
    }
    let scale = 2.0 / (WINDOW * WINDOW) as f32;
    std::array::from_fn(|k| (s1[k] * s1[k] + s2[k] * s2[k] - coefs[k] * s1[k] * s2[k]) * scale)
}

/// The index and value of the largest of four (None only for NaN, which finite input cannot
/// produce).
fn strongest(values: &[f32; 4]) -> Option<(usize, f32)> {
    values.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Whether `values[best]` is RELATIVE_PEAK above every other value.
fn dominates(values: &[f32; 4], best: usize) -> bool {
    values.iter().enumerate().all(|(k, &v)| k == best || v * RELATIVE_PEAK <= values[best])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freqs: &[f64], amplitude: f64, start: usize, len: usize) -> Vec<i16> {
        (start..start + len)
            .map(|n| {
                let t = n as f64 / 8000.0;
                let v: f64 = freqs.iter().map(|f| (std::f64::consts::TAU * f * t).sin()).sum();
                (v * amplitude) as i16
            })
            .collect()
    }

    #[test]
    fn goertzel_measures_a_sine_mean_square() {
        let samples = tone(&[852.0], 10_000.0, 0, 160);
        let window: [f32; 160] = std::array::from_fn(|n| f32::from(samples[n]));
        let ms = goertzel_ms(&window, &coefficients(&ROWS));
        let expected = 10_000f32 * 10_000.0 / 2.0;
        assert!((ms[2] / expected - 1.0).abs() < 0.05, "{ms:?}");
        assert!(ms[0] < expected / 10.0 && ms[3] < expected / 10.0, "{ms:?}");
    }

    #[test]
    fn a_long_press_is_reported_once() {
        let mut detector = InBandDetector::new();
        let samples = tone(&[770.0, 1336.0], 8000.0, 0, 160 * 50);
        let keys: Vec<char> = samples
            .chunks_exact(160)
            .filter_map(|f| detector.push_frame(f.try_into().unwrap()))
            .collect();
        assert_eq!(keys, ['5']);
    }

    #[test]
    fn a_20_ms_blip_is_not_a_key() {
        let mut detector = InBandDetector::new();
        let mut samples = vec![0i16; 160 * 3];
        samples.extend(tone(&[697.0, 1209.0], 8000.0, 0, 160));
        samples.extend(vec![0i16; 160 * 3]);
        let keys: Vec<char> = samples
            .chunks_exact(160)
            .filter_map(|f| detector.push_frame(f.try_into().unwrap()))
            .collect();
        assert!(keys.is_empty(), "{keys:?}");
    }
}
