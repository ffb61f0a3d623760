//! Times `normalise` on files given on the command line, to size upload handling.
//!
//! ```sh
//! cargo run --release -p centralita-audio --example normalise_timing -- a.wav b.mp3
//! ```
//!
//! The library does no I/O; this example is the one place that reads files, and it prints.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use centralita_audio::{Limits, normalise};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limits = Limits { max_duration_ms: 3_600_000 };
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path)?;
        // The first run warms caches and the allocator; report the best of five after it.
        let mut best = f64::INFINITY;
        let mut duration_ms = 0;
        for _ in 0..6 {
            let start = Instant::now();
            let normalised = normalise(&bytes, None, &limits)?;
            best = best.min(start.elapsed().as_secs_f64());
            duration_ms = normalised.duration_ms();
        }
        println!(
            "{path}: {} bytes, {duration_ms} ms of audio, normalised in {:.1} ms (best of 6)",
            bytes.len(),
            best * 1000.0
        );
    }
    Ok(())
}
