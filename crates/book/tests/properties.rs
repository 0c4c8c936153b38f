//! Invariants of the books under random operations, checked against plain
//! reference models (`BTreeMap`s) that are too simple to be wrong.

use std::collections::BTreeMap;

use proptest::prelude::*;
use pyrt_book::{Continuity, Diff, L2Book, L3Book, Level, SyncedBook, UpdateIds};
use pyrt_model::{Price, Quantity, Side};

fn side_strategy() -> impl Strategy<Value = Side> {
    prop_oneof![Just(Side::Buy), Just(Side::Sell)]
}

fn levels_of(book: &L2Book, side: Side) -> Vec<Level> {
    book.side(side).levels().collect()
}

fn reference_levels(model: &BTreeMap<i64, i64>, side: Side) -> Vec<Level> {
    let it = model.iter().map(|(&p, &q)| Level { price: Price::from_raw(p), qty: Quantity::from_raw(q) });
    match side {
        Side::Buy => it.rev().collect(),
        Side::Sell => it.collect(),
    }
}

/// A book state that is never crossed: bids below 1000, asks above.
fn book_state() -> impl Strategy<Value = (BTreeMap<i64, i64>, BTreeMap<i64, i64>)> {
    (
        prop::collection::btree_map(900i64..1000, 1i64..50, 0..30),
        prop::collection::btree_map(1000i64..1100, 1i64..50, 0..30),
    )
}

/// The levels that turn `from` into `to` (size 0 for removals).
fn diff(from: &BTreeMap<i64, i64>, to: &BTreeMap<i64, i64>) -> Vec<(Price, Quantity)> {
    let mut out = Vec::new();
    for (&p, &q) in to {
        if from.get(&p) != Some(&q) {
            out.push((Price::from_int(p), Quantity::from_int(q)));
        }
    }
    for &p in from.keys() {
        if !to.contains_key(&p) {
            out.push((Price::from_int(p), Quantity::ZERO));
        }
    }
    out
}

fn as_levels(model: &BTreeMap<i64, i64>) -> Vec<(Price, Quantity)> {
    model.iter().map(|(&p, &q)| (Price::from_int(p), Quantity::from_int(q))).collect()
}

fn same_as(book: &L2Book, bids: &BTreeMap<i64, i64>, asks: &BTreeMap<i64, i64>) -> bool {
    let scale = |m: &BTreeMap<i64, i64>| -> BTreeMap<i64, i64> {
        m.iter().map(|(&p, &q)| (Price::from_int(p).raw(), Quantity::from_int(q).raw())).collect()
    };
    levels_of(book, Side::Buy) == reference_levels(&scale(bids), Side::Buy)
        && levels_of(book, Side::Sell) == reference_levels(&scale(asks), Side::Sell)
}

proptest! {
    /// Setting levels in any order gives the reference model's levels,
    /// sorted best first, with no empty or negative level.
    #[test]
    fn l2_matches_a_sorted_map(ops in prop::collection::vec((side_strategy(), 1i64..200, 0i64..5), 0..300)) {
        let mut book = L2Book::new();
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        for (side, price, qty) in ops {
            book.set(side, Price::from_raw(price), Quantity::from_raw(qty)).unwrap();
            let model = if side == Side::Buy { &mut bids } else { &mut asks };
            if qty == 0 { model.remove(&price); } else { model.insert(price, qty); }
        }
        prop_assert_eq!(levels_of(&book, Side::Buy), reference_levels(&bids, Side::Buy));
        prop_assert_eq!(levels_of(&book, Side::Sell), reference_levels(&asks, Side::Sell));
        for side in [Side::Buy, Side::Sell] {
            prop_assert!(book.side(side).levels().all(|l| l.qty.is_positive()));
        }
    }

    /// The tick-indexed book keeps exactly the same levels as the tree,
    /// through window moves in both directions and levels far below it.
    #[test]
    fn ticked_book_matches_a_sorted_map(ops in prop::collection::vec(
        // Three clusters further apart than the window, so the window
        // moves up, empties and comes back down.
        (side_strategy(), prop_oneof![1i64..40, 9_000i64..9_040, 20_000i64..20_040], 0i64..3),
        0..400,
    )) {
        let tick = Price::from_raw(5);
        let mut book = L2Book::with_tick(tick);
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        for (side, ticks, qty) in ops {
            let price = ticks * 5;
            book.set(side, Price::from_raw(price), Quantity::from_raw(qty)).unwrap();
            let model = if side == Side::Buy { &mut bids } else { &mut asks };
            if qty == 0 { model.remove(&price); } else { model.insert(price, qty); }
            prop_assert_eq!(book.best_bid(), reference_levels(&bids, Side::Buy).first().copied());
            prop_assert_eq!(book.best_ask(), reference_levels(&asks, Side::Sell).first().copied());
        }
        prop_assert_eq!(levels_of(&book, Side::Buy), reference_levels(&bids, Side::Buy));
        prop_assert_eq!(levels_of(&book, Side::Sell), reference_levels(&asks, Side::Sell));
        prop_assert_eq!(book.side(Side::Buy).len(), bids.len());
        for (&price, &qty) in &asks {
            prop_assert_eq!(book.qty_at(Side::Sell, Price::from_raw(price)), Quantity::from_raw(qty));
        }
    }

    /// Replaying the diffs between consecutive consistent states rebuilds
    /// each state exactly, and the book is never crossed in between.
    #[test]
    fn diff_replay_reaches_every_following_snapshot(states in prop::collection::vec(book_state(), 2..12)) {
        let mut synced = SyncedBook::new(Continuity::Contiguous);
        let (b0, a0) = &states[0];
        synced.on_snapshot(10, &as_levels(b0), &as_levels(a0)).unwrap();
        let mut id = 10;
        for pair in states.windows(2) {
            let ((b_from, a_from), (b_to, a_to)) = (&pair[0], &pair[1]);
            let bids = diff(b_from, b_to);
            let asks = diff(a_from, a_to);
            let ids = UpdateIds { first: id + 1, last: id + 3, prev_last: None };
            id += 3;
            synced.on_diff(Diff { ids, bids: &bids, asks: &asks }).unwrap();
            prop_assert!(same_as(synced.book(), b_to, a_to));
            prop_assert!(!synced.book().is_crossed());
        }
        prop_assert_eq!(synced.update_id(), Some(id));
    }

    /// Sweeping fills the smaller of the order and the side's depth, at an
    /// average price between the best and the worst level touched.
    #[test]
    fn sweep_is_bounded_by_the_book((bids, asks) in book_state(), want in 1i64..400, taker in side_strategy()) {
        let mut book = L2Book::new();
        book.load(&as_levels(&bids), &as_levels(&asks)).unwrap();
        let s = book.sweep(taker, Quantity::from_int(want));
        let depth: i64 = if taker == Side::Buy { asks.values().sum() } else { bids.values().sum() };
        prop_assert_eq!(s.filled, Quantity::from_int(want.min(depth)));
        if let Some(avg) = s.average_price() {
            let best = book.side(taker.opposite()).best().unwrap().price;
            let worst = s.worst.unwrap();
            let (lo, hi) = if best <= worst { (best, worst) } else { (worst, best) };
            prop_assert!(lo <= avg && avg <= hi);
        } else {
            prop_assert_eq!(depth, 0);
        }
    }

    /// An order-level book aggregates to the same levels as the L2 totals
    /// of its live orders, and the queue ahead of each order is the sum of
    /// the orders before it at its price.
    #[test]
    fn l3_aggregates_and_queues_consistently(ops in prop::collection::vec((0u8..4, 0u64..40, side_strategy(), 95i64..105, 1i64..10), 0..300)) {
        let mut book = L3Book::new();
        // Reference: id -> (side, price, qty, arrival stamp).
        let mut live: BTreeMap<u64, (Side, i64, i64, u64)> = BTreeMap::new();
        for (stamp, (op, id, side, price, qty)) in ops.into_iter().enumerate() {
            let stamp = stamp as u64;
            let (p, q) = (Price::from_int(price), Quantity::from_int(qty));
            match op {
                0 => {
                    // Bids below 100 and asks at or above, so the book never crosses.
                    let price = if side == Side::Buy { price.min(99) } else { price.max(100) };
                    let r = book.add(id, side, Price::from_int(price), q);
                    prop_assert_eq!(r.is_ok(), !live.contains_key(&id));
                    live.entry(id).or_insert((side, price, qty, stamp));
                }
                1 => {
                    let r = book.delete(id);
                    prop_assert_eq!(r.is_ok(), live.remove(&id).is_some());
                }
                2 => {
                    if let Some(&(side, old_price, old_qty, old_stamp)) = live.get(&id) {
                        let price = if side == Side::Buy { price.min(99) } else { price.max(100) };
                        book.modify(id, Price::from_int(price), q).unwrap();
                        let keeps = price == old_price && qty <= old_qty;
                        live.insert(id, (side, price, qty, if keeps { old_stamp } else { stamp }));
                    } else {
                        prop_assert!(book.modify(id, p, q).is_err());
                    }
                }
                _ => {
                    if let Some(&(side, price, old_qty, stamp)) = live.get(&id) {
                        let take = qty.min(old_qty);
                        book.fill(id, Quantity::from_int(take)).unwrap();
                        if take == old_qty { live.remove(&id); } else { live.insert(id, (side, price, old_qty - take, stamp)); }
                    }
                }
            }
        }
        prop_assert_eq!(book.len(), live.len());
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        for &(side, price, qty, _) in live.values() {
            *(if side == Side::Buy { &mut bids } else { &mut asks }).entry(price).or_insert(0) += qty;
        }
        prop_assert!(same_as(&book.to_l2(), &bids, &asks));
        for (&id, &(side, price, _, stamp)) in &live {
            let ahead: i64 = live.values().filter(|o| o.0 == side && o.1 == price && o.3 < stamp).map(|o| o.2).sum();
            prop_assert_eq!(book.qty_ahead(id).unwrap(), Quantity::from_int(ahead));
        }
    }
}
