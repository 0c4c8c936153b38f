//! A seeded synthetic market: the order flow the local venue trades
//! against when no recording is replayed.
//!
//! Each step the mid price takes a random walk of a few ticks, the book is
//! rebuilt around it (`depth` levels a side, one tick apart from the touch
//! outwards, random sizes), and with some probability a trade prints at
//! the best bid or ask. The same seed gives the same market, so tests are
//! repeatable.

use pyrt_model::{BookAction, BookDelta, InstrumentId, MarketEvent, Price, Quantity, Side, Trade, UnixNanos};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// One symbol's synthetic order flow.
pub struct SyntheticMarket {
    instrument: InstrumentId,
    tick: Price,
    lot: Quantity,
    mid_ticks: i64,
    depth: usize,
    rng: Xoshiro256PlusPlus,
}

impl SyntheticMarket {
    pub fn new(instrument: InstrumentId, start: Price, tick: Price, lot: Quantity, depth: usize, seed: u64) -> Self {
        Self {
            instrument,
            tick,
            lot,
            mid_ticks: start.raw() / tick.raw(),
            depth: depth.max(1),
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    fn price(&self, ticks: i64) -> Price {
        Price::from_raw(ticks * self.tick.raw())
    }

    /// The next step's events at `now`: the rebuilt book (a clear, then
    /// every level, the last flagged), then maybe one trade.
    pub fn step(&mut self, now: UnixNanos) -> Vec<MarketEvent> {
        self.mid_ticks = (self.mid_ticks + self.rng.random_range(-3..=3)).max(self.depth as i64 + 2);
        let delta = |action, side, price, size, flags| {
            MarketEvent::BookDelta(BookDelta {
                instrument: self.instrument,
                ts_event: now,
                ts_recv: now,
                action,
                side,
                price,
                size,
                order_id: 0,
                sequence: 0,
                flags,
            })
        };
        let mut events = vec![delta(BookAction::Clear, Side::Buy, Price::ZERO, Quantity::ZERO, BookDelta::F_SNAPSHOT)];
        for k in 0..self.depth as i64 {
            for (side, ticks) in [(Side::Buy, self.mid_ticks - 1 - k), (Side::Sell, self.mid_ticks + 1 + k)] {
                let lots = self.rng.random_range(100..=20_000);
                let size = Quantity::from_raw(self.lot.raw() * lots);
                events.push(delta(BookAction::Add, side, self.price(ticks), size, BookDelta::F_SNAPSHOT));
            }
        }
        if let Some(MarketEvent::BookDelta(last)) = events.last_mut() {
            last.flags |= BookDelta::F_LAST;
        }
        if self.rng.random_bool(0.5) {
            let buy = self.rng.random_bool(0.5);
            let ticks = if buy { self.mid_ticks + 1 } else { self.mid_ticks - 1 };
            events.push(MarketEvent::Trade(Trade {
                instrument: self.instrument,
                ts_event: now,
                ts_recv: now,
                price: self.price(ticks),
                size: Quantity::from_raw(self.lot.raw() * self.rng.random_range(100..=5_000)),
                aggressor: Some(if buy { Side::Buy } else { Side::Sell }),
            }));
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_market_and_books_never_cross() {
        let mk = || {
            SyntheticMarket::new(
                InstrumentId(0),
                Price::from_int(60_000),
                "0.01".parse().unwrap(),
                "0.00001".parse().unwrap(),
                5,
                7,
            )
        };
        let (mut a, mut b) = (mk(), mk());
        for t in 0..100 {
            let events = a.step(t);
            assert_eq!(events, b.step(t));
            let mut book = pyrt_book::L2Book::new();
            for e in &events {
                if let MarketEvent::BookDelta(d) = e {
                    book.apply(d).unwrap();
                }
            }
            assert!(!book.is_crossed());
            assert_eq!(book.side(Side::Buy).len(), 5);
        }
    }
}
