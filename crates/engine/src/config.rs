//! How a kernel run is set up ([`EngineConfig`]) and why it stops
//! ([`EngineError`]).

use pyrt_model::{Money, UnixNanos};
use serde::{Deserialize, Serialize};

use crate::recorder::Sampling;

/// What kind of account trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// No shorting; buys must be paid for with cash on hand.
    #[default]
    Cash,
    /// Shorting allowed; no cash check (margin rules belong to `risk`).
    Margin,
}

/// How the kernel runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub initial_cash: Money,
    pub account: AccountKind,
    /// Time from a strategy's decision until the command reaches the venue.
    pub order_latency_ns: i64,
    /// Time from the venue's answer (ack, fill, cancel) until the kernel
    /// and the strategy learn of it.
    pub response_latency_ns: i64,
    /// When a simulated venue sees market data (see [`VenueClock`]).
    pub venue_clock: VenueClock,
    pub sampling: Sampling,
    /// How many finished orders, fills and round trips to keep in memory
    /// (all when `None`). Statistics always cover the whole run; set a
    /// limit for replays long enough that the history would not fit.
    pub history_limit: Option<usize>,
    /// Round every order's prices to its instrument's tick before the
    /// checks (see `OrderRequest::rounded_to`), instead of refusing prices
    /// off the grid: strategy code that computes prices in floating point
    /// (`close * 0.9`) then trades as meant.
    pub round_prices: bool,
    /// Which lots a sale closes: average cost, FIFO or LIFO (see `crate::lots`).
    pub cost_basis: crate::lots::CostBasis,
    /// Trading starts here: events before it only warm the strategies up
    /// (see the kernel's `warm_up`). `None`: at the first event.
    pub trade_from: Option<UnixNanos>,
    /// Positions (instrument, quantity, cost) taken over at `trade_from`,
    /// and whether the engine closes them at once.
    pub carry: Vec<(pyrt_model::InstrumentId, pyrt_model::Quantity, Money)>,
    pub close_carried: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            initial_cash: Money::from_int(100_000),
            account: AccountKind::Cash,
            order_latency_ns: 0,
            response_latency_ns: 0,
            venue_clock: VenueClock::Receive,
            sampling: Sampling::default(),
            history_limit: None,
            round_prices: false,
            cost_basis: crate::lots::CostBasis::Average,
            trade_from: None,
            carry: Vec::new(),
            close_carried: false,
        }
    }
}

/// When a simulated venue applies each market event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VenueClock {
    /// With the strategy, at the receive time: the venue's book is as old
    /// as the strategy's, so feed latency costs nothing. Right for bars.
    #[default]
    Receive,
    /// At the exchange time (`ts_event`), the strategy at the receive time
    /// (`ts_recv`): orders meet the book the exchange had when they
    /// arrived. Right for tick and book data with real receive times (see
    /// `dual_clock`). Applies to [`Engine::run`].
    Exchange,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(
        "event at {ts} is earlier than the previous one at {previous}: the data must be sorted by time (sort it, or check that several inputs are merged)"
    )]
    OutOfOrder { ts: UnixNanos, previous: UnixNanos },
    #[error("event for instrument id {0} which this run does not know: register every instrument before running")]
    UnknownInstrument(u32),
    #[error("reading market data failed: {0}")]
    Data(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("book update for {symbol} at {ts} refused: {source}")]
    Book {
        symbol: String,
        ts: UnixNanos,
        #[source]
        source: pyrt_book::BookError,
    },
    #[error(
        "{what} has {bars} bar(s); a backtest needs at least two (an order decided on a bar fills on a later one): \
         check the file, the date filter or the frame"
    )]
    TooFewBars { what: String, bars: u64 },
    #[error("the run stopped at {ts}: {source}")]
    Account {
        ts: UnixNanos,
        #[source]
        source: crate::portfolio::AccountOverflow,
    },
    #[error("strategy {strategy} failed at {ts}: {reason}")]
    StrategyFailed { strategy: u32, ts: UnixNanos, reason: String },
    #[error(
        "an allocation of {capital} to a strategy: it must be above zero, made before the run starts, and the \
         allocations may not exceed the starting cash of {cash} ({allocated} already allocated)"
    )]
    Allocation { capital: pyrt_model::Money, allocated: pyrt_model::Money, cash: pyrt_model::Money },
}

/// A backtest over fewer than two bars cannot fill a single order, and
/// would report the starting cash as if the strategy had run: an error
/// instead, naming the input (`what`).
pub fn check_enough_bars(bars: u64, what: &str) -> Result<(), EngineError> {
    if bars < 2 {
        return Err(EngineError::TooFewBars { what: what.to_string(), bars });
    }
    Ok(())
}
