//! Which lots a sale closes: the cost basis.
//!
//! A position is a list of lots, each the quantity one fill opened at its
//! exact cost. Selling part of a long position (buying back part of a
//! short one) closes some of them; which ones decides the realized P&L of
//! the sale and the cost of what is left, though never their sum, so
//! equity does not depend on it:
//!
//! * [`CostBasis::Average`] (the default) closes a pro-rata slice of every
//!   lot: the position keeps one average price (rounded once, half-even,
//!   at 1e-18);
//! * [`CostBasis::Fifo`] closes the oldest lots first, as most tax
//!   authorities ask;
//! * [`CostBasis::Lifo`] closes the newest first.
//!
//! Under FIFO and LIFO nothing is rounded: a lot's cost is its fill's
//! `price × qty`, and any part of it is `price × part`, exact in
//! [`Money`]. Each closed piece is a [`ClosedLot`], the lot report.

use std::collections::VecDeque;

use pyrt_model::{InstrumentId, Money, OrderId, Price, Quantity, Side, UnixNanos};
use serde::{Deserialize, Serialize};

/// Which lots a closing fill closes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CostBasis {
    #[default]
    Average,
    Fifo,
    Lifo,
}

impl std::str::FromStr for CostBasis {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "average" | "avg" => Ok(Self::Average),
            "fifo" => Ok(Self::Fifo),
            "lifo" => Ok(Self::Lifo),
            _ => Err(format!("cost basis `{s}`: use average, fifo or lifo")),
        }
    }
}

impl std::fmt::Display for CostBasis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Average => "average",
            Self::Fifo => "fifo",
            Self::Lifo => "lifo",
        })
    }
}

/// Quantity one fill opened and still held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lot {
    /// Unsigned: the position's sign says long or short.
    pub qty: Quantity,
    /// Unsigned cost of `qty` (`price × qty` for a lot a fill opened).
    pub cost: Money,
    pub ts: UnixNanos,
    pub order_id: OrderId,
}

impl Lot {
    /// The lot's price, rounded for display.
    pub fn price(&self) -> Price {
        price_of(self.cost, self.qty)
    }
}

/// A piece of a lot that a fill closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClosedLot {
    pub instrument: InstrumentId,
    /// `Buy` for a long lot (closed by a sale), `Sell` for a short one.
    pub side: Side,
    pub qty: Quantity,
    pub open_ts: UnixNanos,
    pub open_order: OrderId,
    /// The lot's price, rounded for display (its cost is exact).
    pub open_price: Price,
    pub close_ts: UnixNanos,
    pub close_order: OrderId,
    pub close_price: Price,
    /// Gross realized P&L of the piece (fees not deducted).
    pub pnl: Money,
}

fn price_of(cost: Money, qty: Quantity) -> Price {
    Price::from_raw(pyrt_model::fixed::div_round_half_even(cost.raw(), qty.raw() as i128) as i64)
}

/// What a closing fill is: `qty` (unsigned) at `price`, by `order_id` at `ts`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Closing {
    pub instrument: InstrumentId,
    pub qty: Quantity,
    pub price: Price,
    pub ts: UnixNanos,
    pub order_id: OrderId,
}

/// Closes `c.qty` of the lots of a position (`long`: which way it points)
/// by `basis` (FIFO or LIFO), records each piece in `closed`, and returns
/// the unsigned cost removed. The lots must hold at least `c.qty`.
pub(crate) fn close(
    lots: &mut VecDeque<Lot>,
    basis: CostBasis,
    long: bool,
    c: Closing,
    closed: &mut Vec<ClosedLot>,
) -> Money {
    let mut left = c.qty;
    let mut removed = Money::ZERO;
    while left.is_positive() {
        let lot = match basis {
            CostBasis::Lifo => lots.back_mut(),
            _ => lots.front_mut(),
        }
        .expect("the lots hold the position");
        let part = left.min(lot.qty);
        let cost =
            if part == lot.qty { lot.cost } else { lot.cost.mul_ratio(part.raw() as i128, lot.qty.raw() as i128) };
        let proceeds = Money::notional(c.price, part);
        let pnl = if long { proceeds - cost } else { cost - proceeds };
        closed.push(ClosedLot {
            instrument: c.instrument,
            side: if long { Side::Buy } else { Side::Sell },
            qty: part,
            open_ts: lot.ts,
            open_order: lot.order_id,
            open_price: price_of(cost, part),
            close_ts: c.ts,
            close_order: c.order_id,
            close_price: c.price,
            pnl,
        });
        removed += cost;
        left -= part;
        if part == lot.qty {
            match basis {
                CostBasis::Lifo => lots.pop_back(),
                _ => lots.pop_front(),
            };
        } else {
            lot.qty -= part;
            lot.cost -= cost;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lot(qty: i64, price: i64, ts: i64) -> Lot {
        Lot {
            qty: Quantity::from_int(qty),
            cost: Money::notional(Price::from_int(price), Quantity::from_int(qty)),
            ts,
            order_id: OrderId(ts as u64),
        }
    }

    #[test]
    fn fifo_closes_the_oldest_and_lifo_the_newest_exactly() {
        for (basis, want_cost, want_left) in
            [(CostBasis::Fifo, 10 * 100 + 5 * 110, 110), (CostBasis::Lifo, 10 * 110 + 5 * 100, 100)]
        {
            let mut lots: VecDeque<Lot> = [lot(10, 100, 1), lot(10, 110, 2)].into();
            let mut closed = Vec::new();
            let c = Closing {
                instrument: InstrumentId(0),
                qty: Quantity::from_int(15),
                price: Price::from_int(120),
                ts: 3,
                order_id: OrderId(3),
            };
            let removed = close(&mut lots, basis, true, c, &mut closed);
            assert_eq!(removed, Money::from_int(want_cost), "{basis}");
            assert_eq!(lots.len(), 1);
            assert_eq!((lots[0].qty, lots[0].price()), (Quantity::from_int(5), Price::from_int(want_left)));
            let pnl: Money = closed.iter().map(|c| c.pnl).sum();
            assert_eq!(pnl, Money::from_int(15 * 120) - removed);
        }
    }

    #[test]
    fn a_basis_reads_from_text_and_names_the_choices() {
        assert_eq!("FIFO".parse::<CostBasis>(), Ok(CostBasis::Fifo));
        assert_eq!("average".parse::<CostBasis>(), Ok(CostBasis::Average));
        assert!("hifo".parse::<CostBasis>().unwrap_err().contains("average, fifo or lifo"));
    }
}
