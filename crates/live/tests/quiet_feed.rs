//! A feed that stops sending: the node keeps its clock moving (timers
//! fire through the quiet spell), says once that the data went stale, and
//! the kernel refuses orders priced off it, while an order placed before
//! the limit passes.

use std::time::Duration;

use pyrt_engine::{ChannelVenue, Context, Engine, EngineConfig, Strategy, TimerEvent};
use pyrt_live::{Node, NodeConfig};
use pyrt_model::{Bar, Instrument, InstrumentId, MarketEvent, OrderRequest, OrderStatus, Price, Quantity, Side};
use pyrt_ports::{FeedItem, InProcess, MarketDataPort};
use pyrt_risk::RiskLimits;
use pyrt_sim::{SimConfig, SimVenue};

const I: InstrumentId = InstrumentId(0);

fn instrument() -> Instrument {
    Instrument::new(I, "SYN", Price::from_raw(10_000_000), Quantity::from_int(1))
}

/// Sends its bars, then nothing, without ending (a stalled connection).
struct Stalls(std::vec::IntoIter<MarketEvent>);

impl MarketDataPort for Stalls {
    async fn next(&mut self) -> Option<FeedItem> {
        match self.0.next() {
            Some(event) => Some(FeedItem::Market(event)),
            None => std::future::pending().await,
        }
    }
}

fn bars(n: i64) -> Vec<MarketEvent> {
    let price = Price::from_int(100);
    let bar = |i: i64| Bar {
        instrument: I,
        ts_event: i,
        ts_recv: i,
        open: price,
        high: price,
        low: price,
        close: price,
        volume: Quantity::from_int(10),
    };
    (1..=n).map(|i| MarketEvent::Bar(bar(i))).collect()
}

/// After the last bar, buys once `early` after it and once `late` after it,
/// from timers (no market data comes in between).
struct BuysOnTimers {
    early: i64,
    late: i64,
    seen: usize,
}

impl Strategy for BuysOnTimers {
    fn on_bar(&mut self, ctx: &mut Context, bar: &Bar) {
        self.seen += 1;
        if self.seen == 3 {
            ctx.set_timer(bar.ts_recv + self.early, "early");
            ctx.set_timer(bar.ts_recv + self.late, "late");
        }
    }

    fn on_timer(&mut self, ctx: &mut Context, _timer: &TimerEvent) {
        ctx.submit(OrderRequest::market(I, Side::Buy, Quantity::from_int(1)));
    }
}

#[tokio::test]
async fn a_stalled_feed_is_reported_once_and_orders_priced_off_it_are_refused() {
    let ms = 1_000_000;
    let mut limits = RiskLimits::default();
    limits.circuit_breakers.max_data_age_ms = Some(300);
    let config = EngineConfig { initial_cash: "1000000".parse().unwrap(), ..EngineConfig::default() };
    let mut engine = Engine::new(vec![instrument()], ChannelVenue::new(vec![instrument()]), config);
    engine.set_risk_limits(limits).unwrap();
    engine.add_strategy(Box::new(BuysOnTimers { early: 50 * ms, late: 600 * ms, seen: 0 }));
    let exec = InProcess::new(SimVenue::new(vec![instrument()], SimConfig::default()));
    let node_config = NodeConfig { settle: Duration::from_millis(100), ..NodeConfig::default() };
    let node = Node::new(engine, Stalls(bars(3).into_iter()), exec, node_config);
    let (engine, report) = node.run(tokio::time::sleep(Duration::from_millis(1_200))).await.unwrap();

    let orders = engine.orders().all();
    assert_eq!(orders.len(), 2, "both timers fired with no market data coming in: {orders:?}");
    assert_ne!(orders[0].status, OrderStatus::Rejected, "50 ms after the data it is fresh: {:?}", orders[0]);
    assert_eq!(orders[1].status, OrderStatus::Rejected, "600 ms after, over the 300 ms limit");
    let reason = orders[1].reason.as_deref().unwrap_or_default();
    assert!(reason.contains("ms old, over 300 ms"), "{reason}");
    assert_eq!(report.stale_spells, 1, "one quiet spell, said once: {:?}", report.feed_problems);
    assert!(report.feed_problems[0].contains("over the 300 ms limit"), "{:?}", report.feed_problems);
}
