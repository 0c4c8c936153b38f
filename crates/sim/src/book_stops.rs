//! Stop orders on order-book data: held aside, off the book, until a trade
//! prints at or through their trigger.
//!
//! The trigger is the last traded price, as on Binance Spot: a buy stop
//! fires on a print at or above its trigger, a sell stop at or below. A
//! trailing stop's trigger follows the best print since it was placed (the
//! highest for a sell, the lowest for a buy) at its offset; its reference
//! starts at the last print before it arrived. A stop whose trigger the last
//! print has already reached fires on arrival.
//!
//! Once fired, a stop or trailing stop becomes a market order and a
//! stop-limit a limit order at its limit, and each enters the venue like a
//! new order of that kind: it walks the book as it is at that moment, and a
//! limit that is not filled rests at the back of its level. Data without
//! trades never fires a stop.

use pyrt_model::{OrderId, OrderKind, OrderRequest, Price, Side, UnixNanos};

/// A stop waiting for its trigger.
#[derive(Debug, Clone)]
pub struct PendingStop {
    pub id: OrderId,
    pub req: OrderRequest,
    pub expires: Option<UnixNanos>,
    /// A trailing stop's best print so far.
    trail_best: Option<Price>,
}

impl PendingStop {
    /// `last_print`: the venue's last trade before the order arrived.
    pub fn new(id: OrderId, req: OrderRequest, expires: Option<UnixNanos>, last_print: Option<Price>) -> Self {
        Self { id, req, expires, trail_best: last_print }
    }

    /// Takes one print: moves a trailing stop's reference, then says
    /// whether the print fires the stop.
    pub fn fires_on(&mut self, print: Price) -> bool {
        let side = self.req.side;
        let trigger = match self.req.kind {
            OrderKind::Stop { trigger } | OrderKind::StopLimit { trigger, .. } => trigger,
            OrderKind::TrailingStop { offset } => {
                let best = match (self.trail_best, side) {
                    (None, _) => print,
                    (Some(best), Side::Sell) => best.max(print),
                    (Some(best), Side::Buy) => best.min(print),
                };
                self.trail_best = Some(best);
                match side {
                    Side::Sell => best - offset.at(best),
                    Side::Buy => best + offset.at(best),
                }
            }
            OrderKind::Market | OrderKind::Limit { .. } => return false,
        };
        match side {
            Side::Buy => print >= trigger,
            Side::Sell => print <= trigger,
        }
    }

    /// The order it becomes once fired.
    pub fn fired(&self) -> OrderRequest {
        let mut req = self.req.clone();
        req.kind = match req.kind {
            OrderKind::StopLimit { limit, .. } => OrderKind::Limit { price: limit },
            _ => OrderKind::Market,
        };
        req
    }
}

/// Whether an order waits for a trigger.
pub(crate) fn is_stop(kind: OrderKind) -> bool {
    matches!(kind, OrderKind::Stop { .. } | OrderKind::StopLimit { .. } | OrderKind::TrailingStop { .. })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_model::{InstrumentId, Quantity, TrailingOffset};

    fn p(x: i64) -> Price {
        Price::from_int(x)
    }

    #[test]
    fn a_trailing_sell_follows_the_highest_print() {
        let req = OrderRequest::trailing_stop(
            InstrumentId(0),
            Side::Sell,
            Quantity::from_int(1),
            TrailingOffset::Price(p(2)),
        );
        let mut stop = PendingStop::new(OrderId(1), req, None, Some(p(100)));
        // Trigger 98, then 101 after the high of 103.
        assert!(!stop.fires_on(p(99)));
        assert!(!stop.fires_on(p(103)));
        assert!(!stop.fires_on(p(102)));
        assert!(stop.fires_on(p(101)));
        assert_eq!(stop.fired().kind, OrderKind::Market);
    }

    #[test]
    fn a_trailing_buy_without_a_previous_print_starts_at_the_first() {
        let req =
            OrderRequest::trailing_stop(InstrumentId(0), Side::Buy, Quantity::from_int(1), TrailingOffset::Bps(100));
        let mut stop = PendingStop::new(OrderId(1), req, None, None);
        assert!(!stop.fires_on(p(200))); // trigger 202
        assert!(!stop.fires_on(p(100))); // best 100, trigger 101
        assert!(stop.fires_on(p(101)));
    }

    #[test]
    fn stop_limits_become_limits_at_their_limit() {
        let req = OrderRequest::stop_limit(InstrumentId(0), Side::Buy, Quantity::from_int(1), p(101), p(102));
        let mut stop = PendingStop::new(OrderId(1), req, None, None);
        assert!(!stop.fires_on(p(100)));
        assert!(stop.fires_on(p(101)));
        assert_eq!(stop.fired().kind, OrderKind::Limit { price: p(102) });
    }
}
