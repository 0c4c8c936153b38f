//! The kernel's schedule: timers, commands travelling to the venue and
//! reports travelling back, in time order (ties by insertion order).

use pyrt_model::{ExecutionReport, UnixNanos, VenueCommand};

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Scheduled {
    pub ts: UnixNanos,
    pub seq: u64,
    pub what: ScheduledKind,
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ScheduledKind {
    Timer {
        strategy: u32,
        name: String,
    },
    ToVenue(Unordered<VenueCommand>),
    /// A venue's report on its way back (response latency).
    FromVenue(Unordered<ExecutionReport>),
}

/// A payload in the schedule heap, which orders by time and `seq` only.
#[derive(Debug)]
pub(crate) struct Unordered<T>(pub T);
impl<T> PartialEq for Unordered<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<T> Eq for Unordered<T> {}
impl<T> PartialOrd for Unordered<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Unordered<T> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}
