//! The RTP ports of the configured range, handed out to legs and taken back.
//!
//! Each leg takes an even port for RTP and the next odd one for RTCP. Ports come back to the
//! end of the free list, so a port is reused as late as possible (a late packet of an ended
//! call then lands on a closed port, not on the next call).

use std::collections::{HashSet, VecDeque};

/// Free RTP ports.
#[derive(Debug, Clone)]
pub struct PortPool {
    free: VecDeque<u16>,
    /// Ports the system would not let us bind (another program holds them): never handed out
    /// again, so one busy port costs one leg, not one leg per trip through the range.
    retired: HashSet<u16>,
}

impl PortPool {
    /// Every even port of `low..=high` whose odd neighbour is also in range.
    pub fn new(low: u16, high: u16) -> Self {
        let first = low + low % 2;
        let free = (first..high).step_by(2).collect();
        Self { free, retired: HashSet::new() }
    }

    /// A free RTP port, if any is left.
    pub fn take(&mut self) -> Option<u16> {
        self.free.pop_front()
    }

    /// Gives a port back (a retired one stays out).
    pub fn give_back(&mut self, port: u16) {
        if !self.retired.contains(&port) {
            self.free.push_back(port);
        }
    }

    /// The port could not be bound: take it out of the pool for good.
    pub fn retire(&mut self, port: u16) {
        self.retired.insert(port);
        self.free.retain(|&p| p != port);
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

    #[test]
    fn a_retired_port_is_never_handed_out_again() {
        let mut pool = PortPool::new(20000, 20003);
        let busy = pool.take().unwrap();
        pool.retire(busy);
        pool.give_back(busy);
        assert_eq!(pool.available(), 1);
        assert_ne!(pool.take(), Some(busy));
        assert_eq!(pool.take(), None);
    }
}
