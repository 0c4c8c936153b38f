//! A strategy that fails: in a backtest the run stops with the reason (a
//! result missing one of its strategies would answer nothing); with
//! failures isolated (a node), the others run on. `Context::fail` and a
//! panic end a strategy the same way.

mod common;

use pyrt_engine::{Context, Engine, EngineConfig, EngineError, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, OrderRequest, Price, Quantity, Side};
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn bars(n: i64) -> Vec<Result<MarketEvent, std::io::Error>> {
    common::daily_bars(I, n, |_| Price::from_int(100))
}

fn engine() -> Engine<SimVenue> {
    let inst = Instrument::new(I, "X", Price::from_raw(10_000), Quantity::from_int(1));
    Engine::new(vec![inst.clone()], SimVenue::new(vec![inst], SimConfig::default()), EngineConfig::default())
}

/// Fails on its `at`-th bar, by `Context::fail` or by a panic.
struct FailsOn {
    at: usize,
    seen: usize,
    panics: bool,
}

impl Strategy for FailsOn {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        self.seen += 1;
        if self.seen == self.at {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
            if self.panics {
                panic!("index out of range");
            }
            ctx.fail("ValueError: bad signal");
        }
    }
}

/// Buys one on every bar.
struct BuysEveryBar;

impl Strategy for BuysEveryBar {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
    }
}

#[test]
fn a_backtest_stops_at_a_failed_strategy_and_says_which_when_and_why() {
    for (panics, why) in [(false, "ValueError: bad signal"), (true, "panicked: index out of range")] {
        let mut e = engine();
        e.add_strategy(Box::new(FailsOn { at: 3, seen: 0, panics }));
        let err = e.run(bars(10)).unwrap_err();
        match &err {
            EngineError::StrategyFailed { strategy: 0, ts, reason } => {
                assert_eq!(*ts, 3 * NANOS_PER_DAY);
                assert_eq!(reason, why);
            }
            other => panic!("{other}"),
        }
        assert!(err.to_string().starts_with("strategy 0 failed at"), "{err}");
        assert!(e.orders().all().is_empty(), "the failing callback's order is never sent");
    }
}

#[test]
fn isolated_a_failed_strategy_stops_alone_and_ids_stay_in_order() {
    let mut e = engine();
    e.isolate_failures(true);
    e.add_strategy(Box::new(FailsOn { at: 2, seen: 0, panics: false }));
    e.add_strategy(Box::new(BuysEveryBar));
    e.run(bars(10)).unwrap();
    assert_eq!(e.active_strategies(), 1);
    assert_eq!(e.strategy_failures()[0].reason, "ValueError: bad signal");
    let orders = e.orders().all();
    assert_eq!(orders.len(), 10, "the other strategy bought on every bar");
    assert!(orders.iter().all(|o| o.strategy.0 == 1));
    let ids: Vec<u64> = orders.iter().map(|o| o.id.0).collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>(), "the dropped order's id was taken back");
}
