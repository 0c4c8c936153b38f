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
//!
//! Every sum is checked. A fill or mark whose result would leave the range
//! of exact arithmetic (a hostile order size, a price of billions times a
//! quantity of billions, twice) is not booked: the account stays as it was
//! and [`Portfolio::overflow`] says what overflowed, which stops the run
//! with an error instead of wrapping into a fortune.

use std::collections::VecDeque;

use pyrt_model::{Bar, Fill, InstrumentId, Money, Price, Quantity, Side, UnixNanos};
use serde::Serialize;

use crate::history::{RecentLog, TradeStats};
use crate::lots::{self, ClosedLot, Closing, CostBasis, Lot};

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
    /// The open lots, oldest first, under FIFO or LIFO (empty under the
    /// average cost basis).
    lots: VecDeque<Lot>,
}

impl Position {
    /// `qty × mark − cost`; zero before the first mark.
    pub fn unrealized(&self) -> Money {
        match self.mark {
            // In range: |notional| and |cost| are each at most 2^125 (see MAX_GROSS_QTY).
            Some(m) => Money::notional(m, self.qty) - self.cost,
            None => Money::ZERO,
        }
    }

    /// The open lots, oldest first (FIFO and LIFO; empty under average cost).
    pub fn lots(&self) -> &VecDeque<Lot> {
        &self.lots
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
    /// What first left the range of exact arithmetic, if anything did.
    overflow: Option<AccountOverflow>,
    /// `Σ |qty|` over the positions, at most [`MAX_GROSS_QTY`].
    gross_qty: Quantity,
    /// Which lots a closing fill closes, and the pieces closed (the lot
    /// report; `pending_lots` holds a fill's until it is booked whole).
    basis: CostBasis,
    closed_lots: RecentLog<ClosedLot>,
    pending_lots: Vec<ClosedLot>,
}

/// The most the positions may hold in all, long plus short: 2^62 raw units
/// (4.6 billion), half the range of a quantity. Together with cash bounded
/// by [`MAX_CASH`], it keeps `Σ qty × mark` and equity within `Money` at
/// any price, so marking (every event) needs no overflow check.
pub const MAX_GROSS_QTY: Quantity = Quantity::from_raw(1 << 62);
/// The most cash may be, either way: 2^125 raw (4.25e19 currency units).
pub const MAX_CASH: Money = Money::from_raw(1 << 125);

/// A fill the account could not book: its result is beyond the range of
/// exact arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the account's {0} would leave the range of exact arithmetic (about ±1.7e20 in cash, ±9.2e9 units in a position); \
     an order or price far beyond any real one reached the account"
)]
pub struct AccountOverflow(pub &'static str);

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
            overflow: None,
            gross_qty: Quantity::ZERO,
            basis: CostBasis::Average,
            closed_lots: RecentLog::new(trade_log_limit),
            pending_lots: Vec::new(),
        }
    }

    /// Closes lots by `basis` (see [`crate::lots`]); before the first fill.
    pub fn with_cost_basis(mut self, basis: CostBasis) -> Self {
        assert_eq!(self.fills, 0, "the cost basis is chosen before the first fill");
        self.basis = basis;
        self
    }

    pub fn cost_basis(&self) -> CostBasis {
        self.basis
    }

    /// The pieces of lots closed so far, in order (FIFO and LIFO; bounded
    /// like the trade log).
    pub fn closed_lots(&self) -> &VecDeque<ClosedLot> {
        self.closed_lots.kept()
    }

    /// Opens a position carried in from an earlier session: `qty` held at
    /// exactly `cost` (its basis), bought before this account's start. Cash
    /// does not move (it was paid then) and the starting capital grows by
    /// the cost, so `equity = initial + realized + unrealized − fees` holds
    /// as if the account had bought it. Only before the first fill.
    pub fn carry(
        &mut self,
        instrument: InstrumentId,
        qty: Quantity,
        cost: Money,
        ts: UnixNanos,
    ) -> Result<(), AccountOverflow> {
        let i = instrument.index();
        assert!(self.fills == 0 && self.positions[i].qty.is_zero(), "a position is carried in before any fill");
        if qty.is_zero() {
            return Ok(());
        }
        let price = Price::from_raw(pyrt_model::fixed::div_round_half_even(cost.raw(), qty.raw() as i128) as i64);
        let side = if qty.is_positive() { Side::Buy } else { Side::Sell };
        let fill = Fill {
            order_id: pyrt_model::OrderId(0),
            instrument,
            side,
            price,
            qty: qty.abs(),
            fee: Money::ZERO,
            fee_base: Quantity::ZERO,
            liquidity: pyrt_model::Liquidity::Taker,
            ts,
        };
        let (cash, initial) = (self.cash, self.initial_cash);
        let initial = initial.checked_add(cost).ok_or(AccountOverflow("starting capital"))?;
        self.book_fill(&fill)?;
        self.positions[i].cost = cost;
        if let Some(lot) = self.positions[i].lots.front_mut() {
            lot.cost = cost.abs();
        }
        (self.cash, self.initial_cash) = (cash, initial);
        Ok(())
    }

    pub fn initial_cash(&self) -> Money {
        self.initial_cash
    }
    pub fn cash(&self) -> Money {
        self.cash
    }
    /// Cash plus the marked positions. Always in range: a fill or mark
    /// that would take it out of range is refused (see [`Self::overflow`]).
    pub fn equity(&self) -> Money {
        self.cash + self.market_value
    }
    /// The fill that could not be booked, once one could not: the account
    /// no longer follows the venue, and the run must stop.
    #[inline]
    pub fn overflow(&self) -> Option<AccountOverflow> {
        self.overflow
    }
    /// `Σ |qty|` over the positions (see [`MAX_GROSS_QTY`]).
    pub fn gross_qty(&self) -> Quantity {
        self.gross_qty
    }
    /// `Σ qty × mark`: net exposure, long minus short.
    pub fn market_value(&self) -> Money {
        self.market_value
    }
    /// `Σ |qty| × mark`: gross exposure, long plus short. Summed when
    /// asked (once per order check), so marking stays one multiplication.
    pub fn gross_exposure(&self) -> Money {
        let each = self.positions.iter().filter_map(|p| p.mark.map(|m| Money::notional(m, p.qty.abs())));
        each.fold(Money::ZERO, Money::saturating_add)
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
        self.positions.iter().map(|p| p.realized).fold(Money::ZERO, Money::saturating_add)
    }
    pub fn unrealized(&self) -> Money {
        self.positions.iter().map(Position::unrealized).fold(Money::ZERO, Money::saturating_add)
    }
    pub fn fees(&self) -> Money {
        self.positions.iter().map(|p| p.fees).fold(Money::ZERO, Money::saturating_add)
    }

    /// Marks `instrument` to `price` (unless the marked value would leave
    /// the range of exact arithmetic: then see [`Self::overflow`]).
    #[inline]
    pub fn mark(&mut self, instrument: InstrumentId, price: Price) {
        let pos = &mut self.positions[instrument.index()];
        if !pos.qty.is_zero() {
            let old = pos.mark.unwrap_or(price);
            // Cannot overflow, so no check on the hot path: the positions'
            // gross quantity is at most MAX_GROSS_QTY, so the marked value
            // at any price is within ±2^125, and cash within ±2^125 too.
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
            // In range: |notional| and |cost| are each at most 2^125 (see MAX_GROSS_QTY).
            t.mae = t.mae.min(Money::notional(worst, pos.qty) - pos.cost);
            t.mfe = t.mfe.max(Money::notional(best, pos.qty) - pos.cost);
        }
        self.mark(bar.instrument, bar.close);
    }

    /// Books a fill. One whose result would leave the range of exact
    /// arithmetic is not booked at all (the account stays as it was) and
    /// is returned as the error, which [`Self::overflow`] also keeps.
    pub fn apply_fill(&mut self, fill: &Fill) -> Result<(), AccountOverflow> {
        let i = fill.instrument.index();
        let before = (self.cash, self.market_value, self.open_positions, self.gross_qty, self.positions[i].clone());
        let booked = self.book_fill(fill).and_then(|()| {
            // A fee taken in coins: the fee's value was charged above; the
            // coins leave the position as if sold at the fill price, which
            // gives that value back in cash.
            if fill.fee_base.is_positive() {
                let coins =
                    Fill { side: Side::Sell, qty: fill.fee_base, fee: Money::ZERO, fee_base: Quantity::ZERO, ..*fill };
                self.book_fill(&coins)?;
            }
            Ok(())
        });
        match booked {
            Ok(()) => {
                self.fills += 1;
                for piece in self.pending_lots.drain(..) {
                    self.closed_lots.push(piece);
                }
            }
            Err(e) => {
                self.pending_lots.clear();
                (self.cash, self.market_value, self.open_positions, self.gross_qty, self.positions[i]) = before;
                self.overflow.get_or_insert(e);
            }
        }
        booked
    }

    /// Books one fill with every sum checked; a round trip it ends is
    /// logged only after every check passed.
    fn book_fill(&mut self, fill: &Fill) -> Result<(), AccountOverflow> {
        let over = AccountOverflow;
        let i = fill.instrument.index();
        let signed = fill.qty.raw().checked_mul(fill.side.sign()).map(Quantity::from_raw).ok_or(over("position"))?;
        let notional = Money::notional(fill.price, signed);
        let cash = notional.checked_add(fill.fee).and_then(|out| self.cash.checked_sub(out));
        let cash = cash.filter(|c| c.abs() <= MAX_CASH).ok_or(over("cash"))?;
        // The position moves by exactly `signed`: check the gross first.
        let held = self.positions[i].qty;
        let after = held.checked_add(signed).ok_or(over("position"))?;
        let gross = (self.gross_qty - held.abs()).checked_add(after.abs());
        let gross = gross.filter(|g| *g <= MAX_GROSS_QTY).ok_or(over("gross position"))?;
        let pos = &mut self.positions[i];
        let mark = *pos.mark.get_or_insert(fill.price);
        let was_open = !pos.qty.is_zero();
        // Market value moves by the quantity change at the current mark.
        let market_value = self.market_value.checked_add(Money::notional(mark, signed)).ok_or(over("marked value"))?;
        cash.checked_add(market_value).ok_or(over("equity"))?;
        pos.fees = pos.fees.checked_add(fill.fee).ok_or(over("fees"))?;
        (self.cash, self.market_value) = (cash, market_value);

        let same_direction = pos.qty.is_zero() || (pos.qty.is_positive() == signed.is_positive());
        if same_direction {
            if pos.qty.is_zero() {
                pos.open_trade = Some(OpenTrade::new(fill, pos.realized));
            }
            pos.cost = pos.cost.checked_add(notional).ok_or(over("cost basis"))?;
            pos.qty = pos.qty.checked_add(signed).ok_or(over("position"))?;
            if self.basis != CostBasis::Average {
                let cost = Money::notional(fill.price, fill.qty);
                pos.lots.push_back(Lot { qty: fill.qty, cost, ts: fill.ts, order_id: fill.order_id });
            }
            if let Some(t) = &mut pos.open_trade {
                t.entry_qty = t.entry_qty.checked_add(fill.qty).ok_or(over("trade size"))?;
                t.entry_notional = t
                    .entry_notional
                    .checked_add(Money::notional(fill.price, fill.qty))
                    .ok_or(over("trade notional"))?;
                t.fees = t.fees.checked_add(fill.fee).ok_or(over("trade fees"))?;
            }
        } else {
            let closing = fill.qty.min(pos.qty.abs());
            let removed = match self.basis {
                CostBasis::Average if closing == pos.qty.abs() => pos.cost,
                CostBasis::Average => pos.cost.mul_ratio(closing.raw() as i128, pos.qty.abs().raw() as i128),
                basis => {
                    let long = pos.qty.is_positive();
                    let c = Closing {
                        instrument: fill.instrument,
                        qty: closing,
                        price: fill.price,
                        ts: fill.ts,
                        order_id: fill.order_id,
                    };
                    let cost = lots::close(&mut pos.lots, basis, long, c, &mut self.pending_lots);
                    if long { cost } else { -cost }
                }
            };
            let closing_signed = Quantity::from_raw(closing.raw() * pos.qty.raw().signum());
            let gain = Money::notional(fill.price, closing_signed).checked_sub(removed);
            pos.realized = gain.and_then(|g| pos.realized.checked_add(g)).ok_or(over("realized P&L"))?;
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
                t.exit_notional =
                    t.exit_notional.checked_add(Money::notional(fill.price, closing)).ok_or(over("trade notional"))?;
                t.fees = t.fees.checked_add(closing_fee).ok_or(over("trade fees"))?;
            }
            if pos.qty.is_zero() {
                let t = pos.open_trade.take().expect("an open position has an open trade");
                let record = t.close(fill, pos.realized).ok_or(over("trade P&L"))?;
                if !leftover.is_zero() {
                    let opening = Quantity::from_raw(leftover.raw() * fill.side.sign());
                    pos.cost = Money::notional(fill.price, opening);
                    pos.qty = opening;
                    if self.basis != CostBasis::Average {
                        let cost = Money::notional(fill.price, leftover);
                        pos.lots.push_back(Lot { qty: leftover, cost, ts: fill.ts, order_id: fill.order_id });
                    }
                    let mut t = OpenTrade::new(fill, pos.realized);
                    t.entry_qty = leftover;
                    t.entry_notional = Money::notional(fill.price, leftover);
                    t.fees = fill.fee - closing_fee;
                    pos.open_trade = Some(t);
                }
                self.trade_stats.add(record.net_pnl.to_f64());
                self.trades.push(record);
            }
        }
        match (was_open, !pos.qty.is_zero()) {
            (false, true) => self.open_positions += 1,
            (true, false) => self.open_positions -= 1,
            _ => {}
        }
        self.gross_qty = gross;
        Ok(())
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

    /// The finished round trip; `None` when its P&L is beyond exact range.
    fn close(self, fill: &Fill, realized: Money) -> Option<TradeRecord> {
        let avg = |notional: Money, qty: Quantity| {
            Price::from_raw(pyrt_model::fixed::div_round_half_even(notional.raw(), qty.raw().max(1) as i128) as i64)
        };
        let pnl = realized.checked_sub(self.realized_at_open)?;
        let net = pnl.checked_sub(self.fees)?;
        let entry = self.entry_notional.to_f64();
        Some(TradeRecord {
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
        })
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
        p.apply_fill(&buy).unwrap();
        assert_eq!(p.cash(), Money::from_int(900));
        assert_eq!(p.position(I).qty, "9.99".parse().unwrap());
        assert_eq!(p.position(I).fees, "0.1".parse().unwrap());
        // Selling what is held closes the position; equity is what the
        // account holds: cash only.
        let sell = Fill { qty: "9.99".parse().unwrap(), ..fill(Side::Sell, 0, "12", "0", 3) };
        p.apply_fill(&sell).unwrap();
        assert!(p.position(I).qty.is_zero());
        assert_eq!(p.cash(), "1019.88".parse().unwrap());
        assert_eq!(p.equity(), p.cash());
    }

    #[test]
    fn a_carried_position_keeps_its_exact_cost_and_cash_stays_put() {
        let mut p = Portfolio::new(Money::from_int(1000), 1, None);
        // 3 coins bought earlier for 100 in all (33.33... each): the basis
        // stays 100 exactly, not 3 × a rounded average.
        p.carry(I, Quantity::from_int(3), Money::from_int(100), 0).unwrap();
        assert_eq!(p.cash(), Money::from_int(1000));
        assert_eq!(p.initial_cash(), Money::from_int(1100));
        assert_eq!(p.position(I).cost, Money::from_int(100));
        assert_eq!(p.num_fills(), 0);
        p.mark(I, "40".parse().unwrap());
        assert_eq!(p.equity(), Money::from_int(1120));
        assert_eq!(p.unrealized(), Money::from_int(20));
        // Selling it all realizes exactly what it made over its basis.
        p.apply_fill(&fill(Side::Sell, 3, "40", "0", 1)).unwrap();
        assert_eq!(p.realized(), Money::from_int(20));
        assert_eq!(p.cash(), Money::from_int(1120));
        assert_eq!(p.equity(), p.initial_cash() + p.realized() - p.fees());
    }

    #[test]
    fn long_round_trip() {
        let mut p = Portfolio::new(Money::from_int(1000), 1, None);
        p.apply_fill(&fill(Side::Buy, 10, "10", "1", 1)).unwrap();
        assert_eq!(p.cash(), Money::from_int(899));
        p.mark(I, "12".parse().unwrap());
        assert_eq!(p.equity(), Money::from_int(1019));
        assert_eq!(p.position(I).unrealized(), Money::from_int(20));
        p.apply_fill(&fill(Side::Sell, 10, "12", "1", 5)).unwrap();
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
        p.apply_fill(&fill(Side::Sell, 5, "20", "0", 1)).unwrap();
        assert_eq!(p.cash(), Money::from_int(1100));
        p.mark(I, "18".parse().unwrap());
        assert_eq!(p.equity(), Money::from_int(1010));
        // Buy 8: closes 5 short (+10 realized), opens 3 long at 18.
        p.apply_fill(&fill(Side::Buy, 8, "18", "0", 2)).unwrap();
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
        p.apply_fill(&fill(Side::Buy, 10, "10", "0", 1)).unwrap();
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
        p.apply_fill(&fill(Side::Sell, 10, "11", "0", 3)).unwrap();
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
                    p.apply_fill(&f).unwrap();
                } else {
                    p.mark(instrument, price);
                }
                let mv: Money = p.positions().iter().map(|pos| pos.mark.map_or(Money::ZERO, |m| Money::notional(m, pos.qty))).sum();
                prop_assert_eq!(p.equity(), p.cash() + mv);
                prop_assert_eq!(p.equity(), p.initial_cash() + p.realized() + p.unrealized() - p.fees());
                prop_assert_eq!(p.is_exposed(), p.positions().iter().any(|x| !x.qty.is_zero()));
            }
            prop_assert!(p.overflow().is_none());
            // Flat at the end: the trade log explains every unit of P&L.
            if !p.is_exposed() {
                let closed: Money = p.trades().iter().map(|t| t.net_pnl).sum();
                prop_assert_eq!(closed, p.equity() - p.initial_cash());
            }
        }
    }

    proptest! {
        /// Extreme prices, sizes and fees: every fill and mark is either
        /// booked with the identity exact, or refused whole (the account
        /// unchanged, the overflow named). Never wrapped, never a panic
        /// (tests run with overflow checks on).
        #[test]
        fn extreme_values_are_booked_exactly_or_refused_whole(
            steps in prop::collection::vec((any::<bool>(), 1i64..=i64::MAX, 1i64..=i64::MAX, 0i128..=i128::MAX / 4, any::<bool>(), 0usize..2), 1..40),
        ) {
            let mut p = Portfolio::new(Money::from_int(1_000_000_000), 2, None);
            for (buy, qty, price, fee, is_fill, inst) in steps {
                let (instrument, price) = (InstrumentId(inst as u32), Price::from_raw(price));
                let before = (p.cash(), p.equity(), p.positions().to_vec().iter().map(|x| (x.qty, x.cost)).collect::<Vec<_>>());
                let booked = if is_fill {
                    let f = Fill { fee_base: Quantity::ZERO, order_id: OrderId(1), instrument,
                        side: if buy { Side::Buy } else { Side::Sell }, price, qty: Quantity::from_raw(qty),
                        fee: Money::from_raw(fee), liquidity: Liquidity::Taker, ts: 0 };
                    p.apply_fill(&f).is_ok()
                } else {
                    let overflowed = p.overflow().is_some();
                    p.mark(instrument, price);
                    overflowed || p.overflow().is_none()
                };
                if !booked {
                    prop_assert!(p.overflow().is_some());
                    let after = (p.cash(), p.equity(), p.positions().iter().map(|x| (x.qty, x.cost)).collect::<Vec<_>>());
                    prop_assert_eq!(before, after, "a refused step leaves the account as it was");
                    return Ok(());
                }
                let mv = p.positions().iter().map(|x| x.mark.map_or(Money::ZERO, |m| Money::notional(m, x.qty)))
                    .try_fold(Money::ZERO, |a, b| a.checked_add(b));
                prop_assert_eq!(Some(p.equity()), mv.and_then(|mv| p.cash().checked_add(mv)));
            }
        }
    }
}
