//! Decisions computed ahead of time, one per bar: the engine side of
//! vectorised research (`py_rt.from_signals`).
//!
//! A researcher computes entry and exit flags over a whole history with
//! array code; [`ScheduledSignal`] replays them bar by bar through
//! [`crate::LongFlat`], so the fills, fees and accounting are the simulated
//! venue's and the portfolio's, exactly as for any other strategy.

use std::sync::Arc;

use pyrt_model::Bar;

use crate::long_flat::{Decision, Signal};

/// Entry and exit flags for one instrument, indexed by the bar's position
/// in that instrument's stream.
///
/// A bar flagged both ways is a conflict and does nothing (vectorbt's
/// default, `upon_long_conflict="ignore"`); bars past the end of the flags
/// hold.
#[derive(Debug, Clone)]
pub struct ScheduledSignal {
    entries: Arc<[bool]>,
    exits: Arc<[bool]>,
    next: usize,
}

impl ScheduledSignal {
    pub fn new(entries: Arc<[bool]>, exits: Arc<[bool]>) -> Self {
        Self { entries, exits, next: 0 }
    }
}

impl Signal for ScheduledSignal {
    #[inline]
    fn on_bar(&mut self, _bar: &Bar) -> Decision {
        let i = self.next;
        self.next += 1;
        let flag = |v: &[bool]| v.get(i).copied().unwrap_or(false);
        match (flag(&self.entries), flag(&self.exits)) {
            (true, false) => Decision::Enter,
            (false, true) => Decision::Exit,
            _ => Decision::Hold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::{InstrumentId, Price, Quantity};

    #[test]
    fn replays_flags_in_bar_order() {
        let bar = Bar {
            instrument: InstrumentId(0),
            ts_event: 0,
            ts_recv: 0,
            open: Price::from_int(1),
            high: Price::from_int(1),
            low: Price::from_int(1),
            close: Price::from_int(1),
            volume: Quantity::ZERO,
        };
        let mut s = ScheduledSignal::new(vec![true, false, true, false].into(), vec![false, true, true].into());
        let got: Vec<_> = (0..5).map(|_| s.on_bar(&bar)).collect();
        use Decision::*;
        assert_eq!(got, [Enter, Exit, Hold, Hold, Hold]);
    }
}
