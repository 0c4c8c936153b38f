//! Binance wire formats, without I/O.
//!
//! * [`stream`]: WebSocket market-data messages (diff and partial depth,
//!   book ticker, trades, aggregate trades, klines, request replies) parsed
//!   into exact fixed-point values.
//! * [`user`]: user-data events (order executions, balances), in any of
//!   their three wrappings.
//! * [`capture`]: recorded sessions, one `<receive ns> <raw message>` line
//!   each (the hftbacktest capture format), read back in order.
//! * [`signing`]: HMAC-SHA256 request signatures, made and verified over
//!   the raw bytes sent.
//! * [`events`]: a capture as the kernel's market events, for order-book
//!   backtests.
//! * [`replay`]: a capture replayed into a [`SyncedBook`](pyrt_book::SyncedBook)
//!   with Binance's book-sync rule.
//!
//! The live adapter and the local venue build on these; keeping the formats
//! free of sockets lets them be tested on recorded messages alone.

pub mod capture;
mod depth_scan;
pub mod events;
pub mod replay;
pub mod signing;
pub mod stream;
pub mod user;

pub use stream::{BookTicker, DepthSnapshot, DepthUpdate, Kline, MessageError, StreamMessage, TradeMsg, parse};

use pyrt_book::Continuity;

/// The Binance market a stream comes from, which decides how its diff
/// messages chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    /// Spot: `U` of each diff is the previous `u` + 1.
    Spot,
    /// USD-M and COIN-M futures: each diff names the previous `u` as `pu`.
    Futures,
}

impl Market {
    /// The market a recording's file name suggests: `spot…` is spot,
    /// anything else futures (the shared captures' naming).
    pub fn guess_from_path(path: &std::path::Path) -> Market {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        if name.starts_with("spot") { Market::Spot } else { Market::Futures }
    }

    pub fn continuity(self) -> Continuity {
        match self {
            Market::Spot => Continuity::Contiguous,
            Market::Futures => Continuity::Chained,
        }
    }
}
