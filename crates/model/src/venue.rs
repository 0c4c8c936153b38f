//! The venue seam: where the kernel's orders go.
//!
//! The kernel knows this trait and nothing else of a venue: the simulated
//! venues (`sim::SimVenue` on bars and ticks, `sim::BookVenue` on order
//! books) implement it, and so does the live seam (`engine::ChannelVenue`),
//! whose answers come back later over the network. It lives here, below
//! both the kernel and the venues, so neither depends on the other.

use crate::market::MarketEvent;
use crate::order::{ExecutionReport, VenueCommand};
use crate::time::UnixNanos;

/// Where orders go: a simulated venue in backtests, an adapter live.
pub trait Venue {
    /// A command reached the venue at `now`; append its reports to `out`.
    fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>);
    /// New market data at `now` (the receive time, or the exchange time
    /// when the kernel runs the venue on the exchange's clock); append the
    /// reports it causes (fills...) to `out`.
    fn on_market(&mut self, event: &MarketEvent, now: UnixNanos, out: &mut Vec<ExecutionReport>);
}
