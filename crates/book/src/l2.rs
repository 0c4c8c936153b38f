//! The price-level (L2) book: one [`Ladder`] per side plus the questions
//! strategies and fill models ask of it.

use pyrt_model::fixed::div_round_half_even;
use pyrt_model::{BookAction, BookDelta, Money, Price, Quantity, Side};

use crate::BookError;
use crate::ladder::{Ladder, Level};

/// A price-level order book.
#[derive(Debug, Clone)]
pub struct L2Book {
    bids: Ladder,
    asks: Ladder,
}

impl Default for L2Book {
    fn default() -> Self {
        Self::new()
    }
}

/// What taking `qty` from one side would do: how much fills, at what total
/// cost, and how deep it goes. Built by [`L2Book::sweep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// The quantity the book can fill (less than asked when it runs out).
    pub filled: Quantity,
    /// Σ price × quantity over the levels taken, exactly.
    pub notional: Money,
    /// The last (worst) price touched.
    pub worst: Option<Price>,
    /// How many levels were touched.
    pub levels: usize,
}

impl Sweep {
    /// The volume-weighted average fill price, rounded half-to-even to the
    /// price grid's raw unit; `None` when nothing fills.
    pub fn average_price(&self) -> Option<Price> {
        (!self.filled.is_zero())
            .then(|| Price::from_raw(div_round_half_even(self.notional.raw(), self.filled.raw() as i128) as i64))
    }
}

impl L2Book {
    /// A book for any prices.
    pub fn new() -> Self {
        Self { bids: Ladder::new(Side::Buy), asks: Ladder::new(Side::Sell) }
    }

    /// A book for prices on a `tick` grid: levels near the touch are
    /// indexed by tick, which makes updates several times cheaper. A price
    /// off the grid is refused.
    pub fn with_tick(tick: Price) -> Self {
        Self { bids: Ladder::with_tick(Side::Buy, tick), asks: Ladder::with_tick(Side::Sell, tick) }
    }

    /// The tick size the book was built for, if any.
    pub fn tick(&self) -> Option<Price> {
        self.bids.tick()
    }

    /// The bids (`Side::Buy`) or the asks (`Side::Sell`).
    #[inline]
    pub fn side(&self, side: Side) -> &Ladder {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    #[inline]
    fn side_mut(&mut self, side: Side) -> &mut Ladder {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Sets a level's total quantity (zero removes it).
    #[inline]
    pub fn set(&mut self, side: Side, price: Price, qty: Quantity) -> Result<(), BookError> {
        if !price.is_positive() {
            return Err(BookError::BadPrice { side, price });
        }
        if qty.is_negative() {
            return Err(BookError::NegativeQuantity { side, price, qty });
        }
        let ladder = self.side_mut(side);
        if !ladder.on_grid(price) {
            let tick = ladder.tick().expect("only a ticked ladder has a grid");
            return Err(BookError::OffGrid { side, price, tick });
        }
        ladder.set(price, qty);
        Ok(())
    }

    /// Applies one price-level delta: add and update set the level's size,
    /// delete removes it, clear empties the book. Order ids are ignored.
    pub fn apply(&mut self, delta: &BookDelta) -> Result<(), BookError> {
        match delta.action {
            BookAction::Add | BookAction::Update => self.set(delta.side, delta.price, delta.size),
            BookAction::Delete => self.set(delta.side, delta.price, Quantity::ZERO),
            BookAction::Clear => {
                self.clear();
                Ok(())
            }
        }
    }

    /// Replaces the whole book with `bids` and `asks` (any order).
    pub fn load(&mut self, bids: &[(Price, Quantity)], asks: &[(Price, Quantity)]) -> Result<(), BookError> {
        self.clear();
        for &(price, qty) in bids {
            self.set(Side::Buy, price, qty)?;
        }
        for &(price, qty) in asks {
            self.set(Side::Sell, price, qty)?;
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    /// The mid price, rounded down to the raw unit; `None` unless both
    /// sides have a level.
    pub fn mid(&self) -> Option<Price> {
        let (b, a) = (self.best_bid()?, self.best_ask()?);
        Some(Price::from_raw(((b.price.raw() as i128 + a.price.raw() as i128) / 2) as i64))
    }

    /// Best ask minus best bid (negative when crossed).
    pub fn spread(&self) -> Option<Price> {
        Some(self.best_ask()?.price - self.best_bid()?.price)
    }

    /// The best bid is at or above the best ask.
    pub fn is_crossed(&self) -> bool {
        matches!((self.best_bid(), self.best_ask()), (Some(b), Some(a)) if b.price >= a.price)
    }

    /// The quantity resting at exactly `price` on `side`.
    pub fn qty_at(&self, side: Side, price: Price) -> Quantity {
        self.side(side).qty_at(price)
    }

    /// The best `n` levels of one side, best first.
    pub fn top(&self, side: Side, n: usize) -> impl Iterator<Item = Level> + '_ {
        self.side(side).levels().take(n)
    }

    /// Total quantity in the best `n` levels of one side.
    pub fn depth_qty(&self, side: Side, n: usize) -> Quantity {
        self.top(side, n).fold(Quantity::ZERO, |acc, l| acc + l.qty)
    }

    /// Order-book imbalance over the best `n` levels:
    /// `(bid qty − ask qty) / (bid qty + ask qty)`, in [−1, 1]; `None` when
    /// both sides are empty. A statistic, so a float.
    pub fn imbalance(&self, n: usize) -> Option<f64> {
        let b = self.depth_qty(Side::Buy, n).to_f64();
        let a = self.depth_qty(Side::Sell, n).to_f64();
        (a + b > 0.0).then(|| (b - a) / (b + a))
    }

    /// What an order taking `qty` would get: a buy (`taker = Buy`) walks the
    /// asks from the best price outwards, a sell walks the bids. Read-only;
    /// the book does not change.
    pub fn sweep(&self, taker: Side, qty: Quantity) -> Sweep {
        let mut left = qty;
        let mut out = Sweep { filled: Quantity::ZERO, notional: Money::ZERO, worst: None, levels: 0 };
        for level in self.side(taker.opposite()).levels() {
            if !left.is_positive() {
                break;
            }
            let take = if level.qty < left { level.qty } else { left };
            out.filled += take;
            out.notional += Money::notional(level.price, take);
            out.worst = Some(level.price);
            out.levels += 1;
            left -= take;
        }
        out
    }

    /// Removes the levels on the other side of `keep`'s best price that
    /// cross it, returning how many went. A diff feed can leave a stale
    /// level behind (one beyond the snapshot's depth that was never
    /// removed); the side that just updated is the fresher one.
    pub fn uncross(&mut self, keep: Side) -> usize {
        let Some(best) = self.side(keep).best() else { return 0 };
        // Levels of the other side at or through `best` are stale; keep the
        // ones strictly behind it.
        let stale_from = match keep {
            Side::Buy => best.price + Price::from_raw(1),
            Side::Sell => best.price - Price::from_raw(1),
        };
        self.side_mut(keep.opposite()).remove_better_than(stale_from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: &str) -> Price {
        x.parse().unwrap()
    }
    fn q(x: &str) -> Quantity {
        x.parse().unwrap()
    }

    fn book() -> L2Book {
        let mut b = L2Book::new();
        b.load(
            &[(p("99.5"), q("2")), (p("99"), q("5")), (p("98"), q("10"))],
            &[(p("100"), q("1")), (p("100.5"), q("3")), (p("102"), q("4"))],
        )
        .unwrap();
        b
    }

    #[test]
    fn top_of_book_mid_and_spread() {
        let b = book();
        assert_eq!(b.best_bid(), Some(Level { price: p("99.5"), qty: q("2") }));
        assert_eq!(b.best_ask(), Some(Level { price: p("100"), qty: q("1") }));
        assert_eq!(b.mid(), Some(p("99.75")));
        assert_eq!(b.spread(), Some(p("0.5")));
        assert!(!b.is_crossed());
        assert_eq!(b.depth_qty(Side::Buy, 2), q("7"));
        assert_eq!(b.top(Side::Sell, 2).map(|l| l.price).collect::<Vec<_>>(), vec![p("100"), p("100.5")]);
    }

    #[test]
    fn imbalance_leans_to_the_heavier_side() {
        let b = book();
        // top 1: bid 2 vs ask 1
        assert!((b.imbalance(1).unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(L2Book::new().imbalance(5), None);
    }

    #[test]
    fn sweep_walks_levels_and_prices_exactly() {
        let b = book();
        let s = b.sweep(Side::Buy, q("2.5"));
        assert_eq!(s.filled, q("2.5"));
        assert_eq!(s.notional, "250.75".parse().unwrap()); // 1×100 + 1.5×100.5
        assert_eq!(s.worst, Some(p("100.5")));
        assert_eq!(s.levels, 2);
        assert_eq!(s.average_price(), Some(p("100.3")));
        let all = b.sweep(Side::Sell, q("100"));
        assert_eq!(all.filled, q("17"));
        assert_eq!(all.levels, 3);
        assert_eq!(L2Book::new().sweep(Side::Buy, q("1")).average_price(), None);
    }

    #[test]
    fn bad_values_are_errors_and_change_nothing() {
        let mut t = L2Book::with_tick(p("0.5"));
        assert_eq!(
            t.set(Side::Sell, p("100.25"), q("1")).unwrap_err().to_string(),
            "ask price 100.25 is not a multiple of the tick size 0.5"
        );
        assert!(t.best_ask().is_none());
        let mut b = book();
        let err = b.set(Side::Buy, p("99"), q("-1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bid level 99 has negative quantity -1; level sizes are totals and cannot be below 0"
        );
        assert!(matches!(b.set(Side::Sell, Price::ZERO, q("1")), Err(BookError::BadPrice { .. })));
        assert_eq!(b.qty_at(Side::Buy, p("99")), q("5"));
    }

    #[test]
    fn uncross_drops_the_stale_side() {
        let mut b = book();
        b.set(Side::Buy, p("100.5"), q("1")).unwrap();
        assert!(b.is_crossed());
        assert_eq!(b.uncross(Side::Buy), 2);
        assert_eq!(b.best_ask().unwrap().price, p("102"));
        assert!(!b.is_crossed());
    }

    #[test]
    fn deltas_set_delete_and_clear() {
        let mut b = book();
        let mut d = BookDelta {
            instrument: pyrt_model::InstrumentId(0),
            ts_event: 0,
            ts_recv: 0,
            action: BookAction::Update,
            side: Side::Sell,
            price: p("100"),
            size: q("7"),
            order_id: 0,
            sequence: 1,
            flags: 0,
        };
        b.apply(&d).unwrap();
        assert_eq!(b.qty_at(Side::Sell, p("100")), q("7"));
        d.action = BookAction::Delete;
        b.apply(&d).unwrap();
        assert_eq!(b.best_ask().unwrap().price, p("100.5"));
        d.action = BookAction::Clear;
        b.apply(&d).unwrap();
        assert_eq!(b.best_bid(), None);
    }
}
