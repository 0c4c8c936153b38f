//! The node end to end with the in-process execution port: on replayed
//! bars it trades exactly as the backtest does (same fills, same prices),
//! and its stop cancels what is open, or leaves it, as configured.

use std::time::Duration;

use pyrt_data::{GbmBars, GbmParams};
use pyrt_engine::{ChannelVenue, Context, Engine, EngineConfig, MemorySink, NodeEvent, Strategy};
use pyrt_live::{Node, NodeConfig};
use pyrt_model::{Bar, Fill, Instrument, InstrumentId, MarketEvent, OrderRequest, OrderStatus, Price, Quantity, Side};
use pyrt_ports::{InProcess, Replay};
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn instrument() -> Instrument {
    Instrument::new(I, "SYN", Price::from_raw(10_000_000), Quantity::from_int(1))
}

fn bars(n: usize) -> Vec<MarketEvent> {
    let mut g = GbmBars::new(GbmParams { seed: 7, instrument: I, ..GbmParams::default() });
    (0..n).map(|_| MarketEvent::Bar(g.next_bar())).collect()
}

fn sma_cross() -> Box<dyn Strategy> {
    let params = [("fast", "5"), ("slow", "20")].map(|(k, v)| (k.to_string(), v.to_string())).into();
    pyrt_strategies::build("sma_cross", &params).unwrap()
}

fn node_engine(strategy: Box<dyn Strategy>) -> Engine<ChannelVenue> {
    let mut e = Engine::new(vec![instrument()], ChannelVenue::new(vec![instrument()]), EngineConfig::default());
    e.add_strategy(strategy);
    e
}

/// An endless feed of one bar, repeated a nanosecond apart: only a
/// shutdown (or the node itself) ends the session.
fn endless_feed() -> Replay<impl Iterator<Item = MarketEvent> + Send> {
    Replay::new(bars(1).into_iter().cycle().enumerate().map(|(i, e)| match e {
        MarketEvent::Bar(mut b) => {
            b.ts_event += i as i64;
            MarketEvent::Bar(b)
        }
        other => other,
    }))
}

fn config(cancel_on_stop: bool) -> NodeConfig {
    NodeConfig { stop_at_feed_end: true, cancel_on_stop, settle: Duration::from_millis(200), ..NodeConfig::default() }
}

fn fills_of(fills: &std::collections::VecDeque<Fill>) -> Vec<(Side, Price, Quantity)> {
    fills.iter().map(|f| (f.side, f.price, f.qty)).collect()
}

#[tokio::test]
async fn on_replayed_bars_the_node_trades_exactly_as_the_backtest() {
    let data = bars(1_000);
    let mut backtest = Engine::new(
        vec![instrument()],
        SimVenue::new(vec![instrument()], SimConfig::default()),
        EngineConfig::default(),
    );
    backtest.add_strategy(sma_cross());
    backtest.run(data.iter().copied().map(Ok::<_, std::io::Error>)).unwrap();

    let mut engine = node_engine(sma_cross());
    let sink = MemorySink::default();
    engine.add_sink(Box::new(sink.clone()));
    let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
    let node = Node::new(engine, Replay::new(data.into_iter()), exec, config(true));
    let (engine, report) = node.run(std::future::pending()).await.unwrap();

    assert!(backtest.fills().len() > 20, "the strategy trades: {}", backtest.fills().len());
    assert_eq!(fills_of(engine.fills()), fills_of(backtest.fills()), "same fills, same prices, same order");
    assert_eq!(engine.portfolio().cash(), backtest.portfolio().cash());
    assert_eq!(report.market_events, 1_000);
    // The node's stream holds what happened, gap-free.
    let events = sink.0.borrow();
    assert!(events.iter().enumerate().all(|(i, s)| s.seq == i as u64 + 1));
    let filled = events.iter().filter(|s| matches!(s.event, NodeEvent::OrderFilled { .. })).count();
    assert_eq!(filled, engine.fills().len());
}

/// Rests a buy far below the market on the first bar.
struct RestingBid(bool);

impl Strategy for RestingBid {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        if !self.0 {
            self.0 = true;
            ctx.submit(OrderRequest::limit(
                I,
                Side::Buy,
                Quantity::from_int(1),
                bar.close.mul_ratio(1, 2).floor_to(Price::from_raw(10_000_000)),
            ));
        }
    }
}

#[tokio::test]
async fn stopping_cancels_open_orders_or_keeps_them_as_configured() {
    for (cancel, want) in [(true, OrderStatus::Cancelled), (false, OrderStatus::Accepted)] {
        let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
        let node = Node::new(
            node_engine(Box::new(RestingBid(false))),
            Replay::new(bars(10).into_iter()),
            exec,
            config(cancel),
        );
        let (engine, _) = node.run(std::future::pending()).await.unwrap();
        let order = &engine.orders().all()[0];
        assert_eq!(order.status, want, "cancel_on_stop = {cancel}");
    }
}

#[tokio::test]
async fn the_node_stops_when_asked() {
    let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
    let endless = endless_feed();
    let node = Node::new(node_engine(sma_cross()), endless, exec, config(true));
    let shutdown = tokio::time::sleep(Duration::from_millis(300));
    let (_, report) = node.run(shutdown).await.unwrap();
    assert!(report.market_events > 10, "{}", report.market_events);
}

/// A feed's streams interleave: a trade may carry an exchange time a
/// millisecond before the one ahead of it. The session goes on, the trade
/// joins the bar being built, and the report counts it.
#[tokio::test]
async fn a_trade_out_of_time_order_joins_the_open_bar_and_is_counted() {
    let trade = |ts: i64, price: i64| {
        MarketEvent::Trade(pyrt_model::Trade {
            instrument: I,
            ts_event: ts,
            ts_recv: ts,
            price: Price::from_int(price),
            size: Quantity::from_int(1),
            aggressor: None,
        })
    };
    let feed = vec![trade(1_000_000, 100), trade(3_000_000, 101), trade(2_000_000, 102), trade(4_000_000, 103)];
    let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
    let config = NodeConfig { bars: Some("tick:2".parse().unwrap()), ..config(true) };
    let node = Node::new(node_engine(sma_cross()), Replay::new(feed.into_iter()), exec, config);
    let (_, report) = node.run(std::future::pending()).await.unwrap();
    assert_eq!((report.late_trades, report.bars, report.market_events), (1, 2, 4));
}

/// Buys one on the first bar (resting far below), then panics on bar `at`.
struct PanicsOnBar {
    at: usize,
    seen: usize,
}

impl Strategy for PanicsOnBar {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        self.seen += 1;
        if self.seen == 1 {
            let price = bar.close.mul_ratio(1, 2).floor_to(Price::from_raw(10_000_000));
            ctx.submit(OrderRequest::limit(I, Side::Buy, Quantity::from_int(1), price));
        }
        if self.seen == self.at {
            // Asked for, then failed in the same callback: never sent.
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
            panic!("bad state on bar {}", self.seen);
        }
    }
}

/// Counts the bars it sees, shared with the test.
struct CountsBars(std::rc::Rc<std::cell::Cell<usize>>);

impl Strategy for CountsBars {
    fn on_bar(&mut self, _ctx: &mut Context, _bar: &Bar) {
        self.0.set(self.0.get() + 1);
    }
}

#[tokio::test]
async fn a_strategy_that_panics_is_stopped_alone_and_its_orders_cancelled() {
    let seen = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut engine = node_engine(Box::new(PanicsOnBar { at: 5, seen: 0 }));
    let other = engine.add_strategy(Box::new(CountsBars(seen.clone())));
    engine.add_strategy(sma_cross());
    let sink = MemorySink::default();
    engine.add_sink(Box::new(sink.clone()));
    let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
    let node = Node::new(engine, Replay::new(bars(300).into_iter()), exec, config(true));
    let (engine, report) = node.run(std::future::pending()).await.unwrap();

    assert_eq!(seen.get(), 300, "strategy {} saw every bar", other.0);
    let failed = engine.strategy_failures();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].strategy.0, 0);
    assert_eq!(failed[0].reason, "panicked: bad state on bar 5");
    assert_eq!(report.failed_strategies.len(), 1, "{:?}", report.failed_strategies);
    let mine: Vec<_> = engine.orders().all().iter().filter(|o| o.strategy.0 == 0).collect();
    assert_eq!(mine.len(), 1, "the order asked for in the failing callback was dropped: {mine:?}");
    assert_eq!(mine[0].status, OrderStatus::Cancelled, "its resting order was cancelled at once");
    assert!(mine[0].ts_updated < engine.now(), "cancelled when it failed, not at the stop");
    assert!(engine.orders().all().iter().any(|o| o.strategy.0 == 2), "sma_cross traded on");
    let events = sink.0.borrow();
    assert!(
        events.iter().any(|s| matches!(&s.event, NodeEvent::StrategyFailed { reason, .. } if reason.contains("bar 5")))
    );
}

#[tokio::test]
async fn when_every_strategy_has_failed_the_node_stops() {
    let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
    let endless = endless_feed();
    let node = Node::new(node_engine(Box::new(PanicsOnBar { at: 3, seen: 0 })), endless, exec, config(true));
    let (engine, report) = node.run(std::future::pending()).await.unwrap();
    assert_eq!(engine.active_strategies(), 0);
    assert_eq!(report.market_events, 3, "stopped on the bar that failed the last strategy");
}
