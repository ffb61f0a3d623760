//! Streaming conversion of mono audio at any rate to [`SAMPLE_RATE`], with rubato's FFT resampler.
//!
//! Streaming rather than `process_all`, so that only the 8 kHz output is kept in memory while a
//! long 48 kHz upload is decoded, and so that decoding can stop at the duration limit.
//!
//! The output must line up with the input sample for sample: the resampler's own delay
//! (`output_delay()` frames of leading silence) is dropped, and at the end the filter is flushed
//! with silence until the tail has come out. The length is then exactly
//! `round(input_frames * 8000 / input_rate)`.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Indexing, Resampler, WindowFunction};

use crate::{AudioError, SAMPLE_RATE};

/// Lowest source rate accepted: below this there is nothing a phone line could carry.
pub(crate) const MIN_SOURCE_RATE: u32 = 1000;
/// Highest source rate accepted (4x 96 kHz). It bounds the FFT sizes a forged header could ask for.
pub(crate) const MAX_SOURCE_RATE: u32 = 384_000;

/// Largest magnitude given to the resampler (18 dB over full scale). Float WAV can hold overs,
/// NaN and infinities; rubato's inverse FFT fails (and panics) on a non-finite spectrum, so
/// non-finite samples become silence and huge ones are clipped here. Real overs pass, and are
/// saturated after filtering.
const HEADROOM: f32 = 8.0;

/// Resamples a stream of mono blocks to 8 kHz.
pub(crate) struct ToNarrowband {
    source_rate: u32,
    /// Source frames pushed so far: the output length is derived from it.
    frames_in: u64,
    /// `None` when the source already is at 8 kHz: samples pass through untouched.
    fft: Option<FftStage>,
    /// The 8 kHz output so far, already aligned with the input.
    out: Vec<f32>,
}

/// The resampler and the input not yet given to it.
struct FftStage {
    core: FftCore,
    /// Input not yet given to the resampler (less than one chunk between calls).
    pending: Vec<f32>,
}

/// The resampler and what each call needs besides its input (a separate struct, so that a call
/// can read `FftStage::pending` while it runs).
struct FftCore {
    resampler: Fft<f32>,
    /// Where each call writes its output before it is appended to `out`.
    chunk_out: Vec<f32>,
    /// Leading output frames still to drop: the resampler's delay.
    to_skip: usize,
}

impl ToNarrowband {
    pub(crate) fn new(source_rate: u32) -> Result<Self, AudioError> {
        if !(MIN_SOURCE_RATE..=MAX_SOURCE_RATE).contains(&source_rate) {
            return Err(AudioError::NotAudio(format!(
                "a sample rate of {source_rate} Hz is not supported"
            )));
        }
        let fft = if source_rate == SAMPLE_RATE {
            None
        } else {
            // About 100 ms per FFT block: the anti-alias filter is as long as the block, so this
            // gives a transition band of a few tens of Hz just under 4 kHz, at ~50 ms of delay
            // (which is trimmed anyway). rubato rounds the block up to a multiple of
            // rate / gcd(rate, 8000), so odd rates get bigger blocks, bounded by MAX_SOURCE_RATE.
            let chunk = (source_rate / 10) as usize;
            let resampler = Fft::<f32>::new_custom(
                source_rate as usize,
                SAMPLE_RATE as usize,
                chunk,
                1,
                1,
                WindowFunction::BlackmanHarris2,
                FixedSync::Both,
            )
            .map_err(|e| {
                AudioError::NotAudio(format!("cannot resample from {source_rate} Hz: {e}"))
            })?;
            Some(FftStage {
                pending: Vec::with_capacity(resampler.input_frames_max()),
                core: FftCore {
                    chunk_out: vec![0.0; resampler.output_frames_max()],
                    to_skip: resampler.output_delay(),
                    resampler,
                },
            })
        };
        Ok(Self { source_rate, frames_in: 0, fft, out: Vec::new() })
    }

    /// Adds a block of source samples.
    pub(crate) fn push(&mut self, block: &[f32]) -> Result<(), AudioError> {
        self.frames_in += block.len() as u64;
        let block = block.iter().map(|&sample| tame(sample));
        let Some(stage) = &mut self.fft else {
            self.out.extend(block);
            return Ok(());
        };
        stage.pending.extend(block);
        let mut used = 0;
        while stage.pending.len() - used >= stage.core.resampler.input_frames_next() {
            let need = stage.core.resampler.input_frames_next();
            stage.core.process(&stage.pending[used..used + need], None, &mut self.out)?;
            used += need;
        }
        stage.pending.drain(..used);
        Ok(())
    }

    /// Flushes the resampler and returns exactly `round(frames_in * 8000 / source_rate)` samples.
    pub(crate) fn finish(mut self) -> Result<Vec<f32>, AudioError> {
        let rate = u128::from(self.source_rate);
        let expected = (u128::from(self.frames_in) * u128::from(SAMPLE_RATE) + rate / 2) / rate;
        // The output is held in memory, so its length fits in usize.
        let expected = usize::try_from(expected).unwrap_or(usize::MAX);
        if let Some(FftStage { mut core, pending }) = self.fft.take() {
            if !pending.is_empty() {
                core.process(&pending, Some(pending.len()), &mut self.out)?;
            }
            // Each flush call feeds a chunk of silence and yields a full output chunk, so this
            // ends after about delay / chunk + 1 rounds; the bound only guards against a
            // resampler that would stop producing output.
            let delay = core.resampler.output_delay();
            let rounds = delay / core.resampler.output_frames_next().max(1) + 3;
            for _ in 0..rounds {
                if self.out.len() >= expected {
                    break;
                }
                core.process(&[], Some(0), &mut self.out)?;
            }
        }
        self.out.truncate(expected);
        Ok(self.out)
    }
}

/// A sample the resampler can take: finite and within [`HEADROOM`].
fn tame(sample: f32) -> f32 {
    if sample.is_finite() { sample.clamp(-HEADROOM, HEADROOM) } else { 0.0 }
}

impl FftCore {
    /// Runs one resampler call on `input` (a full chunk, or `partial` frames of one) and appends
    /// the output, minus what is left of the startup delay, to `out`.
    fn process(
        &mut self,
        input: &[f32],
        partial: Option<usize>,
        out: &mut Vec<f32>,
    ) -> Result<(), AudioError> {
        // rubato only fails on buffer sizes, and these come from rubato itself; should it fail
        // anyway, the upload is refused rather than the process brought down.
        let internal =
            |e: &dyn std::fmt::Display| AudioError::NotAudio(format!("resampling failed: {e}"));
        let input = InterleavedSlice::new(input, 1, input.len()).map_err(|e| internal(&e))?;
        let out_frames = self.chunk_out.len();
        let mut output = InterleavedSlice::new_mut(&mut self.chunk_out, 1, out_frames)
            .map_err(|e| internal(&e))?;
        let indexing = partial.map(|len| Indexing::new().partial_len(len));
        let (_, produced) = self
            .resampler
            .process_into_buffer(&input, &mut output, indexing.as_ref())
            .map_err(|e| internal(&e))?;
        let produced = &self.chunk_out[..produced.min(out_frames)];
        let skip = self.to_skip.min(produced.len());
        self.to_skip -= skip;
        out.extend_from_slice(&produced[skip..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resample(rate: u32, input: &[f32]) -> Vec<f32> {
        let mut resampler = ToNarrowband::new(rate).unwrap();
        // Blocks of changing sizes, as decoders hand them out, to cross chunk edges everywhere.
        let (mut pos, mut size) = (0, 1);
        while pos < input.len() {
            let end = (pos + size).min(input.len());
            resampler.push(&input[pos..end]).unwrap();
            pos = end;
            size = size * 7 % 1153 + 1;
        }
        resampler.finish().unwrap()
    }

    #[test]
    fn output_length_is_the_rounded_ratio() {
        // 44_101 Hz has no common factor with 8000: the largest FFT block rubato can be asked for.
        for rate in [1000, 4000, 8000, 11_025, 16_000, 22_050, 44_100, 44_101, 48_000, 96_000] {
            for frames in [0usize, 1, 7, 441, 4409, 4410, 4411, 12_345, 100_000] {
                let input: Vec<f32> = (0..frames).map(|n| (n as f32 * 0.01).sin() * 0.5).collect();
                let out = resample(rate, &input);
                let expected = (frames as u64 * 8000 + u64::from(rate) / 2) / u64::from(rate);
                assert_eq!(out.len() as u64, expected, "{rate} Hz, {frames} frames");
            }
        }
    }

    #[test]
    fn eight_khz_passes_through_untouched() {
        let input: Vec<f32> = (0..5000).map(|n| (n as f32 * 0.37).sin()).collect();
        assert_eq!(resample(8000, &input), input);
    }

    #[test]
    fn non_finite_samples_become_silence_instead_of_breaking_the_fft() {
        let mut input = vec![0.25f32; 10_000];
        input[100] = f32::NAN;
        input[200] = f32::INFINITY;
        input[300] = f32::NEG_INFINITY;
        input[400] = f32::MAX;
        let out = resample(44_100, &input);
        assert!(out.iter().all(|x| x.is_finite() && x.abs() <= 2.0 * HEADROOM));
    }

    #[test]
    fn rates_outside_the_supported_range_are_refused() {
        for rate in [0, 999, 384_001, u32::MAX] {
            assert!(matches!(ToNarrowband::new(rate), Err(AudioError::NotAudio(_))), "{rate}");
        }
    }
}
