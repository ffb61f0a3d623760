//! Timers as data: the RFC 3261 timer values, and the one queue that tells the endpoint what
//! fires next.
//!
//! Every transaction and dialog keeps its own deadlines in small `Option<Instant>` slots; the
//! queue only remembers "look at slot S of owner O at time T". Cancelling or moving a timer
//! is writing the slot: the stale queue entry stays behind and is discarded when it reaches
//! the top and no longer matches its slot (lazy deletion). Arming is `O(log n)`, cancelling
//! is `O(1)`, `poll_timeout` is amortised `O(log n)` — cheap with tens of thousands of live
//! transactions, which a server taking thousands of REGISTERs a second has.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// The RFC 3261 timer base values (17.1.1.1, table 4). Every other timer derives from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1, the round-trip estimate (default 500 ms).
    pub t1: Duration,
    /// T2, the cap on non-INVITE and 2xx retransmission intervals (default 4 s).
    pub t2: Duration,
    /// T4, how long a message may live in the network (default 5 s).
    pub t4: Duration,
    /// How long an INVITE client transaction waits in Proceeding for a final response before
    /// it cancels the INVITE itself (default 180 s). RFC 3261 gives this timer (C) only to
    /// proxies; a UA without it could keep a transaction forever when a peer rings and never
    /// answers, so the B2BUA's own ring timeout should be shorter than this one.
    pub timer_c: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_c: Duration::from_secs(180),
        }
    }
}

impl TimerConfig {
    /// 64*T1: timers B, F, H, J (on UDP), L and M, and the 2xx / reliable provisional
    /// give-up time.
    pub fn t1x64(&self) -> Duration {
        self.t1.saturating_mul(64)
    }

    /// Timer D on UDP: "at least 32 seconds" (17.1.1.2), or 64*T1 if that is longer.
    pub fn timer_d(&self) -> Duration {
        self.t1x64().max(Duration::from_secs(32))
    }
}

/// The pending deadlines of many owners, earliest first. `O` names a slot (an owner and which
/// of its timers); the owner's slot is the truth, the queue only a reminder.
#[derive(Debug)]
pub(crate) struct TimerQueue<O: Ord> {
    heap: BinaryHeap<Reverse<(Instant, O)>>,
}

impl<O: Ord + Copy> TimerQueue<O> {
    pub(crate) fn new() -> Self {
        TimerQueue { heap: BinaryHeap::new() }
    }

    /// Remembers that slot `owner` holds `deadline`. The caller writes the slot itself.
    pub(crate) fn arm(&mut self, deadline: Instant, owner: O) {
        self.heap.push(Reverse((deadline, owner)));
    }

    /// The earliest deadline whose slot still holds it, after discarding stale entries.
    /// `is_live(owner, deadline)` says whether the slot still holds that deadline.
    pub(crate) fn next(&mut self, mut is_live: impl FnMut(O, Instant) -> bool) -> Option<Instant> {
        while let Some(Reverse((deadline, owner))) = self.heap.peek().copied() {
            if is_live(owner, deadline) {
                return Some(deadline);
            }
            self.heap.pop();
        }
        None
    }

    /// Pops the earliest entry if it is due at `now` (stale or not: the caller checks the
    /// slot before firing).
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Instant, O)> {
        match self.heap.peek() {
            Some(Reverse((deadline, _))) if *deadline <= now => {
                self.heap.pop().map(|Reverse(entry)| entry)
            }
            _ => None,
        }
    }

    /// Entries in the queue, stale ones included (for tests and metrics).
    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_entries_are_skipped() {
        let t0 = Instant::now();
        let mut q = TimerQueue::new();
        let mut slots = [Some(t0 + Duration::from_secs(1)), Some(t0 + Duration::from_secs(2))];
        q.arm(t0 + Duration::from_secs(1), 0usize);
        q.arm(t0 + Duration::from_secs(2), 1usize);
        // Cancel slot 0 by writing it; the queue entry goes stale.
        slots[0] = None;
        assert_eq!(q.next(|o, d| slots[o] == Some(d)), Some(t0 + Duration::from_secs(2)));
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop_due(t0 + Duration::from_secs(1)), None);
        assert_eq!(q.pop_due(t0 + Duration::from_secs(2)), Some((t0 + Duration::from_secs(2), 1)));
        slots[1] = None;
        assert_eq!(q.next(|o, d| slots[o] == Some(d)), None);
    }

    #[test]
    fn derived_timers() {
        let c = TimerConfig::default();
        assert_eq!(c.t1x64(), Duration::from_secs(32));
        assert_eq!(c.timer_d(), Duration::from_secs(32));
        let fast = TimerConfig { t1: Duration::from_millis(100), ..c };
        assert_eq!(fast.timer_d(), Duration::from_secs(32));
    }
}
