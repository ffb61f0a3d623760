//! Timers as data: one ordered set of every deadline of every call, so the next wakeup is the
//! first element and firing a timer is O(log n), whatever the number of calls.
//!
//! Each call also keeps the deadlines it owns (in its own fields) so that it can remove them
//! when they change or when it ends; the two are kept in step by [`Timers::replace`].

use std::collections::BTreeSet;

use centralita_domain::{CallId, Millis, UserId};

/// Which of a call's deadlines an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TimerKind {
    /// The stage's own deadline: IVR digit timeout, end of an offline tone, voicemail guard.
    Stage,
    /// The call has waited `max_wait` for an agent.
    MaxWait,
    /// An agent who declined or failed may be offered this call again.
    Rest,
    /// This agent's offer has rung `ring_timeout` without an answer.
    Ring(UserId),
}

/// Every pending deadline, earliest first.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    set: BTreeSet<(Millis, CallId, TimerKind)>,
}

impl Timers {
    /// Moves one deadline of `call` from `old` to `new` (either may be absent) and stores the
    /// new one in the call's own field, `slot`.
    pub(crate) fn replace(
        &mut self,
        slot: &mut Option<Millis>,
        call: CallId,
        kind: TimerKind,
        new: Option<Millis>,
    ) {
        if let Some(old) = slot.take() {
            self.set.remove(&(old, call, kind));
        }
        if let Some(at) = new {
            self.set.insert((at, call, kind));
        }
        *slot = new;
    }

    /// Adds a deadline whose copy the caller keeps elsewhere (an offer's).
    pub(crate) fn insert(&mut self, at: Millis, call: CallId, kind: TimerKind) {
        self.set.insert((at, call, kind));
    }

    /// Removes a deadline added with [`Timers::insert`]; nothing if it already fired.
    pub(crate) fn remove(&mut self, at: Millis, call: CallId, kind: TimerKind) {
        self.set.remove(&(at, call, kind));
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Millis> {
        self.set.first().map(|(at, _, _)| *at)
    }

    /// Removes and returns the earliest deadline if it is due at `now`.
    pub(crate) fn pop_due(&mut self, now: Millis) -> Option<(Millis, CallId, TimerKind)> {
        match self.set.first() {
            Some((at, _, _)) if *at <= now => self.set.pop_first(),
            _ => None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}
