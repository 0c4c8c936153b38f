//! The event stream: every event of a run, gap-free, in the kernel's order,
//! the same on every run; sinks that fall behind drop and count, or halt
//! trading, but never stall the kernel.

use pyrt_engine::events::{ChannelSink, MemorySink, NodeEvent, Overflow, Sequenced};
use pyrt_engine::{Context, Engine, EngineConfig, Strategy};
use pyrt_model::time::NANOS_PER_DAY;
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, OrderRequest, Price, Quantity, Side};
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn bar(day: i64, close: i64) -> MarketEvent {
    let ts = day * NANOS_PER_DAY;
    let p = Price::from_int(close);
    MarketEvent::Bar(Bar {
        instrument: I,
        ts_event: ts,
        ts_recv: ts,
        open: p,
        high: Price::from_int(close + 1),
        low: Price::from_int(close - 1),
        close: p,
        volume: Quantity::from_int(1_000),
    })
}

/// Buys 10 every 5th bar and sells 10 two bars later; on bar 7 asks for
/// more than it can pay (a rejection) and sets a timer.
struct Churn(usize);

impl Strategy for Churn {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        match self.0 % 5 {
            0 => {
                ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(10)));
            }
            2 => {
                ctx.submit(OrderRequest::market(I, Side::Sell, Quantity::from_int(10)));
            }
            _ => {}
        }
        if self.0 == 7 {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1_000_000)));
            ctx.set_timer(ctx.now() + 1, "later");
        }
        self.0 += 1;
    }
}

fn engine() -> Engine<SimVenue> {
    let inst = vec![Instrument::new(I, "TEST", Price::from_raw(10_000_000), Quantity::from_int(1))];
    let mut e = Engine::new(inst.clone(), SimVenue::new(inst, SimConfig::default()), EngineConfig::default());
    e.add_strategy(Box::new(Churn(0)));
    e
}

fn bars() -> Vec<MarketEvent> {
    (0..40).map(|d| bar(d, 100 + (d % 7))).collect()
}

fn run_with(sink: Option<Box<dyn pyrt_engine::EventSink>>) -> Engine<SimVenue> {
    let mut e = engine();
    if let Some(sink) = sink {
        e.add_sink(sink);
    }
    e.run(bars().into_iter().map(Ok::<_, std::io::Error>)).unwrap();
    e
}

fn recorded() -> (Engine<SimVenue>, Vec<Sequenced>) {
    let sink = MemorySink::default();
    let e = run_with(Some(Box::new(sink.clone())));
    let events = sink.0.borrow().clone();
    (e, events)
}

#[test]
fn the_stream_holds_every_event_in_order_without_gaps() {
    let (e, events) = recorded();
    assert!(events.iter().enumerate().all(|(i, s)| s.seq == i as u64 + 1), "gap-free from 1");
    assert!(events.windows(2).all(|w| w[0].ts <= w[1].ts), "the kernel's clock never goes back");
    let count = |f: fn(&NodeEvent) -> bool| events.iter().filter(|s| f(&s.event)).count();
    assert_eq!(count(|e| matches!(e, NodeEvent::Market { .. })), 40);
    assert_eq!(count(|e| matches!(e, NodeEvent::OrderFilled { .. })), e.fills().len());
    assert_eq!(count(|e| matches!(e, NodeEvent::OrderSubmitted { .. })), e.fills().len(), "every sent order filled");
    assert_eq!(count(|e| matches!(e, NodeEvent::Timer { .. })), 1);
    let rejected: Vec<_> = events
        .iter()
        .filter_map(|s| match &s.event {
            NodeEvent::OrderRejected { local, code, .. } => Some((*local, *code)),
            _ => None,
        })
        .collect();
    assert_eq!(rejected, vec![(true, "INSUFFICIENT_CASH")]);
    // Each order: submitted, accepted, filled, in that order; then the books.
    for fill in e.fills() {
        let at = |f: &dyn Fn(&NodeEvent) -> bool| events.iter().position(|s| f(&s.event)).unwrap();
        let id = fill.order_id;
        let sub = at(&|e| matches!(e, NodeEvent::OrderSubmitted { order_id, .. } if *order_id == id));
        let acc = at(&|e| matches!(e, NodeEvent::OrderAccepted { order_id } if *order_id == id));
        let fil = at(&|e| matches!(e, NodeEvent::OrderFilled { fill, .. } if fill.order_id == id));
        assert!(sub < acc && acc < fil, "{id}: {sub} {acc} {fil}");
        // Market orders on bars fill whole, in one go.
        assert!(matches!(events[fil].event, NodeEvent::OrderFilled { complete: true, .. }));
        assert!(matches!(events[fil + 1].event, NodeEvent::Position { .. }));
        assert!(matches!(events[fil + 2].event, NodeEvent::Balance { .. }));
    }
    let last_balance = events.iter().rev().find_map(|s| match s.event {
        NodeEvent::Balance { cash, .. } => Some(cash),
        _ => None,
    });
    assert_eq!(last_balance, Some(e.portfolio().cash()));
    // Market events carry the exchange's time.
    assert!(events.iter().all(|s| matches!(s.event, NodeEvent::Market { .. }) == s.ts_exchange.is_some()));
}

#[test]
fn the_same_inputs_give_the_same_stream() {
    let (_, a) = recorded();
    let (_, b) = recorded();
    assert_eq!(a, b);
    let json = serde_json::to_string(&a[0]).unwrap();
    assert!(json.starts_with(r#"{"seq":1,"#) && json.contains(r#""type":"market""#), "{json}");
}

#[test]
fn a_sink_that_falls_behind_drops_and_counts_without_changing_the_run() {
    let plain = run_with(None);
    let (sink, rx, dropped) = ChannelSink::new(5, Overflow::Drop);
    let e = run_with(Some(Box::new(sink)));
    let received = rx.try_iter().count();
    assert_eq!(received, 5);
    assert!(dropped.get() > 40, "{}", dropped.get());
    assert_eq!(e.fills().len(), plain.fills().len());
    assert_eq!(e.portfolio().equity(), plain.portfolio().equity());
}

#[test]
fn a_sink_that_may_not_lose_events_halts_trading_when_it_falls_behind() {
    let (sink, rx, dropped) = ChannelSink::new(30, Overflow::Halt);
    let e = run_with(Some(Box::new(sink)));
    assert!(dropped.get() > 0);
    assert_eq!(e.risk().state(), pyrt_risk::TradingState::Halted);
    assert!(e.fills().len() < run_with(None).fills().len(), "trading stopped");
    let codes = e.orders().rejections().by_code.clone();
    assert!(codes.contains_key("HALTED"), "later orders are refused: {codes:?}");
    drop(rx);
}
