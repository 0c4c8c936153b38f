//! FIFO and LIFO lots beside average cost: a hand-computed case, exact to
//! the unit, and the invariant that the basis moves P&L between realized
//! and open but never changes equity.

use proptest::prelude::*;
use pyrt_engine::CostBasis;
use pyrt_engine::portfolio::Portfolio;
use pyrt_model::{Fill, InstrumentId, Liquidity, Money, OrderId, Price, Quantity, Side};

const I: InstrumentId = InstrumentId(0);

fn fill(order: u64, side: Side, qty: i64, price: i64) -> Fill {
    Fill {
        order_id: OrderId(order),
        instrument: I,
        side,
        price: Price::from_int(price),
        qty: Quantity::from_int(qty),
        fee: Money::ZERO,
        fee_base: Quantity::ZERO,
        liquidity: Liquidity::Taker,
        ts: order as i64,
    }
}

fn account(basis: CostBasis) -> Portfolio {
    Portfolio::new(Money::from_int(100_000), 1, None).with_cost_basis(basis)
}

/// Buy 10 at 100, buy 10 at 110, sell 15 at 120, sell 10 at 120 (closes
/// the last 5 and opens a short of 5), buy 5 at 100 (closes the short).
fn the_case() -> [Fill; 5] {
    [
        fill(1, Side::Buy, 10, 100),
        fill(2, Side::Buy, 10, 110),
        fill(3, Side::Sell, 15, 120),
        fill(4, Side::Sell, 10, 120),
        fill(5, Side::Buy, 5, 100),
    ]
}

#[test]
fn fifo_and_lifo_realize_what_a_hand_computes() {
    // Realized after the sale of 15: FIFO closes 10 @ 100 (+200) and 5 @ 110
    // (+50); LIFO 10 @ 110 (+100) and 5 @ 100 (+100); average cost closes
    // 15 at 105 (+225). The rest of the case realizes the remainder: all
    // three end at +400 with the same equity.
    for (basis, after_sale, left_price) in
        [(CostBasis::Fifo, 250, 110), (CostBasis::Lifo, 200, 100), (CostBasis::Average, 225, 105)]
    {
        let mut p = account(basis);
        let case = the_case();
        for f in &case[..3] {
            p.apply_fill(f).unwrap();
        }
        assert_eq!(p.realized(), Money::from_int(after_sale), "{basis}");
        assert_eq!(p.position(I).avg_price(), Some(Price::from_int(left_price)), "{basis}");
        for f in &case[3..] {
            p.apply_fill(f).unwrap();
        }
        assert_eq!(p.realized(), Money::from_int(400), "{basis}");
        assert_eq!(p.position(I).qty, Quantity::ZERO);
        assert_eq!(p.equity(), Money::from_int(100_400));
    }

    let mut fifo = account(CostBasis::Fifo);
    for f in &the_case() {
        fifo.apply_fill(f).unwrap();
    }
    let report: Vec<(Side, i64, u64, i64, u64, i64, Money)> = fifo
        .closed_lots()
        .iter()
        .map(|l| {
            let qty = l.qty.raw() / Quantity::from_int(1).raw();
            let open = l.open_price.raw() / Price::from_int(1).raw();
            let close = l.close_price.raw() / Price::from_int(1).raw();
            (l.side, qty, l.open_order.0, open, l.close_order.0, close, l.pnl)
        })
        .collect();
    assert_eq!(
        report,
        vec![
            (Side::Buy, 10, 1, 100, 3, 120, Money::from_int(200)),
            (Side::Buy, 5, 2, 110, 3, 120, Money::from_int(50)),
            (Side::Buy, 5, 2, 110, 4, 120, Money::from_int(50)),
            (Side::Sell, 5, 4, 120, 5, 100, Money::from_int(100)),
        ]
    );
    let lots = account(CostBasis::Average);
    assert!(lots.closed_lots().is_empty(), "average cost keeps no lots");
}

proptest! {
    /// Any sequence of fills: the three bases hold the same position, cash
    /// and equity; only the split between realized and open differs; and
    /// under FIFO and LIFO the closed pieces add up to the realized P&L.
    #[test]
    fn the_basis_never_changes_equity(fills in prop::collection::vec((any::<bool>(), 1i64..50, 90i64..130), 1..60)) {
        let mut accounts = [account(CostBasis::Average), account(CostBasis::Fifo), account(CostBasis::Lifo)];
        for (n, (buy, qty, price)) in fills.into_iter().enumerate() {
            let side = if buy { Side::Buy } else { Side::Sell };
            let f = fill(n as u64 + 1, side, qty, price);
            for a in &mut accounts {
                a.apply_fill(&f).unwrap();
                a.mark(I, Price::from_int(price));
            }
            let [avg, fifo, lifo] = &accounts;
            prop_assert_eq!(avg.equity(), fifo.equity());
            prop_assert_eq!(avg.equity(), lifo.equity());
            prop_assert_eq!(avg.cash(), fifo.cash());
            prop_assert_eq!(avg.position(I).qty, lifo.position(I).qty);
            for a in [fifo, lifo] {
                let pieces: Money = a.closed_lots().iter().map(|l| l.pnl).sum();
                prop_assert_eq!(pieces, a.realized());
                let held: Quantity = a.position(I).lots().iter().map(|l| l.qty).fold(Quantity::ZERO, |s, q| s + q);
                prop_assert_eq!(held, a.position(I).qty.abs());
            }
        }
    }
}
