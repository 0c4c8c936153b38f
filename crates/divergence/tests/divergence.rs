//! The divergence report on sessions recorded by a real node: the node
//! with the simulated venue behind its execution port, on replayed bars,
//! recording to a file, then the recording replayed and backtested.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use pyrt_data::{GbmBars, GbmParams};
use pyrt_divergence::Divergence;
use pyrt_engine::{AccountKind, ChannelVenue, Context, Engine, EngineConfig, Strategy};
use pyrt_live::recording::{self, RecordedStrategy, Recording, RecordingHeader};
use pyrt_live::{Node, NodeConfig};
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, Money, OrderRequest, Price, Quantity, Side};
use pyrt_ports::{InProcess, Replay};
use pyrt_sim::{Fees, SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn instrument() -> Instrument {
    Instrument::new(I, "SYN", Price::from_raw(10_000_000), Quantity::from_int(1))
}

fn bars(n: usize) -> Vec<MarketEvent> {
    let mut g = GbmBars::new(GbmParams { seed: 11, instrument: I, ..GbmParams::default() });
    (0..n).map(|_| MarketEvent::Bar(g.next_bar())).collect()
}

fn sma_cross() -> Box<dyn Strategy> {
    let params = [("fast", "5"), ("slow", "20")].map(|(k, v)| (k.to_string(), v.to_string())).into();
    pyrt_strategies::build("sma_cross", &params).unwrap()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pyrt-divergence-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("session.jsonl")
}

/// Runs a node on `data` with `strategy` against a simulated venue with
/// `fees`, recording to `path`.
async fn record_session(path: &std::path::Path, data: Vec<MarketEvent>, strategy: Box<dyn Strategy>, fees: Fees) {
    let config = EngineConfig { account: AccountKind::Cash, ..EngineConfig::default() };
    let mut header = RecordingHeader::new(
        vec![instrument()],
        config.initial_cash,
        config.account,
        RecordedStrategy { name: "sma_cross".into(), params: BTreeMap::new(), kind: "builtin".into() },
    );
    header.native_notional = true; // the simulated venue sizes notional orders itself
    let (sink, recorder) = recording::record(path, &header).unwrap();
    let n = data.len() as u64;
    let mut engine = Engine::new(vec![instrument()], ChannelVenue::new(vec![instrument()]), config);
    engine.add_strategy(strategy);
    engine.add_sink(Box::new(sink));
    let venue = SimVenue::new(vec![instrument()], SimConfig { fees, ..SimConfig::default() });
    let node_config =
        NodeConfig { stop_at_feed_end: true, settle: Duration::from_millis(200), ..NodeConfig::default() };
    let node = Node::new(engine, Replay::new(data.into_iter()), InProcess::new(venue), node_config);
    let (engine, _) = node.run(std::future::pending()).await.unwrap();
    drop(engine);
    let stats = recorder.finish();
    assert_eq!((stats.lost, stats.error), (0, None));
    assert!(stats.events > n, "every market event and more: {}", stats.events);
}

#[tokio::test]
async fn a_session_on_the_simulator_replays_exactly_and_backtests_without_divergence() {
    let path = temp("exact");
    record_session(&path, bars(600), sma_cross(), Fees::None).await;
    let recording = Recording::read(&path).unwrap();
    // The node replayed the bars as fast as it could, microseconds apart,
    // closer than its own order round trip: a backtest with that round
    // trip fills later. Without one it must agree to the unit.
    let d = Divergence::of(&recording, sma_cross, None, Some(0)).unwrap();

    let r = &d.replay;
    assert!(r.identical(), "{:#?}", r.differences);
    assert_eq!(r.market_events, 600);
    assert!(r.reports > 20 && r.recorded_decisions > 10, "{r:?}");
    assert_eq!(r.operator_actions, 2, "the node's kill switch and stop");
    assert_eq!(r.recorded_decisions, r.replayed_decisions);

    // The live venue was the simulator: the backtest agrees to the unit.
    let m = &d.realism;
    assert_eq!(m.venue, "bars");
    assert_eq!(m.fees, "none");
    assert_eq!(m.live, m.backtest);
    assert!(m.orders.iter().all(|o| o.categories.is_empty()), "{:#?}", m.orders);
    assert_eq!(m.attribution, pyrt_divergence::Attribution::default());
    assert_eq!((m.latency.source, m.latency.order_latency_ns, m.latency.response_latency_ns), ("given", 0, 0));

    // By default the backtest takes the round trip the recording measured:
    // every order was answered, so every order is a sample.
    let measured = Divergence::of(&recording, sma_cross, None, None).unwrap().realism;
    let l = &measured.latency;
    assert_eq!((l.source, l.samples), ("measured", m.live.orders), "{l:?}");
    let p50 = l.p50_ns.unwrap();
    assert!(p50 > 0 && l.p90_ns.unwrap() >= p50 && l.max_ns.unwrap() >= l.p90_ns.unwrap(), "{l:?}");
    assert_eq!(l.order_latency_ns + l.response_latency_ns, p50);
    // Whatever it changed is explained, and the attribution adds up.
    let a = &measured.attribution;
    assert_eq!(a.total, a.fees + a.latency + a.slippage + a.queue_position + a.path);
    assert_eq!(a.total, measured.live.pnl - measured.backtest.pnl);
    for o in &measured.orders {
        let differs = o.live_filled != o.backtest_filled || o.live_price != o.backtest_price || !o.same_request;
        assert!(!differs || !o.categories.is_empty(), "a difference without a category: {o:#?}");
    }
}

/// Buys one unit every 20 bars and sells it 10 bars later: orders that do
/// not depend on the cash, so two runs with different fees send the same.
struct Fixed(u32);

impl Strategy for Fixed {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        self.0 += 1;
        match self.0 % 20 {
            1 => drop(ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)))),
            11 => drop(ctx.submit(OrderRequest::market(I, Side::Sell, Quantity::from_int(1)))),
            _ => {}
        }
    }
}

fn fixed() -> Box<dyn Strategy> {
    Box::new(Fixed(0))
}

#[tokio::test]
async fn fees_the_backtest_did_not_charge_are_named_and_the_attribution_adds_up() {
    let path = temp("fees");
    let live_fees = pyrt_sim::parse_fees("bps:10").unwrap();
    record_session(&path, bars(600), fixed(), live_fees).await;
    let recording = Recording::read(&path).unwrap();
    // The live fills paid 10 bps: by default the backtest charges the same.
    let same = Divergence::of(&recording, fixed, None, Some(0)).unwrap();
    assert_eq!(same.realism.fees, "bps:10");
    assert_eq!(same.realism.attribution.total, Money::ZERO, "{:#?}", same.realism.attribution);
    // A backtest without fees: the difference is the live run's fees.
    let free = Divergence::of(&recording, fixed, Some("none"), Some(0)).unwrap();
    let a = &free.realism.attribution;
    assert!(a.fees < Money::ZERO, "the live run paid fees the backtest did not: {a:#?}");
    assert_eq!(a.fees, -free.realism.live.fees, "exactly the live fees");
    assert_eq!(a.total, a.fees, "and nothing else: {a:#?}");
    assert!(free.realism.orders.iter().all(|o| o.categories == ["fees"]), "{:#?}", free.realism.orders);
    assert_eq!(a.total, a.fees + a.latency + a.slippage + a.queue_position + a.path, "every difference has a category");
    let err = Divergence::of(&recording, fixed, Some("bps:lots"), None).unwrap_err().to_string();
    assert!(err.contains("fees `bps:lots`"), "{err}");
}

/// Buys one unit on the n-th bar, where n differs between instances: a
/// strategy whose decisions depend on something besides its inputs.
struct NotDeterministic {
    buy_on: u32,
    seen: u32,
}

static INSTANCES: AtomicU32 = AtomicU32::new(0);

impl NotDeterministic {
    fn boxed() -> Box<dyn Strategy> {
        Box::new(Self { buy_on: 3 + INSTANCES.fetch_add(1, Ordering::Relaxed), seen: 0 })
    }
}

impl Strategy for NotDeterministic {
    fn on_bar(&mut self, ctx: &mut Context, _bar: &Bar) {
        self.seen += 1;
        if self.seen == self.buy_on {
            ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
        }
    }
}

#[tokio::test]
async fn a_strategy_that_decides_on_more_than_its_inputs_fails_the_replay() {
    let path = temp("nondeterministic");
    record_session(&path, bars(50), NotDeterministic::boxed(), Fees::None).await;
    let recording = Recording::read(&path).unwrap();
    let d = Divergence::of(&recording, NotDeterministic::boxed, None, None).unwrap();
    assert!(!d.replay.identical());
    let first = &d.replay.differences[0];
    assert_eq!(first.index, 0);
    assert!(first.recorded.is_some() && first.replayed.is_some());
}
