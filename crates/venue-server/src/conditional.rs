//! Contingent orders: `STOP_LOSS`, `STOP_LOSS_LIMIT`, `TAKE_PROFIT`,
//! `TAKE_PROFIT_LIMIT`, with or without `trailingDelta`, held off the book
//! until the symbol's trades trigger them (Binance's rules, from its
//! "Spot Trailing Stop order FAQ").
//!
//! The stop price condition, by type and side:
//!
//! | type | side | condition |
//! |---|---|---|
//! | `STOP_LOSS(_LIMIT)` | SELL | last ≤ stop |
//! | `STOP_LOSS(_LIMIT)` | BUY  | last ≥ stop |
//! | `TAKE_PROFIT(_LIMIT)` | SELL | last ≥ stop |
//! | `TAKE_PROFIT(_LIMIT)` | BUY  | last ≤ stop |
//!
//! A plain contingent order triggers on the first trade meeting it. A
//! trailing one starts tracking there instead (at once when it has no stop
//! price, from the last price) and triggers when a trade falls
//! `trailingDelta` BIPS from the highest price since (sells) or rises that
//! much from the lowest (buys). Comparisons are exact: `p × 10000` against
//! `extreme × (10000 ∓ delta)` in integers.

use pyrt_model::{Price, Side};

/// The `TRAILING_DELTA` filter's range, in BIPS (Binance's).
pub const MIN_TRAILING_DELTA: u32 = 10;
pub const MAX_TRAILING_DELTA: u32 = 2000;

/// A contingent order waiting for its trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contingent {
    pub order_id: u64,
    pub symbol: usize,
    side: Side,
    take_profit: bool,
    stop: Option<Price>,
    trailing_bips: Option<u32>,
    /// The extreme since tracking began, once it has.
    extreme: Option<Price>,
}

impl Contingent {
    /// `last`: the symbol's last trade price now (tracking of a trailing
    /// order without a stop price starts from it).
    pub fn new(
        order_id: u64,
        symbol: usize,
        side: Side,
        take_profit: bool,
        stop: Option<Price>,
        trailing_bips: Option<u32>,
        last: Option<Price>,
    ) -> Self {
        let extreme = if trailing_bips.is_some() && stop.is_none() { last } else { None };
        Self { order_id, symbol, side, take_profit, stop, trailing_bips, extreme }
    }

    /// Whether `price` meets the stop price condition.
    fn stop_met(&self, price: Price) -> bool {
        let Some(stop) = self.stop else { return true };
        // Sells of a stop loss and buys of a take profit wait for a fall.
        let waits_for_fall = (self.side == Side::Sell) != self.take_profit;
        if waits_for_fall { price <= stop } else { price >= stop }
    }

    /// Whether a plain (not trailing) order would trigger at once at
    /// `last`: Binance refuses it ("Stop price would trigger immediately.").
    pub fn would_trigger_now(&self, last: Price) -> bool {
        self.trailing_bips.is_none() && self.stop_met(last)
    }

    /// A trade at `price`; whether the order triggers.
    pub fn on_trade(&mut self, price: Price) -> bool {
        let Some(delta) = self.trailing_bips else { return self.stop_met(price) };
        let Some(extreme) = self.extreme else {
            // The trade that meets the stop price starts the tracking.
            if self.stop_met(price) {
                self.extreme = Some(price);
            }
            return false;
        };
        let (p, e, d) = (price.raw() as i128 * 10_000, extreme.raw() as i128, delta as i128);
        match self.side {
            Side::Sell => {
                if p <= e * (10_000 - d) {
                    return true;
                }
                self.extreme = Some(extreme.max(price));
            }
            Side::Buy => {
                if p >= e * (10_000 + d) {
                    return true;
                }
                self.extreme = Some(extreme.min(price));
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: i64) -> Price {
        Price::from_int(x)
    }

    /// Runs `trades` through `c`; the index of the trade that triggered it.
    fn trigger_at(mut c: Contingent, trades: &[i64]) -> Option<usize> {
        trades.iter().position(|&t| c.on_trade(p(t)))
    }

    #[test]
    fn plain_orders_trigger_on_their_stop_price_condition() {
        let stop_sell = Contingent::new(1, 0, Side::Sell, false, Some(p(95)), None, Some(p(100)));
        assert!(!stop_sell.would_trigger_now(p(100)) && stop_sell.would_trigger_now(p(95)));
        assert_eq!(trigger_at(stop_sell, &[99, 101, 96, 95]), Some(3));
        let stop_buy = Contingent::new(1, 0, Side::Buy, false, Some(p(105)), None, None);
        assert_eq!(trigger_at(stop_buy, &[99, 104, 106]), Some(2));
        let take_sell = Contingent::new(1, 0, Side::Sell, true, Some(p(105)), None, None);
        assert_eq!(trigger_at(take_sell, &[99, 104, 105]), Some(2));
        let take_buy = Contingent::new(1, 0, Side::Buy, true, Some(p(95)), None, None);
        assert_eq!(trigger_at(take_buy, &[99, 96, 94]), Some(2));
    }

    /// The FAQ's scenarios A to E, trade by trade at their turning points.
    #[test]
    fn trailing_orders_follow_binances_scenarios() {
        // A: STOP_LOSS_LIMIT BUY, stop 44,000, 500 BIPS. Tracking from
        // 44,000; 46,000 is not 5 % over it; the low moves to 42,000;
        // 44,100 = 42,000 × 1.05 triggers.
        let a = Contingent::new(1, 0, Side::Buy, false, Some(p(44_000)), Some(500), Some(p(40_000)));
        assert_eq!(trigger_at(a, &[37_000, 44_000, 45_000, 46_000, 42_000, 44_099, 44_100]), Some(6));
        // B: STOP_LOSS_LIMIT SELL, stop 39,000, 1000 BIPS.
        let b = Contingent::new(1, 0, Side::Sell, false, Some(p(39_000)), Some(1000), Some(p(40_000)));
        assert_eq!(trigger_at(b, &[41_500, 39_000, 37_000, 41_000, 36_901, 36_900]), Some(5));
        // C: TAKE_PROFIT_LIMIT BUY, stop 38,000, 850 BIPS.
        let c = Contingent::new(1, 0, Side::Buy, true, Some(p(38_000)), Some(850), Some(p(40_000)));
        assert_eq!(trigger_at(c, &[42_000, 38_000, 37_000, 39_000, 38_000, 40_144, 40_145]), Some(6));
        // D: TAKE_PROFIT_LIMIT SELL, stop 42,000, 750 BIPS: 46,500 × 0.925 = 43,012.5.
        let d = Contingent::new(1, 0, Side::Sell, true, Some(p(42_000)), Some(750), Some(p(40_000)));
        let mut d2 = d.clone();
        assert_eq!(trigger_at(d, &[41_500, 39_000, 42_000, 45_000, 44_000, 46_500, 43_013]), None);
        for t in [41_500, 39_000, 42_000, 45_000, 44_000, 46_500] {
            assert!(!d2.on_trade(p(t)));
        }
        assert!(d2.on_trade("43012.5".parse().unwrap()));
        // E: STOP_LOSS_LIMIT SELL without a stop price, 700 BIPS, from 40,000.
        let e = Contingent::new(1, 0, Side::Sell, false, None, Some(700), Some(p(40_000)));
        assert_eq!(trigger_at(e, &[42_000, 39_500, 45_500, 42_316, 42_315]), Some(4));
    }

    #[test]
    fn a_trailing_order_without_a_last_price_starts_on_the_next_trade() {
        let mut c = Contingent::new(1, 0, Side::Sell, false, None, Some(100), None);
        assert!(!c.on_trade(p(100)), "the first trade starts tracking");
        assert!(c.on_trade(p(99)), "1 % down from it");
    }
}
