//! The account: cash, positions, P&L and the round-trip trade log.
//!
//! All amounts are exact [`Money`]. A position keeps its signed quantity
//! and its signed *cost basis* (the sum of `price × qty` of the open lots)
//! instead of an average price, so nothing is rounded when lots are added.
//! Reducing a position removes the pro-rata share of the cost (the one
//! rounding step, half-even at 1e-18) and books the difference to realized
//! P&L. Because cash moves by exactly the fill notional, this holds to the
//! last unit after any sequence of fills and marks:
//!
//! ```text
//! equity = cash + Σ qty × mark
//!        = initial cash + Σ realized + Σ (qty × mark − cost) − Σ fees
//! ```

use std::collections::VecDeque;

use pyrt_model::{Bar, Fill, InstrumentId, Money, Price, Quantity, Side, UnixNanos};
use serde::Serialize;

use crate::history::{RecentLog, TradeStats};

/// One instrument's holding.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// Signed: positive long, negative short.
    pub qty: Quantity,
    /// Signed cost of the open lots (`Σ price × signed qty`).
    pub cost: Money,
    /// Gross realized P&L (fees not deducted).
    pub realized: Money,
    /// Fees paid on this instrument.
    pub fees: Money,
    /// Last price the position was marked at.
    pub mark: Option<Price>,
    open_trade: Option<OpenTrade>,
}

impl Position {
    /// `qty × mark − cost`; zero before the first mark.
    pub fn unrealized(&self) -> Money {
        match self.mark {
            Some(m) => Money::notional(m, self.qty) - self.cost,
            None => Money::ZERO,
        }
    }

    /// Average entry price of the open lots, rounded for display.
    pub fn avg_price(&self) -> Option<Price> {
        if self.qty.is_zero() {
            return None;
        }
        Some(Price::from_raw(pyrt_model::fixed::div_round_half_even(self.cost.raw(), self.qty.raw() as i128) as i64))
    }
}

/// A trade still open: from flat to flat again.
#[derive(Debug, Clone)]
struct OpenTrade {
    side: Side,
    entry_ts: UnixNanos,
    entry_qty: Quantity,
    entry_notional: Money,
    exit_qty: Quantity,
    exit_notional: Money,
    realized_at_open: Money,
    fees: Money,
    mae: Money,
    mfe: Money,
}

/// A round trip: a position opened from flat and closed back to flat
/// (scaling in and out in between belongs to the same trade).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradeRecord {
    pub instrument: InstrumentId,
    pub side: Side,
    pub entry_ts: UnixNanos,
    pub exit_ts: UnixNanos,
    /// Total quantity bought (long) or sold (short) to build the position.
    pub qty: Quantity,
    pub entry_price: Price,
    pub exit_price: Price,
    /// Gross P&L of the trade.
    pub pnl: Money,
    /// Fees of every fill of the trade.
    pub fees: Money,
    /// `pnl − fees`.
    pub net_pnl: Money,
    /// Net P&L over the entry notional.
    pub return_pct: f64,
    /// Maximum adverse excursion: the worst unrealized P&L while open.
    pub mae: Money,
    /// Maximum favourable excursion: the best unrealized P&L while open.
    pub mfe: Money,
    pub duration_ns: i64,
}

/// Cash, positions and the trade log of one account.
#[derive(Debug, Clone)]
pub struct Portfolio {
    initial_cash: Money,
    cash: Money,
    positions: Vec<Position>,
    /// `Σ qty × mark`, kept incrementally so equity is O(1).
    market_value: Money,
    open_positions: usize,
    trades: RecentLog<TradeRecord>,
    trade_stats: TradeStats,
    fills: u64,
}

impl Portfolio {
    /// A fresh account; `trade_log_limit` bounds how many round trips are
    /// kept in memory (statistics count them all).
    pub fn new(initial_cash: Money, instruments: usize, trade_log_limit: Option<usize>) -> Self {
        Self {
            initial_cash,
            cash: initial_cash,
            positions: vec![Position::default(); instruments],
            market_value: Money::ZERO,
            open_positions: 0,
            trades: RecentLog::new(trade_log_limit),
            trade_stats: TradeStats::default(),
            fills: 0,
        }
    }

    pub fn initial_cash(&self) -> Money {
        self.initial_cash
    }
    pub fn cash(&self) -> Money {
        self.cash
    }
    pub fn equity(&self) -> Money {
        self.cash + self.market_value
    }
    /// `Σ qty × mark`: net exposure, long minus short.
    pub fn market_value(&self) -> Money {
        self.market_value
    }
    /// `Σ |qty| × mark`: gross exposure, long plus short. Summed when
    /// asked (once per order check), so marking stays one multiplication.
    pub fn gross_exposure(&self) -> Money {
        self.positions.iter().filter_map(|p| p.mark.map(|m| Money::notional(m, p.qty.abs()))).sum()
    }
    pub fn position(&self, instrument: InstrumentId) -> &Position {
        &self.positions[instrument.index()]
    }
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }
    /// Whether any position is open.
    pub fn is_exposed(&self) -> bool {
        self.open_positions > 0
    }
    /// The round trips kept in memory, oldest first.
    pub fn trades(&self) -> &VecDeque<TradeRecord> {
        self.trades.kept()
    }
    /// Statistics over every round trip of the run.
    pub fn trade_stats(&self) -> &TradeStats {
        &self.trade_stats
    }
    pub fn num_fills(&self) -> u64 {
        self.fills
    }
    pub fn realized(&self) -> Money {
        self.positions.iter().map(|p| p.realized).sum()
    }
    pub fn unrealized(&self) -> Money {
        self.positions.iter().map(Position::unrealized).sum()
    }
    pub fn fees(&self) -> Money {
        self.positions.iter().map(|p| p.fees).sum()
    }

    /// Marks `instrument` to `price`.
    #[inline]
    pub fn mark(&mut self, instrument: InstrumentId, price: Price) {
        let pos = &mut self.positions[instrument.index()];
        if !pos.qty.is_zero() {
            let old = pos.mark.unwrap_or(price);
            self.market_value += Money::notional(price - old, pos.qty);
        }
        pos.mark = Some(price);
    }

    /// Marks to a bar's close, first tracking the trade's excursions over
    /// the bar's range.
    #[inline]
    pub fn mark_bar(&mut self, bar: &Bar) {
        let pos = &mut self.positions[bar.instrument.index()];
        if let Some(t) = &mut pos.open_trade {
            let (worst, best) = if pos.qty.is_positive() { (bar.low, bar.high) } else { (bar.high, bar.low) };
            t.mae = t.mae.min(Money::notional(worst, pos.qty) - pos.cost);
            t.mfe = t.mfe.max(Money::notional(best, pos.qty) - pos.cost);
        }
        self.mark(bar.instrument, bar.close);
    }

    /// Books a fill.
    pub fn apply_fill(&mut self, fill: &Fill) {
        self.fills += 1;
        self.book_fill(fill);
        // A fee taken in coins: the fee's value was charged above; the
        // coins leave the position as if sold at the fill price, which
        // gives that value back in cash.
        if fill.fee_base.is_positive() {
            let coins =
                Fill { side: Side::Sell, qty: fill.fee_base, fee: Money::ZERO, fee_base: Quantity::ZERO, ..*fill };
            self.book_fill(&coins);
        }
    }

    fn book_fill(&mut self, fill: &Fill) {
        let i = fill.instrument.index();
        let signed = Quantity::from_raw(fill.qty.raw() * fill.side.sign());
        self.cash -= Money::notional(fill.price, signed) + fill.fee;
        let pos = &mut self.positions[i];
        let mark = *pos.mark.get_or_insert(fill.price);
        let was_open = !pos.qty.is_zero();
        pos.fees += fill.fee;
        // Market value moves by the quantity change at the current mark.
        self.market_value += Money::notional(mark, signed);

        let same_direction = pos.qty.is_zero() || (pos.qty.is_positive() == signed.is_positive());
        if same_direction {
            if pos.qty.is_zero() {
                pos.open_trade = Some(OpenTrade::new(fill, pos.realized));
            }
            pos.cost += Money::notional(fill.price, signed);
            pos.qty += signed;
            if let Some(t) = &mut pos.open_trade {
                t.entry_qty += fill.qty;
                t.entry_notional += Money::notional(fill.price, fill.qty);
                t.fees += fill.fee;
            }
        } else {
            let closing = fill.qty.min(pos.qty.abs());
            let removed = if closing == pos.qty.abs() {
                pos.cost
            } else {
                pos.cost.mul_ratio(closing.raw() as i128, pos.qty.abs().raw() as i128)
            };
            let closing_signed = Quantity::from_raw(closing.raw() * pos.qty.raw().signum());
            pos.realized += Money::notional(fill.price, closing_signed) - removed;
            pos.cost -= removed;
            pos.qty -= closing_signed;
            let leftover = fill.qty - closing;
            // The fill's fee is split between the closing and the opening part.
            let closing_fee = if leftover.is_zero() {
                fill.fee
            } else {
                fill.fee.mul_ratio(closing.raw() as i128, fill.qty.raw() as i128)
            };
            if let Some(t) = &mut pos.open_trade {
                t.exit_qty += closing;
                t.exit_notional += Money::notional(fill.price, closing);
                t.fees += closing_fee;
            }
            if pos.qty.is_zero() {
                let t = pos.open_trade.take().expect("an open position has an open trade");
                let record = t.close(fill, pos.realized);
                self.trade_stats.add(record.net_pnl.to_f64());
                self.trades.push(record);
                if !leftover.is_zero() {
                    let opening = Quantity::from_raw(leftover.raw() * fill.side.sign());
                    pos.cost = Money::notional(fill.price, opening);
                    pos.qty = opening;
                    let mut t = OpenTrade::new(fill, pos.realized);
                    t.entry_qty = leftover;
                    t.entry_notional = Money::notional(fill.price, leftover);
                    t.fees = fill.fee - closing_fee;
                    pos.open_trade = Some(t);
                }
            }
        }
        match (was_open, !pos.qty.is_zero()) {
            (false, true) => self.open_positions += 1,
            (true, false) => self.open_positions -= 1,
            _ => {}
        }
    }
}

impl TradeRecord {
    /// `long` or `short`.
    pub fn direction(&self) -> &'static str {
        match self.side {
            Side::Buy => "long",
            Side::Sell => "short",
        }
    }
}

impl OpenTrade {
    fn new(fill: &Fill, realized: Money) -> Self {
        Self {
            side: fill.side,
            entry_ts: fill.ts,
            entry_qty: Quantity::ZERO,
            entry_notional: Money::ZERO,
            exit_qty: Quantity::ZERO,
            exit_notional: Money::ZERO,
            realized_at_open: realized,
            fees: Money::ZERO,
            mae: Money::ZERO,
            mfe: Money::ZERO,
        }
    }

    fn close(self, fill: &Fill, realized: Money) -> TradeRecord {
        let avg = |notional: Money, qty: Quantity| {
            Price::from_raw(pyrt_model::fixed::div_round_half_even(notional.raw(), qty.raw().max(1) as i128) as i64)
        };
        let pnl = realized - self.realized_at_open;
        let net = pnl - self.fees;
        let entry = self.entry_notional.to_f64();
        TradeRecord {
            instrument: fill.instrument,
            side: self.side,
            entry_ts: self.entry_ts,
            exit_ts: fill.ts,
            qty: self.entry_qty,
            entry_price: avg(self.entry_notional, self.entry_qty),
            exit_price: avg(self.exit_notional, self.exit_qty),
            pnl,
            fees: self.fees,
            net_pnl: net,
            return_pct: if entry != 0.0 { net.to_f64() / entry } else { 0.0 },
            // The realized result bounds the excursions too.
            mae: self.mae.min(pnl),
            mfe: self.mfe.max(pnl),
            duration_ns: fill.ts - self.entry_ts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use pyrt_model::{Liquidity, OrderId};

    const I: InstrumentId = InstrumentId(0);

    fn fill(side: Side, qty: i64, price: &str, fee: &str, ts: i64) -> Fill {
        Fill {
            fee_base: Quantity::ZERO,
            order_id: OrderId(1),
            instrument: I,
            side,
            price: price.parse().unwrap(),
            qty: Quantity::from_int(qty),
            fee: fee.parse().unwrap(),
            liquidity: Liquidity::Taker,
            ts,
        }
    }

    #[test]
    fn a_fee_taken_in_coins_shrinks_the_position_not_the_cash() {
        let mut p = Portfolio::new(Money::from_int(1000), 1, None);
        // Buy 10 at 10; the venue keeps 0.01 of the coins (worth 0.1).
        let buy = Fill { fee_base: "0.01".parse().unwrap(), ..fill(Side::Buy, 10, "10", "0.1", 1) };
        p.apply_fill(&buy);
        assert_eq!(p.cash(), Money::from_int(900));
        assert_eq!(p.position(I).qty, "9.99".parse().unwrap());
        assert_eq!(p.position(I).fees, "0.1".parse().unwrap());
        // Selling what is held closes the position; equity is what the
        // account holds: cash only.
        let sell = Fill { qty: "9.99".parse().unwrap(), ..fill(Side::Sell, 0, "12", "0", 3) };
        p.apply_fill(&sell);
        assert!(p.position(I).qty.is_zero());
        assert_eq!(p.cash(), "1019.88".parse().unwrap());
        assert_eq!(p.equity(), p.cash());
    }

    #[test]
    fn long_round_trip() {
        let mut p = Portfolio::new(Money::from_int(1000), 1, None);
        p.apply_fill(&fill(Side::Buy, 10, "10", "1", 1));
        assert_eq!(p.cash(), Money::from_int(899));
        p.mark(I, "12".parse().unwrap());
        assert_eq!(p.equity(), Money::from_int(1019));
        assert_eq!(p.position(I).unrealized(), Money::from_int(20));
        p.apply_fill(&fill(Side::Sell, 10, "12", "1", 5));
        assert_eq!(p.cash(), Money::from_int(1018));
        assert_eq!(p.equity(), Money::from_int(1018));
        let t = &p.trades()[0];
        assert_eq!((t.pnl, t.fees, t.net_pnl), (Money::from_int(20), Money::from_int(2), Money::from_int(18)));
        assert_eq!((t.entry_price, t.exit_price, t.duration_ns), ("10".parse().unwrap(), "12".parse().unwrap(), 4));
        assert!(!p.is_exposed());
    }

    #[test]
    fn short_then_flip_to_long() {
        let mut p = Portfolio::new(Money::from_int(1000), 1, None);
        p.apply_fill(&fill(Side::Sell, 5, "20", "0", 1));
        assert_eq!(p.cash(), Money::from_int(1100));
        p.mark(I, "18".parse().unwrap());
        assert_eq!(p.equity(), Money::from_int(1010));
        // Buy 8: closes 5 short (+10 realized), opens 3 long at 18.
        p.apply_fill(&fill(Side::Buy, 8, "18", "0", 2));
        assert_eq!(p.position(I).qty, Quantity::from_int(3));
        assert_eq!(p.position(I).avg_price(), Some("18".parse().unwrap()));
        assert_eq!(p.realized(), Money::from_int(10));
        assert_eq!(p.trades().len(), 1);
        assert_eq!(p.trades()[0].side, Side::Sell);
        assert_eq!(p.equity(), Money::from_int(1010));
    }

    #[test]
    fn excursions_follow_the_bar_range() {
        let mut p = Portfolio::new(Money::from_int(1000), 1, None);
        p.apply_fill(&fill(Side::Buy, 10, "10", "0", 1));
        let bar = Bar {
            instrument: I,
            ts_event: 2,
            ts_recv: 2,
            open: "10".parse().unwrap(),
            high: "13".parse().unwrap(),
            low: "8".parse().unwrap(),
            close: "11".parse().unwrap(),
            volume: Quantity::ZERO,
        };
        p.mark_bar(&bar);
        p.apply_fill(&fill(Side::Sell, 10, "11", "0", 3));
        let t = &p.trades()[0];
        assert_eq!((t.mae, t.mfe), (Money::from_int(-20), Money::from_int(30)));
    }

    proptest! {
        /// Cash + positions × marks = equity = initial + realized + unrealized − fees,
        /// exactly, after any sequence of fills and marks.
        #[test]
        fn accounting_identity_holds(steps in prop::collection::vec((any::<bool>(), 1i64..500, 1i64..100_000, 0i64..1000, any::<bool>(), 0usize..3), 1..60)) {
            let mut p = Portfolio::new(Money::from_int(100_000), 3, None);
            for (buy, qty, price_cents, fee_milli, is_fill, inst) in steps {
                let instrument = InstrumentId(inst as u32);
                let price = Price::from_raw(price_cents * 10_000_000);
                if is_fill {
                    let f = Fill { fee_base: Quantity::ZERO,
                        order_id: OrderId(1), instrument,
                        side: if buy { Side::Buy } else { Side::Sell },
                        price, qty: Quantity::from_raw(qty * 1_000_000), // fractional lots too
                        fee: Money::from_raw(fee_milli as i128 * 1_000_000_000_000_000),
                        liquidity: Liquidity::Taker, ts: 0,
                    };
                    p.apply_fill(&f);
                } else {
                    p.mark(instrument, price);
                }
                let mv: Money = p.positions().iter().map(|pos| pos.mark.map_or(Money::ZERO, |m| Money::notional(m, pos.qty))).sum();
                prop_assert_eq!(p.equity(), p.cash() + mv);
                prop_assert_eq!(p.equity(), p.initial_cash() + p.realized() + p.unrealized() - p.fees());
                prop_assert_eq!(p.is_exposed(), p.positions().iter().any(|x| !x.qty.is_zero()));
            }
            // Flat at the end: the trade log explains every unit of P&L.
            if !p.is_exposed() {
                let closed: Money = p.trades().iter().map(|t| t.net_pnl).sum();
                prop_assert_eq!(closed, p.equity() - p.initial_cash());
            }
        }
    }
}
