//! Capital allocations: several strategies in one account, each trading
//! its own share of it.
//!
//! A strategy added with an allocation ([`Engine::add_strategy_with_capital`])
//! gets a *sleeve*: a [`Portfolio`] of its own that starts with its
//! capital and books only the fills of its orders. Everything the strategy
//! sees through its `Context` (cash, equity, positions, target orders) is
//! its sleeve's, and a cash account's pre-trade check holds it to its
//! sleeve's cash and positions, so one strategy can neither spend another's
//! money nor sell another's shares. The account itself is unchanged: it
//! books every fill, the venue and the risk limits see one account, and
//! the sleeves add up to it (each fill and mark lands in the account and in
//! exactly one sleeve; cash not allocated stays with the account).
//!
//! [`Engine::add_strategy_with_capital`]: crate::Engine::add_strategy_with_capital

use pyrt_model::{Bar, Fill, InstrumentId, Money, Price, UnixNanos};

use crate::portfolio::{AccountOverflow, Portfolio};
use crate::recorder::{EquityRecorder, Sampling};
use crate::strategy::StrategyId;

/// One strategy's share of the account.
pub struct Sleeve {
    pub strategy: StrategyId,
    pub capital: Money,
    pub portfolio: Portfolio,
    pub recorder: EquityRecorder,
}

/// The sleeves of a run, by strategy (empty when no strategy has one: the
/// kernel's hot path then only checks a vector's length).
#[derive(Default)]
pub struct Sleeves {
    by_strategy: Vec<Option<usize>>,
    sleeves: Vec<Sleeve>,
}

impl Sleeves {
    pub(crate) fn is_empty(&self) -> bool {
        self.sleeves.is_empty()
    }

    /// Every sleeve, in the order the strategies were added.
    pub fn all(&self) -> &[Sleeve] {
        &self.sleeves
    }

    pub fn of(&self, strategy: StrategyId) -> Option<&Sleeve> {
        self.by_strategy.get(strategy.0 as usize).copied().flatten().map(|i| &self.sleeves[i])
    }

    /// The capital already given to sleeves.
    pub(crate) fn allocated(&self) -> Money {
        self.sleeves.iter().map(|s| s.capital).sum()
    }

    pub(crate) fn add(&mut self, strategy: StrategyId, sleeve: Portfolio, sampling: Sampling) {
        let capital = sleeve.initial_cash();
        let index = strategy.0 as usize;
        if self.by_strategy.len() <= index {
            self.by_strategy.resize(index + 1, None);
        }
        self.by_strategy[index] = Some(self.sleeves.len());
        let recorder = EquityRecorder::new(sampling, capital);
        self.sleeves.push(Sleeve { strategy, capital, portfolio: sleeve, recorder });
    }

    pub(crate) fn apply_fill(&mut self, strategy: StrategyId, fill: &Fill) -> Result<(), AccountOverflow> {
        match self.by_strategy.get(strategy.0 as usize).copied().flatten() {
            Some(i) => self.sleeves[i].portfolio.apply_fill(fill),
            None => Ok(()),
        }
    }

    pub(crate) fn mark_bar(&mut self, bar: &Bar) {
        for s in &mut self.sleeves {
            s.portfolio.mark_bar(bar);
        }
    }

    pub(crate) fn mark(&mut self, instrument: InstrumentId, price: Price) {
        for s in &mut self.sleeves {
            s.portfolio.mark(instrument, price);
        }
    }

    pub(crate) fn record(&mut self, ts: UnixNanos) {
        for s in &mut self.sleeves {
            let equity = s.portfolio.equity();
            let exposed = s.portfolio.is_exposed();
            s.recorder.record(ts, equity, exposed);
        }
    }

    /// Starts the sleeves' equity records again (at a warm window's start).
    pub(crate) fn reset_recorders(&mut self, sampling: Sampling) {
        for s in &mut self.sleeves {
            s.recorder = EquityRecorder::new(sampling, s.portfolio.equity());
        }
    }

    /// The first sleeve whose account could not book a fill or mark.
    pub(crate) fn overflow(&self) -> Option<AccountOverflow> {
        self.sleeves.iter().find_map(|s| s.portfolio.overflow())
    }
}
