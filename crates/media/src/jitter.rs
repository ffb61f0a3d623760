//! A small reordering buffer that turns the packets a leg receives into one 20 ms frame per
//! tick, in sequence order: what recording, voicemail, in-band DTMF and silence detection read.
//!
//! It is not on the forwarding path (bridged packets go out as they come, and the far end's own
//! jitter buffer smooths them); it only has to give the analysers audio in the right order with
//! the right amount of time between, with bounded delay and memory:
//!
//! - Packets are placed by sequence number in a ring of [`CAPACITY`] slots (160 ms): nothing
//!   grows with a flood, and a packet more than 160 ms ahead moves the window forward.
//! - [`JitterBuffer::pop`] is called once per 20 ms tick and gives the next packet's audio. When
//!   that packet is missing but later ones are here, it waits until the oldest of them has been
//!   here [`MAX_WAIT`] (60 ms), then gives up on the missing ones (the frames returned while
//!   waiting were silence, which stands in for them).
//! - With nothing buffered (the peer paused: DTX, hold, telephone-events in place of audio),
//!   the tick gives silence and the expected packet stays the same, so audio that resumes with
//!   the next sequence number plays at once.
//! - Packets that carry no audio frame (telephone-events, comfort noise) are marked so the
//!   sequence moves past them without waiting.
//! - Waiting for lost packets adds delay; when at least [`EXCESS_DEPTH`] packets stayed
//!   buffered through a whole second, one frame is dropped to bring the delay back down.
//!
//! Packets must carry 20 ms (160 samples of G.711); others are refused (see `Leg`).

use std::time::{Duration, Instant};

use crate::g711::Codec;
use crate::rtp::seq_diff;

/// Slots in the ring: 160 ms of audio.
pub const CAPACITY: usize = 8;
/// How long a later packet waits for a missing earlier one.
pub const MAX_WAIT: Duration = Duration::from_millis(60);
/// Buffered packets that, if never fewer during [`ADAPT_TICKS`], mean the delay is too long.
const EXCESS_DEPTH: u8 = 3;
/// Ticks over which the smallest depth is watched (one second).
const ADAPT_TICKS: u8 = 50;
/// A sequence jump larger than this is a restarted stream, not loss or reordering.
const RESYNC_DISTANCE: i16 = 100;
/// Bytes of one 20 ms G.711 frame.
const FRAME_BYTES: usize = 160;

/// What a slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Empty,
    /// A packet with no audio frame (telephone-event, comfort noise): skipped at playout.
    NoAudio,
    Audio(Codec),
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    seq: u16,
    content: Content,
    arrival: Option<Instant>,
    payload: [u8; FRAME_BYTES],
}

const EMPTY: Slot =
    Slot { seq: 0, content: Content::Empty, arrival: None, payload: [0; FRAME_BYTES] };

/// What [`JitterBuffer::push`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Stored for playout.
    Stored,
    /// Its frame was already played (or given up on): dropped.
    Late,
    /// Already buffered: dropped.
    Duplicate,
    /// Too far from the expected sequence: the buffer restarted from it.
    Resynced,
    /// Not 160 bytes (20 ms of G.711): dropped.
    WrongSize,
}

/// What [`JitterBuffer::pop`] gave for this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Popped {
    /// A received frame, decoded.
    Audio,
    /// Silence while waiting for a missing packet.
    Waiting,
    /// Silence: nothing buffered.
    Empty,
}

/// Counters for statistics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterCounters {
    /// Packets that came after their frame was played.
    pub late: u32,
    /// Packets received twice.
    pub duplicate: u32,
    /// Missing packets given up on.
    pub lost: u32,
    /// Buffered frames dropped because a packet arrived too far ahead.
    pub overflow: u32,
    /// Frames dropped to reduce the delay.
    pub shrunk: u32,
}

/// The reordering buffer of one received stream.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    slots: [Slot; CAPACITY],
    /// Sequence number of the next frame to play; `None` before the first packet.
    head: Option<u16>,
    /// Occupied slots (Audio or NoAudio).
    count: u8,
    /// Smallest `count` seen at a pop during the current adaptation window.
    min_depth: u8,
    /// Pops in the current adaptation window.
    window_ticks: u8,
    counters: JitterCounters,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        Self::new()
    }
}

impl JitterBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        JitterBuffer {
            slots: [EMPTY; CAPACITY],
            head: None,
            count: 0,
            min_depth: u8::MAX,
            window_ticks: 0,
            counters: JitterCounters::default(),
        }
    }

    /// Forgets everything but the counters (a new stream).
    pub fn reset(&mut self) {
        let counters = self.counters;
        *self = JitterBuffer { counters, ..JitterBuffer::new() };
    }

    /// The counters so far.
    pub fn counters(&self) -> JitterCounters {
        self.counters
    }

    /// Packets buffered.
    pub fn depth(&self) -> usize {
        usize::from(self.count)
    }

    /// A packet with a 20 ms audio frame arrived.
    pub fn push(&mut self, now: Instant, seq: u16, codec: Codec, payload: &[u8]) -> Pushed {
        let Ok(frame) = <&[u8; FRAME_BYTES]>::try_from(payload) else {
            return Pushed::WrongSize;
        };
        self.insert(now, seq, Content::Audio(codec), Some(frame))
    }

    /// A packet without an audio frame arrived (telephone-event, comfort noise): the sequence
    /// number is accounted for, so playout does not wait for it.
    pub fn push_no_audio(&mut self, now: Instant, seq: u16) -> Pushed {
        self.insert(now, seq, Content::NoAudio, None)
    }

    fn insert(
        &mut self,
        now: Instant,
        seq: u16,
        content: Content,
        frame: Option<&[u8; FRAME_BYTES]>,
    ) -> Pushed {
        let mut result = Pushed::Stored;
        let head = *self.head.get_or_insert(seq);
        let distance = seq_diff(seq, head);
        if !(-RESYNC_DISTANCE..=RESYNC_DISTANCE).contains(&distance) {
            self.reset();
            self.head = Some(seq);
            result = Pushed::Resynced;
        } else if distance < 0 {
            self.counters.late += 1;
            return Pushed::Late;
        } else if distance as usize >= CAPACITY {
            // Too far ahead: make room by giving up the oldest frames.
            let new_head = seq.wrapping_sub(CAPACITY as u16 - 1);
            while self.head != Some(new_head) {
                if self.take_head().is_some() {
                    self.counters.overflow += 1;
                }
            }
        }
        let slot = &mut self.slots[usize::from(seq) % CAPACITY];
        if slot.content != Content::Empty {
            // The window is at most CAPACITY wide, so an occupied slot holds this very seq.
            self.counters.duplicate += 1;
            return Pushed::Duplicate;
        }
        slot.seq = seq;
        slot.content = content;
        slot.arrival = Some(now);
        if let Some(frame) = frame {
            slot.payload = *frame;
        }
        self.count += 1;
        result
    }

    /// Empties the head slot and moves the head on; returns what it held.
    fn take_head(&mut self) -> Option<(Content, usize)> {
        let head = self.head?;
        let index = usize::from(head) % CAPACITY;
        self.head = Some(head.wrapping_add(1));
        let content = std::mem::replace(&mut self.slots[index].content, Content::Empty);
        if content == Content::Empty {
            return None;
        }
        self.count -= 1;
        Some((content, index))
    }

    /// The frame for this tick, written to `out` (silence unless [`Popped::Audio`]).
    pub fn pop(&mut self, now: Instant, out: &mut [i16; 160]) -> Popped {
        self.skip_no_audio();
        self.adapt();
        if self.count == 0 {
            out.fill(0);
            return Popped::Empty;
        }
        if !self.head_present() {
            let oldest = self
                .slots
                .iter()
                .filter_map(|s| s.arrival.filter(|_| s.content != Content::Empty))
                .min();
            if oldest.is_some_and(|t| now.saturating_duration_since(t) >= MAX_WAIT) {
                // Give up on the missing packets up to the first one buffered.
                while !self.head_present() {
                    self.take_head();
                    self.counters.lost += 1;
                }
                self.skip_no_audio();
            } else {
                out.fill(0);
                return Popped::Waiting;
            }
        }
        match self.take_head() {
            Some((Content::Audio(codec), index)) => {
                codec.decode_into(&self.slots[index].payload, out);
                Popped::Audio
            }
            // skip_no_audio and head_present leave an Audio slot at the head, or nothing.
            _ => {
                out.fill(0);
                Popped::Empty
            }
        }
    }

    fn head_present(&self) -> bool {
        self.head.is_some_and(|h| self.slots[usize::from(h) % CAPACITY].content != Content::Empty)
    }

    /// Moves the head past slots without audio (they take no time).
    fn skip_no_audio(&mut self) {
        while let Some(h) = self.head {
            if self.slots[usize::from(h) % CAPACITY].content != Content::NoAudio {
                break;
            }
            self.take_head();
        }
    }

    /// Drops one frame when the buffer stayed deeper than needed for a whole window.
    fn adapt(&mut self) {
        self.min_depth = self.min_depth.min(self.count);
        self.window_ticks += 1;
        if self.window_ticks < ADAPT_TICKS {
            return;
        }
        if self.min_depth >= EXCESS_DEPTH && self.head_present() {
            self.take_head();
            self.counters.shrunk += 1;
            self.skip_no_audio();
        }
        self.window_ticks = 0;
        self.min_depth = u8::MAX;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_small() {
        assert!(std::mem::size_of::<JitterBuffer>() <= CAPACITY * 192 + 64);
    }
}
