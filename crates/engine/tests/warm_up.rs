//! A run that trades from a later time than its first event (a
//! walk-forward test window that starts warm): orders before it are
//! refused as warming up, counted apart; statistics start at it; a carried
//! position arrives then, and is closed at once when asked.

mod common;

use pyrt_engine::{Context, Engine, EngineConfig, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, Money, OrderRequest, Price, Quantity, Side};
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn bars(n: i64) -> Vec<Result<MarketEvent, std::io::Error>> {
    common::daily_bars(I, n, |d| Price::from_int(100 + d))
}

/// Buys one on every bar, and counts the bars it saw.
struct BuysEveryBar(std::rc::Rc<std::cell::Cell<u32>>);

impl Strategy for BuysEveryBar {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        self.0.set(self.0.get() + 1);
        ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
    }
}

fn engine(config: EngineConfig) -> (Engine<SimVenue>, std::rc::Rc<std::cell::Cell<u32>>) {
    let inst = Instrument::new(I, "X", Price::from_raw(10_000), Quantity::from_int(1));
    let mut e = Engine::new(vec![inst.clone()], SimVenue::new(vec![inst], SimConfig::default()), config);
    let seen = std::rc::Rc::new(std::cell::Cell::new(0));
    e.add_strategy(Box::new(BuysEveryBar(seen.clone())));
    (e, seen)
}

#[test]
fn before_trade_from_the_strategy_sees_every_bar_but_trades_nothing() {
    let config = EngineConfig { trade_from: Some(5 * NANOS_PER_DAY), ..EngineConfig::default() };
    let (mut e, seen) = engine(config);
    e.run(bars(10)).unwrap();
    assert_eq!(seen.get(), 10, "the strategy saw the warm-up bars");
    let rejections = e.orders().rejections();
    assert_eq!((rejections.warming_up, rejections.total), (4, 0), "bars 1-4 warmed up, not rejected");
    // Orders from bar 5 on were sent; each fills at the next bar's open.
    assert_eq!(e.fills().len(), 5);
    assert_eq!(e.fills()[0].ts, 6 * NANOS_PER_DAY);
    // Statistics start at trade_from: the first equity point is bar 5's.
    assert_eq!(e.recorder().points().first().map(|p| p.0), Some(5 * NANOS_PER_DAY));
}

#[test]
fn a_carried_position_arrives_at_trade_from_and_is_closed_there_when_asked() {
    for close in [false, true] {
        let carry = vec![(I, Quantity::from_int(10), Money::from_int(1_030))];
        let config = EngineConfig {
            trade_from: Some(4 * NANOS_PER_DAY),
            carry,
            close_carried: close,
            initial_cash: Money::from_int(5_000),
            ..EngineConfig::default()
        };
        let (mut e, _) = engine(config);
        e.run(bars(5)).unwrap();
        // Carried at cost 1,030 (10 at 103, bar 3's close): the starting
        // capital is 5,000 + 1,030; cash does not move.
        assert_eq!(e.portfolio().initial_cash(), Money::from_int(6_030), "close = {close}");
        // The strategy's buys of bars 1-3 warmed up; those of bars 4 and 5 went out.
        assert_eq!(e.orders().rejections().warming_up, 3);
        if close {
            // Sent at trade_from, before the window's first bar is matched:
            // it fills at that bar's open (104), the window's first price.
            let sells: Vec<_> = e.fills().iter().filter(|f| f.side == Side::Sell).collect();
            assert_eq!(sells.len(), 1);
            assert_eq!(
                (sells[0].qty, sells[0].price, sells[0].ts),
                (Quantity::from_int(10), Price::from_int(104), 4 * NANOS_PER_DAY)
            );
            assert_eq!(e.portfolio().realized(), Money::from_int(10));
            // Left: the strategy's buy of bar 4 (filled at 105).
            assert_eq!(e.portfolio().position(I).qty, Quantity::from_int(1));
        } else {
            // Held: the 10 carried and the strategy's buy of bar 4.
            assert_eq!(e.portfolio().position(I).qty, Quantity::from_int(11));
            assert_eq!(e.portfolio().equity(), Money::from_int(5_000 - 105 + 11 * 105), "marked at bar 5's close");
        }
    }
}
