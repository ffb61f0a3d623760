//! The RTP ports of the configured range, handed out to legs and taken back.
//!
//! Each leg takes an even port for RTP and the next odd one for RTCP. Ports come back to the
//! end of the free list, so a port is reused as late as possible (a late packet of an ended
//! call then lands on a closed port, not on the next call).

use std::collections::VecDeque;

/// Free RTP ports.
#[derive(Debug, Clone)]
pub struct PortPool {
    free: VecDeque<u16>,
}

impl PortPool {
    /// Every even port of `low..=high` whose odd neighbour is also in range.
    pub fn new(low: u16, high: u16) -> Self {
        let first = low + low % 2;
        let free = (first..high).step_by(2).collect();
        Self { free }
    }

    /// A free RTP port, if any is left.
    pub fn take(&mut self) -> Option<u16> {
        self.free.pop_front()
    }

    /// Gives a port back.
    pub fn give_back(&mut self, port: u16) {
        self.free.push_back(port);
    }

    /// How many legs could still be opened.
    pub fn available(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_ports_with_room_for_rtcp_reused_last() {
        let mut pool = PortPool::new(20001, 20006);
        assert_eq!(pool.available(), 2);
        assert_eq!(pool.take(), Some(20002));
        assert_eq!(pool.take(), Some(20004));
        assert_eq!(pool.take(), None);
        pool.give_back(20002);
        assert_eq!(pool.take(), Some(20002));
    }
}
