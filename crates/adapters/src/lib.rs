//! Venue adapters: the edge where the engine meets real exchanges.
//!
//! * [`binance::rest`]: signed REST order entry for Binance Spot, with
//!   server-time offset, request-weight rate limiting and retries that never
//!   resubmit an order whose outcome is unknown.
//! * [`binance::feed`]: WebSocket market data as kernel events, with book
//!   sync from REST snapshots, re-sync on a gap, and reconnects with
//!   jittered backoff.
//! * [`binance::user`]: the account's user-data stream (executions and
//!   balances) over the WebSocket API, with a signed subscription.
//!
//! Everything is tested against the project's own local venue
//! (`pyrt-venue-server`) and fault-injecting servers on loopback. TLS for
//! real endpoints comes with `pyrt live`; today the clients speak plain
//! HTTP and WebSocket.

pub mod backoff;
pub mod binance;
