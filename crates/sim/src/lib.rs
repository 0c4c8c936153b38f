//! The simulated venue behind backtests and paper trading.
//!
//! * [`matching`] decides when and where one order fills against one piece
//!   of market data (the bar path rule lives there);
//! * [`costs`] holds the fee and slippage models, [`cost_spec`] their
//!   one-line text form (`bps:10`, `sqrt:0.1,cap=0.1`);
//! * [`venue`] is the exchange itself: it validates and accepts orders,
//!   keeps them working, fills them, and reports back with the same
//!   [`pyrt_model::ExecutionReport`]s a live adapter produces;
//! * [`book_venue`] is the venue for order-book data: orders walk the
//!   replayed book and rest in a queue.

pub mod book_stops;
pub mod book_venue;
pub mod cost_spec;
pub mod costs;
pub mod matching;
pub mod order_checks;
pub mod venue;

pub use book_venue::BookVenue;
pub use cost_spec::{CostSpecError, OutOfBounds, check_fees, check_slippage, parse_choice, parse_fees, parse_slippage};
pub use costs::{FeeModel, Fees, Slippage, SlippageContext, SlippageModel};
pub use matching::LimitFillRule;
pub use venue::{BarFill, SimConfig, SimVenue};
