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
//! * [`tls`]: one TLS set-up for all three (`https://`, `wss://`), on
//!   Mozilla's roots plus an optional CA file, certificates always verified.
//!
//! Everything is tested against the project's own local venue
//! (`pyrt-venue-server`), over plain HTTP and over TLS with its own
//! certificate, and against fault-injecting servers on loopback.

pub mod backoff;
pub mod binance;
pub mod tls;
