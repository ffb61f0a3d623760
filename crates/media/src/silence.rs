//! Silence detection on 20 ms frames: how a voicemail knows the caller has stopped talking.
//!
//! A frame is quiet when its RMS level is below a threshold (−45 dBFS by default, relative to
//! a full-scale sine). That is above what comfort noise, a quiet room through a handset and
//! G.711 idle-channel noise produce (−55 to −70 dBFS), and well below speech (−15 to −30 dBFS),
//! so line noise counts as silence. A single loud frame between quiet ones (a click, a pop of
//! the line) does not count as sound: sound is two loud frames in a row (40 ms).
//!
//! Events alternate: [`SilenceEvent::SpeechStarted`] when sound starts (the first time, and
//! again after each reported silence), [`SilenceEvent::SilentFor`] once when the quiet run
//! reaches the configured length. The run can be read at any time with
//! [`SilenceDetector::silent_ms`].

/// What to call silence and when to say so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceConfig {
    /// Frames whose RMS is below this level (dBFS, full-scale sine = 0) are quiet.
    pub threshold_dbfs: f32,
    /// Length of the quiet run reported by [`SilenceEvent::SilentFor`], in milliseconds.
    pub report_after_ms: u32,
}

impl Default for SilenceConfig {
    /// −45 dBFS, reported after 10 s (the voicemail rule of product.md).
    fn default() -> Self {
        SilenceConfig { threshold_dbfs: -45.0, report_after_ms: 10_000 }
    }
}

/// A change the detector reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SilenceEvent {
    /// Sound started (two loud frames in a row).
    SpeechStarted,
    /// The line has been quiet for this many milliseconds (the configured length).
    SilentFor(u32),
}

/// Mean square of a full-scale sine: the 0 dBFS reference.
const FULL_SCALE_MS: f64 = 32768.0 * 32768.0 / 2.0;

/// Follows the level of a stream of 20 ms frames.
#[derive(Debug, Clone)]
pub struct SilenceDetector {
    /// The threshold as a sum of squares over one frame, to compare without a square root.
    threshold_energy: u64,
    report_after_ms: u32,
    /// Length of the current quiet run.
    silent_ms: u32,
    /// Loud frames in a row.
    loud_run: u8,
    /// Whether sound was heard since the last reported silence.
    speaking: bool,
    /// Whether the current quiet run was reported.
    reported: bool,
}

impl SilenceDetector {
    /// A detector that has heard nothing yet: the quiet run starts now.
    pub fn new(config: SilenceConfig) -> Self {
        let ms = FULL_SCALE_MS * 10f64.powf(f64::from(config.threshold_dbfs) / 10.0);
        // A float-to-int cast saturates: a silly threshold gives 0 or u64::MAX, not a panic.
        let threshold_energy = (ms * 160.0) as u64;
        SilenceDetector {
            threshold_energy,
            report_after_ms: config.report_after_ms,
            silent_ms: 0,
            loud_run: 0,
            speaking: false,
            reported: false,
        }
    }

    /// How long the line has been quiet, in milliseconds (0 while sound is heard).
    pub fn silent_ms(&self) -> u32 {
        self.silent_ms
    }

    /// Takes the next 20 ms.
    pub fn push_frame(&mut self, frame: &[i16; 160]) -> Option<SilenceEvent> {
        let energy: u64 = frame.iter().map(|&s| (i64::from(s) * i64::from(s)) as u64).sum();
        if energy >= self.threshold_energy {
            self.loud_run = self.loud_run.saturating_add(1);
            if self.loud_run >= 2 {
                self.silent_ms = 0;
                self.reported = false;
                if !self.speaking {
                    self.speaking = true;
                    return Some(SilenceEvent::SpeechStarted);
                }
                return None;
            }
        } else {
            self.loud_run = 0;
        }
        // A quiet frame, or a lone loud one that may be a click: the quiet run goes on.
        self.silent_ms = self.silent_ms.saturating_add(20);
        if !self.reported && self.silent_ms >= self.report_after_ms {
            self.reported = true;
            self.speaking = false;
            return Some(SilenceEvent::SilentFor(self.silent_ms));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(amplitude: f64) -> [i16; 160] {
        std::array::from_fn(|n| (amplitude * (n as f64 * 0.3).sin()) as i16)
    }

    #[test]
    fn threshold_is_in_dbfs_of_a_sine() {
        let mut d =
            SilenceDetector::new(SilenceConfig { threshold_dbfs: -45.0, report_after_ms: 40 });
        // −40 dBFS is sound, −50 dBFS is silence.
        let loud = sine(32768.0 * 0.01);
        let quiet = sine(32768.0 * 0.003_16);
        assert_eq!(d.push_frame(&loud), None);
        assert_eq!(d.push_frame(&loud), Some(SilenceEvent::SpeechStarted));
        assert_eq!(d.push_frame(&quiet), None);
        assert_eq!(d.push_frame(&quiet), Some(SilenceEvent::SilentFor(40)));
        assert_eq!(d.push_frame(&quiet), None);
        assert_eq!(d.silent_ms(), 60);
    }

    #[test]
    fn a_click_does_not_restart_the_count() {
        let mut d =
            SilenceDetector::new(SilenceConfig { threshold_dbfs: -45.0, report_after_ms: 100 });
        let click = sine(20_000.0);
        let quiet = [0i16; 160];
        for _ in 0..2 {
            d.push_frame(&quiet);
        }
        d.push_frame(&click);
        assert_eq!(d.silent_ms(), 60);
        d.push_frame(&quiet);
        assert_eq!(d.push_frame(&quiet), Some(SilenceEvent::SilentFor(100)));
    }
}
