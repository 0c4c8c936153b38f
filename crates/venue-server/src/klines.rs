//! The kline (candlestick) streams: `<symbol>@kline_<interval>`.
//!
//! Every symbol keeps one candle per interval, built from the trades the
//! market steps print. A step that reaches a candle's end first publishes
//! that candle as final (`"x": true`) and opens the next one at the last
//! close, with no volume, as Binance does for a quiet period; then the
//! step's trades update the open candles, and each candle that changed is
//! published as it stands (`"x": false`).

use pyrt_model::{Money, Price, Quantity, Side, Trade};
use serde_json::{Value, json};

use crate::exchange::d8;

/// The intervals served, with their length in milliseconds.
pub const INTERVALS: [(&str, i64); 13] = [
    ("1s", 1_000),
    ("1m", 60_000),
    ("3m", 180_000),
    ("5m", 300_000),
    ("15m", 900_000),
    ("30m", 1_800_000),
    ("1h", 3_600_000),
    ("2h", 7_200_000),
    ("4h", 14_400_000),
    ("6h", 21_600_000),
    ("8h", 28_800_000),
    ("12h", 43_200_000),
    ("1d", 86_400_000),
];

/// The index in [`INTERVALS`] of an interval's name.
pub fn interval_index(name: &str) -> Option<usize> {
    INTERVALS.iter().position(|(n, _)| *n == name)
}

/// One candle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candle {
    pub open_ms: i64,
    pub open: Price,
    pub high: Price,
    pub low: Price,
    pub close: Price,
    pub volume: Quantity,
    pub quote_volume: Money,
    pub taker_buy_volume: Quantity,
    pub taker_buy_quote: Money,
    pub trades: u64,
    /// First and last trade ids (-1 for none, as Binance writes it).
    pub first_id: i64,
    pub last_id: i64,
}

impl Candle {
    fn empty(open_ms: i64, price: Price) -> Self {
        Self {
            open_ms,
            open: price,
            high: price,
            low: price,
            close: price,
            volume: Quantity::ZERO,
            quote_volume: Money::ZERO,
            taker_buy_volume: Quantity::ZERO,
            taker_buy_quote: Money::ZERO,
            trades: 0,
            first_id: -1,
            last_id: -1,
        }
    }

    fn add(&mut self, id: u64, trade: &Trade) {
        if self.trades == 0 {
            (self.open, self.high, self.low) = (trade.price, trade.price, trade.price);
            self.first_id = id as i64;
        }
        self.high = self.high.max(trade.price);
        self.low = self.low.min(trade.price);
        self.close = trade.price;
        self.volume += trade.size;
        self.quote_volume += Money::notional(trade.price, trade.size);
        if trade.aggressor == Some(Side::Buy) {
            self.taker_buy_volume += trade.size;
            self.taker_buy_quote += Money::notional(trade.price, trade.size);
        }
        self.trades += 1;
        self.last_id = id as i64;
    }
}

/// A candle to publish for one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KlineUpdate {
    pub interval: usize,
    pub candle: Candle,
    pub closed: bool,
}

impl KlineUpdate {
    /// The stream payload (Binance's `kline` event).
    pub fn payload(&self, symbol: &str, now_ms: i64) -> Value {
        let (name, len) = INTERVALS[self.interval];
        let c = &self.candle;
        json!({
            "e": "kline", "E": now_ms, "s": symbol,
            "k": {
                "t": c.open_ms, "T": c.open_ms + len - 1, "s": symbol, "i": name,
                "f": c.first_id, "L": c.last_id,
                "o": d8(c.open), "c": d8(c.close), "h": d8(c.high), "l": d8(c.low),
                "v": d8(c.volume), "n": c.trades, "x": self.closed, "q": d8(c.quote_volume),
                "V": d8(c.taker_buy_volume), "Q": d8(c.taker_buy_quote), "B": "0",
            }
        })
    }
}

/// One symbol's open candles, one per interval.
#[derive(Debug, Clone, Default)]
pub struct Candles {
    open: [Option<Candle>; INTERVALS.len()],
}

impl Candles {
    /// A step at `now_ms` printed `trades` (with their ids); returns the
    /// candles to publish, closed ones first.
    pub fn on_step(&mut self, now_ms: i64, trades: &[(u64, Trade)]) -> Vec<KlineUpdate> {
        let mut out = Vec::new();
        for (interval, slot) in self.open.iter_mut().enumerate() {
            let len = INTERVALS[interval].1;
            let start = now_ms - now_ms.rem_euclid(len);
            let changed = match slot {
                Some(candle) if candle.open_ms == start => false,
                Some(candle) => {
                    out.push(KlineUpdate { interval, candle: *candle, closed: true });
                    *slot = Some(Candle::empty(start, candle.close));
                    true
                }
                None => match trades.first() {
                    Some((_, t)) => {
                        *slot = Some(Candle::empty(start, t.price));
                        true
                    }
                    None => false,
                },
            };
            if let Some(candle) = slot {
                for (id, trade) in trades {
                    candle.add(*id, trade);
                }
                if changed || !trades.is_empty() {
                    out.push(KlineUpdate { interval, candle: *candle, closed: false });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::InstrumentId;

    fn trade(price: i64, size: i64, buy: bool) -> Trade {
        Trade {
            instrument: InstrumentId(0),
            ts_event: 0,
            ts_recv: 0,
            price: Price::from_int(price),
            size: Quantity::from_int(size),
            aggressor: Some(if buy { Side::Buy } else { Side::Sell }),
        }
    }

    #[test]
    fn candles_close_at_their_boundary_and_open_at_the_last_close() {
        let mut c = Candles::default();
        let one_s = interval_index("1s").unwrap();
        let at = |v: &[KlineUpdate]| v.iter().filter(|u| u.interval == one_s).copied().collect::<Vec<_>>();
        // Nothing before the first trade.
        assert!(c.on_step(500, &[]).is_empty());
        let u = at(&c.on_step(1_200, &[(7, trade(100, 2, true)), (8, trade(103, 1, false))]));
        let k = u[0].candle;
        assert_eq!((k.open_ms, k.open, k.high, k.low, k.close), (1_000, p(100), p(103), p(100), p(103)));
        assert_eq!((k.volume, k.trades, k.first_id, k.last_id), (Quantity::from_int(3), 2, 7, 8));
        assert_eq!((k.taker_buy_volume, k.quote_volume), (Quantity::from_int(2), Money::from_int(303)));
        assert!(!u[0].closed);
        // A quiet step inside the second publishes nothing.
        assert!(at(&c.on_step(1_900, &[])).is_empty());
        // The next second: the old candle final, a new empty one at 103.
        let u = at(&c.on_step(3_100, &[]));
        assert_eq!(u.len(), 2);
        assert!(u[0].closed && u[0].candle.open_ms == 1_000);
        let k = u[1].candle;
        assert_eq!(
            (k.open_ms, k.open, k.close, k.volume, k.trades, k.first_id),
            (3_000, p(103), p(103), Quantity::ZERO, 0, -1)
        );
        let json = u[0].payload("BTCUSDT", 3_100);
        assert_eq!(json["k"]["T"], 1_999);
        assert_eq!(json["k"]["i"], "1s");
        assert_eq!(json["k"]["x"], true);
        assert_eq!(interval_index("1w"), None);
    }

    fn p(n: i64) -> Price {
        Price::from_int(n)
    }
}
