//! A venue on the far side of a channel: the kernel's seam to live trading.
//!
//! The kernel calls `Venue::handle` synchronously, but a real exchange
//! answers over the network, later. [`ChannelVenue`] queues each command
//! for the edge (an adapter's order gateway drains [`ChannelVenue::take_commands`])
//! and the answers come back through [`Engine::deliver`](crate::Engine::deliver).
//!
//! One thing it settles locally: a notional order (`buy $1 000 worth`) is
//! sized here, in whole lots at the best price it has seen (the ask for a
//! buy, the bid for a sell; the last trade or bar close otherwise), because
//! exchanges take quantities. The price is raised (buys) or lowered (sells)
//! by a buffer, 0.5 % unless set, so that walking the book or a move before
//! the order arrives does not make it cost more than the notional. The
//! owner learns the size from a `Modified` report before the command
//! leaves, as with the simulated venue. A venue that sizes notional orders
//! itself (the simulated venues, at the fill price) gets them as they are
//! ([`ChannelVenue::set_native_notional`]), so paper trading against it
//! sizes exactly as the backtest does.

use pyrt_model::{
    ExecutionReport, Instrument, MarketEvent, OrderQty, Price, Quantity, Rate, Side, UnixNanos, VenueCommand,
};

use crate::kernel::Venue;

#[derive(Debug, Clone, Copy, Default)]
struct LastPrices {
    bid: Option<Price>,
    ask: Option<Price>,
    last: Option<Price>,
}

/// Sizes notional orders in whole lots at the best price seen, raised
/// (buys) or lowered (sells) by a buffer: how the kernel's channel turns
/// `buy $1 000 worth` into a quantity for a venue that takes quantities.
/// A backtest of a live session sizes with it too, to send what live sent.
#[derive(Debug, Clone)]
pub struct NotionalSizer {
    instruments: Vec<Instrument>,
    prices: Vec<LastPrices>,
    buffer: Rate,
}

impl NotionalSizer {
    /// A sizer with the default buffer of 0.5 %.
    pub fn new(instruments: Vec<Instrument>) -> Self {
        let prices = vec![LastPrices::default(); instruments.len()];
        Self { instruments, prices, buffer: Rate::from_bps(50) }
    }

    /// Notes the prices of a market event.
    pub fn on_market(&mut self, event: &MarketEvent) {
        let Some(p) = self.prices.get_mut(event.instrument().index()) else { return };
        match event {
            MarketEvent::Quote(q) => (p.bid, p.ask) = (Some(q.bid), Some(q.ask)),
            MarketEvent::Trade(t) => p.last = Some(t.price),
            MarketEvent::Bar(b) => p.last = Some(b.close),
            MarketEvent::BookDelta(_) => {}
        }
    }

    /// The price a notional order on `side` is sized at.
    fn sizing_price(&self, i: usize, side: Side) -> Option<Price> {
        let p = self.prices.get(i)?;
        let touch = if side == Side::Buy { p.ask } else { p.bid };
        let price = touch.or(p.last)?;
        let margin = self.buffer.of_price(price);
        Some(if side == Side::Buy { price + margin } else { price - margin })
    }

    /// `request` with a notional quantity sized in lots (its owner told by
    /// a `Modified` report in `out`); `None`, with a `Rejected` in `out`,
    /// when it cannot be sized. Other requests come back as they are.
    pub fn size(
        &self,
        order_id: pyrt_model::OrderId,
        mut request: pyrt_model::OrderRequest,
        now: UnixNanos,
        out: &mut Vec<ExecutionReport>,
    ) -> Option<pyrt_model::OrderRequest> {
        let OrderQty::Quote(amount) = request.qty else { return Some(request) };
        let i = request.instrument.index();
        let (Some(inst), Some(price)) = (self.instruments.get(i), self.sizing_price(i, request.side)) else {
            out.push(ExecutionReport::Rejected {
                order_id,
                ts: now,
                reason: "a notional order needs a price to size it; none has been seen yet".into(),
            });
            return None;
        };
        let qty: Quantity = amount.lots_at(price, inst.lot_size);
        if !qty.is_positive() {
            out.push(ExecutionReport::Rejected {
                order_id,
                ts: now,
                reason: format!("notional {amount} buys less than one lot of {} at {price}", inst.symbol),
            });
            return None;
        }
        request.qty = OrderQty::Base(qty);
        out.push(ExecutionReport::Modified { order_id, ts: now, qty, price: None, trigger: None });
        Some(request)
    }
}

/// Commands out to the edge; nothing matched here.
pub struct ChannelVenue {
    sizer: NotionalSizer,
    outbox: Vec<(UnixNanos, VenueCommand)>,
    /// The venue sizes notional orders itself: pass them through.
    native_notional: bool,
}

impl ChannelVenue {
    pub fn new(instruments: Vec<Instrument>) -> Self {
        Self { sizer: NotionalSizer::new(instruments), outbox: Vec::new(), native_notional: false }
    }

    /// Whether the venue sizes notional orders itself (then they pass through).
    pub fn set_native_notional(&mut self, native: bool) {
        self.native_notional = native;
    }

    /// The price buffer notional orders are sized with.
    pub fn with_notional_buffer(mut self, buffer: Rate) -> Self {
        self.sizer.buffer = buffer;
        self
    }

    /// The commands queued since the last call, with the time each was sent.
    pub fn take_commands(&mut self) -> Vec<(UnixNanos, VenueCommand)> {
        std::mem::take(&mut self.outbox)
    }
}

impl Venue for ChannelVenue {
    fn handle(&mut self, cmd: VenueCommand, now: UnixNanos, out: &mut Vec<ExecutionReport>) {
        let VenueCommand::Submit { order_id, request } = cmd else {
            self.outbox.push((now, cmd));
            return;
        };
        let request = if self.native_notional { Some(request) } else { self.sizer.size(order_id, request, now, out) };
        if let Some(request) = request {
            self.outbox.push((now, VenueCommand::Submit { order_id, request }));
        }
    }

    fn on_market(&mut self, event: &MarketEvent, _now: UnixNanos, _out: &mut Vec<ExecutionReport>) {
        self.sizer.on_market(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, EngineConfig, Strategy};
    use pyrt_model::{Bar, Fill, InstrumentId, Liquidity, Money, OrderId, OrderRequest, OrderStatus};

    struct BuyOnce;
    impl Strategy for BuyOnce {
        fn on_bar(&mut self, ctx: &mut crate::Context, bar: &Bar) {
            if !ctx.has_open_orders(bar.instrument) && ctx.position_qty(bar.instrument).is_zero() {
                ctx.buy_notional(bar.instrument, Money::from_int(1000));
            }
        }
    }

    fn bar(ts: i64, close: i64) -> MarketEvent {
        MarketEvent::Bar(Bar::flat(InstrumentId(0), ts, Price::from_int(close), Quantity::from_int(1)))
    }

    #[test]
    fn commands_wait_for_the_edge_and_answers_come_back_later() {
        let inst = Instrument::new(InstrumentId(0), "BTCUSDT", "0.01".parse().unwrap(), "0.001".parse().unwrap());
        let mut engine = Engine::new(vec![inst.clone()], ChannelVenue::new(vec![inst]), EngineConfig::default());
        engine.add_strategy(Box::new(BuyOnce));
        engine.process(&bar(1, 300)).unwrap();
        let sent = engine.venue_mut().take_commands();
        // $1 000 at 300 + 0.5 % is 3.316 lots of 0.001.
        let [(1, VenueCommand::Submit { order_id, request })] = sent.as_slice() else { panic!("{sent:?}") };
        assert_eq!(request.qty, OrderQty::Base("3.316".parse().unwrap()));
        assert_eq!(engine.orders().get(*order_id).unwrap().status, OrderStatus::Submitted);
        // The venue answers over the network, later.
        let fill = Fill {
            fee_base: Quantity::ZERO,
            order_id: *order_id,
            instrument: InstrumentId(0),
            side: Side::Buy,
            price: Price::from_int(300),
            qty: "3.316".parse().unwrap(),
            fee: Money::ZERO,
            liquidity: Liquidity::Taker,
            ts: 5,
        };
        engine.deliver(5, [ExecutionReport::Accepted { order_id: *order_id, ts: 5 }, ExecutionReport::Filled(fill)]);
        assert_eq!(engine.orders().get(OrderId(order_id.0)).unwrap().status, OrderStatus::Filled);
        assert_eq!(engine.portfolio().position(InstrumentId(0)).qty, "3.316".parse().unwrap());
        assert_eq!(engine.portfolio().cash(), "99005.2".parse().unwrap());
        engine.process(&bar(10, 310)).unwrap();
        assert!(engine.venue_mut().take_commands().is_empty(), "no second buy while long");
    }

    #[test]
    fn a_notional_order_without_a_price_is_rejected_here() {
        let inst = Instrument::new(InstrumentId(0), "X", Price::from_int(1), Quantity::from_int(1));
        let mut venue = ChannelVenue::new(vec![inst]);
        let mut out = Vec::new();
        let request = OrderRequest::market_notional(InstrumentId(0), Side::Buy, Money::from_int(10));
        venue.handle(VenueCommand::Submit { order_id: OrderId(1), request }, 0, &mut out);
        assert!(matches!(&out[0], ExecutionReport::Rejected { reason, .. } if reason.contains("needs a price")));
        assert!(venue.take_commands().is_empty());
        // With a price, a notional below one lot is refused too.
        let bar = MarketEvent::Bar(Bar {
            instrument: InstrumentId(0),
            ts_event: 1,
            ts_recv: 1,
            open: Price::from_int(50),
            high: Price::from_int(50),
            low: Price::from_int(50),
            close: Price::from_int(50),
            volume: Quantity::from_int(1),
        });
        venue.on_market(&bar, 0, &mut out);
        let request = OrderRequest::market_notional(InstrumentId(0), Side::Buy, Money::from_int(10));
        venue.handle(VenueCommand::Submit { order_id: OrderId(2), request }, 2, &mut out);
        assert!(
            matches!(&out[1], ExecutionReport::Rejected { reason, .. } if reason == "notional 10 buys less than one lot of X at 50.25"),
            "{out:?}"
        );
        assert!(venue.take_commands().is_empty());
    }
}
