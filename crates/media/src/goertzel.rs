//! In-band DTMF detection: the fallback for phones and gateways that send keys as audio
//! instead of RFC 4733 events.
//!
//! Eight Goertzel filters (the four row and four column frequencies of the keypad) run over a
//! 20 ms window that slides by 10 ms, so each 20 ms frame is examined twice: with its first half
//! behind the previous frame's second half, and alone. The filters run once over each 10 ms
//! half and the two halves' outputs are combined into each window's spectrum (the DFT is
//! linear), so the overlap costs nothing. A window holds a key when all of these
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

/// All eight frequencies, rows first.
const FREQS: [f32; 8] = [ROWS[0], ROWS[1], ROWS[2], ROWS[3], COLS[0], COLS[1], COLS[2], COLS[3]];

/// Per-frequency constants of the Goertzel recurrence and of the half-window combination.
#[derive(Debug, Clone, Copy)]
struct Filter {
    /// `2 cos ω`: the recurrence coefficient.
    coef: f32,
    /// `cos ω` and `sin ω`: the complex output `y = s1 − e^{−jω} s2`.
    cos: f32,
    sin: f32,
    /// `e^{−jω·80}` (real, imaginary): moves a half's spectrum 80 samples later.
    shift: (f32, f32),
}

impl Filter {
    fn new(freq: f32) -> Self {
        let w = std::f32::consts::TAU * freq / 8000.0;
        let shift = w * HOP as f32;
        Filter {
            coef: 2.0 * w.cos(),
            cos: w.cos(),
            sin: w.sin(),
            shift: (shift.cos(), -shift.sin()),
        }
    }
}

/// What one 10 ms half contributes to the two windows it belongs to.
#[derive(Debug, Clone, Copy, Default)]
struct Half {
    /// Sum of squares of the samples.
    energy: f32,
    /// Goertzel output `y` per frequency (complex). With the half's DFT `X = e^{−jω·79} y`,
    /// a window made of halves a then b has `|X|² = |y_a + e^{−jω·80} y_b|²`, so each half is
    /// filtered once although it is part of two windows.
    y: [(f32, f32); 8],
}

impl Half {
    fn analyse(samples: &[i16], filters: &[Filter; 8]) -> Self {
        let mut energy = 0f32;
        let mut s1 = [0f32; 8];
        let mut s2 = [0f32; 8];
        for &x in samples {
            let x = f32::from(x);
            energy += x * x;
            for k in 0..8 {
                let s = x + filters[k].coef * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s;
            }
        }
        let y = std::array::from_fn(|k| {
            let f = &filters[k];
            (s1[k] - f.cos * s2[k], f.sin * s2[k])
        });
        Half { energy, y }
    }
}

/// Detects DTMF keys in 8 kHz audio fed 20 ms at a time.
#[derive(Debug, Clone)]
pub struct InBandDetector {
    filters: [Filter; 8],
    /// The second half of the previous frame (the start of the overlapping window).
    previous: Half,
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
            filters: FREQS.map(Filter::new),
            previous: Half::default(),
            last: None,
            run: 0,
            active: None,
        }
    }

    /// Examines the next 20 ms; returns the key whose press was just recognised, if any.
    pub fn push_frame(&mut self, frame: &[i16; 160]) -> Option<char> {
        let a = Half::analyse(&frame[..HOP], &self.filters);
        let b = Half::analyse(&frame[HOP..], &self.filters);
        let first = self.step(&self.previous.clone(), &a);
        let second = self.step(&a, &b);
        self.previous = b;
        // Two reports in one frame would need a key to start, stop for three windows and start
        // again within 20 ms, which MIN_ON_WINDOWS and MIN_OFF_WINDOWS rule out.
        first.or(second).and_then(event_key)
    }

    /// Feeds one window's verdict to the on/off logic.
    fn step(&mut self, a: &Half, b: &Half) -> Option<u8> {
        let hit = self.classify(a, b);
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

    /// The key the window made of halves `a` then `b` holds, if it passes every check.
    fn classify(&self, a: &Half, b: &Half) -> Option<u8> {
        let total_ms = (a.energy + b.energy) / WINDOW as f32;
        if total_ms < 2.0 * MIN_TONE_MS {
            return None;
        }
        // Each frequency's mean square in the window (a sine of peak A gives about A²/2).
        let scale = 2.0 / (WINDOW * WINDOW) as f32;
        let ms: [f32; 8] = std::array::from_fn(|k| {
            let (c, d) = self.filters[k].shift;
            let (re_b, im_b) = b.y[k];
            let re = a.y[k].0 + c * re_b - d * im_b;
            let im = a.y[k].1 + c * im_b + d * re_b;
            (re * re + im * im) * scale
        });
        let rows = [ms[0], ms[1], ms[2], ms[3]];
        let cols = [ms[4], ms[5], ms[6], ms[7]];
        let (row, row_ms) = strongest(&rows)?;
        let (col, col_ms) = strongest(&cols)?;
        let loud = row_ms >= MIN_TONE_MS && col_ms >= MIN_TONE_MS;
        let twist = col_ms * NORMAL_TWIST >= row_ms && col_ms <= row_ms * REVERSE_TWIST;
        let peaks = dominates(&rows, row) && dominates(&cols, col);
        let share = row_ms + col_ms >= TONE_SHARE * total_ms;
        (loud && twist && peaks && share).then_some(KEYPAD[row][col])
    }
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
    fn halves_combine_into_the_window_s_spectrum() {
        // A sine exactly: the combined halves measure its mean square at its frequency, and
        // much less at the neighbouring row.
        let samples = tone(&[852.0], 10_000.0, 0, 160);
        let filters = FREQS.map(Filter::new);
        let a = Half::analyse(&samples[..80], &filters);
        let b = Half::analyse(&samples[80..], &filters);
        let scale = 2.0 / (160.0 * 160.0);
        let ms = |k: usize| {
            let (c, d) = filters[k].shift;
            let re = a.y[k].0 + c * b.y[k].0 - d * b.y[k].1;
            let im = a.y[k].1 + c * b.y[k].1 + d * b.y[k].0;
            (re * re + im * im) * scale
        };
        let expected = 10_000f32 * 10_000.0 / 2.0;
        assert!((ms(2) / expected - 1.0).abs() < 0.05, "{}", ms(2));
        assert!(ms(0) < expected / 10.0 && ms(3) < expected / 10.0);
        // And equals a direct 160-sample Goertzel.
        let coef = filters[2].coef;
        let (mut s1, mut s2) = (0f32, 0f32);
        for &x in &samples {
            let s = f32::from(x) + coef * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        let direct = (s1 * s1 + s2 * s2 - coef * s1 * s2) * scale;
        assert!((ms(2) / direct - 1.0).abs() < 1e-3, "{} vs {direct}", ms(2));
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
