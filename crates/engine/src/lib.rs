//! The py_rt kernel: one deterministic, single-threaded event loop that
//! drives strategies, the order manager and the portfolio, in backtest,
//! paper and live alike.
//!
//! * [`kernel`]: the event loop and the [`Venue`] seam;
//! * [`channel_venue`]: a [`Venue`] whose answers come back later, over the
//!   network — the seam paper and live trading plug into;
//! * [`strategy`]: the [`Strategy`] trait and the [`Context`] it acts through;
//! * [`algo_desk`]: parent orders worked by execution algorithms (TWAP,
//!   VWAP, POV, iceberg) through ordinary child orders;
//! * [`events`]: the event stream, everything the kernel does with a
//!   gap-free sequence number, to sinks that never block it;
//! * [`orders`]: every order's state, plus OCO and bracket contingencies;
//! * [`portfolio`]: exact cash, positions, P&L and the round-trip log;
//! * [`recorder`]: the sampled equity curve, drawdown and exposure;
//! * [`rejections`]: every refused order, counted by reason code;
//! * [`reconcile`]: the engine's orders brought in line with the venue's
//!   account of them after reports were lost;
//! * [`venue_set`]: several venues behind one, by instrument (for routing
//!   across exchanges).

pub mod algo_desk;
pub mod channel_venue;
pub mod config;
pub mod dual_clock;
pub mod events;
pub mod history;
pub mod kernel;
pub mod lots;
pub mod orders;
pub mod portfolio;
mod pre_trade;
pub mod reconcile;
pub mod recorder;
pub mod rejections;
mod schedule;
pub mod sleeves;
pub mod strategy;
pub mod targets;
pub mod venue_set;

pub use algo_desk::{AlgoDesk, AlgoUpdate};
pub use channel_venue::{ChannelVenue, NotionalSizer};
pub use config::check_enough_bars;
pub use events::{
    ChannelSink, EventSink, MemorySink, NodeEvent, OperatorAction, Overflow, Sequenced, TradingStateName,
};
pub use history::{RecentLog, TradeStats};
pub use kernel::{AccountKind, Engine, EngineConfig, EngineError, StrategyFailure, Venue, VenueClock};
pub use lots::{ClosedLot, CostBasis, Lot};
pub use orders::{OrderManager, OrderRecord};
pub use portfolio::{Portfolio, Position, TradeRecord};
pub use reconcile::{AdoptError, AdoptedOrder, Adoption, Reconciliation};
pub use recorder::{EquityRecorder, Sampling};
pub use rejections::{Rejection, Rejections};
pub use sleeves::{Sleeve, Sleeves};
pub use strategy::{Context, OrderUpdate, Strategy, StrategyId, TimerEvent};
pub use targets::{Target, TargetError, Weight};
pub use venue_set::VenueSet;
