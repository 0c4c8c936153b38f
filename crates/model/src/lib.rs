//! The vocabulary every other py_rt crate speaks: fixed-point values,
//! instruments, time, market data events, orders and execution reports.
//!
//! Nothing here does I/O or keeps state beyond a value; the kernel, the
//! simulated venue and the live adapters all exchange these types.

pub mod decimal;
pub mod fixed;
pub mod instrument;
pub mod market;
pub mod order;
pub mod time;
pub mod venue;

pub use fixed::{Money, Price, Quantity, Rate, ValueError};
pub use instrument::{GridError, Instrument, InstrumentId};
pub use market::{Bar, BookAction, BookDelta, MarketEvent, Quote, Trade};
pub use order::{
    ExecutionReport, Fill, InvalidTransition, Liquidity, OrderId, OrderKind, OrderQty, OrderRequest, OrderStatus, Side,
    TimeInForce, TrailingOffset, VenueCommand, VenueOrderState,
};
pub use time::UnixNanos;
pub use venue::Venue;
