//! The execution shell shared by the built-in strategies: long or flat,
//! all in.
//!
//! Each built-in strategy is a [`Signal`] that reads one bar at a time and
//! says enter, exit or hold. [`LongFlat`] runs one signal per instrument
//! and turns the decisions into orders: on *enter* while flat it buys as
//! many whole lots as the instrument's share of equity pays for (a notional
//! market order, sized at the fill price); on *exit* while long it closes
//! the position.

use pyrt_engine::{Context, Strategy};
use pyrt_model::{Bar, Money};

/// What a signal wants after a bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Enter,
    Exit,
    Hold,
}

/// Per-instrument trading logic on closed bars.
pub trait Signal {
    fn on_bar(&mut self, bar: &Bar) -> Decision;
}

/// Runs a fresh signal per instrument, long or flat.
pub struct LongFlat<S: Signal> {
    make: Box<dyn Fn() -> S>,
    signals: Vec<S>,
}

impl<S: Signal> LongFlat<S> {
    pub fn new(make: impl Fn() -> S + 'static) -> Self {
        Self { make: Box::new(make), signals: Vec::new() }
    }
}

impl<S: Signal> Strategy for LongFlat<S> {
    fn on_start(&mut self, ctx: &mut Context) {
        self.signals = ctx.instruments().iter().map(|_| (self.make)()).collect();
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        let i = bar.instrument;
        let decision = self.signals[i.index()].on_bar(bar);
        if decision == Decision::Hold || ctx.has_open_orders(i) {
            return;
        }
        // Whole lots only: a venue that takes a buy's fee in the coin bought
        // leaves dust below a lot after the sale, which no order can sell
        // and which must not keep the strategy from entering again.
        let held = ctx.position_qty(i);
        let lot = ctx.instrument(i).lot_size;
        let qty = if lot.is_positive() && held.is_positive() { held.floor_to(lot) } else { held };
        match decision {
            Decision::Enter if qty.is_zero() => {
                let share = ctx.equity().mul_ratio(1, ctx.instruments().len() as i128);
                let amount = share.min(ctx.cash());
                if amount > Money::ZERO {
                    ctx.buy_notional(i, amount);
                }
            }
            Decision::Exit if qty.is_positive() => {
                ctx.close_position(i);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyrt_engine::{ChannelVenue, Engine, EngineConfig};
    use pyrt_model::{
        ExecutionReport, Fill, Instrument, InstrumentId, Liquidity, MarketEvent, OrderQty, Price, Quantity,
        VenueCommand,
    };

    /// Enter, exit, enter: one decision a bar.
    struct Script(Vec<Decision>);

    impl Signal for Script {
        fn on_bar(&mut self, _bar: &Bar) -> Decision {
            if self.0.is_empty() { Decision::Hold } else { self.0.remove(0) }
        }
    }

    fn bar(ts: i64) -> MarketEvent {
        let p = Price::from_int(100);
        let b = Bar {
            instrument: InstrumentId(0),
            ts_event: ts,
            ts_recv: ts,
            open: p,
            high: p,
            low: p,
            close: p,
            volume: Quantity::from_int(1),
        };
        MarketEvent::Bar(b)
    }

    #[test]
    fn dust_a_base_fee_leaves_below_a_lot_counts_as_flat() {
        let lot: Quantity = "0.001".parse().unwrap();
        let instrument = Instrument::new(InstrumentId(0), "BTCUSDT", "0.01".parse().unwrap(), lot);
        let config = EngineConfig { initial_cash: Money::from_int(1_000), ..EngineConfig::default() };
        let mut engine = Engine::new(vec![instrument.clone()], ChannelVenue::new(vec![instrument]), config);
        let decisions = || Script(vec![Decision::Enter, Decision::Exit, Decision::Enter]);
        engine.add_strategy(Box::new(LongFlat::new(decisions)));
        let mut sent = Vec::new();
        for ts in 1..=3 {
            engine.process(&bar(ts)).unwrap();
            for (_, cmd) in engine.venue_mut().take_commands() {
                let VenueCommand::Submit { order_id, request } = cmd else { continue };
                let OrderQty::Base(qty) = request.qty else { panic!("sized by the channel") };
                sent.push((request.side, qty));
                // Filled at 100; a buy pays 0.1 % of its coins as the fee.
                let fee_base =
                    if request.side == pyrt_model::Side::Buy { qty.mul_ratio(1, 1000) } else { Quantity::ZERO };
                let fill = Fill {
                    order_id,
                    instrument: InstrumentId(0),
                    side: request.side,
                    price: Price::from_int(100),
                    qty,
                    fee: Money::ZERO,
                    liquidity: Liquidity::Taker,
                    ts,
                    fee_base,
                };
                engine.deliver(ts, [ExecutionReport::Accepted { order_id, ts }, ExecutionReport::Filled(fill)]);
            }
        }
        // Bought 9.95 (1 000 at 100.5, the channel's buffer), kept 9.94005,
        // sold the whole lots 9.94, and with 0.00005 of dust bought again.
        assert_eq!(sent.len(), 3, "{sent:?}");
        assert_eq!(sent[1], (pyrt_model::Side::Sell, "9.94".parse().unwrap()));
        assert_eq!(sent[2].0, pyrt_model::Side::Buy);
    }
}
