//! Target orders: the order that moves a position towards a weight, value
//! or quantity, rounded toward zero to whole lots, counting the orders
//! already asked for.

mod common;

use std::cell::RefCell;
use std::rc::Rc;

use pyrt_engine::{Context, Engine, EngineConfig, Strategy, Target, TargetError, Weight};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, Money, OrderRequest, Price, Quantity, Side};
use pyrt_sim::{SimConfig, SimVenue};

const A: InstrumentId = InstrumentId(0);
const B: InstrumentId = InstrumentId(1);

/// Day d: A at 100 + d, B at 50 (both flat bars), merged in time order.
fn two_instruments(n: i64) -> Vec<Result<MarketEvent, std::io::Error>> {
    let a = common::daily_bars(A, n, |d| Price::from_int(100 + d));
    let b = common::daily_bars(B, n, |_| Price::from_int(50));
    a.into_iter().zip(b).flat_map(|(x, y)| [x, y]).collect()
}

type Plan = Box<dyn FnMut(&mut Context, &Bar, &mut Vec<String>)>;

/// Runs `plan` on every bar of B (both instruments are marked by then).
struct Planned(Plan, Rc<RefCell<Vec<String>>>);

impl Strategy for Planned {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        if bar.instrument == B {
            (self.0)(ctx, bar, &mut self.1.borrow_mut());
        }
    }
}

fn run(n: i64, plan: Plan) -> (Engine<SimVenue>, Vec<String>) {
    let instruments = vec![
        Instrument::new(A, "A", Price::from_raw(10_000_000), Quantity::from_int(1)),
        Instrument::new(B, "B", Price::from_raw(10_000_000), Quantity::from_int(10)),
    ];
    let venue = SimVenue::new(instruments.clone(), SimConfig::default());
    let config = EngineConfig { initial_cash: Money::from_int(10_000), ..EngineConfig::default() };
    let mut e = Engine::new(instruments, venue, config);
    let notes = Rc::new(RefCell::new(Vec::new()));
    e.add_strategy(Box::new(Planned(plan, notes.clone())));
    e.run(two_instruments(n)).unwrap();
    let notes = notes.borrow().clone();
    (e, notes)
}

fn weight(w: f64) -> Target {
    Target::Weight(Weight::from_f64(w).unwrap())
}

#[test]
fn weights_become_whole_lots_at_the_last_mark_and_fill_at_the_next_open() {
    let (e, _) = run(
        3,
        Box::new(|ctx, bar, _| {
            if bar.ts_event == NANOS_PER_DAY {
                // Equity 10,000: 30 % of it in A at 101 is 29.70 shares (29),
                // 45 % in B at 50 is 90 shares (lots of 10: 90).
                ctx.order_target(A, weight(0.3), None).unwrap();
                ctx.order_target(B, weight(0.45), None).unwrap();
                // Asked again in the same callback: already on its way.
                assert_eq!(ctx.order_target(A, weight(0.3), None), Ok(None));
            }
        }),
    );
    assert_eq!(e.portfolio().position(A).qty, Quantity::from_int(29));
    assert_eq!(e.portfolio().position(B).qty, Quantity::from_int(90));
    // Filled at day 2's opens (A at 102).
    assert_eq!(
        e.fills().iter().filter(|f| f.instrument == A).map(|f| f.price).collect::<Vec<_>>(),
        [Price::from_int(102)]
    );
}

#[test]
fn a_target_below_the_position_sells_the_lots_that_keep_it_at_or_above() {
    let (e, notes) = run(
        4,
        Box::new(|ctx, bar, notes| {
            let day = bar.ts_event / NANOS_PER_DAY;
            if day == 1 {
                ctx.submit(OrderRequest::market(B, Side::Buy, Quantity::from_int(100)));
            } else if day == 2 {
                // 37.5 % of equity (10,000 exactly: B bought at its mark) is
                // 3,750 = 75 shares at 50; the sale toward it is 25, rounded
                // to lots of 10 toward zero: 20, leaving 80 (above the target).
                assert_eq!(ctx.target_delta(B, weight(0.375)), Ok(Quantity::from_int(-20)));
                ctx.order_target(B, Target::Value(Money::from_int(3_750)), None).unwrap();
                notes.push(format!("{}", ctx.position_with_orders(B)));
            } else if day == 3 {
                ctx.order_target(B, Target::Quantity(Quantity::ZERO), Some(Price::from_int(50))).unwrap();
            }
        }),
    );
    assert_eq!(notes, ["80"], "the sale counted at once");
    let sells: Vec<_> = e.fills().iter().filter(|f| f.side == Side::Sell).map(|f| f.qty).collect();
    assert_eq!(sells, [Quantity::from_int(20), Quantity::from_int(80)]);
    assert!(e.portfolio().position(B).qty.is_zero());
}

#[test]
fn a_target_needs_a_price_and_positive_equity() {
    let (_, notes) = run(
        1,
        Box::new(|ctx, _, notes| {
            let delta = ctx.target_delta(A, weight(0.5)).map(|q| q.to_string());
            notes.push(format!("{delta:?}"));
        }),
    );
    // A is marked before B's bar: it has a price.
    assert_eq!(notes, [r#"Ok("49")"#]);
    let no_price = TargetError::NoPrice { symbol: "A".into() };
    assert!(no_price.to_string().contains("A has no price yet"));
    assert!(Weight::from_f64(f64::NAN).is_none() && Weight::from_f64(1e6).is_none());
}
