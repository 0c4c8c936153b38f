//! Venue adapters: the edge where the engine meets real exchanges.
//!
//! * [`binance::rest`]: signed REST order entry for Binance Spot, with
//!   server-time offset, request-weight rate limiting and retries that never
//!   resubmit an order whose outcome is unknown.
//!
//! Everything is tested against the project's own local venue
//! (`pyrt-venue-server`) and fault-injecting servers on loopback. TLS for
//! real endpoints comes with `pyrt live`; today the client speaks plain HTTP.

pub mod binance;
