//! One side of a price-level book.
//!
//! Both representations key levels so that the *best* level has the
//! largest key: the bid key is the price, the ask key the negated price.
//! One code path then serves both sides.
//!
//! * [`dense`]: when the tick size is known, a window of the levels nearest
//!   the touch lives in an array indexed by tick, so an update is an index
//!   and a store; levels deeper than the window spill into a tree. This is
//!   the fast path the kernel and the venues use.
//! * [`tree`]: a `BTreeMap`, for books whose tick size is unknown.
//!
//! A sorted `Vec` with the best level last was tried first: its median
//! update was fast, but full-depth futures streams change levels far from
//! the touch, inserting those shifts the whole vector, and on the USD-M
//! BTCUSDT capture 22 % of the replay went to `memmove` (p99 0.7 µs).

mod dense;
mod tree;

use pyrt_model::{Price, Quantity, Side};

use dense::DenseLadder;
use tree::TreeLadder;

/// A price level: the price and the total quantity resting there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub price: Price,
    pub qty: Quantity,
}

#[derive(Debug, Clone)]
enum Repr {
    Tree(TreeLadder),
    Dense(DenseLadder),
}

/// The levels of one side of a book.
#[derive(Debug, Clone)]
pub struct Ladder {
    side: Side,
    repr: Repr,
}

impl Ladder {
    /// A ladder for any prices.
    pub fn new(side: Side) -> Self {
        Self { side, repr: Repr::Tree(TreeLadder::default()) }
    }

    /// A ladder for prices on a `tick` grid (faster). Setting a price off
    /// the grid is the caller's error to check ([`Ladder::on_grid`]).
    pub fn with_tick(side: Side, tick: Price) -> Self {
        assert!(tick.is_positive(), "tick size must be positive");
        Self { side, repr: Repr::Dense(DenseLadder::new(tick.raw())) }
    }

    pub fn side(&self) -> Side {
        self.side
    }

    /// The tick size, when the ladder has one.
    pub fn tick(&self) -> Option<Price> {
        match &self.repr {
            Repr::Tree(_) => None,
            Repr::Dense(d) => Some(Price::from_raw(d.tick())),
        }
    }

    /// `price` lies on this ladder's grid (always true without a tick).
    pub fn on_grid(&self, price: Price) -> bool {
        self.tick().is_none_or(|t| price.is_multiple_of(t))
    }

    #[inline]
    fn key(&self, price: Price) -> i64 {
        match self.side {
            Side::Buy => price.raw(),
            Side::Sell => -price.raw(),
        }
    }

    #[inline]
    fn level(&self, key: i64, qty: i64) -> Level {
        let price = match self.side {
            Side::Buy => key,
            Side::Sell => -key,
        };
        Level { price: Price::from_raw(price), qty: Quantity::from_raw(qty) }
    }

    /// Sets the level at `price` to `qty`, inserting it if missing; a zero
    /// quantity removes it (removing a missing level is not an error: venues
    /// send removals for levels beyond the snapshot's depth). The caller has
    /// checked that `qty` is not negative and `price` is on the grid.
    #[inline]
    pub fn set(&mut self, price: Price, qty: Quantity) {
        let key = self.key(price);
        match &mut self.repr {
            Repr::Tree(t) => t.set(key, qty.raw()),
            Repr::Dense(d) => d.set(key, qty.raw()),
        }
    }

    /// The quantity resting at `price` (zero when there is no level).
    pub fn qty_at(&self, price: Price) -> Quantity {
        let key = self.key(price);
        Quantity::from_raw(match &self.repr {
            Repr::Tree(t) => t.get(key),
            Repr::Dense(d) => d.get(key),
        })
    }

    #[inline]
    pub fn best(&self) -> Option<Level> {
        let (k, q) = match &self.repr {
            Repr::Tree(t) => t.best(),
            Repr::Dense(d) => d.best(),
        }?;
        Some(self.level(k, q))
    }

    /// Levels from the best outwards.
    pub fn levels(&self) -> impl Iterator<Item = Level> + '_ {
        let (tree, dense) = match &self.repr {
            Repr::Tree(t) => (Some(t.iter_best_first()), None),
            Repr::Dense(d) => (None, Some(d.iter_best_first())),
        };
        tree.into_iter().flatten().chain(dense.into_iter().flatten()).map(|(k, q)| self.level(k, q))
    }

    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Tree(t) => t.len(),
            Repr::Dense(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        match &mut self.repr {
            Repr::Tree(t) => t.clear(),
            Repr::Dense(d) => d.clear(),
        }
    }

    /// Removes every level better than `price` (strictly), returning how
    /// many went. Used to uncross a book when the other side proves them
    /// stale.
    pub fn remove_better_than(&mut self, price: Price) -> usize {
        let key = self.key(price);
        let better: Vec<i64> = match &self.repr {
            Repr::Tree(t) => t.iter_best_first().map(|(k, _)| k).take_while(|&k| k > key).collect(),
            Repr::Dense(d) => d.iter_best_first().map(|(k, _)| k).take_while(|&k| k > key).collect(),
        };
        for &k in &better {
            match &mut self.repr {
                Repr::Tree(t) => t.set(k, 0),
                Repr::Dense(d) => d.set(k, 0),
            }
        }
        better.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: i64) -> Price {
        Price::from_int(x)
    }
    fn q(x: i64) -> Quantity {
        Quantity::from_int(x)
    }

    fn both(side: Side) -> [Ladder; 2] {
        [Ladder::new(side), Ladder::with_tick(side, p(1))]
    }

    #[test]
    fn bids_best_is_highest_and_asks_best_is_lowest() {
        for (mut bids, mut asks) in both(Side::Buy).into_iter().zip(both(Side::Sell)) {
            for x in [101, 99, 100] {
                bids.set(p(x), q(1));
                asks.set(p(x + 10), q(2));
            }
            assert_eq!(bids.best().unwrap().price, p(101));
            assert_eq!(asks.best().unwrap().price, p(109));
            let bid_prices: Vec<_> = bids.levels().map(|l| l.price).collect();
            assert_eq!(bid_prices, vec![p(101), p(100), p(99)]);
            let ask_prices: Vec<_> = asks.levels().map(|l| l.price).collect();
            assert_eq!(ask_prices, vec![p(109), p(110), p(111)]);
        }
    }

    #[test]
    fn zero_removes_and_missing_removal_is_ignored() {
        for mut bids in both(Side::Buy) {
            bids.set(p(100), q(3));
            bids.set(p(100), q(5));
            assert_eq!(bids.qty_at(p(100)), q(5));
            bids.set(p(98), Quantity::ZERO);
            assert_eq!(bids.len(), 1);
            bids.set(p(100), Quantity::ZERO);
            assert!(bids.is_empty());
            assert_eq!(bids.best(), None);
        }
    }

    #[test]
    fn removes_levels_better_than_a_price() {
        for mut asks in both(Side::Sell) {
            for x in [10, 11, 12, 13] {
                asks.set(p(x), q(1));
            }
            assert_eq!(asks.remove_better_than(p(12)), 2);
            assert_eq!(asks.best().unwrap().price, p(12));
        }
        for mut bids in both(Side::Buy) {
            for x in [10, 11, 12, 13] {
                bids.set(p(x), q(1));
            }
            assert_eq!(bids.remove_better_than(p(11)), 2);
            assert_eq!(bids.best().unwrap().price, p(11));
        }
    }

    #[test]
    fn grid_check_needs_a_tick() {
        assert!(Ladder::new(Side::Buy).on_grid(Price::from_raw(7)));
        let l = Ladder::with_tick(Side::Buy, "0.5".parse().unwrap());
        assert!(l.on_grid("10.5".parse().unwrap()));
        assert!(!l.on_grid("10.25".parse().unwrap()));
    }
}
