//! The smart order router: where to take a quantity when the same thing
//! trades on several venues.
//!
//! Each venue offers its book and charges its own taker fee, so the best
//! place to buy is the one with the lowest price *after* fees, and once
//! its best level is used up, the next cheapest unit may be elsewhere. The
//! router walks all the books at once, always taking the next lot where it
//! costs least per unit net of fees, in whole lots of each venue. The cost
//! of each venue grows with every lot (its book gets worse), so this greedy
//! walk finds the cheapest split; a test checks it against every possible
//! split of two real books.
//!
//! The plan says how much to send where and the worst price each venue's
//! part reaches: sent as immediate-or-cancel limits at those prices, the
//! parts take exactly the planned levels and nothing worse.

use pyrt_book::L2Book;
use pyrt_model::fixed::FIXED_SCALE;
use pyrt_model::{InstrumentId, Money, Price, Quantity, Rate, Side};
use serde::Serialize;

/// One venue as the router sees it.
#[derive(Debug, Clone, Copy)]
pub struct VenueBook<'a> {
    pub instrument: InstrumentId,
    pub book: &'a L2Book,
    /// The fee for taking liquidity there.
    pub taker_fee: Rate,
    /// The venue's quantity step.
    pub lot: Quantity,
}

/// The part of the order one venue gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Route {
    pub instrument: InstrumentId,
    pub qty: Quantity,
    /// The worst price the part reaches (its limit).
    pub limit: Price,
    /// Σ price × qty over the levels it takes, before fees.
    pub notional: Money,
}

/// How to split an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutePlan {
    pub side: Side,
    /// One per venue that gets a part, best first.
    pub routes: Vec<Route>,
    /// What the books could not fill (in whole lots of any venue).
    pub unfilled: Quantity,
    /// Σ notional ± fees: paid for a buy, received for a sell.
    pub net: Money,
}

impl RoutePlan {
    pub fn filled(&self) -> Quantity {
        self.routes.iter().fold(Quantity::ZERO, |acc, r| acc + r.qty)
    }
}

/// A venue's walk through its book.
struct Cursor<'a> {
    venue: VenueBook<'a>,
    levels: Vec<(Price, Quantity)>,
    /// The level being taken and how much of it is taken.
    level: usize,
    used: Quantity,
    taken: Quantity,
}

impl Cursor<'_> {
    /// The cost (before fees) of the next `lots` lots and the last level
    /// they reach, or `None` when the book runs out first.
    fn next(&self, lots: i64) -> Option<(Money, usize, Quantity)> {
        let mut need = Quantity::from_raw(self.venue.lot.raw() * lots);
        let (mut level, mut used, mut cost) = (self.level, self.used, Money::ZERO);
        while need.is_positive() {
            let &(price, qty) = self.levels.get(level)?;
            let take = (qty - used).min(need);
            cost += Money::notional(price, take);
            need -= take;
            used += take;
            if used == qty {
                level += 1;
                used = Quantity::ZERO;
            }
        }
        Some((cost, level, used))
    }

    /// Net cost per unit of the next lot, as (numerator, denominator) so
    /// venues with different lots compare exactly: cost × (1 ± fee) / lot.
    fn unit_cost(&self, side: Side) -> Option<(i128, i128)> {
        let (cost, ..) = self.next(1)?;
        let fee = self.venue.taker_fee.raw() as i128;
        let factor = match side {
            Side::Buy => FIXED_SCALE as i128 + fee,
            Side::Sell => FIXED_SCALE as i128 - fee,
        };
        Some((cost.raw() * factor, self.venue.lot.raw() as i128))
    }

    /// Takes `lots` lots.
    fn take(&mut self, lots: i64) {
        let (_, level, used) = self.next(lots).expect("checked before taking");
        self.taken += Quantity::from_raw(self.venue.lot.raw() * lots);
        (self.level, self.used) = (level, used);
    }

    /// Whole lots left in the current level (0 when a lot spans levels).
    fn whole_lots_here(&self) -> i64 {
        self.levels.get(self.level).map_or(0, |&(_, qty)| (qty - self.used).raw() / self.venue.lot.raw())
    }
}

/// Splits `qty` across `venues` for the cheapest fill net of fees (a buy)
/// or the largest proceeds net of fees (a sell).
pub fn plan(side: Side, qty: Quantity, venues: &[VenueBook]) -> RoutePlan {
    let mut cursors: Vec<Cursor> = venues
        .iter()
        .filter(|v| v.lot.is_positive())
        .map(|v| {
            // Enough levels to fill everything here alone, and one more.
            let mut depth = Quantity::ZERO;
            let levels = v
                .book
                .side(side.opposite())
                .levels()
                .take_while(|l| {
                    let more = depth < qty;
                    depth += l.qty;
                    more
                })
                .map(|l| (l.price, l.qty))
                .collect();
            Cursor { venue: *v, levels, level: 0, used: Quantity::ZERO, taken: Quantity::ZERO }
        })
        .collect();
    let mut left = qty;
    loop {
        let better = |a: (i128, i128), b: (i128, i128)| {
            let (x, y) = (a.0 * b.1, b.0 * a.1);
            match side {
                Side::Buy => x < y,
                Side::Sell => x > y,
            }
        };
        let mut best: Option<(usize, (i128, i128))> = None;
        for (i, c) in cursors.iter().enumerate() {
            if c.venue.lot > left {
                continue;
            }
            if let Some(cost) = c.unit_cost(side)
                && best.is_none_or(|(_, b)| better(cost, b))
            {
                best = Some((i, cost));
            }
        }
        let Some((i, _)) = best else { break };
        let cursor = &mut cursors[i];
        // A whole level at one price is as good as its first lot.
        let lots = cursor.whole_lots_here().min(left.raw() / cursor.venue.lot.raw()).max(1);
        cursor.take(lots);
        left -= Quantity::from_raw(cursor.venue.lot.raw() * lots);
    }
    let mut taken: Vec<Quantity> = cursors.iter().map(|c| c.taken).collect();
    improve_at_the_edges(side, &cursors, &mut taken);
    let mut routes: Vec<Route> = cursors
        .iter()
        .zip(&taken)
        .filter(|(_, q)| q.is_positive())
        .map(|(c, &qty)| {
            let (notional, limit) = sweep(&c.levels, qty).expect("allocations fit their books");
            Route { instrument: c.venue.instrument, qty, limit, notional }
        })
        .collect();
    let fee_of = |r: &Route| {
        let venue = venues.iter().find(|v| v.instrument == r.instrument).expect("routes come from venues");
        venue.taker_fee.of_money(r.notional)
    };
    let net = routes.iter().fold(Money::ZERO, |acc, r| match side {
        Side::Buy => acc + r.notional + fee_of(r),
        Side::Sell => acc + r.notional - fee_of(r),
    });
    routes.sort_by_key(|r| std::cmp::Reverse(r.qty));
    RoutePlan { side, routes, unfilled: left, net }
}

/// The cost before fees of taking `qty` from `levels`, and the worst price.
fn sweep(levels: &[(Price, Quantity)], qty: Quantity) -> Option<(Money, Price)> {
    let (mut left, mut cost, mut worst) = (qty, Money::ZERO, None);
    for &(price, level) in levels {
        if !left.is_positive() {
            break;
        }
        let take = level.min(left);
        cost += Money::notional(price, take);
        worst = Some(price);
        left -= take;
    }
    (!left.is_positive()).then_some((cost, worst?))
}

/// Σ cost × (1 ± fee) of an allocation, exactly; `None` if a venue's book
/// cannot hold its part. Lower is better for a buy, higher for a sell.
fn net_of(side: Side, cursors: &[Cursor], taken: &[Quantity]) -> Option<i128> {
    let mut total = 0i128;
    for (c, &qty) in cursors.iter().zip(taken) {
        if qty.is_negative() {
            return None;
        }
        let (cost, _) = if qty.is_zero() { (Money::ZERO, Price::ZERO) } else { sweep(&c.levels, qty)? };
        let fee = c.venue.taker_fee.raw() as i128;
        let factor = match side {
            Side::Buy => FIXED_SCALE as i128 + fee,
            Side::Sell => FIXED_SCALE as i128 - fee,
        };
        total += cost.raw() * factor;
    }
    Some(total)
}

/// The greedy walk is exact while every venue takes the same step; with
/// different lots the last steps can leave a better split next door (one
/// coarse lot moved to a finer venue or back). Each venue's cost grows
/// faster with every lot, so moving single lots until no move helps
/// reaches the best split among venues whose lots divide each other.
fn improve_at_the_edges(side: Side, cursors: &[Cursor], taken: &mut [Quantity]) {
    let better = |a: i128, b: i128| match side {
        Side::Buy => a < b,
        Side::Sell => a > b,
    };
    let Some(mut best) = net_of(side, cursors, taken) else { return };
    loop {
        let mut moved = false;
        for from in 0..cursors.len() {
            for to in 0..cursors.len() {
                let step = cursors[from].venue.lot.max(cursors[to].venue.lot);
                if from == to
                    || !step.is_multiple_of(cursors[from].venue.lot)
                    || !step.is_multiple_of(cursors[to].venue.lot)
                {
                    continue;
                }
                taken[from] -= step;
                taken[to] += step;
                match net_of(side, cursors, taken) {
                    Some(net) if better(net, best) => {
                        best = net;
                        moved = true;
                    }
                    _ => {
                        taken[from] += step;
                        taken[to] -= step;
                    }
                }
            }
        }
        if !moved {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(asks: &[(&str, &str)]) -> L2Book {
        let mut b = L2Book::new();
        let asks: Vec<_> = asks.iter().map(|(p, q)| (p.parse().unwrap(), q.parse().unwrap())).collect();
        b.load(&[(Price::from_int(1), Quantity::from_int(1))], &asks).unwrap();
        b
    }

    fn venue(id: u32, book: &L2Book, fee_bps: i64) -> VenueBook<'_> {
        VenueBook { instrument: InstrumentId(id), book, taker_fee: Rate::from_bps(fee_bps), lot: Quantity::from_int(1) }
    }

    #[test]
    fn takes_the_cheaper_venue_net_of_fees_then_the_next() {
        // A is cheaper on the screen, dearer after its 100 bp fee.
        let a = book(&[("100", "5"), ("101", "5")]);
        let b = book(&[("100.5", "3"), ("102", "10")]);
        let p = plan(Side::Buy, Quantity::from_int(6), &[venue(0, &a, 100), venue(1, &b, 0)]);
        // 100.5 (B) < 101 (A net), then A's 101 < B's 102.
        let want = vec![
            Route {
                instrument: InstrumentId(0),
                qty: Quantity::from_int(3),
                limit: Price::from_int(100),
                notional: Money::from_int(300),
            },
            Route {
                instrument: InstrumentId(1),
                qty: Quantity::from_int(3),
                limit: "100.5".parse().unwrap(),
                notional: Money::from_raw(3015 * 10i128.pow(17)),
            },
        ];
        assert_eq!(p.routes, want);
        assert_eq!(p.unfilled, Quantity::ZERO);
        assert_eq!(p.net, Money::from_int(300 + 3) + Money::from_raw(3015 * 10i128.pow(17)));
    }

    #[test]
    fn what_the_books_cannot_fill_is_left() {
        let a = book(&[("100", "2")]);
        let p = plan(Side::Buy, Quantity::from_int(5), &[venue(0, &a, 0)]);
        assert_eq!((p.filled(), p.unfilled), (Quantity::from_int(2), Quantity::from_int(3)));
        let empty = L2Book::new();
        let p = plan(Side::Buy, Quantity::from_int(5), &[venue(0, &empty, 0)]);
        assert!(p.routes.is_empty() && p.unfilled == Quantity::from_int(5));
    }
}
