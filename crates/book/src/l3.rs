//! The order-level (L3, market-by-order) book.
//!
//! Each price level keeps its orders in time priority, so the book can say
//! how much quantity is ahead of a given order — what a queue-position fill
//! model needs. Priority follows the exchanges' common rule: an order keeps
//! its place when its size goes down and goes to the back of the queue when
//! its size goes up or its price changes.

use std::collections::{BTreeMap, HashMap, VecDeque};

use pyrt_model::{BookAction, BookDelta, Price, Quantity, Side};

use crate::BookError;
use crate::l2::L2Book;
use crate::ladder::Level;

/// An order resting in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingOrder {
    pub id: u64,
    pub side: Side,
    pub price: Price,
    pub qty: Quantity,
}

#[derive(Debug, Clone, Default)]
struct Queue {
    total: Quantity,
    /// Order ids, first in line first.
    ids: VecDeque<u64>,
}

/// An order-level book.
#[derive(Debug, Clone, Default)]
pub struct L3Book {
    orders: HashMap<u64, RestingOrder>,
    bids: BTreeMap<Price, Queue>,
    asks: BTreeMap<Price, Queue>,
}

impl L3Book {
    pub fn new() -> Self {
        Self::default()
    }

    fn levels_mut(&mut self, side: Side) -> &mut BTreeMap<Price, Queue> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    fn levels(&self, side: Side) -> &BTreeMap<Price, Queue> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Adds a new order at the back of its price level's queue.
    pub fn add(&mut self, id: u64, side: Side, price: Price, qty: Quantity) -> Result<(), BookError> {
        if !price.is_positive() {
            return Err(BookError::BadPrice { side, price });
        }
        if !qty.is_positive() {
            return Err(BookError::BadOrderQuantity { id, qty });
        }
        if self.orders.contains_key(&id) {
            return Err(BookError::DuplicateOrder(id));
        }
        self.orders.insert(id, RestingOrder { id, side, price, qty });
        let queue = self.levels_mut(side).entry(price).or_default();
        queue.total += qty;
        queue.ids.push_back(id);
        Ok(())
    }

    /// Removes an order, returning it.
    pub fn delete(&mut self, id: u64) -> Result<RestingOrder, BookError> {
        let order = self.orders.remove(&id).ok_or(BookError::UnknownOrder(id))?;
        let levels = self.levels_mut(order.side);
        let queue = levels.get_mut(&order.price).expect("an indexed order sits in its level");
        queue.total -= order.qty;
        let at = queue.ids.iter().position(|&x| x == id).expect("an indexed order is in its queue");
        queue.ids.remove(at);
        if queue.ids.is_empty() {
            levels.remove(&order.price);
        }
        Ok(order)
    }

    /// Changes an order's price and size. A smaller size at the same price
    /// keeps the order's place; anything else sends it to the back.
    /// A size of zero deletes it.
    pub fn modify(&mut self, id: u64, price: Price, qty: Quantity) -> Result<(), BookError> {
        let old = *self.orders.get(&id).ok_or(BookError::UnknownOrder(id))?;
        if qty.is_zero() {
            return self.delete(id).map(|_| ());
        }
        if qty.is_negative() {
            return Err(BookError::BadOrderQuantity { id, qty });
        }
        if price == old.price && qty <= old.qty {
            let queue = self.levels_mut(old.side).get_mut(&price).expect("an indexed order sits in its level");
            queue.total = queue.total - old.qty + qty;
            self.orders.get_mut(&id).expect("checked above").qty = qty;
            return Ok(());
        }
        if !price.is_positive() {
            return Err(BookError::BadPrice { side: old.side, price });
        }
        self.delete(id)?;
        self.add(id, old.side, price, qty)
    }

    /// Takes `qty` off an order (an execution against it); the order goes
    /// when nothing is left.
    pub fn fill(&mut self, id: u64, qty: Quantity) -> Result<(), BookError> {
        let order = *self.orders.get(&id).ok_or(BookError::UnknownOrder(id))?;
        if !qty.is_positive() || qty > order.qty {
            return Err(BookError::Overfill { id, qty, remaining: order.qty });
        }
        self.modify(id, order.price, order.qty - qty)
    }

    /// Applies one order-level delta. `Update` carries the order's new
    /// price and size.
    pub fn apply(&mut self, delta: &BookDelta) -> Result<(), BookError> {
        match delta.action {
            BookAction::Add => self.add(delta.order_id, delta.side, delta.price, delta.size),
            BookAction::Update => self.modify(delta.order_id, delta.price, delta.size),
            BookAction::Delete => self.delete(delta.order_id).map(|_| ()),
            BookAction::Clear => {
                self.clear();
                Ok(())
            }
        }
    }

    pub fn clear(&mut self) {
        self.orders.clear();
        self.bids.clear();
        self.asks.clear();
    }

    pub fn order(&self, id: u64) -> Option<RestingOrder> {
        self.orders.get(&id).copied()
    }

    /// Number of resting orders.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
    }

    pub fn best_bid(&self) -> Option<Level> {
        self.bids.iter().next_back().map(|(&price, q)| Level { price, qty: q.total })
    }

    pub fn best_ask(&self) -> Option<Level> {
        self.asks.iter().next().map(|(&price, q)| Level { price, qty: q.total })
    }

    /// Total quantity at a price.
    pub fn qty_at(&self, side: Side, price: Price) -> Quantity {
        self.levels(side).get(&price).map_or(Quantity::ZERO, |q| q.total)
    }

    /// The orders at a price, first in line first.
    pub fn queue(&self, side: Side, price: Price) -> impl Iterator<Item = RestingOrder> + '_ {
        self.levels(side).get(&price).into_iter().flat_map(|q| q.ids.iter().map(|id| self.orders[id]))
    }

    /// The quantity queued ahead of an order at its price.
    pub fn qty_ahead(&self, id: u64) -> Result<Quantity, BookError> {
        let order = self.orders.get(&id).ok_or(BookError::UnknownOrder(id))?;
        Ok(self.queue(order.side, order.price).take_while(|o| o.id != id).fold(Quantity::ZERO, |acc, o| acc + o.qty))
    }

    /// The same book aggregated to price levels.
    pub fn to_l2(&self) -> L2Book {
        let mut book = L2Book::new();
        for (side, levels) in [(Side::Buy, &self.bids), (Side::Sell, &self.asks)] {
            for (&price, q) in levels {
                book.set(side, price, q.total).expect("levels hold positive prices and sizes");
            }
        }
        book
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

    #[test]
    fn queue_priority_follows_time_and_size_changes() {
        let mut b = L3Book::new();
        b.add(1, Side::Buy, p(100), q(5)).unwrap();
        b.add(2, Side::Buy, p(100), q(3)).unwrap();
        b.add(3, Side::Buy, p(100), q(2)).unwrap();
        assert_eq!(b.qty_ahead(3).unwrap(), q(8));
        // Shrinking keeps the place.
        b.modify(1, p(100), q(1)).unwrap();
        assert_eq!(b.qty_ahead(3).unwrap(), q(4));
        assert_eq!(b.qty_ahead(1).unwrap(), q(0));
        // Growing goes to the back.
        b.modify(1, p(100), q(4)).unwrap();
        assert_eq!(b.qty_ahead(1).unwrap(), q(5));
        assert_eq!(b.queue(Side::Buy, p(100)).map(|o| o.id).collect::<Vec<_>>(), vec![2, 3, 1]);
        assert_eq!(b.qty_at(Side::Buy, p(100)), q(9));
    }

    #[test]
    fn fills_reduce_then_remove() {
        let mut b = L3Book::new();
        b.add(7, Side::Sell, p(101), q(4)).unwrap();
        b.add(8, Side::Sell, p(102), q(1)).unwrap();
        b.fill(7, q(3)).unwrap();
        assert_eq!(b.best_ask(), Some(Level { price: p(101), qty: q(1) }));
        b.fill(7, q(1)).unwrap();
        assert_eq!(b.best_ask().unwrap().price, p(102));
        assert_eq!(b.order(7), None);
        let err = b.fill(8, q(2)).unwrap_err();
        assert_eq!(err.to_string(), "cannot fill 2 of order 8: only 1 is left");
    }

    #[test]
    fn bad_operations_name_the_order() {
        let mut b = L3Book::new();
        b.add(1, Side::Buy, p(100), q(1)).unwrap();
        assert_eq!(b.add(1, Side::Buy, p(99), q(1)).unwrap_err(), BookError::DuplicateOrder(1));
        assert_eq!(b.delete(9).unwrap_err().to_string(), "order 9 is not in the book");
        assert!(matches!(b.add(2, Side::Buy, p(99), q(0)), Err(BookError::BadOrderQuantity { id: 2, .. })));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn aggregates_to_l2() {
        let mut b = L3Book::new();
        b.add(1, Side::Buy, p(100), q(5)).unwrap();
        b.add(2, Side::Buy, p(100), q(3)).unwrap();
        b.add(3, Side::Sell, p(101), q(2)).unwrap();
        b.modify(2, p(99), q(3)).unwrap();
        let l2 = b.to_l2();
        assert_eq!(l2.qty_at(Side::Buy, p(100)), q(5));
        assert_eq!(l2.qty_at(Side::Buy, p(99)), q(3));
        assert_eq!(l2.best_ask(), b.best_ask());
    }
}
