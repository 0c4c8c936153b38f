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
        let qty = ctx.position_qty(i);
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
