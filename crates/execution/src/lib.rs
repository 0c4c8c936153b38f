//! Execution algorithms: parent orders that work a large quantity through
//! a stream of child orders.
//!
//! A strategy that wants 5,000 shares over the afternoon does not send one
//! order for 5,000; it hands a [`ParentOrder`] to the kernel, which keeps a
//! [`ParentExecution`] for it and lets it place and cancel ordinary child
//! orders as time passes and the market trades. Children are plain orders:
//! they pass the same pre-trade risk checks, reach the same venue and fill
//! the same way as any other order, so an algorithm behaves identically in
//! backtest, paper and live trading.
//!
//! * [`parent`]: what a parent order asks for ([`Algo`]: TWAP, VWAP, POV,
//!   iceberg; price and slippage protection; what happens at the end) and
//!   its validation;
//! * [`schedule`]: TWAP and VWAP reduced to the same thing, a list of times
//!   with the fraction of the parent that should be done by each;
//! * [`profile`]: the intraday volume profile VWAP follows, learned from
//!   historical bars;
//! * [`execution`]: the state machine that turns time, market volume and
//!   child reports into child orders;
//! * [`benchmark`]: arrival price and interval VWAP, and the implementation
//!   shortfall against each;
//! * [`router`]: the smart order router, which splits an order across
//!   venues trading the same thing by price net of fees and depth.
//!
//! Two rules keep an algorithm safe with real money. A new child is placed
//! only when no earlier child is still open, so the open quantity never
//! exceeds what is left and a cancel racing a fill cannot overfill the
//! parent. And every child of a protected parent is a limit order at the
//! protection price, so the algorithm never chases the market past it.

pub mod benchmark;
pub mod execution;
pub mod parent;
pub mod profile;
pub mod router;
pub mod schedule;

pub use benchmark::{Benchmarks, ExecutionSummary};
pub use execution::{ChildCommand, MarketView, ParentExecution, ParentStatus};
pub use parent::{Algo, AtEnd, ParentError, ParentId, ParentOrder};
pub use profile::{ProfileError, VolumeProfile};
pub use router::{Route, RoutePlan, VenueBook};
pub use schedule::Schedule;
