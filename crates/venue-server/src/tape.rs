//! A symbol's public record: every trade the venue prints, with its id,
//! and the candles built from them.
//!
//! One id sequence per symbol covers the market's prints (synthetic or
//! replayed) and the fills of the venue's users alike, in the order they
//! happen, so a fill's id in `myTrades` is the id `/api/v3/trades`, the
//! trade streams and the candles' first and last ids use. The last
//! [`Tape::capacity`] trades are kept for the REST history endpoints;
//! older ones remain counted in the candles.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use pyrt_model::{Price, Quantity};

use crate::klines::{Candles, KlineUpdate};

/// One trade, as the history endpoints report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TapeTrade {
    pub id: u64,
    pub price: Price,
    pub qty: Quantity,
    pub time_ms: i64,
    /// The buyer's order was resting (the seller took it).
    pub buyer_maker: bool,
}

/// The trades of one symbol, the recent ones kept.
#[derive(Debug, Clone)]
pub struct Tape {
    next_id: u64,
    trades: VecDeque<TapeTrade>,
    capacity: usize,
    /// The first id the streams and candles have not seen yet.
    unpublished: u64,
    pub candles: Candles,
}

/// Every symbol's tape, each behind its own lock: the exchange records
/// prints and fills (holding its own lock, then this one briefly), and the
/// market-data endpoints read without the exchange's lock, so a ticker
/// never waits for an order to match.
#[derive(Debug)]
pub struct Tapes(Vec<Mutex<Tape>>);

impl Tapes {
    pub fn new(symbols: usize, capacity: usize) -> Self {
        Self((0..symbols).map(|_| Mutex::new(Tape::new(capacity))).collect())
    }

    /// A symbol's tape. (A panic while one was held leaves it whole: every
    /// change to a tape is a push or a counter step.)
    pub fn get(&self, symbol: usize) -> MutexGuard<'_, Tape> {
        self.0[symbol].lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Trades kept per symbol by default (Binance serves 1,000 per request).
pub const DEFAULT_CAPACITY: usize = 100_000;

impl Tape {
    pub fn new(capacity: usize) -> Self {
        Self {
            next_id: 1,
            trades: VecDeque::new(),
            capacity: capacity.max(1),
            unpublished: 1,
            candles: Candles::default(),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Records a trade; returns its id.
    pub fn record(&mut self, price: Price, qty: Quantity, time_ms: i64, buyer_maker: bool) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        if self.trades.len() == self.capacity {
            self.trades.pop_front();
        }
        self.trades.push_back(TapeTrade { id, price, qty, time_ms, buyer_maker });
        id
    }

    /// The trades recorded since the last call (for the streams), and the
    /// candles they and the clock at `now_ms` change.
    pub fn publish(&mut self, now_ms: i64) -> (Vec<TapeTrade>, Vec<KlineUpdate>) {
        let fresh: Vec<TapeTrade> = self.since(self.unpublished).copied().collect();
        self.unpublished = self.next_id;
        let klines = self.candles.on_step(now_ms, &fresh);
        (fresh, klines)
    }

    /// The id the next trade will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// The kept trades with ids from `from_id` on, oldest first.
    pub fn since(&self, from_id: u64) -> impl Iterator<Item = &TapeTrade> {
        let first = self.trades.front().map_or(self.next_id, |t| t.id);
        let skip = from_id.saturating_sub(first) as usize;
        self.trades.iter().skip(skip)
    }

    /// The last `n` kept trades, oldest first.
    pub fn last(&self, n: usize) -> impl Iterator<Item = &TapeTrade> {
        self.trades.iter().skip(self.trades.len().saturating_sub(n))
    }

    /// The oldest kept trade's id.
    pub fn first_kept_id(&self) -> Option<u64> {
        self.trades.front().map(|t| t.id)
    }

    /// The kept trades, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &TapeTrade> {
        self.trades.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(tape: &mut Tape, n: u64) {
        for i in 0..n {
            tape.record(Price::from_int(100 + i as i64), Quantity::from_int(1), i as i64 * 10, i % 2 == 0);
        }
    }

    #[test]
    fn ids_run_on_while_only_the_recent_trades_are_kept() {
        let mut tape = Tape::new(5);
        fill(&mut tape, 8);
        assert_eq!(tape.next_id(), 9);
        assert_eq!(tape.first_kept_id(), Some(4));
        assert_eq!(tape.since(6).map(|t| t.id).collect::<Vec<_>>(), [6, 7, 8]);
        assert_eq!(tape.since(1).map(|t| t.id).collect::<Vec<_>>(), [4, 5, 6, 7, 8], "older ones are gone");
        assert_eq!(tape.since(9).count(), 0);
        assert_eq!(tape.last(2).map(|t| t.id).collect::<Vec<_>>(), [7, 8]);
    }

    #[test]
    fn each_trade_is_published_once_and_counted_in_the_candles() {
        let mut tape = Tape::new(100);
        fill(&mut tape, 3);
        let (fresh, klines) = tape.publish(25);
        assert_eq!(fresh.iter().map(|t| t.id).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(klines.iter().all(|k| k.candle.trades == 3 && k.candle.first_id == 1 && k.candle.last_id == 3));
        let (fresh, _) = tape.publish(30);
        assert!(fresh.is_empty());
        fill(&mut tape, 1);
        assert_eq!(tape.publish(40).0.iter().map(|t| t.id).collect::<Vec<_>>(), [4]);
    }
}
