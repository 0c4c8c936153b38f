//! Orders and prices at the edge of the number range reach the kernel as a
//! strategy would send them: every one is booked exactly, refused before
//! the venue (`OUT_OF_RANGE`), or stops the run with a named error. None
//! wraps or panics (these tests run with overflow checks on).

use proptest::prelude::*;
use pyrt_engine::{AccountKind, Context, Engine, EngineConfig, EngineError, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, Money, OrderRequest, Price, Quantity, Side};
use pyrt_sim::{Fees, SimConfig, SimVenue, parse_fees};

const I: InstrumentId = InstrumentId(0);

fn bar(day: i64, price: Price) -> MarketEvent {
    let ts = day * NANOS_PER_DAY;
    MarketEvent::Bar(Bar {
        instrument: I,
        ts_event: ts,
        ts_recv: ts,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: Quantity::from_raw(i64::MAX),
    })
}

/// Sends one order of its list per bar.
struct Sender(Vec<(Side, Quantity)>);

impl Strategy for Sender {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        if let Some((side, qty)) = self.0.pop() {
            ctx.submit(OrderRequest::market(I, side, qty));
        }
    }
}

fn run(orders: Vec<(Side, Quantity)>, prices: Vec<Price>, fees: Fees) -> (Engine<SimVenue>, Result<(), EngineError>) {
    run_with_cash(Money::from_int(1_000_000), orders, prices, fees)
}

fn run_with_cash(
    cash: Money,
    orders: Vec<(Side, Quantity)>,
    prices: Vec<Price>,
    fees: Fees,
) -> (Engine<SimVenue>, Result<(), EngineError>) {
    let inst = vec![Instrument::new(I, "EDGE", Price::from_raw(1), Quantity::from_raw(1))];
    let venue = SimVenue::new(inst.clone(), SimConfig { fees, ..SimConfig::default() });
    let config = EngineConfig { account: AccountKind::Margin, initial_cash: cash, ..Default::default() };
    let mut e = Engine::new(inst, venue, config);
    e.add_strategy(Box::new(Sender(orders)));
    let events = prices.into_iter().enumerate().map(|(d, p)| Ok::<_, std::io::Error>(bar(d as i64, p)));
    let result = e.run(events);
    (e, result)
}

#[test]
fn orders_beyond_exact_accounting_are_refused_before_the_venue() {
    let top = Price::from_raw(i64::MAX);
    let reason = |e: &Engine<SimVenue>| e.orders().rejections().examples.first().map(|r| r.reason.clone());
    // In range at the largest price: booked.
    let (e, result) = run(vec![(Side::Buy, Quantity::from_raw(1 << 40))], vec![top; 3], Fees::None);
    result.unwrap();
    assert_eq!(e.portfolio().position(I).qty, Quantity::from_raw(1 << 40), "{:?}", reason(&e));
    // Twice its notional would take cash past 2^125.
    let (e, result) = run(vec![(Side::Buy, Quantity::from_raw(1 << 61))], vec![top; 3], Fees::None);
    result.unwrap();
    assert_eq!(e.orders().rejections().by_code.get("OUT_OF_RANGE"), Some(&1));
    assert!(reason(&e).unwrap().contains("beyond the range of exact accounting"), "{:?}", reason(&e));
    assert_eq!(e.portfolio().position(I).qty, Quantity::ZERO);
    // Past the largest gross position, at any price.
    let most = Quantity::from_raw((1 << 62) - 10);
    let one = Price::from_raw(1);
    let (e, result) = run(vec![(Side::Buy, most), (Side::Buy, most)], vec![one; 4], Fees::None);
    result.unwrap();
    assert_eq!(e.portfolio().position(I).qty, most);
    assert!(reason(&e).unwrap().contains("beyond the largest the account holds"), "{:?}", reason(&e));
    let (e, _) = run(vec![(Side::Buy, Quantity::from_raw(i64::MAX))], vec![one; 3], Fees::None);
    assert_eq!(e.orders().rejections().by_code.get("OUT_OF_RANGE"), Some(&1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    /// Random extreme sizes, prices and the fee bounds' extremes: the run
    /// finishes with the accounting identity exact, or stops with the
    /// account error; whatever happened is counted.
    #[test]
    fn extreme_runs_end_exactly_or_with_a_named_error(
        orders in prop::collection::vec((any::<bool>(), 1i64..=i64::MAX), 1..8),
        prices in prop::collection::vec(1i64..=i64::MAX, 2..10),
        fee in prop::sample::select(vec!["none", "bps:1000", "bps:-100/1000", "per-unit:1000,min=1000000", "fixed:1000000"]),
    ) {
        let orders = orders.into_iter().map(|(buy, q)| (if buy { Side::Buy } else { Side::Sell }, Quantity::from_raw(q))).collect();
        let prices = prices.into_iter().map(Price::from_raw).collect();
        let (e, result) = run(orders, prices, parse_fees(fee).unwrap());
        let p = e.portfolio();
        match result {
            Ok(()) => {
                prop_assert!(p.overflow().is_none());
                let mv = p.positions().iter().map(|x| x.mark.map_or(Money::ZERO, |m| Money::notional(m, x.qty)))
                    .fold(Money::ZERO, |a, b| a + b);
                prop_assert_eq!(p.equity(), p.cash() + mv);
                prop_assert_eq!(p.equity(), p.initial_cash() + p.realized() + p.unrealized() - p.fees());
            }
            Err(EngineError::Account { source, .. }) => {
                prop_assert_eq!(Some(source), p.overflow());
                prop_assert!(source.to_string().contains("range of exact arithmetic"));
            }
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
    }
}
