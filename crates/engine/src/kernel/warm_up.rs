//! A run that starts trading after its first events: the strategies see
//! the history before `trade_from` (indicators start warm), but orders
//! sent before it are refused with `WARMING_UP` (counted apart from the
//! rejections), and the equity record, hence every statistic, starts at
//! it. Walk-forward test windows run this way.
//!
//! A position carried in from the window before is taken over at
//! `trade_from`, at the cost given (`Portfolio::carry`: the starting
//! capital grows by it, cash does not move): the strategy finds it there
//! at its first tradable event, and with `close_carried` the engine closes
//! it first, with a real market order that reaches the venue before the
//! first tradable event is matched (on bars: it fills at that bar's open)
//! and pays its fees.

use pyrt_model::{InstrumentId, Money, Quantity, UnixNanos, Venue};

use super::Engine;
use crate::portfolio::AccountOverflow;

/// When trading starts, and what is carried in then.
#[derive(Debug, Clone)]
pub(crate) struct WarmUp {
    trade_from: UnixNanos,
    carry: Vec<(InstrumentId, Quantity, Money)>,
    close_carried: bool,
    over: bool,
}

impl<V: Venue> Engine<V> {
    /// The warm-up `EngineConfig::trade_from` asks for, if any.
    pub(super) fn with_warm_up_from_config(mut self) -> Self {
        if let Some(trade_from) = self.config.trade_from {
            let (carry, close_carried) = (self.config.carry.clone(), self.config.close_carried);
            self.warm_up = Some(WarmUp { trade_from, carry, close_carried, over: false });
        }
        self
    }

    /// Whether the run is still before its trading starts.
    #[inline]
    pub(crate) fn warming_up(&self) -> bool {
        self.warm_up.as_ref().is_some_and(|w| !w.over)
    }

    /// Ends the warm-up once the clock reaches `trade_from`: the carried
    /// positions come in, and with `close_carried` go out again.
    pub(super) fn end_warm_up_if_due(&mut self) -> Result<(), AccountOverflow> {
        let Some(w) = self.warm_up.as_mut() else { return Ok(()) };
        if w.over || self.now < w.trade_from {
            return Ok(());
        }
        w.over = true;
        let (carry, close) = (std::mem::take(&mut w.carry), w.close_carried);
        for &(instrument, qty, cost) in &carry {
            self.portfolio.carry(instrument, qty, cost, self.now)?;
        }
        self.reset_recorder();
        if close {
            for (instrument, qty, _) in carry {
                // Not reduce-only, as the engine's other closes are: the
                // venue never saw the carried position (it was bought in
                // another run), so it could not reduce it.
                if !qty.is_zero() {
                    self.close_now(instrument, qty, false);
                }
            }
            self.pump();
        }
        Ok(())
    }
}
