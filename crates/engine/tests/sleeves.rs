//! Strategies with capital of their own in one account: each sees and
//! spends its sleeve, a cash account holds each to it, and the sleeves add
//! up to the account exactly.

mod common;

use proptest::prelude::*;
use pyrt_engine::{AccountKind, Context, Engine, EngineConfig, EngineError, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, Money, OrderRequest, Price, Quantity, Side};
use pyrt_sim::{SimConfig, SimVenue};

const A: InstrumentId = InstrumentId(0);
const B: InstrumentId = InstrumentId(1);

fn bars(n: i64) -> Vec<Result<MarketEvent, std::io::Error>> {
    let a = common::daily_bars(A, n, |d| Price::from_int(100 + d));
    let b = common::daily_bars(B, n, |d| Price::from_int(60 - d));
    a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect()
}

fn engine(account: AccountKind) -> Engine<SimVenue> {
    let instruments = vec![
        Instrument::new(A, "A", Price::from_raw(10_000_000), Quantity::from_int(1)),
        Instrument::new(B, "B", Price::from_raw(10_000_000), Quantity::from_int(1)),
    ];
    let venue = SimVenue::new(instruments.clone(), SimConfig::default());
    let config = EngineConfig { initial_cash: Money::from_int(10_000), account, ..EngineConfig::default() };
    Engine::new(instruments, venue, config)
}

/// On day 1, spends all the cash it sees on `instrument`.
struct AllIn(InstrumentId, std::rc::Rc<std::cell::Cell<f64>>);

impl Strategy for AllIn {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        if bar.instrument == self.0 && bar.ts_event == NANOS_PER_DAY {
            self.1.set(ctx.cash().to_f64());
            ctx.buy_notional(self.0, ctx.cash());
        }
    }
}

/// On day 2, sells 10 of `instrument` (which it never bought).
struct SellsOthers;

impl Strategy for SellsOthers {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        if bar.instrument == A && bar.ts_event == 2 * NANOS_PER_DAY {
            ctx.submit(OrderRequest::market(A, Side::Sell, Quantity::from_int(10)));
        }
    }
}

#[test]
fn each_strategy_sees_and_spends_its_own_capital() {
    let mut e = engine(AccountKind::Cash);
    let (seen_a, seen_b) = (std::rc::Rc::default(), std::rc::Rc::default());
    e.add_strategy_with_capital(Box::new(AllIn(A, std::rc::Rc::clone(&seen_a))), Money::from_int(6_000)).unwrap();
    e.add_strategy_with_capital(Box::new(AllIn(B, std::rc::Rc::clone(&seen_b))), Money::from_int(4_000)).unwrap();
    e.add_strategy_with_capital(Box::new(SellsOthers), Money::ZERO).unwrap_err();
    e.run(bars(4)).unwrap();
    assert_eq!((seen_a.get(), seen_b.get()), (6_000.0, 4_000.0));
    let sleeves = e.sleeves().all();
    // A's 6,000 bought 58 at day 2's open of 102; B's 4,000 bought 68 at 58.
    assert_eq!(sleeves[0].portfolio.position(A).qty, Quantity::from_int(58));
    assert!(sleeves[0].portfolio.position(B).qty.is_zero());
    assert_eq!(sleeves[1].portfolio.position(B).qty, Quantity::from_int(68));
    let total: Money = sleeves.iter().map(|s| s.portfolio.equity()).sum();
    assert_eq!(total, e.portfolio().equity(), "the sleeves add up to the account");
    assert_eq!(sleeves[0].recorder.points().len(), e.recorder().points().len());
}

#[test]
fn a_cash_account_holds_a_strategy_to_its_sleeve() {
    let mut e = engine(AccountKind::Cash);
    e.add_strategy_with_capital(Box::new(AllIn(A, Default::default())), Money::from_int(5_000)).unwrap();
    e.add_strategy_with_capital(Box::new(SellsOthers), Money::from_int(5_000)).unwrap();
    e.run(bars(4)).unwrap();
    // The account holds A, but the seller's sleeve does not.
    let rejected: Vec<_> = e.orders().all().iter().filter(|o| o.reason.is_some()).collect();
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0].reason.as_deref().unwrap().contains("cannot sell 10 A: it holds 0"),
        "{:?}",
        rejected[0].reason
    );
}

#[test]
fn allocations_may_not_exceed_the_starting_cash() {
    let mut e = engine(AccountKind::Cash);
    e.add_strategy_with_capital(Box::new(SellsOthers), Money::from_int(7_000)).unwrap();
    let err = e.add_strategy_with_capital(Box::new(SellsOthers), Money::from_int(3_001)).unwrap_err();
    assert!(matches!(err, EngineError::Allocation { .. }));
    assert!(err.to_string().contains("may not exceed the starting cash of 10000"), "{err}");
}

/// Buys or sells a planned quantity of A or B on each day.
struct Planned(Vec<(bool, bool, i64)>);

impl Strategy for Planned {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        let day = (bar.ts_event / NANOS_PER_DAY) as usize;
        if bar.instrument != B || day > self.0.len() {
            return;
        }
        let (on_a, buy, qty) = self.0[day - 1];
        let side = if buy { Side::Buy } else { Side::Sell };
        ctx.submit(OrderRequest::market(if on_a { A } else { B }, side, Quantity::from_int(qty)));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever two strategies trade on a margin account, the sleeves plus
    /// the unallocated cash equal the account to the last unit, and their
    /// positions add up to its positions.
    #[test]
    fn sleeves_add_up_to_the_account(
        plans in proptest::collection::vec(proptest::collection::vec((any::<bool>(), any::<bool>(), 1i64..40), 8), 2),
        first in 1i64..6_000,
    ) {
        let mut e = engine(AccountKind::Margin);
        e.add_strategy_with_capital(Box::new(Planned(plans[0].clone())), Money::from_int(first)).unwrap();
        e.add_strategy_with_capital(Box::new(Planned(plans[1].clone())), Money::from_int(3_000)).unwrap();
        e.run(bars(10)).unwrap();
        let unallocated = Money::from_int(10_000 - first - 3_000);
        let sleeves: Money = e.sleeves().all().iter().map(|s| s.portfolio.equity()).sum();
        prop_assert_eq!(sleeves + unallocated, e.portfolio().equity());
        let cash: Money = e.sleeves().all().iter().map(|s| s.portfolio.cash()).sum();
        prop_assert_eq!(cash + unallocated, e.portfolio().cash());
        for i in [A, B] {
            let held: Quantity = e.sleeves().all().iter().map(|s| s.portfolio.position(i).qty).fold(Quantity::ZERO, |a, b| a + b);
            prop_assert_eq!(held, e.portfolio().position(i).qty);
        }
        // Realized P&L is not additive under average cost: each sleeve
        // averages its own lots, the account all of them (found by this test).
    }
}
